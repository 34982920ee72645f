/*
 * io.h - helpers over the WAL's I/O table (struct awdb_io in awdb.h): whole
 * writes and reads, and syncing a directory.
 */
#ifndef AWDB_IO_H
#define AWDB_IO_H

#include "backends/awdb/awdb.h"

/* Writes all n bytes at off, looping over short writes. 0 or -errno. */
int awdb_io_write_all(const struct awdb_io *io, int fd, const void *buf, size_t n, uint64_t off);

/* Reads up to n bytes at off, looping until n or end of file. Bytes read or -errno. */
long awdb_io_read_all(const struct awdb_io *io, int fd, void *buf, size_t n, uint64_t off);

/* fsyncs directory dir. 0 or -errno. */
int awdb_io_sync_dir(const struct awdb_io *io, const char *dir);

#endif
