/* png.c: 8-bit RGB PNG encoding with zlib (see png.h).
 *
 *   png_Chunk()           one length + type + data + CRC chunk
 *   plm_png_EncodeRGB()
 */
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include "crc32.h"
#include "error.h"
#include "png.h"

static void
put_be32(uint8_t *p, uint32_t v)
{
  p[0] = (uint8_t)(v >> 24); p[1] = (uint8_t)(v >> 16); p[2] = (uint8_t)(v >> 8); p[3] = (uint8_t)v;
}

/* append a chunk at out + *pos; the caller sized out for it */
static void
png_Chunk(uint8_t *out, size_t *pos, const char *type, const uint8_t *data, uint32_t n)
{
  uint8_t *c = out + *pos;
  put_be32(c, n);
  memcpy(c + 4, type, 4);
  if (n) memcpy(c + 8, data, n);
  put_be32(c + 8 + n, plm_crc32(0, c + 4, (size_t)n + 4));
  *pos += 12 + (size_t)n;
}

int
plm_png_EncodeRGB(const uint8_t *rgb, int w, int h, uint8_t **ret_png, size_t *ret_n, char *errbuf)
{
  static const uint8_t sig[8] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' };
  size_t   row = (size_t)w * 3 + 1, rawn = row * (size_t)h, pos = 8;
  uLongf   zn;
  uint8_t *raw = NULL, *z = NULL, *out = NULL, ihdr[13];
  int      status;

  *ret_png = NULL;
  *ret_n   = 0;
  if (w < 1 || h < 1 || w > PLM_PNG_MAXSIDE || h > PLM_PNG_MAXSIDE)
    return plm_Fail(errbuf, PLM_EINVAL, "PNG of %d x %d pixels: each side must be 1..%d", w, h, PLM_PNG_MAXSIDE);
  zn = compressBound((uLong)rawn);
  if ((raw = malloc(rawn)) == NULL || (z = malloc(zn)) == NULL) PLM_XFAIL(PLM_EMEM, errbuf, "out of memory");
  for (int y = 0; y < h; y++) {   /* filter byte 0 (none) before each row */
    raw[(size_t)y * row] = 0;
    memcpy(raw + (size_t)y * row + 1, rgb + (size_t)y * (size_t)w * 3, (size_t)w * 3);
  }
  if (compress2(z, &zn, raw, (uLong)rawn, 6) != Z_OK) PLM_XFAIL(PLM_EMEM, errbuf, "PNG: zlib compression failed");
  if ((out = malloc(8 + 25 + 12 + zn + 12)) == NULL) PLM_XFAIL(PLM_EMEM, errbuf, "out of memory");
  memcpy(out, sig, 8);
  put_be32(ihdr, (uint32_t)w);
  put_be32(ihdr + 4, (uint32_t)h);
  ihdr[8] = 8; ihdr[9] = 2; ihdr[10] = 0; ihdr[11] = 0; ihdr[12] = 0;   /* 8-bit RGB, deflate, no interlace */
  png_Chunk(out, &pos, "IHDR", ihdr, 13);
  png_Chunk(out, &pos, "IDAT", z, (uint32_t)zn);
  png_Chunk(out, &pos, "IEND", NULL, 0);
  free(raw);
  free(z);
  *ret_png = out;
  *ret_n   = pos;
  return PLM_OK;
 ERROR:
  free(raw);
  free(z);
  free(out);
  return status;
}
