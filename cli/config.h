/*
 * config.h - a YAML sweep config, validated and typed, and its expansion
 * into run specs.
 *
 * A config file is a YAML mapping. Every key is a row of kvb_config_options
 * (config.c) or the name of a backend, whose value is a mapping of that
 * backend's own options (struct kvb_backend.options). Any scalar may instead
 * be a list of scalars: that key becomes a sweep axis. `backends` is always a
 * list (a scalar means a list of one).
 *
 * Loading validates every value of every list against its option row, so a
 * bad value anywhere fails before anything runs, with file:line:column, the
 * key and what was expected. --set KEY=VALUE overrides (VALUE is YAML text;
 * KEY may be "backend.option") are applied on top, after the file.
 *
 * Expansion: for each point of the cartesian product of the global axes
 * (first axis in file order varies slowest), for each backend in `backends`
 * order, for each point of that backend's own axes: one run spec.
 */
#ifndef KVB_CLI_CONFIG_H
#define KVB_CLI_CONFIG_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "backends/backend.h"
#include "util/option.h"
#include "workloads/run.h"

/* The rows of struct kvb_config that a config file can set. */
extern const struct kvb_option kvb_config_options[];

/* One axis point of a run, for labels and the JSON summary. */
struct kvb_param {
    char key[96];   /* "num_writers" or "rocksdb.compression" */
    char value[96]; /* as text */
};

struct kvb_run_spec {
    size_t index;           /* position in the full expansion, 0-based */
    char label[256];        /* "W2_WR0.10_RD2_RT100" + other swept keys */
    struct kvb_config cfg;  /* owned: kvb_config_free(&spec->cfg) */
    size_t nswept;          /* keys that vary across the sweep, with this run's values */
    struct kvb_param swept[32];
};

/* A loaded, validated sweep. Opaque; built by kvb_sweep_load. */
struct kvb_sweep;

/* An error with where it happened. line/column are 1-based, 0 when unknown. */
struct kvb_config_error {
    char file[PATH_MAX];
    int line, column;
    char key[96];
    char msg[512]; /* "expected an integer >= 1, got 'x'" / "unknown key 'num_writer' (did you mean 'num_writers'?)" */
};

/* Formats e as "file:line:col: key 'k': msg" into buf. */
void kvb_config_error_format(const struct kvb_config_error *e, char *buf, size_t n);

/* Loads path (NULL: defaults only, no file) and applies the overrides
 * ("KEY=VALUE" strings, nset of them). Returns 0 and *out, or -1 with *err
 * filled (nothing allocated). Free *out with kvb_sweep_free. */
int kvb_sweep_load(const char *path, const char *const *sets, size_t nset, struct kvb_sweep **out,
                   struct kvb_config_error *err);

void kvb_sweep_free(struct kvb_sweep *s);

/* The sweep's name (the `name` key or the file stem; "kvbench" with no file). */
const char *kvb_sweep_name(const struct kvb_sweep *s);

/* Number of run specs the sweep expands to. */
size_t kvb_sweep_count(const struct kvb_sweep *s);

/* True when some key other than `backends` has more than one value. */
bool kvb_sweep_has_axes(const struct kvb_sweep *s, char *first_axis, size_t n);

/* Fills *spec with run index i (0 <= i < count). Returns 0, or -1 with err
 * (only on allocation failure; values were validated at load). */
int kvb_sweep_spec(const struct kvb_sweep *s, size_t i, struct kvb_run_spec *spec,
                   struct kvb_config_error *err);

/* The YAML text of the whole sweep after overrides (for the JSON summary and
 * reports). Owned by s. */
const char *kvb_sweep_text(const struct kvb_sweep *s);

void kvb_config_free(struct kvb_config *cfg);

#endif
