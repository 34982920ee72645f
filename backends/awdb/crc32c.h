/*
 * crc32c.h - CRC32C (Castagnoli), the WAL record checksum.
 */
#ifndef AWDB_CRC32C_H
#define AWDB_CRC32C_H

#include <stddef.h>
#include <stdint.h>

/* Extends crc (0 to start) over n bytes at p; uses SSE4.2 when the CPU has it. */
uint32_t awdb_crc32c(uint32_t crc, const void *p, size_t n);

/* The portable slicing-by-8 implementation, exposed so tests can compare. */
uint32_t awdb_crc32c_sw(uint32_t crc, const void *p, size_t n);

/* 1 if awdb_crc32c uses the SSE4.2 instruction. */
int awdb_crc32c_hw(void);

#endif
