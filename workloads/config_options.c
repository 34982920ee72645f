/*
 * config_options.c - the option table of struct kvb_config (run.h): every
 * key a config file, --set and `run --help` know, with its type, bounds,
 * default and one line of help. The config loader (config/) parses
 * with it and the report's column table (report/columns.c) formats the
 * configuration columns with it.
 */
#include <stddef.h>

#include "util/option.h"
#include "workloads/run.h"

static const char *const arrival_choices[] = {"fixed", "poisson", NULL};
static const char *const dist_choices[] = {"uniform", "zipfian",    "latest",
                                           "hotspot", "sequential", NULL};

/* A row of field; after the default: its help, then any more fields
 * (".unit = ...", ".sweep = true"). */
#define ROW(n, l, t, field, lo, hi, d, ...)                                                        \
    {                                                                                              \
        .name = n, .label = l, .type = t, .offset = offsetof(struct kvb_config, field),            \
        .size = sizeof(((struct kvb_config *)0)->field), .min = lo, .max = hi, .def = d,           \
        .help = __VA_ARGS__                                                                        \
    }

const struct kvb_option kvb_config_options[] = {
    ROW("name", "NAME", KVB_OPT_STRING, name, 1, 0, NULL,
        "sweep name, for output files (default: the config file's name without .yaml)",
        .sweep = true),
    ROW("backends", "BE", KVB_OPT_STRING, backend, 1, 0, "lmdb",
        "backends to run, a name or a list of names (see `kvbench backends`)", .sweep = true),
    ROW("parallel", "PAR", KVB_OPT_UINT, parallel, 1, 1024, "1", "runs at once in a sweep",
        .sweep = true),
    ROW("duration", "DUR", KVB_OPT_SECONDS, duration, 0.001, 0, "10", "measured time per run"),
    ROW("warmup", "WU", KVB_OPT_SECONDS, warmup, 0, 0, "1", "time before the measured window"),
    ROW("timeout", "TO", KVB_OPT_SECONDS, timeout, 0, 0, "0",
        "a run taking longer is killed (0: automatic, from duration and warmup)"),
    ROW("num_writers", "W", KVB_OPT_UINT, num_writers, 0, 4096, "1", "monotonic writer threads"),
    ROW("writer_rate", "WR", KVB_OPT_DOUBLE, writer_rate, 0, 0, "0.1",
        "transactions/s per monotonic writer (0: as fast as possible)", .unit = "txn/s"),
    ROW("num_readers", "RD", KVB_OPT_UINT, num_readers, 0, 4096, "2", "reader threads"),
    ROW("reader_rate", "RT", KVB_OPT_DOUBLE, reader_rate, 0, 0, "100",
        "transactions/s per reader (0: as fast as possible)", .unit = "txn/s"),
    ROW("num_random_writers", "RW", KVB_OPT_UINT, num_random_writers, 0, 4096, "0",
        "random writer threads (blind puts of random keys)"),
    ROW("random_writer_rate", "RWR", KVB_OPT_DOUBLE, random_writer_rate, 0, 0, "0",
        "transactions/s per random writer (0: as fast as possible)", .unit = "txn/s"),
    ROW("ops_per_txn", "OPT", KVB_OPT_UINT, ops_per_txn, 1, 1000000, "1",
        "keys put per random-writer transaction"),
    ROW("key_count", "KC", KVB_OPT_U64, key_count, 1, 0, "100000",
        "random writers draw keys from [0, key_count)"),
    ROW("preload", "PL", KVB_OPT_U64, preload, 0, 0, "0", "keys loaded before the run, untimed"),
    ROW("value_size", "VS", KVB_OPT_UINT, value_size, KVB_VALUE_MIN, 16u << 20, "100",
        "bytes per value", .unit = "bytes"),
    ROW("max_retry_count", "MR", KVB_OPT_UINT, max_retry_count, 0, 0, "10",
        "retries of a conflicting monotonic write before it counts as a retry failure"),
    ROW("sync", "SYNC", KVB_OPT_BOOL, sync, 0, 0, "true",
        "every acknowledged commit is durable before it returns"),
    ROW("seed", "SEED", KVB_OPT_U64, seed, 0, 0, "1", "random seed"),
    {.name = "arrival",
     .label = "ARR",
     .type = KVB_OPT_ENUM,
     .offset = offsetof(struct kvb_config, arrival),
     .def = "fixed",
     .choices = arrival_choices,
     .help = "request spacing of paced clients: fixed (even; a role's clients start evenly "
             "spread over one interval) or poisson (each client's first arrival drawn too)"},
    ROW("data_dir", "DIR", KVB_OPT_STRING, data_dir, 0, 0, "",
        "where run directories are made: the disk under test (default $TMPDIR/kvbench)",
        .sweep = true),
    {.name = "key_distribution",
     .label = "KD",
     .type = KVB_OPT_ENUM,
     .offset = offsetof(struct kvb_config, key_distribution),
     .def = "uniform",
     .choices = dist_choices,
     .help = "which keys readers, random writers, compactors and scanners pick"},
    ROW("zipf_theta", "ZT", KVB_OPT_DOUBLE, zipf_theta, 0.01, 0.9999, "0.99",
        "skew of zipfian and latest (YCSB's default 0.99)"),
    ROW("hotspot_keys", "HK", KVB_OPT_DOUBLE, hotspot_keys, 0, 1, "0.2",
        "hotspot: fraction of the keys that are hot"),
    ROW("hotspot_ops", "HO", KVB_OPT_DOUBLE, hotspot_ops, 0, 1, "0.8",
        "hotspot: fraction of operations that go to the hot keys"),
    ROW("key_overlap_ratio", "OV", KVB_OPT_DOUBLE, key_overlap_ratio, 0, 1, "1",
        "random writers' key ranges: 0 disjoint, 1 all share [0, key_count)"),
    ROW("delete_ratio", "DEL", KVB_OPT_DOUBLE, delete_ratio, 0, 1, "0",
        "fraction of random-writer operations that delete instead of put"),
    ROW("read_before_write", "RBW", KVB_OPT_BOOL, read_before_write, 0, 0, "false",
        "random writers read each key for update before writing it (read-modify-write)"),
    ROW("num_compactors", "C", KVB_OPT_UINT, num_compactors, 0, 4096, "0",
        "compactor threads: read N records, hold the transaction, write them back"),
    ROW("compactor_rate", "CR", KVB_OPT_DOUBLE, compactor_rate, 0, 0, "0",
        "transactions/s per compactor (0: as fast as possible)", .unit = "txn/s"),
    ROW("compactor_read_count", "CN", KVB_OPT_UINT, compactor_read_count, 1, 1000000, "10",
        "records each compactor transaction reads and writes back"),
    ROW("compactor_sleep_ms", "CS", KVB_OPT_DOUBLE, compactor_sleep_ms, 0, 0, "100",
        "how long a compactor holds its transaction open between reads and writes", .unit = "ms"),
    ROW("num_scanners", "S", KVB_OPT_UINT, num_scanners, 0, 4096, "0",
        "scanner threads: ordered range reads inside a snapshot"),
    ROW("scanner_rate", "SR", KVB_OPT_DOUBLE, scanner_rate, 0, 0, "0",
        "scans/s per scanner (0: as fast as possible)", .unit = "txn/s"),
    ROW("scan_length", "SL", KVB_OPT_UINT, scan_length, 1, 1000000, "100", "keys per scan"),
    ROW("report_interval", "RI", KVB_OPT_SECONDS, report_interval, 0, 0, "0",
        "length of the intervals of the throughput/p99 time series (0: none)"),
    ROW("max_rss_mb", "RSS", KVB_OPT_DOUBLE, max_rss_mb, 0, 0, "0",
        "a run whose resident memory passes this many MiB is killed and failed (0: no ceiling)",
        .unit = "MiB"),
    ROW("repeat", "REP", KVB_OPT_UINT, repeat, 1, 1000, "1",
        "runs of each configuration; the CSV reports the median, min and max"),
    {.name = NULL},
};
