/* safetensors.c: HuggingFace safetensors files (see safetensors.h).
 *
 *   header values:  json_u64(), find_dtype(), read_shape(), read_offsets()
 *   one tensor:     read_tensor()
 *   the data bytes: span_cmp(), check_tiling()
 *   the file:       plm_safetensors_Read()
 */
#include <stdlib.h>
#include <string.h>
#include "checkpoint.h"
#include "error.h"
#include "jsonread.h"
#include "lebytes.h"
#include "safetensors.h"

static const struct { const char *name; plm_dtype dt; } dtypes[] = {
  { "F32", PLM_F32 }, { "F16", PLM_F16 }, { "BF16", PLM_BF16 }, { "I64", PLM_I64 },
  { "I32", PLM_I32 }, { "U8", PLM_U8 },   { "BOOL", PLM_U8 },   /* torch bools are one byte, 0 or 1 */
};

/* a bare JSON number that is a non-negative integer below 2^63 */
static int
json_u64(const plm_json *j, uint64_t *ret)
{
  uint64_t v = 0;
  if (!j || j->kind != PLM_JSON_SCALAR || j->quoted || !j->value[0]) return 0;
  for (const char *c = j->value; *c; c++) {
    if (*c < '0' || *c > '9' || v > (uint64_t)(INT64_MAX - 9) / 10) return 0;
    v = v * 10 + (uint64_t)(*c - '0');
  }
  *ret = v;
  return 1;
}

static int
find_dtype(const char *name, const plm_json *j, plm_dtype *ret_dt, char *errbuf)
{
  if (!j || j->kind != PLM_JSON_SCALAR) return plm_Fail(errbuf, PLM_EFORMAT, "tensor %s: no dtype", name);
  for (size_t k = 0; k < sizeof dtypes / sizeof dtypes[0]; k++)
    if (strcmp(j->value, dtypes[k].name) == 0) { *ret_dt = dtypes[k].dt; return PLM_OK; }
  return plm_Fail(errbuf, PLM_EUNSUP, "tensor %s: dtype %.32s not supported", name, j->value);
}

static int
read_shape(const char *name, const plm_json *j, int *ret_rank, int64_t *shape, char *errbuf)
{
  uint64_t d;
  if (!j || j->kind != PLM_JSON_SEQ) return plm_Fail(errbuf, PLM_EFORMAT, "tensor %s: no shape", name);
  if (j->n > 8) return plm_Fail(errbuf, PLM_EUNSUP, "tensor %s: rank %d", name, j->n);
  for (int k = 0; k < j->n; k++) {
    if (!json_u64(j->kids[k], &d)) return plm_Fail(errbuf, PLM_EFORMAT, "tensor %s: bad shape", name);
    shape[k] = (int64_t)d;
  }
  *ret_rank = j->n;
  return PLM_OK;
}

static int
read_offsets(const char *name, const plm_json *j, uint64_t datalen, uint64_t *ret_begin, uint64_t *ret_end, char *errbuf)
{
  if (!j || j->kind != PLM_JSON_SEQ || j->n != 2 || !json_u64(j->kids[0], ret_begin) || !json_u64(j->kids[1], ret_end))
    return plm_Fail(errbuf, PLM_EFORMAT, "tensor %s: bad data_offsets", name);
  if (*ret_begin > *ret_end)
    return plm_Fail(errbuf, PLM_EFORMAT, "tensor %s: data_offsets [%llu, %llu] reversed", name,
                    (unsigned long long)*ret_begin, (unsigned long long)*ret_end);
  if (*ret_end > datalen)
    return plm_Fail(errbuf, PLM_EFORMAT, "tensor %s: data_offsets [%llu, %llu] outside the %llu data bytes (truncated?)", name,
                    (unsigned long long)*ret_begin, (unsigned long long)*ret_end, (unsigned long long)datalen);
  return PLM_OK;
}

typedef struct { uint64_t begin, end; const char *name; } span;

static int
span_cmp(const void *a, const void *b)
{
  const span *x = a, *y = b;
  if (x->begin != y->begin) return x->begin < y->begin ? -1 : 1;
  return x->end < y->end ? -1 : x->end > y->end;
}

/* The format says the tensors tile the data bytes exactly: no two share a byte (one write
 * would change both), no byte belongs to none (room for a second, hidden payload). */
static int
check_tiling(span *sp, int n, uint64_t datalen, char *errbuf)
{
  uint64_t at = 0;

  qsort(sp, (size_t)n, sizeof *sp, span_cmp);
  for (int k = 0; k < n; at = sp[k++].end) {
    if (sp[k].begin < at)
      return plm_Fail(errbuf, PLM_EFORMAT, "tensor %s: data_offsets [%llu, %llu] overlap tensor %s's", sp[k].name,
                      (unsigned long long)sp[k].begin, (unsigned long long)sp[k].end, sp[k - 1].name);
    if (sp[k].begin > at)
      return plm_Fail(errbuf, PLM_EFORMAT, "tensor %s: data_offsets [%llu, %llu] leave bytes %llu to %llu unused", sp[k].name,
                      (unsigned long long)sp[k].begin, (unsigned long long)sp[k].end, (unsigned long long)at,
                      (unsigned long long)sp[k].begin);
  }
  if (at != datalen)
    return plm_Fail(errbuf, PLM_EFORMAT, "%llu data bytes after the last tensor's end at %llu",
                    (unsigned long long)(datalen - at), (unsigned long long)at);
  return PLM_OK;
}

static int
read_tensor(plm_checkpoint *ck, const char *name, const plm_json *spec, const uint8_t *data, uint64_t datalen,
            span *ret_span, char *errbuf)
{
  plm_dtype dt = PLM_F32;
  int64_t   shape[8];
  uint64_t  begin = 0, end = 0;
  size_t    nbytes;
  int       rank = 0, status;

  if (spec->kind != PLM_JSON_MAP) return plm_Fail(errbuf, PLM_EFORMAT, "tensor %s: header entry is not an object", name);
  if ((status = find_dtype(name, plm_json_Get(spec, "dtype"), &dt, errbuf)) != PLM_OK ||
      (status = read_shape(name, plm_json_Get(spec, "shape"), &rank, shape, errbuf)) != PLM_OK ||
      (status = read_offsets(name, plm_json_Get(spec, "data_offsets"), datalen, &begin, &end, errbuf)) != PLM_OK)
    return status;
  if (plm_tensor_SizeFor(dt, rank, shape, NULL, &nbytes, NULL) != PLM_OK)
    return plm_Fail(errbuf, PLM_ELIMIT, "tensor %s: shape too large", name);
  if (end - begin != nbytes)
    return plm_Fail(errbuf, PLM_EFORMAT, "tensor %s: data_offsets span %llu bytes, its shape needs %zu", name,
                    (unsigned long long)(end - begin), nbytes);
  ret_span->begin = begin; ret_span->end = end; ret_span->name = name;
  return plm_checkpoint_AddView(ck, name, dt, rank, shape, data + begin, errbuf);
}

int
plm_safetensors_Read(plm_checkpoint *ck, const uint8_t *buf, uint64_t len, char *errbuf)
{
  plm_json *hdr = NULL;
  span     *sp  = NULL;
  uint64_t  n;
  int       ns = 0, status;

  if (len < 8) return plm_Fail(errbuf, PLM_EFORMAT, "too short for a safetensors header");
  n = plm_le64(buf);
  if (n > len - 8)                     return plm_Fail(errbuf, PLM_EFORMAT, "header length %llu runs past the end of the file", (unsigned long long)n);
  if (n > PLM_SAFETENSORS_MAXHEADER)   return plm_Fail(errbuf, PLM_ELIMIT, "header length %llu over the %u limit", (unsigned long long)n, PLM_SAFETENSORS_MAXHEADER);
  if ((status = plm_json_Parse((const char *)buf + 8, (size_t)n, &hdr, errbuf)) != PLM_OK) return status;
  if (hdr->kind != PLM_JSON_MAP) PLM_XFAIL(PLM_EFORMAT, errbuf, "safetensors header is not a JSON object");
  if ((sp = malloc(sizeof *sp * (size_t)(hdr->n + 1))) == NULL) PLM_XFAIL(PLM_EMEM, errbuf, "out of memory");
  for (int k = 0; k < hdr->n; k++)
    if (strcmp(hdr->keys[k], "__metadata__") != 0)
      PLM_XCHECK(read_tensor(ck, hdr->keys[k], hdr->kids[k], buf + 8 + n, len - 8 - n, &sp[ns++], errbuf));
  PLM_XCHECK(check_tiling(sp, ns, len - 8 - n, errbuf));
  free(sp);
  plm_json_Free(hdr);
  return PLM_OK;

ERROR:
  free(sp);
  plm_json_Free(hdr);
  return status;
}
