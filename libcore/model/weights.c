/* weights.c: a model's parameters as backend buffers (see weights.h).
 *
 *   plm_weights_Get() / plm_weights_Adopt() / plm_weights_Clear() / plm_weights_Has()
 *   plm_weights_ConfigSize()
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "error.h"
#include "tensor.h"
#include "checkpoint.h"
#include "backend.h"
#include "weights.h"

static int
keep_buf(plm_weights *ws, plm_buf *b, char *errbuf)
{
  plm_buf **grown = realloc(ws->bufs, sizeof *grown * (size_t)(ws->nbufs + 1));
  if (!grown) { plm_buf_Destroy(ws->be, b); return plm_Fail(errbuf, PLM_EMEM, "out of memory"); }
  ws->bufs = grown;
  ws->bufs[ws->nbufs++] = b;
  return PLM_OK;
}

static int
keep_copy(plm_weights *ws, float *p, char *errbuf)
{
  float **grown = realloc(ws->owned, sizeof *grown * (size_t)(ws->nowned + 1));
  if (!grown) { free(p); return plm_Fail(errbuf, PLM_EMEM, "out of memory"); }
  ws->owned = grown;
  ws->owned[ws->nowned++] = p;
  return PLM_OK;
}

/* data (owned from now) wrapped as plm_weights_Get's flags ask; a copy the backend keeps as halves
 * is not needed after the wrap */
static int
adopt(plm_weights *ws, float *data, size_t n, int flags, plm_w *ret_w, char *errbuf)
{
  int status;

  if ((flags & PLM_W_LINEAR) && ws->be->weights == PLM_F16) {
    ret_w->host = NULL;
    status = plm_buf_WrapWeight(ws->be, data, n, &ret_w->buf, errbuf);
    free(data);
    if (status != PLM_OK) return status;
    return keep_buf(ws, ret_w->buf, errbuf);
  }
  PLM_XCHECK(keep_copy(ws, data, errbuf));
  ret_w->host = data;
  PLM_XCHECK(plm_buf_Wrap(ws->be, data, n, &ret_w->buf, errbuf));
  PLM_XCHECK(keep_buf(ws, ret_w->buf, errbuf));
  return PLM_OK;

ERROR:
  return status;
}

int
plm_weights_Adopt(plm_weights *ws, float *data, size_t n, plm_w *ret_w, char *errbuf)
{
  return adopt(ws, data, n, 0, ret_w, errbuf);
}

static void
shape_str(int rank, const int64_t *shape, char *buf, size_t n)
{
  size_t used = (size_t)snprintf(buf, n, "[");
  for (int i = 0; i < rank && used < n; i++)
    used += (size_t)snprintf(buf + used, n - used, "%s%lld", i ? ", " : "", (long long)shape[i]);
  if (used < n) snprintf(buf + used, n - used, "]");
}

int
plm_weights_Get(plm_weights *ws, const plm_checkpoint *ck, const char *key, int rank, const int64_t *shape,
                int flags, plm_w *ret_w, char *errbuf)
{
  const plm_tensor *t = plm_checkpoint_Get(ck, key);
  plm_tensor       *c = NULL;
  char              want[96], got[96];
  float            *copy = NULL;
  size_t            n;
  int               transpose = flags & PLM_W_TRANSPOSE, ok, status;

  if (!t) return plm_Fail(errbuf, PLM_ENOTFOUND, "%s: missing tensor '%s'", ck->path, key);
  ok = t->rank == rank;
  for (int i = 0; ok && i < rank; i++) ok = t->shape[i] == shape[i];
  if (!ok) {
    shape_str(t->rank, t->shape, got, sizeof got);
    shape_str(rank, shape, want, sizeof want);
    PLM_XFAIL(PLM_EFORMAT, errbuf, "%s: tensor '%s' has shape %s, expected %s", ck->path, key, got, want);
  }
  if (t->dtype != PLM_F32 && t->dtype != PLM_F16 && t->dtype != PLM_BF16)
    PLM_XFAIL(PLM_EFORMAT, errbuf, "%s: tensor '%s' is %s, expected a floating-point type", ck->path, key, plm_dtype_Name(t->dtype));
  n = (size_t)plm_tensor_Numel(t);
  if (t->dtype == PLM_F32 && !transpose && ((uintptr_t)t->data % sizeof(float)) == 0) {
    int half = (flags & PLM_W_LINEAR) && ws->be->weights == PLM_F16;
    ret_w->host = half ? NULL : t->data;
    if (flags & PLM_W_LINEAR) PLM_XCHECK(plm_buf_WrapWeight(ws->be, t->data, n, &ret_w->buf, errbuf));
    else                      PLM_XCHECK(plm_buf_Wrap(ws->be, t->data, n, &ret_w->buf, errbuf));
    /* the backend has its own copy: the file's pages need not stay resident */
    if ((flags & PLM_W_LINEAR) && plm_backend_CopiesWeights(ws->be)) plm_checkpoint_Release(ck, t->data, plm_tensor_Nbytes(t));
    return keep_buf(ws, ret_w->buf, errbuf);
  }
  PLM_XCHECK(plm_tensor_ToF32(t, t->name, &c, errbuf));
  if ((copy = malloc(sizeof *copy * (n ? n : 1))) == NULL) PLM_XFAIL(PLM_EMEM, errbuf, "out of memory");
  if (transpose) {                     /* [rows, cols] -> [cols, rows]: the first dimension against the rest */
    size_t rows = (size_t)shape[0], cols = n / (rows ? rows : 1);
    for (size_t r = 0; r < rows; r++)
      for (size_t k = 0; k < cols; k++) copy[k * rows + r] = ((const float *)c->data)[r * cols + k];
  } else
    memcpy(copy, c->data, sizeof *copy * n);
  plm_tensor_Destroy(c);
  return adopt(ws, copy, n, flags, ret_w, errbuf);

ERROR:
  plm_tensor_Destroy(c);
  return status;
}

void
plm_weights_Clear(plm_weights *ws)
{
  for (int i = 0; i < ws->nbufs; i++) plm_buf_Destroy(ws->be, ws->bufs[i]);
  for (int i = 0; i < ws->nowned; i++) free(ws->owned[i]);
  free(ws->bufs);
  free(ws->owned);
  ws->bufs = NULL;  ws->nbufs = 0;
  ws->owned = NULL; ws->nowned = 0;
}

int
plm_weights_Has(const plm_checkpoint *ck, const char *key)
{
  return plm_checkpoint_Get(ck, key) != NULL;
}

int
plm_weights_ConfigSize(const plm_checkpoint *ck, const char *key, const char *alt, int dflt, int *ret, char *errbuf)
{
  const char *v = plm_checkpoint_Config(ck, key);
  char       *end;
  long        x;

  if (!v && alt) v = plm_checkpoint_Config(ck, key = alt);
  if (!v) {
    if (dflt < 0) return plm_Fail(errbuf, PLM_EFORMAT, "%s: configuration lacks '%s'", ck->path, key);
    *ret = dflt;
    return PLM_OK;
  }
  x = strtol(v, &end, 10);
  if (end == v || *end || x < 1 || x > (1L << 24))
    return plm_Fail(errbuf, PLM_EFORMAT, "%s: configuration '%s' = '%s' is not a usable size", ck->path, key, v);
  *ret = (int)x;
  return PLM_OK;
}
