/*
 * fuzz_wal_record.c - libFuzzer target for awdb's WAL record decoder
 * (wal_record.h: awdb_rec_check, awdb_rec_next_op), the cheap core of
 * recovery: thousands of inputs a second where fuzz_wal manages hundreds.
 *
 * Byte 0 of the input is a flag (bit 0: recompute the checksum of the record
 * at offset 0, so the fuzzer reaches the length and operation checks); the
 * rest is the record bytes, in a buffer of exactly that size (ASan sees any
 * read past it). The decoder is run at every offset, as recovery's search for
 * a valid record after a bad one does. Properties of a record that checks:
 *   - it lies within the bytes given, its operations parse to exactly its
 *     count, each within the record, with a valid type, key and value size;
 *   - encoding those operations again (awdb_rec_begin/put_op/set_seq/seal)
 *     gives the very same bytes: the format has one encoding per record.
 */
#include "backends/awdb/awdb.h"
#include "backends/awdb/crc32c.h"
#include "backends/awdb/skiplist.h"
#include "backends/awdb/wal_record.h"
#include "fuzz/fuzz_common.h"

static void kvb_fuzz_rec_verify(const uint8_t *p, size_t avail)
{
    struct awdb_rec_view v;
    int r = awdb_rec_check(p, avail, &v);
    if (r == AWDB_REC_SHORT || r == AWDB_REC_BAD)
        return;
    if (r != AWDB_REC_OK)
        kvb_fuzz_fail("awdb_rec_check returned %d", r);
    if (v.size < AWDB_REC_HDR || v.size > avail || v.ops != p + AWDB_REC_HDR ||
        v.ops_len != v.size - AWDB_REC_HDR || v.count == 0 || v.seq == 0)
        kvb_fuzz_fail("a record that checks has a bad view: size %zu of %zu, ops_len %zu", v.size,
                      avail, v.ops_len);
    uint8_t *copy = malloc(v.size);
    if (!copy)
        kvb_fuzz_fail("out of memory");
    awdb_rec_begin(copy, v.size, v.count);
    uint8_t *w = copy + AWDB_REC_HDR;
    size_t pos = 0;
    uint32_t nops = 0;
    struct awdb_rec_op op;
    while (!awdb_rec_next_op(&v, &pos, &op)) {
        if (++nops > v.count)
            kvb_fuzz_fail("more operations than the count %u", v.count);
        if ((op.type != AWDB_OP_PUT && op.type != AWDB_OP_DEL) || op.klen == 0 ||
            op.klen > AWDB_MAX_KEY_SIZE || op.vlen > AWDB_MAX_VALUE_SIZE)
            kvb_fuzz_fail("operation %u: type %d, key %zu bytes, value %zu bytes", nops, op.type,
                          op.klen, op.vlen);
        if (op.key < v.ops || op.val < op.key || op.val + op.vlen > v.ops + v.ops_len)
            kvb_fuzz_fail("operation %u lies outside its record", nops);
        if ((size_t)(w - copy) + awdb_rec_op_size(op.klen, op.vlen) > v.size)
            kvb_fuzz_fail("operation %u overflows the re-encoding", nops);
        w = awdb_rec_put_op(w, op.type, op.key, op.klen, op.val, op.vlen);
    }
    if (nops != v.count || pos != v.ops_len)
        kvb_fuzz_fail("%u operations of %u, ending at %zu of %zu", nops, v.count, pos, v.ops_len);
    awdb_rec_set_seq(copy, v.seq);
    awdb_rec_seal(copy, v.synced);
    if ((size_t)(w - copy) != v.size || memcmp(copy, p, v.size) != 0)
        kvb_fuzz_fail("re-encoding a record that checks gives other bytes");
    free(copy);
}

int kvb_fuzz_wal_record_one(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    size_t n = size - 1;
    uint8_t *p = malloc(n ? n : 1);
    if (!p)
        kvb_fuzz_fail("out of memory");
    memcpy(p, data + 1, n);
    if ((data[0] & 1) && n >= 8) {
        size_t len = awdb_get_u32(p + 4);
        if (len + 8 <= n)
            awdb_put_u32(p, awdb_crc32c(0, p + 4, len + 4));
    }
    for (size_t o = 0; o < n || o == 0; o++)
        kvb_fuzz_rec_verify(p + o, n - o);
    free(p);
    return 0;
}

#ifndef KVB_FUZZ_NO_MAIN
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return kvb_fuzz_wal_record_one(data, size);
}
#endif
