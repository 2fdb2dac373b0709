/* blocks.c: the shared pieces of every language model (see blocks.h).
 *
 *   the frame: plm_model_New/Done/Begin, plm_pack_Init/Clear
 *   parameter tables: plm_param_Key/Find/Has, plm_params_Load, plm_params_WriteRandom
 *   scratch buffers: plm_scratch_Reserve/Free/Regrow
 *   blocks: embedding, positions, q/k/v (separate or fused, q/k norm), attention, output, feed-forward
 *   (GELU or SwiGLU, plain or scaled residual), LM head, contact head, the MSA Transformer's row and
 *   column attention
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "error.h"
#include "backend.h"
#include "checkpoint.h"
#include "lm.h"
#include "lmout.h"
#include "rng.h"
#include "stwrite.h"
#include "tensor.h"
#include "weights.h"
#include "blocks.h"

/* ---------------------------------------------------------------------------
 * the frame
 */

int
plm_pack_Init(plm_pack *pk, int B, const int *T, char *errbuf)
{
  *pk = (plm_pack){ .B = B, .T = T };
  if (B < 1) return plm_Fail(errbuf, PLM_EINVAL, "a batch of %d proteins", B);
  if ((pk->off = malloc(sizeof *pk->off * (size_t)B)) == NULL) return plm_Fail(errbuf, PLM_EMEM, "out of memory");
  for (int b = 0; b < B; b++) {
    pk->off[b] = pk->R;
    pk->R     += T[b];
    if (T[b] > pk->Tmax) pk->Tmax = T[b];
  }
  return PLM_OK;
}

void
plm_pack_Clear(plm_pack *pk)
{
  free(pk->off);
  pk->off = NULL;
}

int
plm_model_New(plm_checkpoint *ck, plm_backend *be, size_t priv_size, plm_lm **ret_m, char *errbuf)
{
  plm_lm *m = calloc(1, sizeof *m);

  *ret_m = NULL;
  if (!m || (m->priv = calloc(1, priv_size)) == NULL) { free(m); return plm_Fail(errbuf, PLM_EMEM, "out of memory"); }
  m->ck = ck;
  m->be = be;
  *ret_m = m;
  return PLM_OK;
}

void
plm_model_Done(plm_lm *m, int nlayers, int nheads, int dim, int vocab)
{
  m->nlayers = nlayers;
  m->nheads  = nheads;
  m->dim     = dim;
  m->vocab   = vocab;
}

int
plm_model_ForwardOne(plm_lm *m, const int32_t *ids, int T, const plm_lm_request *req, plm_lm_output *out, char *errbuf)
{
  return m->forward_many(m, ids, 1, &T, req, out, errbuf);
}

/* forward_batch: B proteins of T tokens each, logits only, through run's merged output */
int
plm_model_SameLengths(plm_lm *m, plm_model_run run, const int32_t *ids, int B, int T, plm_lm_output *out, char *errbuf)
{
  plm_lm_request req = { .logits = 1 };
  int           *Ts, status;
  if (B < 1) return plm_Fail(errbuf, PLM_EINVAL, "a batch of %d proteins", B);
  if ((Ts = malloc(sizeof *Ts * (size_t)B)) == NULL) return plm_Fail(errbuf, PLM_EMEM, "out of memory");
  for (int b = 0; b < B; b++) Ts[b] = T;
  status = run(m, ids, B, Ts, &req, NULL, out, errbuf);
  free(Ts);
  return status;
}

/* a run's start: refuse what the model lacks (head_keys names its LM head's tensors; with_contacts:
 * the family publishes contact heads, so a missing one is a missing file), pack the proteins, and
 * create each protein's attentions tensor [nla, nha, T, T] (outs NULL: none); *ret_nla the number of
 * asked layers, 0 when no maps are wanted */
int
plm_model_Begin(plm_lm *m, const plm_lm_request *req, int B, const int *T, plm_lm_output *outs,
                const char *head_keys, plm_pack *pk, int *ret_nla, char *errbuf)
{
  int nla = req->attn_layers ? plm_lmout_CountFlags(req->attn_layers, m->nlayers) : 0;
  int nha = plm_lmout_CountFlags(req->attn_heads, m->nheads);
  int status;

  *pk = (plm_pack){ 0 };
  if (req->logits && !m->has_lmhead)
    return plm_Fail(errbuf, PLM_EUNSUP, "%s has no LM head (%s): logits are unavailable", m->ck->path, head_keys);
  if (req->contacts && !m->has_contacts) {
    if (strncmp(m->arch, "esm", 3) == 0)
      return plm_Fail(errbuf, PLM_EUNSUP, "%s has no contact regression weights (contact_head.regression.*)%s%s",
                      m->path, m->note[0] ? ": " : "", m->note);
    return plm_Fail(errbuf, PLM_EUNSUP, "%s: %s models have no contact head (fit one with lrfit)", m->ck->path, m->arch);
  }
  PLM_XCHECK(plm_pack_Init(pk, B, T, errbuf));
  if (nha == 0) nla = 0;
  for (int b = 0; b < B && outs && nla > 0; b++) {
    int64_t shape[4] = { nla, nha, T[b], T[b] };
    PLM_XCHECK(plm_tensor_Create("attentions", req->attn_dtype, 4, shape, &outs[b].attentions, errbuf));
  }
  *ret_nla = nla;
  return PLM_OK;

ERROR:
  plm_pack_Clear(pk);
  return status;
}

/* ---------------------------------------------------------------------------
 * parameter tables
 */

int
plm_param_Key(const plm_layout *lay, const plm_param *p, int layer, char *key, size_t n)
{
  char        tail[256];
  const char *fmt = p->key[lay->naming];
  if (!fmt) return 0;
  snprintf(tail, sizeof tail, fmt, layer);
  snprintf(key, n, "%s%s", lay->prefix[p->section], tail);
  return 1;
}

const plm_param *
plm_param_Find(const plm_ptable *t, size_t off)
{
  for (int i = 0; i < t->n; i++)
    if (!t->p[i].per_layer && t->p[i].off == off) return &t->p[i];
  return NULL;
}

int
plm_param_Has(const plm_checkpoint *ck, const plm_layout *lay, const plm_param *p)
{
  char key[320];
  return p && plm_param_Key(lay, p, 0, key, sizeof key) && plm_weights_Has(ck, key);
}

/* every parameter the model wants, each layer's into layers[l] (layer_size bytes apart), the others
 * into model; an absent optional one leaves its plm_w empty */
int
plm_params_Load(const plm_ptable *t, const plm_layout *lay, plm_weights *ws, const plm_checkpoint *ck,
                void *model, void *layers, size_t layer_size, int nlayers, char *errbuf)
{
  char key[320];
  int  status;

  for (int i = 0; i < t->n; i++) {
    const plm_param *p = &t->p[i];
    if (t->wanted && !t->wanted(model, p)) continue;
    for (int l = 0; l < (p->per_layer ? nlayers : 1); l++) {
      plm_w  *w = (plm_w *)((p->per_layer ? (char *)layers + (size_t)l * layer_size : (char *)model) + p->off);
      int64_t shape[4];
      if (!plm_param_Key(lay, p, l, key, sizeof key)) continue;
      for (int d = 0; d < p->rank; d++) shape[d] = p->dim[d] < 0 ? t->dim(model, p->dim[d]) : p->dim[d];
      status = plm_weights_Get(ws, ck, key, p->rank, shape, p->flags & (PLM_W_LINEAR | PLM_W_TRANSPOSE), w, errbuf);
      if (status == PLM_ENOTFOUND && (p->flags & PLM_P_OPTIONAL)) { *w = (plm_w){ 0 }; continue; }
      if (status == PLM_ENOTFOUND) {
        size_t n = strlen(errbuf);
        snprintf(errbuf + n, PLM_ERRBUFSIZE - n, " (%s layout)", lay->what);
      }
      if (status != PLM_OK) return status;
    }
  }
  return PLM_OK;
}

int
plm_params_WriteRandom(const plm_ptable *t, const plm_layout *lay, const void *model, int nlayers,
                       plm_param_init init, uint64_t seed, const char *path, char *errbuf)
{
  plm_tensor **made = NULL;
  char         key[320];
  int          n = 0, status;
  uint64_t     rng = seed;

  if ((made = calloc((size_t)t->n * (size_t)(nlayers > 0 ? nlayers : 1), sizeof *made)) == NULL)
    PLM_XFAIL(PLM_EMEM, errbuf, "out of memory");
  for (int i = 0; i < t->n; i++) {
    const plm_param *p = &t->p[i];
    if (t->wanted && !t->wanted(model, p)) continue;
    for (int l = 0; l < (p->per_layer ? nlayers : 1); l++) {
      int64_t shape[4];
      if (!plm_param_Key(lay, p, l, key, sizeof key)) continue;
      for (int d = 0; d < p->rank; d++) shape[d] = p->dim[d] < 0 ? t->dim(model, p->dim[d]) : p->dim[d];
      PLM_XCHECK(plm_tensor_Create(key, PLM_F32, p->rank, shape, &made[n], errbuf));
      init(model, p, made[n], made, n, &rng);
      n++;
    }
  }
  PLM_XCHECK(plm_stwrite_File(path, made, n, errbuf));
  status = PLM_OK;

ERROR:
  for (int i = 0; i < n; i++) plm_tensor_Destroy(made[i]);
  free(made);
  return status;
}

/* what torch's modules start from: Linear weights N(0, 1/fan-in), biases 0.02 N(0, 1), LayerNorm
 * gains 1, embeddings N(0, 1) with row pad zero (nn.Embedding's padding_idx; pad < 0: none), a tied
 * weight a copy of the table's first tensor (made[0], the embedding); 0 (t untouched) for a model's
 * own tag */
int
plm_param_InitCommon(const plm_param *p, plm_tensor *t, plm_tensor *const *made, int pad, uint64_t *rng)
{
  float  *x = t->data;
  int64_t cnt = plm_tensor_Numel(t), cols = t->shape[t->rank - 1];
  if (p->init == PLM_INIT_TIED) { memcpy(x, made[0]->data, plm_tensor_Nbytes(made[0])); return 1; }
  if (p->init >= PLM_INIT_OWN) return 0;
  for (int64_t i = 0; i < cnt; i++)
    switch (p->init) {
    case PLM_INIT_WEIGHT: x[i] = (float)(plm_rng_Normal(rng) / sqrt((double)cols)); break;
    case PLM_INIT_BIAS:   x[i] = (float)(0.02 * plm_rng_Normal(rng)); break;
    case PLM_INIT_GAIN:   x[i] = 1.0f; break;
    case PLM_INIT_EMBED:  x[i] = i / cols == pad ? 0.0f : (float)plm_rng_Normal(rng); break;
    }
  return 1;
}

/* ---------------------------------------------------------------------------
 * scratch buffers
 */

void
plm_scratch_Free(plm_backend *be, const plm_scratch *s, int n, int *capR, int *capT)
{
  for (int i = 0; i < n; i++) { plm_buf_Destroy(be, *s[i].buf); *s[i].buf = NULL; }
  *capR = *capT = 0;
}

/* all of s for R rows and T tokens, each rounded up to 64 (rows at least the tokens) so a run of
 * similar sizes reallocates rarely; *ret_grown says whether they were made anew (contents lost) */
int
plm_scratch_Reserve(plm_backend *be, const plm_scratch *s, int n, int R, int T, int *capR, int *capT,
                    int *ret_grown, char *errbuf)
{
  size_t cT, cR;
  int    status;

  if (ret_grown) *ret_grown = 0;
  if (T <= *capT && R <= *capR) return PLM_OK;
  cT = (size_t)((T > *capT ? T : *capT) + 63) / 64 * 64;
  cR = (size_t)((R > *capR ? R : *capR) + 63) / 64 * 64;
  if (cR < cT) cR = cT;
  plm_scratch_Free(be, s, n, capR, capT);
  for (int i = 0; i < n; i++) {
    size_t k = s[i].per == PLM_PER_ROW ? cR : s[i].per == PLM_PER_TOKEN ? cT : cT * cT;
    PLM_XCHECK(plm_buf_Create(be, k * s[i].width, s[i].buf, errbuf));
  }
  *capR = (int)cR;
  *capT = (int)cT;
  if (ret_grown) *ret_grown = 1;
  return PLM_OK;

ERROR:
  plm_scratch_Free(be, s, n, capR, capT);
  return status;
}

/* b replaced by a buffer of n floats when it holds fewer (*cap) or is none yet (an empty protein
 * still gets one); its contents are not kept */
int
plm_scratch_Regrow(plm_backend *be, plm_buf **b, size_t *cap, size_t n, char *errbuf)
{
  int status;

  if (*b && n <= *cap) return PLM_OK;
  plm_buf_Destroy(be, *b);
  *b   = NULL;
  *cap = 0;
  if ((status = plm_buf_Create(be, n, b, errbuf)) == PLM_OK) *cap = n;
  return status;
}

/* ---------------------------------------------------------------------------
 * blocks
 */

/* x [n] = act(x) */
void
plm_block_Act(plm_backend *be, int act, plm_buf *x, size_t n)
{
  if (act == PLM_ACT_GELU) plm_op_Gelu(be, x, n);
  else                     plm_op_GeluTanh(be, x, n);
}

/* embedding: x [R, D] = table[ids] (table [V, D]). drop_id >= 0: ESM's token dropout (trained with
 * 15% x 80% masks): drop_id rows zeroed, the rest scaled by 0.88 / (1 - masked fraction), the
 * fraction of each protein's own tokens, as fair-esm computes it per sequence. One protein gathers
 * straight into x; more gather each into tmp [R, D] and add onto a zeroed x (0 + w is w: exact) */
void
plm_block_Embed(plm_backend *be, const plm_buf *table, const int32_t *ids, const plm_pack *pk, int D,
                int drop_id, plm_buf *tmp, plm_buf *x)
{
  if (pk->B > 1) plm_op_Zero(be, x, (size_t)pk->R * D);
  for (int b = 0; b < pk->B; b++) {
    const int32_t *id = ids + pk->off[b];
    int            T = pk->T[b], nmask = 0;
    plm_buf       *dst = pk->B > 1 ? tmp : x;
    for (int t = 0; drop_id >= 0 && t < T; t++) nmask += id[t] == drop_id;
    if (drop_id >= 0) plm_op_Embed(be, table, id, T, D, drop_id, 1.0f - 0.12f, 1.0f - (float)nmask / (float)T, dst);
    else              plm_op_Embed(be, table, id, T, D, -1, 1.0f, 1.0f, dst);
    if (pk->B > 1) plm_op_Add(be, x, (size_t)pk->off[b] * D, tmp, 0, (size_t)T * D);
  }
}

/* positions: each protein's rows x [T, D] += pos rows first .. first+T-1 (pos [P, D]) */
void
plm_block_AddPositions(plm_backend *be, plm_buf *x, const plm_pack *pk, int D, const plm_buf *pos, int first)
{
  for (int b = 0; b < pk->B; b++)
    plm_op_Add(be, x, (size_t)pk->off[b] * D, pos, (size_t)first * D, (size_t)pk->T[b] * D);
}

/* rotary tables: cos, sin [R, hd/2] of angle t * inv_freq[i] (t the position within its protein),
 * the angle rounded to float as torch does; host holds R x hd floats. The longest protein's table is
 * computed once and copied per protein */
void
plm_block_RotaryTables(plm_backend *be, const plm_pack *pk, int hd, const float *inv_freq, float *host,
                       plm_buf *cos_b, plm_buf *sin_b)
{
  int    half = hd / 2, R = pk->R;
  float *c = host, *s = host + (size_t)R * half;
  for (int t = 0; t < pk->Tmax; t++)
    for (int i = 0; i < half; i++) {
      float a = (float)t * inv_freq[i];
      c[(size_t)t * half + i] = (float)cos(a);
      s[(size_t)t * half + i] = (float)sin(a);
    }
  /* protein 0 starts at row 0 and may be shorter than the longest: later ones copy from the back */
  for (int b = pk->B - 1; b >= 0; b--)
    for (int t = pk->T[b] - 1; t >= 0; t--) {
      size_t to = ((size_t)pk->off[b] + t) * half, from = (size_t)t * half;
      if (to == from) continue;
      memmove(c + to, c + from, sizeof *c * half);
      memmove(s + to, s + from, sizeof *s * half);
    }
  plm_buf_Write(be, cos_b, 0, c, (size_t)R * half);
  plm_buf_Write(be, sin_b, 0, s, (size_t)R * half);
}

/* sinusoidal positions as fairseq's SinusoidalPositionalEmbedding makes them (ESM-1): table [n, D],
 * row p = [sin(p f_k), cos(p f_k)] for k < D/2, f_k = exp(-k ln(10000) / (D/2 - 1)), all in float32
 * as torch computes it; a zero last column for odd D and a zero row at padding_idx. host: n x D */
void
plm_block_Sinusoids(plm_backend *be, int n, int D, int padding_idx, float *host, plm_buf *table)
{
  int   half = D / 2;
  float step = (float)-(log(10000.0) / (half > 1 ? half - 1 : 1));
  for (int p = 0; p < n; p++) {
    float *row = host + (size_t)p * D;
    for (int k = 0; k < half; k++) {
      float a = (float)p * expf((float)k * step);
      row[k]        = p == padding_idx ? 0.0f : sinf(a);
      row[half + k] = p == padding_idx ? 0.0f : cosf(a);
    }
    if (D % 2) row[D - 1] = 0.0f;
  }
  plm_buf_Write(be, table, 0, host, (size_t)n * D);
}

/* a learned null key (or value): kx [R + B, ld] holds protein b's T[b] rows of k [R, ld] and then
 * the null row (null [ld]), from row koff[b] = off[b] + b; attention then runs over T + 1 keys */
void
plm_block_NullKv(plm_backend *be, const plm_pack *pk, int ld, const plm_buf *k, const plm_buf *null,
                 plm_buf *kx, int *koff)
{
  plm_op_Zero(be, kx, (size_t)(pk->R + pk->B) * ld);
  for (int b = 0; b < pk->B; b++) {
    koff[b] = pk->off[b] + b;
    plm_op_Add(be, kx, (size_t)koff[b] * ld, k, (size_t)pk->off[b] * ld, (size_t)pk->T[b] * ld);
    plm_op_Add(be, kx, (size_t)(koff[b] + pk->T[b]) * ld, null, 0, (size_t)ld);
  }
}

/* projections: q, k, v [R, HD] = x [R, D] W^T + b (W [HD, D]; a NULL bias adds nothing) */
void
plm_block_Qkv(plm_backend *be, const plm_buf *x, int R, int D, const plm_attn_w *w, int HD,
              plm_buf *q, plm_buf *k, plm_buf *v)
{
  plm_op_Linear(be, x, R, D, w->wq.buf, w->bq.buf, HD, q);
  plm_op_Linear(be, x, R, D, w->wk.buf, w->bk.buf, HD, k);
  plm_op_Linear(be, x, R, D, w->wv.buf, w->bv.buf, HD, v);
}

/* fused projections: qkv [R, 3 HD] = x [R, D] W^T (W [3 HD, D], no bias), then its three column
 * blocks copied out as q, k, v [R, HD] (torch.chunk(qkv, 3, -1)), so LayerNorm and attention see
 * rows of HD floats */
void
plm_block_QkvFused(plm_backend *be, const plm_buf *x, int R, int D, const plm_w *W, int HD, plm_buf *qkv,
                   plm_buf *q, plm_buf *k, plm_buf *v)
{
  plm_buf *out[3] = { q, k, v };
  plm_op_Linear(be, x, R, D, W->buf, NULL, 3 * HD, qkv);
  for (int i = 0; i < 3; i++) {
    plm_op_Zero(be, out[i], (size_t)R * HD);
    plm_op_AddRows(be, out[i], 0, HD, qkv, (size_t)i * HD, 3 * HD, R, HD);
  }
}

/* q/k LayerNorm: q, k [R, HD] normalised in place over all HD columns (every head at once, as
 * ESM C's q_ln and k_ln over d_model), gains gq, gk [HD] and no bias (zero: HD zeros) */
void
plm_block_QkNorm(plm_backend *be, plm_buf *q, plm_buf *k, int R, int HD, const plm_w *gq, const plm_w *gk,
                 const plm_w *zero, float eps)
{
  plm_op_LayerNorm(be, q, q, R, HD, gq->buf, zero->buf, eps);
  plm_op_LayerNorm(be, k, k, R, HD, gk->buf, zero->buf, eps);
}

/* scaled dot-product attention over packed proteins: for protein b and head h (columns h*hd ..
 * of q, k, v, ctx), ctx [T, hd] = softmax(alpha q k^T) v over its Tk = T + kextra keys, Q[b] query
 * rows at a time: att holds H x Q x Tk probabilities, so memory for the maps is bounded however
 * long the protein (each row's softmax is whole, so blocks change nothing but the order of work).
 * Each block's probabilities go to the sink before the next block overwrites them */
void
plm_block_Attention(plm_backend *be, const plm_pack *pk, const plm_sdpa *a)
{
  int H = a->H, hd = a->hd, ld = a->ld;

  for (int b = 0; b < pk->B; b++) {
    int    T = pk->T[b], Tk = T + a->kextra, Q = a->Q ? a->Q[b] : T;
    size_t o = (size_t)pk->off[b] * ld, ko = (size_t)(a->koff ? a->koff[b] : pk->off[b]) * ld;
    for (int r0 = 0; r0 < T; r0 += Q) {
      int    n = T - r0 < Q ? T - r0 : Q;
      size_t qoff = o + (size_t)r0 * ld, hs = (size_t)n * Tk;      /* one head's block */
      plm_op_Gemm(be, &(plm_gemm){ .transB = 1, .M = n, .N = Tk, .K = hd, .batch = H, .alpha = a->alpha,
                                   .A = a->q, .offA = qoff, .lda = ld, .strideA = (size_t)hd,
                                   .B = a->k, .offB = ko, .ldb = ld, .strideB = (size_t)hd,
                                   .C = a->att, .ldc = Tk, .strideC = hs });
      plm_op_SoftmaxRows(be, a->att, H * n, Tk);
      plm_op_Gemm(be, &(plm_gemm){ .M = n, .N = hd, .K = Tk, .batch = H, .alpha = 1.0f,
                                   .A = a->att, .lda = Tk, .strideA = hs,
                                   .B = a->v, .offB = ko, .ldb = ld, .strideB = (size_t)hd,
                                   .C = a->ctx, .offC = qoff, .ldc = ld, .strideC = (size_t)hd });
      if (a->sink) a->sink(a->sink_ctx, b, r0, n, a->att);
    }
  }
}

/* relative positions (XLNet): for each protein, pos rows 2 off[b] .. 2 off[b] + 2T - 1 [2T, D], row r
 * for distance p = T - r (clamped to +-clamp when clamp > 0): [sin(p f_k), cos(p f_k)],
 * f_k = 1 / 10000^(2k / D), in float32 as torch computes it; host holds 2R x D floats */
void
plm_block_RelPositions(plm_backend *be, const plm_pack *pk, int D, int clamp, float *host, plm_buf *pos)
{
  int half = D / 2;
  for (int b = 0; b < pk->B; b++) {
    int T = pk->T[b];
    for (int r = 0; r < 2 * T; r++) {
      float  p = (float)(T - r);
      float *row = host + ((size_t)2 * pk->off[b] + r) * D;
      if (clamp > 0) p = fmaxf(-(float)clamp, fminf((float)clamp, p));
      for (int k = 0; k < half; k++) {
        float f = 1.0f / powf(10000.0f, (float)(2 * k) / (float)D);
        float a = p * f;
        row[k]        = (float)sin((double)a);
        row[half + k] = (float)cos((double)a);
      }
    }
  }
  plm_buf_Write(be, pos, 0, host, (size_t)2 * pk->R * D);
}

/* relative attention (XLNet, transformers' rel_attn_core), per protein b and head h:
 *   score(i, j) = alpha ((qw_i . k_j) + (qr_i . kr_(T-i+j)))      i, j < T
 * the position term one product against all 2T position keys into bd [T, 2T], then rel_shift:
 * row i of the scores gets columns T-i .. 2T-1-i of it, read with a row stride one short of its
 * width (plm_op_AddRows); ctx = softmax(score) v. att's probabilities go to the sink */
void
plm_block_RelAttention(plm_backend *be, const plm_pack *pk, const plm_relattn *a)
{
  int H = a->H, hd = a->hd, ld = a->ld;

  for (int b = 0; b < pk->B; b++) {
    int    T = pk->T[b];
    size_t TT = (size_t)T * T, o = (size_t)pk->off[b] * ld, po = (size_t)2 * pk->off[b] * ld;
    plm_op_Gemm(be, &(plm_gemm){ .transB = 1, .M = T, .N = T, .K = hd, .batch = H, .alpha = a->alpha,
                                 .A = a->qw, .offA = o, .lda = ld, .strideA = (size_t)hd,
                                 .B = a->k, .offB = o, .ldb = ld, .strideB = (size_t)hd,
                                 .C = a->att, .ldc = T, .strideC = TT });
    plm_op_Gemm(be, &(plm_gemm){ .transB = 1, .M = T, .N = 2 * T, .K = hd, .batch = H, .alpha = a->alpha,
                                 .A = a->qr, .offA = o, .lda = ld, .strideA = (size_t)hd,
                                 .B = a->kr, .offB = po, .ldb = ld, .strideB = (size_t)hd,
                                 .C = a->bd, .ldc = 2 * T, .strideC = 2 * TT });
    for (int h = 0; h < H; h++)           /* rel_shift: score(i, j) += bd(i, T - i + j) */
      plm_op_AddRows(be, a->att, (size_t)h * TT, T, a->bd, (size_t)h * 2 * TT + (size_t)T, 2 * T - 1, T, T);
    plm_op_SoftmaxRows(be, a->att, H * T, T);
    plm_op_Gemm(be, &(plm_gemm){ .M = T, .N = hd, .K = T, .batch = H, .alpha = 1.0f,
                                 .A = a->att, .lda = T, .strideA = TT,
                                 .B = a->v, .offB = o, .ldb = ld, .strideB = (size_t)hd,
                                 .C = a->ctx, .offC = o, .ldc = ld, .strideC = (size_t)hd });
    if (a->sink) a->sink(a->sink_ctx, b, 0, T, a->att);
  }
}

/* output projection and residual: y [R, out] = x [R, in] W^T + b, then res [R, out] += y */
void
plm_block_Output(plm_backend *be, const plm_buf *x, int R, int in, const plm_w *W, const plm_w *b, int out,
                 plm_buf *y, plm_buf *res)
{
  plm_op_Linear(be, x, R, in, W->buf, b ? b->buf : NULL, out, y);
  plm_op_Add(be, res, 0, y, 0, (size_t)R * out);
}

/* feed-forward block and residual: y [R, D] = fc2(act(fc1(x [R, D]))) through ff [R, F], then
 * res [R, D] += y; x and y may be one buffer */
void
plm_block_Ffn(plm_backend *be, plm_buf *x, int R, int D, int F, const plm_ffn_w *w, int act,
              plm_buf *ff, plm_buf *y, plm_buf *res)
{
  plm_op_Linear(be, x, R, D, w->w1.buf, w->b1.buf, F, ff);
  plm_block_Act(be, act, ff, (size_t)R * F);
  plm_op_Linear(be, ff, R, F, w->w2.buf, w->b2.buf, D, y);
  plm_op_Add(be, res, 0, y, 0, (size_t)R * D);
}

/* scaled residual: res [R, D] += s y, y [R, D] scaled in place */
void
plm_block_ScaledResidual(plm_backend *be, plm_buf *y, int R, int D, float s, plm_buf *res)
{
  plm_op_Scale(be, y, (size_t)R * D, s);
  plm_op_Add(be, res, 0, y, 0, (size_t)R * D);
}

/* SwiGLU feed-forward block (no biases) and scaled residual: ff2 [R, 2F] = x [R, D] w1^T (w1 [2F, D]),
 * ff [R, F] = silu(ff2[:, :F]) * ff2[:, F:], y [R, D] = ff w2^T (w2 [D, F]), res += s y; x and y may
 * be one buffer */
void
plm_block_SwiGluFfn(plm_backend *be, const plm_buf *x, int R, int D, int F, const plm_w *w1, const plm_w *w2,
                    float s, plm_buf *ff2, plm_buf *ff, plm_buf *y, plm_buf *res)
{
  plm_op_Linear(be, x, R, D, w1->buf, NULL, 2 * F, ff2);
  plm_op_SwiGlu(be, ff2, ff, R, F);
  plm_op_Linear(be, ff, R, F, w2->buf, NULL, D, y);
  plm_block_ScaledResidual(be, y, R, D, s, res);
}

/* masked-LM head: logits [R, V] = LN(act(x [R, D] dense^T + b)) dec^T + dec_b, through tmp [R, E]
 * (dense [E, D], dec [V, E]; ESM ties dec to the embedding, BERT too when the file does) */
void
plm_block_LmHead(plm_backend *be, const plm_buf *x, int R, int D, int E, const plm_w *dense_w,
                 const plm_w *dense_b, int act, const plm_ln_w *ln, float eps, const plm_w *dec_w,
                 const plm_w *dec_b, int V, plm_buf *tmp, plm_buf *logits)
{
  plm_op_Linear(be, x, R, D, dense_w->buf, dense_b->buf, E, tmp);
  plm_block_Act(be, act, tmp, (size_t)R * E);
  plm_op_LayerNorm(be, tmp, tmp, R, E, ln->g.buf, ln->b.buf, eps);
  plm_op_Linear(be, tmp, R, E, dec_w->buf, dec_b->buf, V, logits);
}

/* contact head, before the first layer: sums zeroed */
void
plm_block_ContactStart(plm_backend *be, const plm_contact *c)
{
  plm_op_Zero(be, c->acc, (size_t)c->L * c->L);
  plm_op_Zero(be, c->cv, (size_t)c->nl * c->H * c->L);
}

/* contact head, layer l, a block of its query rows (att: H x rows x T, token rows row0 ..): the
 * weighted sum of the maps over the residues and each map's APC sums (backend.h, apc.h); the
 * rows and columns c->drop flags zeroed first, as fair-esm's eos mask does; the last block adds
 * the layer's factors */
void
plm_block_ContactStep(plm_backend *be, const plm_contact *c, int l, plm_buf *att, int T, int row0, int rows)
{
  plm_contact_step s = { .att = att, .H = c->H, .T = T, .row0 = row0, .rows = rows, .first = c->first, .L = c->L,
                         .drop = c->drop, .w = c->w + (size_t)l * c->H,
                         .acc = c->acc, .u = c->cu, .v = c->cv, .k0 = l * c->H };
  plm_op_ContactAccum(be, &s);
  if (row0 + rows == T) plm_op_ContactFactors(be, &s);
}

/* contact head, the end: z [L, L] = acc + acc^T - u^T v, the regression over all layers x heads of
 * w APC(sym(attention)), then contacts [L, L] = sigmoid(z + bias) (host) */
void
plm_block_ContactFinish(plm_backend *be, const plm_contact *c, float *contacts)
{
  int L = c->L, K = c->nl * c->H;
  plm_op_AddTranspose(be, c->acc, L);
  plm_op_Gemm(be, &(plm_gemm){ .transA = 1, .M = L, .N = L, .K = K, .alpha = -1.0f, .beta = 1.0f,
                               .A = c->cu, .lda = L, .B = c->cv, .ldb = L, .C = c->acc, .ldc = L });
  plm_buf_Read(be, c->acc, 0, contacts, (size_t)L * L);
  for (size_t i = 0; i < (size_t)L * L; i++) contacts[i] = 1.0f / (1.0f + expf(-(contacts[i] + c->bias)));
}

/* the MSA Transformer's two axial attentions over an alignment of R rows of C tokens: q, k, v, ctx
 * [R*C, D], token c of row r at row r*C + c (D = H hd) */

/* row attention tied over the rows: per head h, scores [C, C] = alpha sum_r q_r,h k_r,h^T (alpha
 * already in q), softmax, then ctx_r,h = P_h v_r,h for every row. att holds H x C x C */
void
plm_block_RowAttention(plm_backend *be, const plm_buf *q, const plm_buf *k, const plm_buf *v, plm_buf *ctx,
                       plm_buf *att, int R, int C, int H, int hd)
{
  int    D = H * hd;
  size_t rowsz = (size_t)C * D;
  for (int r = 0; r < R; r++)
    plm_op_Gemm(be, &(plm_gemm){ .transB = 1, .M = C, .N = C, .K = hd, .batch = H, .alpha = 1.0f, .beta = r ? 1.0f : 0.0f,
                                 .A = q, .offA = r * rowsz, .lda = D, .strideA = (size_t)hd,
                                 .B = k, .offB = r * rowsz, .ldb = D, .strideB = (size_t)hd,
                                 .C = att, .ldc = C, .strideC = (size_t)C * C });
  plm_op_SoftmaxRows(be, att, H * C, C);
  for (int r = 0; r < R; r++)
    plm_op_Gemm(be, &(plm_gemm){ .M = C, .N = hd, .K = C, .batch = H, .alpha = 1.0f,
                                 .A = att, .lda = C, .strideA = (size_t)C * C,
                                 .B = v, .offB = r * rowsz, .ldb = D, .strideB = (size_t)hd,
                                 .C = ctx, .offC = r * rowsz, .ldc = D, .strideC = (size_t)hd });
}

/* column attention of head h over columns c0 .. c0+n-1: scores [n, R, R] = q_c,h k_c,h^T per column
 * (alpha already in q; a column's R tokens are rows C*D apart), softmax, ctx_c,h = P_c v_c,h */
void
plm_block_ColumnAttention(plm_backend *be, const plm_buf *q, const plm_buf *k, const plm_buf *v, plm_buf *ctx,
                          plm_buf *att, int R, int C, int H, int hd, int h, int c0, int n)
{
  int    D = H * hd, ld = C * D;
  size_t off = (size_t)c0 * D + (size_t)h * hd;
  plm_op_Gemm(be, &(plm_gemm){ .transB = 1, .M = R, .N = R, .K = hd, .batch = n, .alpha = 1.0f,
                               .A = q, .offA = off, .lda = ld, .strideA = (size_t)D,
                               .B = k, .offB = off, .ldb = ld, .strideB = (size_t)D,
                               .C = att, .ldc = R, .strideC = (size_t)R * R });
  plm_op_SoftmaxRows(be, att, n * R, R);
  plm_op_Gemm(be, &(plm_gemm){ .M = R, .N = hd, .K = R, .batch = n, .alpha = 1.0f,
                               .A = att, .lda = R, .strideA = (size_t)R * R,
                               .B = v, .offB = off, .ldb = ld, .strideB = (size_t)D,
                               .C = ctx, .offC = off, .ldc = ld, .strideC = (size_t)D });
}

/* query rows per block of attention over T keys: all T unless H x T x T floats would pass the
 * budget (the request's, else the backend's) */
int
plm_block_QueryRows(const plm_backend *be, int H, int T, size_t budget)
{
  size_t row = (size_t)H * T * sizeof(float), q;

  if (budget == 0) budget = be->ops->attn_bytes;
  q = budget / row;
  if (q >= (size_t)T) return T;
  if (q > 64) q -= q % 64;
  return q < 1 ? 1 : (int)q;
}
