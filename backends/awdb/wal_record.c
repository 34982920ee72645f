/*
 * wal_record.c - encoding a transaction's writes as one WAL record and
 * checking records read back during recovery. A committer encodes its record
 * before taking the commit lock; the sequence number is patched in under the
 * lock and the checksum is computed by the flusher thread just before the
 * write, off the committers' path. A record is accepted only if its length is
 * plausible, its checksum matches and its operations fill it exactly.
 */
#include "backends/awdb/wal_record.h"

#include "backends/awdb/awdb.h"
#include "backends/awdb/crc32c.h"
#include "backends/awdb/skiplist.h"

#include <string.h>

void awdb_rec_begin(uint8_t *buf, size_t total, uint32_t count)
{
    awdb_put_u32(buf, 0);
    awdb_put_u32(buf + 4, (uint32_t)(total - 8));
    awdb_put_u64(buf + 8, 0);
    awdb_put_u32(buf + 16, count);
    awdb_put_u64(buf + 20, 0);
}

uint8_t *awdb_rec_put_op(uint8_t *p, int type, const void *key, size_t klen, const void *val,
                         size_t vlen)
{
    p[0] = (uint8_t)type;
    awdb_put_u16(p + 1, (uint16_t)klen);
    awdb_put_u32(p + 3, (uint32_t)vlen);
    p += AWDB_REC_OPHDR;
    memcpy(p, key, klen);
    p += klen;
    if (vlen)
        memcpy(p, val, vlen);
    return p + vlen;
}

void awdb_rec_set_seq(uint8_t *buf, uint64_t seq)
{
    awdb_put_u64(buf + 8, seq);
}

void awdb_rec_seal(uint8_t *buf, uint64_t synced)
{
    awdb_put_u64(buf + 20, synced);
    uint32_t len = awdb_get_u32(buf + 4);
    awdb_put_u32(buf, awdb_crc32c(0, buf + 4, (size_t)len + 4));
}

int awdb_rec_check(const uint8_t *p, size_t avail, struct awdb_rec_view *v)
{
    if (avail < AWDB_REC_HDR)
        return AWDB_REC_SHORT;
    uint32_t len = awdb_get_u32(p + 4);
    if (len < AWDB_REC_HDR - 8)
        return AWDB_REC_BAD;
    if ((size_t)len + 8 > avail)
        return AWDB_REC_SHORT;
    if (awdb_crc32c(0, p + 4, (size_t)len + 4) != awdb_get_u32(p))
        return AWDB_REC_BAD;
    v->seq = awdb_get_u64(p + 8);
    v->count = awdb_get_u32(p + 16);
    v->synced = awdb_get_u64(p + 20);
    v->size = (size_t)len + 8;
    v->ops = p + AWDB_REC_HDR;
    v->ops_len = v->size - AWDB_REC_HDR;
    if (v->count == 0 || v->seq == 0 || v->synced >= v->seq)
        return AWDB_REC_BAD;
    /* The operations must fill the record exactly. */
    size_t pos = 0;
    for (uint32_t i = 0; i < v->count; i++) {
        if (v->ops_len - pos < AWDB_REC_OPHDR)
            return AWDB_REC_BAD;
        const uint8_t *o = v->ops + pos;
        size_t klen = awdb_get_u16(o + 1), vlen = awdb_get_u32(o + 3);
        if ((o[0] != AWDB_OP_PUT && o[0] != AWDB_OP_DEL) || klen == 0 || klen > AWDB_MAX_KEY_SIZE ||
            vlen > AWDB_MAX_VALUE_SIZE)
            return AWDB_REC_BAD;
        pos += AWDB_REC_OPHDR;
        if (v->ops_len - pos < klen + vlen)
            return AWDB_REC_BAD;
        pos += klen + vlen;
    }
    return pos == v->ops_len ? AWDB_REC_OK : AWDB_REC_BAD;
}

int awdb_rec_next_op(const struct awdb_rec_view *v, size_t *pos, struct awdb_rec_op *op)
{
    if (*pos >= v->ops_len)
        return 1;
    const uint8_t *o = v->ops + *pos;
    op->type = o[0];
    op->klen = awdb_get_u16(o + 1);
    op->vlen = awdb_get_u32(o + 3);
    op->key = o + AWDB_REC_OPHDR;
    op->val = op->key + op->klen;
    *pos += AWDB_REC_OPHDR + op->klen + op->vlen;
    return 0;
}
