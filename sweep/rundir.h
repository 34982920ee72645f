/*
 * rundir.h - the fresh directory each run gets on the disk under test.
 */
#ifndef KVB_SWEEP_RUNDIR_H
#define KVB_SWEEP_RUNDIR_H

#include <stddef.h>

#include "workloads/run.h"

/* Makes a fresh run directory under cfg->data_dir (default $TMPDIR/kvbench)
 * named after tag (made file-name safe) and a random suffix; out gets its
 * path (PATH_MAX bytes). Returns 0, or -1 with err saying what failed. */
int kvb_rundir_make(const struct kvb_config *cfg, const char *tag, char *out, char *err,
                    size_t errlen);

#endif
