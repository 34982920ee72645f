/*
 * config.h - a YAML sweep config, validated and typed, and its expansion
 * into run specs.
 *
 * A config file is a YAML mapping. Every key is a row of kvb_config_options
 * (workloads/config_options.c) or the name of a backend, whose value is a mapping of that
 * backend's own options (struct kvb_backend.options). Any scalar may instead
 * be a list of scalars: that key becomes a sweep axis. `backends` is always a
 * list (a scalar means a list of one).
 *
 * `cases` is a mapping of case names ([A-Za-z0-9_.-], at most 64 bytes) to
 * mappings of the keys each case changes: config keys (not `name` or
 * `parallel`), `backends` and backend maps (option by option), with the same
 * values and lists as at the top level. A case's runs are those of the top
 * level with the case's values in place of the file's (keys only the case
 * sets come after the file's). The cases are the first, slowest axis, in
 * file order; a run's label starts with its case's name ("fillseq_W1_..."),
 * and its swept[] starts with the key "case".
 *
 * Loading validates every value of every list against its option row, so a
 * bad value anywhere fails before anything runs, with file:line:column, the
 * key and what was expected. --set KEY=VALUE overrides (VALUE is YAML text;
 * KEY may be "backend.option", "cases" or "cases.NAME" for a case's whole
 * map, or "cases.NAME.KEY") are applied on top, after the file. --set
 * case=NAME (or case=[NAME, ...]) runs only the cases named.
 *
 * Expansion: for each case (one, without `cases`), for each point of the
 * cartesian product of its global axes (first axis in file order varies
 * slowest), for each backend in its `backends` order, for each point of that
 * backend's own axes: one run spec.
 *
 * Inside, loading is three one-way stages (config/config_internal.h): config.c
 * reads the text into a tree and applies --set; cases.c flattens the tree
 * into one merged map per case and checks and counts them all the same way;
 * expand.c builds run specs from those maps.
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

/* A loaded, validated sweep. Opaque; built by kvb_sweep_load. */
struct kvb_sweep;

/* An error with where it happened. line/column are 1-based, 0 when unknown. */
struct kvb_config_error {
    char file[PATH_MAX];
    int line, column;
    char key[96];
    char msg[512]; /* "expected an integer >= 1, got 'x'"; "unknown (did you mean 'x'?)" */
};

/* Formats e as "file:line:col: key 'k': msg" into buf. */
void kvb_config_error_format(const struct kvb_config_error *e, char *buf, size_t n);

/* Loads path (NULL: defaults only, no file) and applies the overrides
 * ("KEY=VALUE" strings, nset of them). Returns 0 and *out, or -1 with *err
 * filled (nothing allocated). Free *out with kvb_sweep_free. */
int kvb_sweep_load(const char *path, const char *const *sets, size_t nset, struct kvb_sweep **out,
                   struct kvb_config_error *err);

void kvb_sweep_free(struct kvb_sweep *s);

/* What loading found suspicious but not wrong, each placed and worded like
 * an error (print with kvb_config_error_format): today, a backend's options
 * that no run uses because no `backends` it applies to lists that backend
 * (`rocksdb: {...}` beside `backends: [lmdb]`). *n gets how many; owned by s. */
const struct kvb_config_error *kvb_sweep_warnings(const struct kvb_sweep *s, size_t *n);

/* The sweep's name (the `name` key or the file stem; "kvbench" with no file). */
const char *kvb_sweep_name(const struct kvb_sweep *s);

/* Number of run specs the sweep expands to. */
size_t kvb_sweep_count(const struct kvb_sweep *s);

/* True when the sweep has more than one case (first_axis "case"), or some key
 * other than `backends` has more than one value. */
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
