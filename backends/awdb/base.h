/*
 * base.h - the base store: an LMDB environment (base.mdb) holding the newest
 * flushed version of every key, and the meta values that make recovery work:
 * the flushed sequence number and the open generation.
 */
#ifndef AWDB_BASE_H
#define AWDB_BASE_H

#include "backends/awdb/memtable.h"

#include <lmdb.h>
#include <stddef.h>
#include <stdint.h>

#define AWDB_FORMAT 2 /* 2: WAL records carry the durable seq they were written at */
#define AWDB_BASE_CHUNK_KEYS 4096        /* keys per LMDB transaction in a flush */
#define AWDB_BASE_CHUNK_BYTES (8u << 20) /* key + value bytes per LMDB transaction */

struct awdb_base {
    MDB_env *env;
    MDB_dbi data, meta;
};

/* Opens or creates dir/base.mdb. Returns 0, an LMDB code or an errno value,
 * with a sentence in err. */
int awdb_base_open(struct awdb_base *b, const char *dir, size_t map_size, unsigned max_readers,
                   char *err, size_t errlen);

void awdb_base_close(struct awdb_base *b);

/* Reads the flushed sequence number and generation (0, 0 for a new store).
 * AWDB_INCOMPATIBLE if the store holds another format. */
int awdb_base_meta(struct awdb_base *b, uint64_t *flushed, uint64_t *gen);

/* Durably records a new generation. */
int awdb_base_set_gen(struct awdb_base *b, uint64_t gen);

/* Writes the newest version of every key in m (a put, or a delete for a
 * tombstone), in chunks of LMDB transactions, then flushed = upto, durably.
 * Adds the bytes the calling thread wrote doing so to *bytes (when the OS
 * tells). */
int awdb_base_flush(struct awdb_base *b, const struct awdb_memtable *m, uint64_t upto,
                    uint64_t *bytes);

/* A get in a read transaction: 0 with *val, *vlen pointing into the map,
 * AWDB_NOTFOUND, or an LMDB code. */
static inline int awdb_base_get(struct awdb_base *b, MDB_txn *txn, const void *key, size_t klen,
                                const void **val, size_t *vlen)
{
    MDB_val k = {klen, (void *)key}, v;
    int rc = mdb_get(txn, b->data, &k, &v);
    if (rc == 0) {
        *val = v.mv_data;
        *vlen = v.mv_size;
    }
    return rc == MDB_NOTFOUND ? -31000 /* AWDB_NOTFOUND */ : rc;
}

#endif
