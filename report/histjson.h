/*
 * histjson.h - a histogram as JSON: summary figures and its percentile
 * distribution (HdrHistogram's "nines" points), in milliseconds.
 */
#ifndef KVB_REPORT_HISTJSON_H
#define KVB_REPORT_HISTJSON_H

#include <jansson.h>

#include "util/hist.h"

/* Percentile points of the distribution, ending at 100. */
extern const double kvb_dist_points[];
extern const unsigned kvb_dist_npoints;

/* {"count", "mean_ms", "min_ms", "max_ms", "low_samples", "clamped",
 *  "percentiles": [[p, ms], ...]}; a new reference the caller owns. */
json_t *kvb_hist_json(const struct kvb_hist *h);

#endif
