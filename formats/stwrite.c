/* stwrite.c: writing safetensors files (see stwrite.h).
 *
 *   st_dtype()          our dtype -> the safetensors name
 *   plm_stwrite_File()
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "error.h"
#include "tensor.h"
#include "stwrite.h"

static const char *
st_dtype(plm_dtype dt)
{
  switch (dt) {
  case PLM_F32:  return "F32";
  case PLM_F16:  return "F16";
  case PLM_BF16: return "BF16";
  case PLM_I32:  return "I32";
  case PLM_U8:   return "U8";
  case PLM_I64:  return "I64";
  }
  return NULL;
}

int
plm_stwrite_File(const char *path, plm_tensor *const *tensors, int n, char *errbuf)
{
  FILE    *fp = NULL;
  char    *hdr = NULL;
  size_t   cap = 64, len = 0;
  uint64_t off = 0, hlen;
  uint8_t  le[8];
  int      status;

  if ((hdr = malloc(cap)) == NULL) PLM_XFAIL(PLM_EMEM, errbuf, "out of memory");
  hdr[len++] = '{';
  for (int i = 0; i <= n; i++) {
    char   item[1024];
    size_t k = 0;
    if (i == n) k = (size_t)snprintf(item, sizeof item, "\"__metadata__\":{\"format\":\"pt\"}}");
    else {
      const plm_tensor *t = tensors[i];
      size_t            nb = plm_tensor_Nbytes(t);
      if (!st_dtype(t->dtype)) PLM_XFAIL(PLM_EUNSUP, errbuf, "%s: tensor %s: dtype not writable", path, t->name);
      if (strlen(t->name) > 512 || strpbrk(t->name, "\"\\"))
        PLM_XFAIL(PLM_EINVAL, errbuf, "%s: tensor name %.64s cannot be written", path, t->name);
      k = (size_t)snprintf(item, sizeof item, "\"%s\":{\"dtype\":\"%s\",\"shape\":[", t->name, st_dtype(t->dtype));
      for (int d = 0; d < t->rank; d++) k += (size_t)snprintf(item + k, sizeof item - k, "%s%lld", d ? "," : "", (long long)t->shape[d]);
      k += (size_t)snprintf(item + k, sizeof item - k, "],\"data_offsets\":[%llu,%llu]},",
                            (unsigned long long)off, (unsigned long long)(off + nb));
      off += nb;
    }
    while (len + k + 8 > cap) {
      char *g = realloc(hdr, cap *= 2);
      if (!g) PLM_XFAIL(PLM_EMEM, errbuf, "out of memory");
      hdr = g;
    }
    memcpy(hdr + len, item, k);
    len += k;
  }
  while (len % 8) hdr[len++] = ' ';    /* the data then starts 8-aligned */

  if ((fp = fopen(path, "wb")) == NULL) PLM_XFAIL(PLM_EIO, errbuf, "%s: %s", path, strerror(errno));
  hlen = len;
  for (int b = 0; b < 8; b++) le[b] = (uint8_t)(hlen >> (8 * b));
  if (fwrite(le, 1, 8, fp) != 8 || fwrite(hdr, 1, len, fp) != len) PLM_XFAIL(PLM_EIO, errbuf, "%s: %s", path, strerror(errno));
  for (int i = 0; i < n; i++) {
    size_t nb = plm_tensor_Nbytes(tensors[i]);
    if (nb && fwrite(tensors[i]->data, 1, nb, fp) != nb) PLM_XFAIL(PLM_EIO, errbuf, "%s: %s", path, strerror(errno));
  }
  if (fclose(fp) != 0) { fp = NULL; PLM_XFAIL(PLM_EIO, errbuf, "%s: %s", path, strerror(errno)); }
  free(hdr);
  return PLM_OK;

ERROR:
  if (fp) fclose(fp);
  free(hdr);
  return status;
}
