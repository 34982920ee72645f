/* histjson.c - histogram summaries and distributions as JSON. */
#include "report/histjson.h"

const double kvb_dist_points[] = {
    0,   10,    20,    30,     40,     50,   60,    70,     75,     80,     85,
    90,  95,    97.5,  99,     99.5,   99.75, 99.9, 99.95,  99.975, 99.99,  99.995,
    99.9975, 99.999, 99.9995, 99.99975, 99.9999, 100,
};
const unsigned kvb_dist_npoints = sizeof(kvb_dist_points) / sizeof(kvb_dist_points[0]);

json_t *kvb_hist_json(const struct kvb_hist *h)
{
    json_t *pts = json_array();
    for (unsigned i = 0; h->count && i < kvb_dist_npoints; i++) {
        double p = kvb_dist_points[i];
        uint64_t v = p <= 0 ? h->min : kvb_hist_percentile(h, p);
        json_array_append_new(pts, json_pack("[f, f]", p, (double)v / 1e6));
    }
    return json_pack("{s:I, s:f, s:f, s:f, s:b, s:I, s:o}", "count", (json_int_t)h->count,
                     "mean_ms", kvb_hist_mean(h) / 1e6,
                     "min_ms", h->count ? (double)h->min / 1e6 : 0.0, "max_ms",
                     (double)h->max / 1e6, "low_samples", kvb_hist_low_samples(h), "clamped",
                     (json_int_t)h->clamped, "percentiles", pts);
}
