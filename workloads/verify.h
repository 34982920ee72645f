/*
 * verify.h - the end-of-run check of what the clients left.
 *
 * After the clients stop: head equals the number of acknowledged commits,
 * every acknowledged commit claimed a distinct index (no lost update), keys
 * 0 .. head-1 exist and verify, and every record verifies. A record random
 * writers or compactors write holds a version no acknowledged write
 * superseded, or is missing because of such a delete (else: a lost write),
 * and no two of their acknowledged read-modify-writes replaced the same
 * version (a lost update); see ledger.h. The others are as preloaded. The
 * verdict and the first thing found wrong go into the result; the verdict
 * is n/a when nothing was found but the ledger could not hold everything.
 */
#ifndef KVB_WORKLOADS_VERIFY_H
#define KVB_WORKLOADS_VERIFY_H

#include "workloads/worker.h"

/* Checks the database through client aux; writers[0..nwriters) hold the
 * indices each writer committed. Sets res->verdict, verify_detail, final_head. */
void kvb_verify_run(struct kvb_run_ctx *ctx, struct kvb_worker *aux,
                    const struct kvb_worker *writers, unsigned nwriters, struct kvb_result *res);

#endif
