/* lebytes.h: little-endian integers read from unaligned bytes, for the binary format readers.
 *
 *   plm_le16(), plm_le32(), plm_le64()
 */
#ifndef PLM_LEBYTES_H
#define PLM_LEBYTES_H
#include <stdint.h>
#include <string.h>

/* memcpy, not a cast: file offsets give no alignment; the host is little-endian (configure) */
static inline uint16_t plm_le16(const uint8_t *p) { uint16_t v; memcpy(&v, p, 2); return v; }
static inline uint32_t plm_le32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }
static inline uint64_t plm_le64(const uint8_t *p) { uint64_t v; memcpy(&v, p, 8); return v; }

#endif
