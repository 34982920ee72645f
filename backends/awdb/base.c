/*
 * base.c - the base store on LMDB. Flushing a memtable writes the newest
 * version of each key it holds (walking the skiplist in key order, so LMDB's
 * pages fill in order) and then the flushed sequence number. The writes go
 * in chunks, one LMDB transaction each (AWDB_BASE_CHUNK keys or bytes at
 * most), so that LMDB's list of dirty pages - malloc'ed, and kept for reuse
 * after the commit - stays bounded however large the memtable and the base
 * are; the flushed number goes in the last chunk. After a crash in the
 * middle, the base holds some of the memtable's newest versions with the old
 * flushed number: recovery replays the WAL above that number, which puts the
 * same versions back in a memtable, where reads find them first, and the
 * next flush writes them again. (Until the flush is complete the memtable
 * stays in every snapshot's version, so no reader depends on the base for
 * its keys meanwhile.)
 *
 * The environment runs with MDB_NOMETASYNC: each commit fdatasyncs its data
 * pages but not the meta page, which the next commit's sync or an explicit
 * mdb_env_sync makes durable; a crash can only undo the last commit, never
 * break the tree. A flush and a new generation end with mdb_env_sync.
 *
 * The bytes LMDB writes are not reported by its API; on Linux the calling
 * thread's write-syscall byte count (/proc/thread-self/io, wchar) before and
 * after a flush measures them exactly, since the flushing thread does nothing
 * else meanwhile.
 */
#include "backends/awdb/base.h"

#include "backends/awdb/awdb.h"
#include "backends/awdb/wal_record.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

static const char K_FORMAT[] = "format", K_FLUSHED[] = "flushed_seq", K_GEN[] = "generation";

int awdb_base_open(struct awdb_base *b, const char *dir, size_t map_size, unsigned max_readers,
                   char *err, size_t errlen)
{
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/base.mdb", dir);
    MDB_txn *txn = NULL;
    const char *what = "mdb_env_create";
    int rc = mdb_env_create(&b->env);
    if (rc)
        goto fail;
    what = "mdb_env_set_mapsize";
    if ((rc = mdb_env_set_mapsize(b->env, map_size)))
        goto fail;
    what = "mdb_env_set_maxreaders";
    if ((rc = mdb_env_set_maxreaders(b->env, max_readers)))
        goto fail;
    what = "mdb_env_set_maxdbs";
    if ((rc = mdb_env_set_maxdbs(b->env, 2)))
        goto fail;
    what = "mdb_env_open";
    if ((rc = mdb_env_open(b->env, path, MDB_NOSUBDIR | MDB_NOTLS | MDB_NORDAHEAD | MDB_NOMETASYNC,
                           0644)))
        goto fail;
    what = "mdb_txn_begin";
    if ((rc = mdb_txn_begin(b->env, NULL, 0, &txn)))
        goto fail;
    what = "mdb_dbi_open(data)";
    if ((rc = mdb_dbi_open(txn, "data", MDB_CREATE, &b->data)))
        goto fail;
    what = "mdb_dbi_open(meta)";
    if ((rc = mdb_dbi_open(txn, "meta", MDB_CREATE, &b->meta)))
        goto fail;
    what = "mdb_txn_commit";
    rc = mdb_txn_commit(txn);
    txn = NULL;
    if (rc)
        goto fail;
    return 0;
fail:
    if (txn)
        mdb_txn_abort(txn);
    snprintf(err, errlen, "base store %s: %s: %s", path, what, mdb_strerror(rc));
    if (b->env)
        mdb_env_close(b->env);
    b->env = NULL;
    return rc;
}

void awdb_base_close(struct awdb_base *b)
{
    if (b->env)
        mdb_env_close(b->env);
    b->env = NULL;
}

static int get_u64(MDB_txn *txn, MDB_dbi dbi, const char *name, uint64_t *out)
{
    MDB_val k = {strlen(name), (void *)name}, v;
    int rc = mdb_get(txn, dbi, &k, &v);
    if (rc == MDB_NOTFOUND) {
        *out = 0;
        return 0;
    }
    if (rc)
        return rc;
    if (v.mv_size != 8)
        return AWDB_CORRUPTED;
    *out = awdb_get_u64(v.mv_data);
    return 0;
}

static int put_u64(MDB_txn *txn, MDB_dbi dbi, const char *name, uint64_t x)
{
    uint8_t buf[8];
    awdb_put_u64(buf, x);
    MDB_val k = {strlen(name), (void *)name}, v = {8, buf};
    return mdb_put(txn, dbi, &k, &v, 0);
}

int awdb_base_meta(struct awdb_base *b, uint64_t *flushed, uint64_t *gen)
{
    MDB_txn *txn;
    int rc = mdb_txn_begin(b->env, NULL, 0, &txn);
    if (rc)
        return rc;
    uint64_t format;
    if ((rc = get_u64(txn, b->meta, K_FORMAT, &format)))
        goto out;
    if (format == 0) {
        rc = put_u64(txn, b->meta, K_FORMAT, AWDB_FORMAT);
        if (rc)
            goto out;
    } else if (format != AWDB_FORMAT) {
        rc = AWDB_INCOMPATIBLE;
        goto out;
    }
    if ((rc = get_u64(txn, b->meta, K_FLUSHED, flushed)))
        goto out;
    if ((rc = get_u64(txn, b->meta, K_GEN, gen)))
        goto out;
    rc = mdb_txn_commit(txn);
    if (!rc && format == 0)
        rc = mdb_env_sync(b->env, 1);
    return rc;
out:
    mdb_txn_abort(txn);
    return rc;
}

int awdb_base_set_gen(struct awdb_base *b, uint64_t gen)
{
    MDB_txn *txn;
    int rc = mdb_txn_begin(b->env, NULL, 0, &txn);
    if (rc)
        return rc;
    if ((rc = put_u64(txn, b->meta, K_GEN, gen))) {
        mdb_txn_abort(txn);
        return rc;
    }
    rc = mdb_txn_commit(txn);
    return rc ? rc : mdb_env_sync(b->env, 1);
}

/* Bytes this thread has passed to write syscalls, or 0 if unknown. */
static uint64_t thread_wchar(void)
{
    FILE *f = fopen("/proc/thread-self/io", "r");
    if (!f)
        return 0;
    char line[128];
    unsigned long long v = 0;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "wchar: %llu", &v) == 1)
            break;
    fclose(f);
    return v;
}

int awdb_base_flush(struct awdb_base *b, const struct awdb_memtable *m, uint64_t upto,
                    uint64_t *bytes)
{
    uint64_t w0 = thread_wchar();
    MDB_txn *txn = NULL;
    int rc = 0;
    size_t keys = 0, chunk_bytes = 0;
    const struct awdb_node *prev = NULL;
    for (const struct awdb_node *n = awdb_mem_first(m); n; n = awdb_node_next(n)) {
        /* Versions of a key come newest first: take the first one. */
        if (prev && prev->klen == n->klen &&
            memcmp(awdb_node_key(prev), awdb_node_key(n), n->klen) == 0)
            continue;
        prev = n;
        if (!txn && (rc = mdb_txn_begin(b->env, NULL, 0, &txn)))
            return rc;
        MDB_val k = {n->klen, (void *)awdb_node_key(n)};
        if (n->type == AWDB_OP_PUT) {
            MDB_val v = {n->vlen, (void *)awdb_node_val(n)};
            rc = mdb_put(txn, b->data, &k, &v, 0);
        } else {
            rc = mdb_del(txn, b->data, &k, NULL);
            if (rc == MDB_NOTFOUND)
                rc = 0;
        }
        if (rc)
            goto fail;
        keys++;
        chunk_bytes += n->klen + n->vlen;
        if (keys >= AWDB_BASE_CHUNK_KEYS || chunk_bytes >= AWDB_BASE_CHUNK_BYTES) {
            rc = mdb_txn_commit(txn);
            txn = NULL;
            if (rc)
                return rc;
            keys = chunk_bytes = 0;
        }
    }
    if (!txn && (rc = mdb_txn_begin(b->env, NULL, 0, &txn)))
        return rc;
    if ((rc = put_u64(txn, b->meta, K_FLUSHED, upto)))
        goto fail;
    rc = mdb_txn_commit(txn);
    if (!rc)
        rc = mdb_env_sync(b->env, 1);
    uint64_t w1 = thread_wchar();
    if (!rc && w1 >= w0)
        *bytes += w1 - w0;
    return rc;
fail:
    mdb_txn_abort(txn);
    return rc;
}
