/*
 * recovery.c - bringing a database back after a stop or a crash: replaying
 * the WAL records above the base store's flushed sequence number into
 * memtables, in order, and deciding what a bad record means.
 *
 * Segments are read oldest first (their names are their first sequence
 * numbers). Zeros from a record boundary to the end of a segment end it:
 * in AWDB_SYNC the segment is written ahead with zeros (wal_prep.h), and no
 * record starts with a zero length. Otherwise a record that does not check (short, bad length, bad checksum,
 * malformed operations) is:
 *   - a torn write, if it is in the newest segment and no valid record
 *     follows it there, or if zeros between it and the next valid record
 *     show a 512-byte sector that was never written (see unwritten_sector)
 *     and every valid record after it was written before it was synced
 *     (each record carries the durable sequence number at its write): the
 *     damage lies in the last unsynced writes, which nobody was promised.
 *     The segment is truncated at it (and synced);
 *   - corruption otherwise (a valid record after it, or a newer segment after
 *     its segment, which is only started once the previous one is synced):
 *     open fails with AWDB_CORRUPTED naming the file and offset.
 * Sequence numbers must also run on without a gap above the flushed number:
 * each record is the previous one plus one, or the first of a later
 * generation (a restart). A gap means lost records and is corruption too.
 * If replay fills a memtable, it is flushed into the base on the spot.
 */
#include "backends/awdb/awdb_int.h"

#include "backends/awdb/io.h"
#include "backends/awdb/wal_record.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Sequence numbers in messages read generation:counter. */
struct seqtxt {
    char s[48];
};
static struct seqtxt fmt_seq(uint64_t seq)
{
    struct seqtxt t;
    snprintf(t.s, sizeof t.s, "%" PRIu64 ":%" PRIu64, seq >> AWDB_GEN_SHIFT, seq & AWDB_CTR_MASK);
    return t;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* The first sequence numbers of the segments in dir, sorted. */
static int list_segments(const char *dir, uint64_t **out, size_t *n, char *err, size_t errlen)
{
    *out = NULL;
    *n = 0;
    DIR *d = opendir(dir);
    if (!d) {
        int e = errno;
        snprintf(err, errlen, "cannot list %s: %s", dir, strerror(e));
        return e;
    }
    size_t cap = 0;
    struct dirent *de;
    int rc = 0;
    while ((de = readdir(d))) {
        const char *s = de->d_name;
        if (strlen(s) != 24 || strncmp(s, "wal-", 4) != 0 || strcmp(s + 20, ".log") != 0)
            continue;
        char hex[17];
        memcpy(hex, s + 4, 16);
        hex[16] = 0;
        char *end;
        uint64_t first = strtoull(hex, &end, 16);
        if (*end)
            continue;
        if (*n == cap) {
            cap = cap ? cap * 2 : 16;
            uint64_t *p = realloc(*out, cap * sizeof *p);
            if (!p) {
                rc = ENOMEM;
                break;
            }
            *out = p;
        }
        (*out)[(*n)++] = first;
    }
    closedir(d);
    if (rc) {
        free(*out);
        *out = NULL;
        snprintf(err, errlen, "out of memory listing %s", dir);
        return rc;
    }
    if (*n)
        qsort(*out, *n, sizeof **out, cmp_u64);
    return 0;
}

/* Makes a fresh active memtable after flushing the full one (replay only). */
static int replace_active(struct awdb *db)
{
    struct awdb_version *v = atomic_load(&db->current);
    struct awdb_memtable *old = v->mem[0];
    int rc = awdb_flush_memtable(db, old, old->max_seq);
    if (rc)
        return rc;
    atomic_store(&db->flushed_seq, old->max_seq);
    struct awdb_memtable *m = awdb_mem_new(db->mem_bytes, ++db->next_mem_id);
    if (!m)
        return ENOMEM;
    struct awdb_version *nv = awdb_version_new(&m, 1, old->max_seq);
    awdb_mem_unref(m);
    if (!nv)
        return ENOMEM;
    awdb_version_install(db, nv);
    awdb_version_reclaim(db);
    return 0;
}

static int apply(struct awdb *db, const struct awdb_rec_view *v)
{
    size_t bytes = 0, pos = 0;
    struct awdb_rec_op op;
    struct awdb_memtable *m = atomic_load(&db->current)->mem[0];
    while (!awdb_rec_next_op(v, &pos, &op))
        bytes += awdb_mem_bound(op.klen, op.vlen);
    if (!awdb_mem_fits(m, bytes, v->count)) {
        int rc = replace_active(db);
        if (rc)
            return rc;
        m = atomic_load(&db->current)->mem[0];
        if (!awdb_mem_fits(m, bytes, v->count))
            return AWDB_TOO_BIG;
    }
    pos = 0;
    while (!awdb_rec_next_op(v, &pos, &op))
        awdb_mem_insert(m, op.key, op.klen, v->seq, op.type, op.val, op.vlen, awdb_mem_height(m));
    return 0;
}

/* Whether seq may follow prev (0: none yet) given the flushed number. */
static const char *order_problem(uint64_t prev, uint64_t seq, uint64_t flushed)
{
    if (prev && seq <= prev)
        return "sequence numbers go backwards";
    if (seq <= flushed)
        return NULL;
    uint64_t base = prev > flushed ? prev : flushed;
    if (seq == base + 1)
        return NULL;
    if ((seq & AWDB_CTR_MASK) == 1 && (seq >> AWDB_GEN_SHIFT) > (base >> AWDB_GEN_SHIFT))
        return NULL;
    return "records are missing before it";
}

/* Offset of a valid record with seq > prev at or after from, or 0. */
static size_t valid_after(const uint8_t *buf, size_t size, size_t from, uint64_t prev)
{
    for (size_t o = from; o + AWDB_REC_HDR <= size; o++) {
        uint32_t len = awdb_get_u32(buf + o + 4);
        if (len < AWDB_REC_HDR - 8 || o + 8 + (size_t)len > size ||
            awdb_get_u64(buf + o + 8) <= prev)
            continue;
        struct awdb_rec_view v;
        if (awdb_rec_check(buf + o, size - o, &v) == AWDB_REC_OK)
            return o;
    }
    return 0;
}

static bool all_zero(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i])
            return false;
    return true;
}

/* Whether [from, to) shows a sector the last writes never reached:
 * its part from `from` to the end of from's sector, or a whole aligned sector
 * after it, is all zeros. Written over zeros ahead (wal_prealloc), a batch's
 * sectors may reach the disk in any order before its fdatasync returns, and
 * a crash can leave a later one written and an earlier one not (still the
 * zeros, or the older records and zeros, it held at the last sync); nothing
 * from that batch on was acknowledged, since the fdatasync that would have
 * made it durable waits for every page. */
static bool unwritten_sector(const uint8_t *buf, size_t from, size_t to)
{
    const size_t sector = 512;
    size_t first_end = (from / sector + 1) * sector;
    if (from % sector && first_end <= to && all_zero(buf + from, first_end - from))
        return true;
    for (size_t s = (from + sector - 1) / sector * sector; s + sector <= to; s += sector)
        if (all_zero(buf + s, sector))
            return true;
    return false;
}

/* The offset of the first valid record at or after from (one is there) that
 * was written once more than prev was durable, or 0 if none was. Such a
 * record proves the damage before it hit records that had been synced. */
static size_t written_after_sync(const uint8_t *buf, size_t size, size_t from, uint64_t prev)
{
    for (size_t o = from; o && o < size;) {
        struct awdb_rec_view v;
        if (awdb_rec_check(buf + o, size - o, &v) != AWDB_REC_OK) {
            o = valid_after(buf, size, o + 1, prev);
            continue;
        }
        if (v.synced > prev)
            return o;
        o += v.size;
    }
    return 0;
}

static int read_whole(const struct awdb_io *io, int fd, uint8_t **buf, size_t *size)
{
    uint64_t len;
    int rc = io->size(io->ctx, fd, &len);
    if (rc < 0)
        return -rc;
    *buf = malloc(len ? len : 1);
    if (!*buf)
        return ENOMEM;
    long got = awdb_io_read_all(io, fd, *buf, len, 0);
    if (got < 0) {
        free(*buf);
        *buf = NULL;
        return (int)-got;
    }
    *size = (size_t)got;
    return 0;
}

int awdb_recover(struct awdb *db, uint64_t flushed, char *err, size_t errlen)
{
    const struct awdb_io *io = db->opts.io;
    uint64_t *firsts;
    size_t nsegs;
    int rc = list_segments(db->dir, &firsts, &nsegs, err, errlen);
    if (rc)
        return rc;
    uint64_t prev = 0;
    uint8_t *buf = NULL;
    int fd = -1;
    for (size_t i = 0; i < nsegs && !rc; i++) {
        char path[PATH_MAX];
        awdb_wal_seg_path(path, sizeof path, db->dir, firsts[i]);
        bool last = i == nsegs - 1;
        fd = io->open(io->ctx, path, last ? O_RDWR : O_RDONLY, 0);
        if (fd < 0) {
            rc = -fd;
            snprintf(err, errlen, "wal: cannot open %s: %s", path, strerror(rc));
            break;
        }
        size_t size = 0;
        if ((rc = read_whole(io, fd, &buf, &size))) {
            snprintf(err, errlen, "wal: cannot read %s: %s", path, strerror(rc));
            break;
        }
        size_t pos = 0;
        uint64_t seg_max = 0;
        while (pos < size) {
            struct awdb_rec_view v;
            int r = awdb_rec_check(buf + pos, size - pos, &v);
            if (r == AWDB_REC_OK) {
                const char *why = order_problem(prev, v.seq, flushed);
                if (!why && pos == 0 && v.seq != firsts[i])
                    why = "the segment's first record does not match its name";
                if (why) {
                    rc = AWDB_CORRUPTED;
                    snprintf(err, errlen, "wal: %s at offset %zu (seq %s after %s, flushed %s): %s",
                             path, pos, fmt_seq(v.seq).s, fmt_seq(prev).s, fmt_seq(flushed).s, why);
                    break;
                }
                if (v.seq > flushed && (rc = apply(db, &v))) {
                    snprintf(err, errlen, "wal: replaying %s at offset %zu: %s", path, pos,
                             rc == AWDB_FAILED ? awdb_errmsg(db) : awdb_strerror(rc));
                    break;
                }
                prev = seg_max = v.seq;
                pos += v.size;
                continue;
            }
            if (all_zero(buf + pos, size - pos))
                break; /* the end: zeros written ahead (wal_prealloc), or a hole */
            const char *kind = r == AWDB_REC_SHORT ? "truncated" : "bad";
            if (!last) {
                rc = AWDB_CORRUPTED;
                snprintf(err, errlen,
                         "wal: %s record at offset %zu of %s (after seq %s), and newer segments "
                         "follow",
                         kind, pos, path, fmt_seq(prev).s);
                break;
            }
            size_t next = valid_after(buf, size, pos + 1, prev);
            size_t later = next ? written_after_sync(buf, size, next, prev) : 0;
            if (next && (later || !unwritten_sector(buf, pos, next))) {
                rc = AWDB_CORRUPTED;
                snprintf(err, errlen,
                         "wal: %s record at offset %zu of %s (after seq %s), followed by a valid "
                         "record at offset %zu%s",
                         kind, pos, path, fmt_seq(prev).s, later ? later : next,
                         later ? " written after it was synced" : "");
                break;
            }
            /* A torn tail: cut it off for good before anything is appended. */
            int t = io->truncate(io->ctx, fd, pos);
            if (t == 0)
                t = io->sync(io->ctx, fd);
            if (t < 0) {
                rc = -t;
                snprintf(err, errlen, "wal: cannot truncate the torn tail of %s at %zu: %s", path,
                         pos, strerror(rc));
            }
            break;
        }
        free(buf);
        buf = NULL;
        io->close(io->ctx, fd);
        fd = -1;
        if (!rc && (rc = awdb_wal_add_segment(&db->wal, firsts[i], seg_max)))
            snprintf(err, errlen, "out of memory");
    }
    free(buf);
    if (fd >= 0)
        io->close(io->ctx, fd);
    free(firsts);
    if (rc)
        return rc;
    uint64_t top = prev > flushed ? prev : flushed;
    db->last_seq = top;
    return 0;
}
