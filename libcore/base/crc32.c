/* crc32.c: plm_crc32() through libdeflate (see crc32.h for why). */
#include <libdeflate.h>
#include "crc32.h"

uint32_t
plm_crc32(uint32_t crc, const void *p, size_t n)
{
  return libdeflate_crc32(crc, p, n);
}
