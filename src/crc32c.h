/* crc32c.h -- CRC-32C (Castagnoli), the checksum of journal records and
 * snapshot files.  Internal. */
#ifndef FNL_CRC32C_H
#define FNL_CRC32C_H

#include <stddef.h>
#include <stdint.h>

/*
 * Extend `crc` (the CRC-32C of the bytes seen so far; 0 to start) with
 * buf[0..len).  The pre- and post-inversion is done inside, so calls chain:
 * fnli_crc32c(fnli_crc32c(0, a, n), b, m) is the CRC of a followed by b.
 * buf may be NULL when len is 0.
 */
uint32_t fnli_crc32c(uint32_t crc, const void *buf, size_t len);

#endif
