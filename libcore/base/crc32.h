/* crc32.h: the CRC-32 (ISO-HDLC, zlib's and zip's) of the stream's frames, zip members and PNG chunks.
 *
 * libdeflate's CRC-32 folds with PCLMULQDQ (AVX-512 VPCLMULQDQ where the CPU has it), several times
 * faster than zlib 1.2.13's tables: with --attentions every map is checksummed as it is written,
 * and zlib's crc32_z was a fifth of that path's time. Same polynomial, same value as zlib's.
 *
 *   plm_crc32()   crc updated with n bytes at p (start from 0)
 */
#ifndef PLM_CRC32_H
#define PLM_CRC32_H
#include <stddef.h>
#include <stdint.h>

uint32_t plm_crc32(uint32_t crc, const void *p, size_t n);

#endif
