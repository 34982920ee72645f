/*
 * error.c - the engine's errors: the text of every code (awdb_strerror), and
 * a database's first failure. awdb_fail keeps the first error's code and
 * message on the handle (every later one is dropped: the first explains the
 * rest) and wakes whoever waits for progress that will not come; from then
 * on commits return AWDB_FAILED and awdb_errmsg says what happened.
 */
#include "backends/awdb/awdb_int.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>

const char *awdb_strerror(int rc)
{
    switch (rc) {
    case AWDB_OK:
        return "success";
    case AWDB_NOTFOUND:
        return "key not found";
    case AWDB_CONFLICT:
        return "conflict: a key read changed since the snapshot";
    case AWDB_CORRUPTED:
        return "database corrupted";
    case AWDB_TOO_BIG:
        return "key, value or transaction too big";
    case AWDB_FAILED:
        return "database failed after an I/O error; reopen it";
    case AWDB_INVALID:
        return "invalid argument or call";
    case AWDB_LOCKED:
        return "database directory in use by another handle";
    case AWDB_INCOMPATIBLE:
        return "database has an incompatible format";
    case AWDB_EXPIRED:
        return "older than the kept history";
    }
    if (rc > 0 || (rc <= MDB_KEYEXIST && rc >= MDB_LAST_ERRCODE))
        return mdb_strerror(rc);
    return "unknown error";
}

void awdb_fail(struct awdb *db, int rc, const char *fmt, ...)
{
    pthread_mutex_lock(&db->err_mu);
    if (!db->errmsg[0]) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(db->errmsg, sizeof db->errmsg, fmt, ap);
        va_end(ap);
    }
    pthread_mutex_unlock(&db->err_mu);
    int expect = 0;
    atomic_compare_exchange_strong(&db->failed, &expect, rc ? rc : EIO);
    /* Wake whoever waits for progress that will not come. */
    pthread_mutex_lock(&db->commit_mu);
    pthread_cond_broadcast(&db->stall_cv);
    pthread_mutex_unlock(&db->commit_mu);
    pthread_mutex_lock(&db->flush_mu);
    pthread_cond_broadcast(&db->flushed_cv);
    pthread_mutex_unlock(&db->flush_mu);
}

const char *awdb_errmsg(awdb *db)
{
    /* Written once, before failed is set; read after. */
    return atomic_load(&db->failed) ? db->errmsg : "";
}
