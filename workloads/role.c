/* role.c - the role table (see role.h). */
#include "workloads/role.h"

#include <stddef.h>

#include "workloads/run.h"
#include "workloads/worker.h"

#define CFG(field) offsetof(struct kvb_config, field)

const struct kvb_role_def kvb_roles[KVB_ROLE_COUNT] = {
    [KVB_ROLE_WRITER] =
        {
            .name = "writer",
            .title = "writer",
            .plural = "writers",
            .ops_noun = "writes",
            .col = "writer",
            .ops_col = "total_writes",
            .tps_col = "write_tps",
            .conflict_col = "precondition_failure_rate",
            .retry_col = "retry_failures",
            .count_key = "num_writers",
            .rate_key = "writer_rate",
            .count_off = CFG(num_writers),
            .rate_off = CFG(writer_rate),
            .op = kvb_writer_op,
            .judge = kvb_writer_judge,
        },
    [KVB_ROLE_READER] =
        {
            .name = "reader",
            .title = "reader",
            .plural = "readers",
            .ops_noun = "reads",
            .col = "read",
            .ops_col = "total_reads",
            .tps_col = "read_tps",
            .conflict_col = "read_precondition_failure_rate",
            .retry_col = "read_retry_failures",
            .count_key = "num_readers",
            .rate_key = "reader_rate",
            .count_off = CFG(num_readers),
            .rate_off = CFG(reader_rate),
            .setup = kvb_reader_setup,
            .op = kvb_reader_op,
            .judge = kvb_reader_judge,
        },
    [KVB_ROLE_RANDOM_WRITER] =
        {
            .name = "random_writer",
            .title = "random writer",
            .plural = "random writers",
            .ops_noun = "random writes",
            .col = "random_writer",
            .ops_col = "random_writes",
            .tps_col = "random_write_tps",
            .conflict_col = "random_writer_precondition_failure_rate",
            .retry_col = "random_retry_failures",
            .count_key = "num_random_writers",
            .rate_key = "random_writer_rate",
            .count_off = CFG(num_random_writers),
            .rate_off = CFG(random_writer_rate),
            .setup = kvb_random_writer_setup,
            .op = kvb_random_writer_op,
            .judge = kvb_record_writer_judge,
            .records = kvb_random_writer_records,
        },
    [KVB_ROLE_COMPACTOR] =
        {
            .name = "compactor",
            .title = "compactor",
            .plural = "compactors",
            .ops_noun = "compactions",
            .col = "compactor",
            .ops_col = "compactor_ops",
            .tps_col = "compactor_tps",
            .conflict_col = "compactor_precondition_failure_rate",
            .retry_col = "compactor_retry_failures",
            .count_key = "num_compactors",
            .rate_key = "compactor_rate",
            .count_off = CFG(num_compactors),
            .rate_off = CFG(compactor_rate),
            .setup = kvb_compactor_setup,
            .op = kvb_compactor_op,
            .judge = kvb_record_writer_judge,
            .records = kvb_compactor_records,
        },
    [KVB_ROLE_SCANNER] =
        {
            .name = "scanner",
            .title = "scanner",
            .plural = "scanners",
            .ops_noun = "scans",
            .col = "scanner",
            .ops_col = "scans",
            .tps_col = "scan_tps",
            .conflict_col = "scanner_precondition_failure_rate",
            .retry_col = "scanner_retry_failures",
            .count_key = "num_scanners",
            .rate_key = "scanner_rate",
            .count_off = CFG(num_scanners),
            .rate_off = CFG(scanner_rate),
            .setup = kvb_scanner_setup,
            .op = kvb_scanner_op,
            .judge = kvb_scanner_judge,
        },
};

unsigned kvb_role_clients(const struct kvb_config *cfg, enum kvb_role r)
{
    if ((unsigned)r >= KVB_ROLE_COUNT)
        return 0;
    return *(const unsigned *)((const char *)cfg + kvb_roles[r].count_off);
}

double kvb_role_rate(const struct kvb_config *cfg, enum kvb_role r)
{
    if ((unsigned)r >= KVB_ROLE_COUNT)
        return 0;
    return *(const double *)((const char *)cfg + kvb_roles[r].rate_off);
}
