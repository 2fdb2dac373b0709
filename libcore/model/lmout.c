/* lmout.c: filling a plm_lm_output from backend buffers (see lmout.h).
 *
 *   plm_lmout_CountFlags() / plm_lmout_Repr() / plm_lmout_Matrix() / plm_lmout_Attention()
 */
#include <stdio.h>
#include "error.h"
#include "backend.h"
#include "tensor.h"
#include "lm.h"
#include "lmout.h"

int
plm_lmout_CountFlags(const uint8_t *flags, int n)
{
  int c = 0;
  for (int i = 0; i < n; i++) c += flags ? flags[i] != 0 : 1;
  return c;
}

/* a T x C matrix tensor read back from a backend buffer */
int
plm_lmout_Matrix(plm_backend *be, const plm_buf *b, int row0, const char *name, int T, int C, plm_tensor **ret_t, char *errbuf)
{
  int64_t shape[2] = { T, C };
  int     status = plm_tensor_Create(name, PLM_F32, 2, shape, ret_t, errbuf);
  if (status == PLM_OK) plm_buf_Read(be, b, (size_t)row0 * C, (*ret_t)->data, (size_t)T * C);
  return status;
}

int
plm_lmout_ReprRows(plm_backend *be, const plm_buf *x, int row0, int K, int T, int D, const plm_lm_request *req,
                   plm_lm_output *out, char *errbuf)
{
  char name[32];
  if (!req->repr || !req->repr[K]) return PLM_OK;
  snprintf(name, sizeof name, "repr%d", K);
  return plm_lmout_Matrix(be, x, row0, name, T, D, &out->repr[K], errbuf);
}

int
plm_lmout_Repr(plm_backend *be, const plm_buf *x, int K, int T, int D, const plm_lm_request *req,
               plm_lm_output *out, char *errbuf)
{
  return plm_lmout_ReprRows(be, x, 0, K, T, D, req, out, errbuf);
}

int
plm_lmout_LogitsRows(plm_backend *be, const plm_buf *logits, int row0, int T, int V, plm_lm_output *out, char *errbuf)
{
  return plm_lmout_Matrix(be, logits, row0, "logits", T, V, &out->logits, errbuf);
}

int
plm_lmout_Logits(plm_backend *be, const plm_buf *logits, int T, int V, plm_lm_output *out, char *errbuf)
{
  return plm_lmout_LogitsRows(be, logits, 0, T, V, out, errbuf);
}

void
plm_lmout_Attention(plm_backend *be, const plm_buf *att, int H, int li, int T, int row0, int rows,
                    const plm_lm_request *req, plm_tensor *attentions)
{
  size_t TT = (size_t)T * T, n = (size_t)rows * T;
  int    nh = (int)attentions->shape[1], hi = 0;

  for (int h = 0; h < H; h++) {
    if (req->attn_heads && !req->attn_heads[h]) continue;
    size_t slot = ((size_t)li * nh + hi++) * TT + (size_t)row0 * T;
    if (attentions->dtype == PLM_F32)
      plm_buf_Read(be, att, (size_t)h * n, (float *)attentions->data + slot, n);
    else {
      const float *p   = plm_buf_Map(be, att, (size_t)h * n, n);
      uint16_t    *dst = (uint16_t *)attentions->data + slot;
      if (!p) return;   /* a device failure: the backend noted it, and the model's sync reports it */
      for (size_t i = 0; i < n; i++) dst[i] = plm_f32_to_f16(p[i]);
      plm_buf_Unmap(be, att, p);
    }
  }
}
