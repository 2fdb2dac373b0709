/* base64.c: RFC 4648 base64 onto a stream (see base64.h).
 *
 *   plm_base64_Write()
 */
#include <stdint.h>
#include "base64.h"
#include "error.h"

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int
plm_base64_Write(FILE *fp, const void *data, size_t n, char *errbuf)
{
  const uint8_t *p = data;
  char           quad[4];

  for (size_t i = 0; i < n; i += 3) {
    uint32_t v = (uint32_t)p[i] << 16;
    if (i + 1 < n) v |= (uint32_t)p[i + 1] << 8;
    if (i + 2 < n) v |= p[i + 2];
    quad[0] = b64[v >> 18];
    quad[1] = b64[(v >> 12) & 63];
    quad[2] = i + 1 < n ? b64[(v >> 6) & 63] : '=';
    quad[3] = i + 2 < n ? b64[v & 63] : '=';
    if (fwrite(quad, 1, 4, fp) != 4) return plm_Fail(errbuf, PLM_EIO, "write failed");
  }
  return PLM_OK;
}
