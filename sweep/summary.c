/* summary.c - the per-run JSON summary, written with jansson. */
#include "sweep/summary.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/row.h"
#include "report/histjson.h"
#include "report/machine.h"
#include "report/table.h"

static json_t *options_json(const struct kvb_option *table, const void *base)
{
    json_t *o = json_object();
    for (const struct kvb_option *r = table; r && r->name; r++) {
        char v[PATH_MAX + 16];
        kvb_opt_format(r, base, v, sizeof(v));
        json_object_set_new(o, r->name, json_string(v));
    }
    return o;
}

/* {"interval_secs": I, "intervals": n, "last_interval_secs": L,
 *  "<role>": {"ops": [...], "ops_per_sec": [...], "p99_ms": [...]}, ...}
 * for the roles that ran. An operation counts in the interval of its
 * intended start; the last interval ends with the run, so it may be shorter
 * than I (L), and its rate is over its own length. */
static json_t *series_json(const struct kvb_series *s, double duration)
{
    double last = duration - (double)(s->n - 1) * s->interval_secs;
    if (last <= 0 || last > s->interval_secs)
        last = s->interval_secs;
    json_t *o = json_pack("{s:f, s:i, s:f}", "interval_secs", s->interval_secs, "intervals",
                          (json_int_t)s->n, "last_interval_secs", last);
    for (int r = 0; r < KVB_ROLE_COUNT; r++) {
        uint64_t total = 0;
        for (unsigned k = 0; k < s->n; k++)
            total += s->ops[r][k];
        if (!total)
            continue;
        json_t *ops = json_array(), *rate = json_array(), *p99 = json_array();
        for (unsigned k = 0; k < s->n; k++) {
            double len = k + 1 == s->n ? last : s->interval_secs;
            json_array_append_new(ops, json_integer((json_int_t)s->ops[r][k]));
            json_array_append_new(rate, json_real((double)s->ops[r][k] / len));
            json_array_append_new(p99, json_real((double)s->p99_ns[r][k] / 1e6));
        }
        json_object_set_new(o, kvb_roles[r].name,
                            json_pack("{s:o, s:o, s:o}", "ops", ops, "ops_per_sec", rate,
                                      "p99_ms", p99));
    }
    return o;
}

/* {"disk_bytes_written": ..., ..., "write_amplification": ...}: null for
 * what is unknown. */
static json_t *counters_json(const struct kvb_engine_counters *c)
{
    json_t *o = json_object();
    for (const struct kvb_engine_counter *e = kvb_engine_counter_table; e->name; e++) {
        double v = kvb_engine_counter_get(c, e);
        json_object_set_new(o, e->name, isnan(v) ? json_null() : json_real(v));
    }
    double wa = kvb_engine_write_amplification(c);
    json_object_set_new(o, "write_amplification", isnan(wa) ? json_null() : json_real(wa));
    return o;
}

/* The engine's figures over the measured window and the whole run, and
 * the commits the durable lag histogram leaves out (when it is tracked). */
static json_t *engine_json(const struct kvb_result *res)
{
    json_t *o = json_pack("{s:o, s:o}", "measured", counters_json(&res->engine), "whole_run",
                          counters_json(&res->engine_total));
    if (!isnan(res->durable_lag_dropped))
        json_object_set_new(o, "durable_lag_dropped",
                            json_integer((json_int_t)res->durable_lag_dropped));
    return o;
}

static json_t *row_json(char *const *cells)
{
    json_t *row = json_object();
    for (size_t i = 0; i < kvb_ncolumns; i++)
        json_object_set_new(row, kvb_column_names()[i], json_string(cells[i] ? cells[i] : ""));
    return row;
}

static int dump(json_t *doc, const char *path, char *err, size_t errlen)
{
    char *text = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    if (!text) {
        snprintf(err, errlen, "%s: cannot encode JSON", path);
        return -1;
    }
    int rc = kvb_write_atomic(path, text, strlen(text), err, errlen);
    free(text);
    return rc;
}

int kvb_summary_write(const char *path, const struct kvb_run_spec *spec,
                      const struct kvb_result *res, char *const *cells, const char *data_dir,
                      char *err, size_t errlen)
{
    json_t *doc = json_object();
    json_object_set_new(doc, "kvbench_version", json_string(KVB_VERSION));
    json_object_set_new(doc, "sweep", json_string(spec->cfg.name));
    json_object_set_new(doc, "run_index", json_integer((json_int_t)spec->index));
    json_object_set_new(doc, "label", json_string(spec->label));
    json_object_set_new(doc, "backend", json_string(spec->cfg.backend));

    json_t *cfg = options_json(kvb_config_options, &spec->cfg);
    json_object_set_new(cfg, "backends", json_string(spec->cfg.backend));
    if (spec->cfg.be)
        json_object_set_new(cfg, spec->cfg.be->name,
                            options_json(spec->cfg.be->options, spec->cfg.bopts));
    json_object_set_new(doc, "config", cfg);

    json_t *swept = json_object();
    for (size_t i = 0; i < spec->nswept; i++)
        json_object_set_new(swept, spec->swept[i].key, json_string(spec->swept[i].value));
    json_object_set_new(doc, "swept", swept);

    json_object_set_new(doc, "row", row_json(cells));

    struct kvb_machine m;
    kvb_machine_probe(&m, data_dir);
    json_object_set_new(doc, "machine", kvb_machine_json(&m));

    if (res) {
        json_t *h = json_object();
        for (int i = 0; i < KVB_ROLE_COUNT; i++) {
            char key[64];
            if (!res->role[i].clients)
                continue;
            snprintf(key, sizeof(key), "%s_latency", kvb_roles[i].name);
            json_object_set_new(h, key, kvb_hist_json(&res->role[i].latency));
            snprintf(key, sizeof(key), "%s_service", kvb_roles[i].name);
            json_object_set_new(h, key, kvb_hist_json(&res->role[i].service));
        }
        if (res->durable_lag.count)
            json_object_set_new(h, "durable_lag", kvb_hist_json(&res->durable_lag));
        if (res->visible_lag.count)
            json_object_set_new(h, "visible_lag", kvb_hist_json(&res->visible_lag));
        json_object_set_new(doc, "histograms", h);
        json_object_set_new(doc, "engine", engine_json(res));
        if (res->series.n)
            json_object_set_new(doc, "time_series",
                                series_json(&res->series, spec->cfg.duration));
    }

    int rc = dump(doc, path, err, errlen);
    json_decref(doc);
    return rc;
}

static json_t *load(const char *path, char *err, size_t errlen)
{
    json_error_t je;
    json_t *doc = json_load_file(path, 0, &je);
    if (!doc) {
        snprintf(err, errlen, "%s:%d: %s", path, je.line, je.text);
        return NULL;
    }
    if (!json_is_object(json_object_get(doc, "row"))) {
        snprintf(err, errlen, "%s: no \"row\" object", path);
        json_decref(doc);
        return NULL;
    }
    return doc;
}

int kvb_summary_read_row(const char *path, char **cells, char *err, size_t errlen)
{
    json_t *doc = load(path, err, errlen);
    if (!doc)
        return -1;
    json_t *row = json_object_get(doc, "row");
    int rc = 0;
    for (size_t i = 0; i < kvb_ncolumns; i++) {
        const char *v = json_string_value(json_object_get(row, kvb_column_names()[i]));
        cells[i] = strdup(v ? v : "");
        if (!cells[i])
            rc = -1;
    }
    json_decref(doc);
    if (rc) {
        kvb_row_free(cells);
        snprintf(err, errlen, "%s: out of memory", path);
    }
    return rc;
}

int kvb_summary_update_row(const char *path, char *const *cells, char *err, size_t errlen)
{
    json_t *doc = load(path, err, errlen);
    if (!doc)
        return -1;
    json_object_set_new(doc, "row", row_json(cells));
    int rc = dump(doc, path, err, errlen);
    json_decref(doc);
    return rc;
}

static json_t *number_array(const double *v, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(a, json_real(v[i]));
    return a;
}

int kvb_summary_add_samples(const char *path, const struct kvb_proc_samples *ps, char *err,
                            size_t errlen)
{
    json_t *doc = load(path, err, errlen);
    if (!doc)
        return -1;
    json_object_set_new(doc, "process_samples",
                        json_pack("{s:o, s:o, s:o, s:o}", "t", number_array(ps->t, ps->n),
                                  "rss_mb", number_array(ps->rss_mb, ps->n), "rss_anon_mb",
                                  number_array(ps->anon_mb, ps->n), "open_fds",
                                  number_array(ps->fds, ps->n)));
    int rc = dump(doc, path, err, errlen);
    json_decref(doc);
    return rc;
}
