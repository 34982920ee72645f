/*
 * wal_record.h - encoding and checking WAL records (format in awdb.h):
 *   u32 crc | u32 len | u64 seq | u32 count | u64 synced |
 *   count x {u8 type, u16 klen, u32 vlen, key, value}
 * crc is CRC32C over the len+4 bytes from the len field to the end. synced
 * is the highest sequence number known durable when the record was written
 * (always below seq): recovery uses it to tell a torn last write from
 * damage to records that had been synced.
 */
#ifndef AWDB_WAL_RECORD_H
#define AWDB_WAL_RECORD_H

#include <stddef.h>
#include <stdint.h>

#define AWDB_REC_HDR 28  /* crc, len, seq, count, synced */
#define AWDB_REC_OPHDR 7 /* type, klen, vlen */

/* Bytes of one operation's encoding. */
static inline size_t awdb_rec_op_size(size_t klen, size_t vlen)
{
    return AWDB_REC_OPHDR + klen + vlen;
}

/* Starts a record in buf (at least AWDB_REC_HDR + the ops' sizes): total is
 * the record's full size, count its number of operations. The sequence
 * number and checksum are filled in later (awdb_rec_set_seq, awdb_rec_seal). */
void awdb_rec_begin(uint8_t *buf, size_t total, uint32_t count);

/* Appends one operation at p; returns the byte after it. */
uint8_t *awdb_rec_put_op(uint8_t *p, int type, const void *key, size_t klen, const void *val,
                         size_t vlen);

void awdb_rec_set_seq(uint8_t *buf, uint64_t seq);

/* Stores synced (the durable sequence number as the record is written) and
 * the checksum; the record is final. */
void awdb_rec_seal(uint8_t *buf, uint64_t synced);

/* A record found by awdb_rec_check. */
struct awdb_rec_view {
    uint64_t seq;
    uint64_t synced; /* durable when it was written; < seq */
    uint32_t count;
    size_t size; /* whole record, header included */
    const uint8_t *ops;
    size_t ops_len;
};

enum {
    AWDB_REC_OK = 0,
    AWDB_REC_SHORT = 1, /* fewer bytes than a header, or than the length says */
    AWDB_REC_BAD = 2,   /* checksum mismatch or a malformed field */
};

/* Checks the record at p, with avail bytes available: header, length,
 * checksum, and that the operations parse exactly. Fills *v on AWDB_REC_OK. */
int awdb_rec_check(const uint8_t *p, size_t avail, struct awdb_rec_view *v);

/* One decoded operation; pointers into the record. */
struct awdb_rec_op {
    int type;
    const uint8_t *key, *val;
    size_t klen, vlen;
};

/* Decodes the operation at *pos (starting at 0) of a checked record and
 * advances *pos. Returns 0, or 1 when there are no more. */
int awdb_rec_next_op(const struct awdb_rec_view *v, size_t *pos, struct awdb_rec_op *op);

/* Little-endian helpers. */
static inline void awdb_put_u16(uint8_t *p, uint16_t x)
{
    p[0] = (uint8_t)x;
    p[1] = (uint8_t)(x >> 8);
}
static inline void awdb_put_u32(uint8_t *p, uint32_t x)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(x >> (8 * i));
}
static inline void awdb_put_u64(uint8_t *p, uint64_t x)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(x >> (8 * i));
}
static inline uint16_t awdb_get_u16(const uint8_t *p)
{
    return (uint16_t)(p[0] | (p[1] << 8));
}
static inline uint32_t awdb_get_u32(const uint8_t *p)
{
    uint32_t x = 0;
    for (int i = 3; i >= 0; i--)
        x = (x << 8) | p[i];
    return x;
}
static inline uint64_t awdb_get_u64(const uint8_t *p)
{
    uint64_t x = 0;
    for (int i = 7; i >= 0; i--)
        x = (x << 8) | p[i];
    return x;
}

#endif
