/*
 * timeline.c - the durability timeline: each step the WAL (or, in AWDB_NONE,
 * a flush) made durable, as (highest seq, time), in a ring of the last
 * AWDB_TIMELINE steps; awdb_commit_times finds the step that covered a
 * commit by binary search.
 */
#include "backends/awdb/awdb_int.h"

void awdb_timeline_push(struct awdb *db, uint64_t seq, uint64_t ns)
{
    pthread_mutex_lock(&db->tl_mu);
    db->tl[db->tl_count % AWDB_TIMELINE] = (struct awdb_timeline_step){seq, ns};
    db->tl_count++;
    pthread_mutex_unlock(&db->tl_mu);
}

int awdb_commit_times(awdb *db, uint64_t seq, struct awdb_seq_times *t)
{
    *t = (struct awdb_seq_times){0, 0, 0};
    int rc = 0;
    pthread_mutex_lock(&db->tl_mu);
    uint64_t n = db->tl_count, lo = n > AWDB_TIMELINE ? n - AWDB_TIMELINE : 0, hi = n;
    if (n && db->tl[(n - 1) % AWDB_TIMELINE].seq >= seq) {
        if (lo > 0 && db->tl[lo % AWDB_TIMELINE].seq >= seq) {
            rc = AWDB_EXPIRED; /* the step that covered it may have been overwritten */
        } else {
            /* The first step whose seq reaches seq. */
            while (lo < hi) {
                uint64_t mid = lo + (hi - lo) / 2;
                if (db->tl[mid % AWDB_TIMELINE].seq >= seq)
                    hi = mid;
                else
                    lo = mid + 1;
            }
            t->durable_ns = db->tl[lo % AWDB_TIMELINE].ns;
            t->step_seq = db->tl[lo % AWDB_TIMELINE].seq;
        }
    }
    pthread_mutex_unlock(&db->tl_mu);
    if (db->opts.mode == AWDB_SYNC)
        t->visible_ns = t->durable_ns;
    return rc;
}
