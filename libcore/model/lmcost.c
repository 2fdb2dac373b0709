/* lmcost.c: the memory estimate of one forward pass (see lmcost.h).
 *
 * Contents: the workspace per architecture, the outputs, the long policies, EstimateBytes.
 */
#include <string.h>
#include "lmcost.h"
#include "lmout.h"

#define F32 4.0

/* what the architecture's forward pass holds while it runs, B x T rows: the row-wise buffers
 * (rounded up to 64 rows, as they grow) and the attention of one layer. ESM takes its attention in
 * blocks of query rows within the budget (at least one row for every head); the others hold every
 * head's whole T x T map (XLNet: three, with its relative-position scores) */
static double
workspace(const plm_lm *m, double T, double B, const plm_lm_request *req)
{
  double D = m->dim, F = 4.0 * D, V = m->vocab, H = m->nheads, hd = D / H, nl = m->nlayers;
  double R = ((B * T + 63.0) / 64.0 + 1.0) * 64.0;

  if (strncmp(m->arch, "esm", 3) == 0) {
    double budget = req->attn_bytes ? (double)req->attn_bytes : (double)m->be->ops->attn_bytes;
    double att    = H * T * T * F32;
    if (att > budget) att = budget > H * T * F32 ? budget : H * T * F32;
    /* x h q k v ctx, ff, logits, cos sin and the host rope table, the contact factors cu cv, drop */
    return R * ((6.0 * D + F + V + 2.0 * hd + 2.0 * nl * H) * F32 + 1.0) + att;
  }
  /* BERT, ALBERT (the embedding buffers are at most D wide), XLNet (two-stream position buffers) */
  return R * (12.0 * D + F + V) * F32 + 3.0 * H * T * T * F32;
}

/* the tensors a request adds to one protein's record, and the contact head's accumulator */
static double
outputs(const plm_lm *m, double T, const plm_lm_request *req)
{
  double L = T > 2 ? T - 2 : 0, n = T * 4.0 * 2.0;   /* the token ids, and the 'tokens' tensor */
  int    nla = req->attn_layers ? plm_lmout_CountFlags(req->attn_layers, m->nlayers) : 0;
  int    nha = plm_lmout_CountFlags(req->attn_heads, m->nheads);

  if (req->logits)   n += T * m->vocab * F32;
  if (req->contacts) n += 2.0 * L * L * F32;
  if (nla && nha)    n += (double)nla * nha * T * T * (req->attn_dtype == PLM_F16 ? 2.0 : F32);
  for (int k = 0; req->repr && k <= m->nlayers; k++)
    if (req->repr[k]) n += T * m->dim * F32;
  return n;
}

/* what the counts above miss: the GEMM libraries' scratch, taken at the first pass (about 4 MiB
 * here, per thread), and the allocator's rounding: measured 3-6 MiB over them with esm2_t3 */
static double
slack(const plm_lm *m, double bytes)
{
  return bytes * 1.05 + (16.0 + 4.0 * (m->be->nthreads > 0 ? m->be->nthreads : 1)) * 1048576.0;
}

double
plm_lm_EstimateBytes(const plm_lm *m, long long T, int B, const plm_lm_request *req, const plm_long *lp)
{
  double t = (double)T, W, sums, ids = 2.0 * (double)T * 4.0;   /* the whole protein's ids, before any cut */

  if (m->max_tokens && T > m->max_tokens) {
    if (lp->mode == PLM_LONG_ERROR) return 0.0;                /* refused before any work */
    if (lp->mode == PLM_LONG_TRUNCATE) return ids + plm_lm_EstimateBytes(m, m->max_tokens, B, req, lp);
    else {
      /* windows of W + 2 tokens, and sums over the whole protein: the outputs in float32, the
       * token and pair counts, the f16 copy of the maps where asked */
      plm_lm_request f32 = *req;
      f32.attn_dtype = PLM_F32;
      W    = lp->W + 2.0;
      sums = 2.0 * outputs(m, t, &f32) + (t + 2.0 * t * t) * F32;
      return ids + slack(m, workspace(m, W, 1.0, req) + outputs(m, W, &f32) + sums);
    }
  }
  return slack(m, workspace(m, t, (double)(B > 0 ? B : 1), req) + (B > 1 ? B : 1) * outputs(m, t, req));
}
