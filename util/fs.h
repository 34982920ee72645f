/*
 * fs.h - small file-system helpers: making a directory with its parents,
 * removing a tree, joining paths, reading a whole file.
 *
 * Errors: functions return 0 or -1; on -1 err (errlen bytes, may be NULL)
 * holds one line naming the failing call, the path and strerror(errno), e.g.
 * "mkdir /data/run-3: Permission denied", and errno is set.
 */
#ifndef KVB_UTIL_FS_H
#define KVB_UTIL_FS_H

#include <stdbool.h>
#include <stddef.h>

/* Makes directory path and any missing parents (mode 0777 less the umask).
 * A component that already exists as a directory is fine; one that exists
 * as anything else is an error (ENOTDIR). */
int kvb_mkdir_p(const char *path, char *err, size_t errlen);

/* Removes path and, if it is a directory, everything below it, as `rm -rf`.
 * Symbolic links are removed, never followed (nftw with FTW_PHYS), so nothing
 * outside path is touched. A path that does not exist is not an error. The
 * empty path and "/" are refused (EINVAL). */
int kvb_rmtree(const char *path, char *err, size_t errlen);

/* Writes a "/" b into out (n bytes): one '/' is added between them unless a
 * is empty or already ends in '/', or b starts with '/'. out may be the same
 * buffer as a; b must not overlap out. Returns 0, or -1 when the result does
 * not fit (out then holds as much as fits, NUL-terminated, if n > 0). */
int kvb_path_join(char *out, size_t n, const char *a, const char *b);

/* Reads the whole file at path into *out, a malloc'd buffer the caller
 * frees, of *len bytes followed by a '\0' that *len does not count (so a
 * text file can be used as a string; the bytes may hold NULs of their own).
 * max is the largest size accepted, 0 for no limit: a file larger than max
 * fails with EFBIG ("read PATH: File too large") before more than max + 1
 * bytes are held. Returns 0, or -1 with *out NULL, errno set and err as
 * above ("open PATH: ...", "read PATH: ...", ENOMEM as "read PATH: Cannot
 * allocate memory"). A directory fails at the read, with EISDIR. */
int kvb_read_file(const char *path, size_t max, char **out, size_t *len, char *err,
                  size_t errlen);

/* kvb_read_file for a descriptor that is already open (a pipe, a socket, a
 * file opened by the caller): reads from its current position to the end of
 * file; name stands for it in messages ("read NAME: ..."). fd is left open. */
int kvb_read_fd(int fd, const char *name, size_t max, char **out, size_t *len, char *err,
                size_t errlen);

/* When the filesystem holding path has (almost) no space left, writes a
 * note such as "the filesystem of /x is full (0 bytes free of 2.0 MiB)"
 * into buf and returns true; engines often report a full disk as a generic
 * I/O error, so a failed run says this beside their message. */
bool kvb_fs_full_note(const char *path, char *buf, size_t n);

#endif
