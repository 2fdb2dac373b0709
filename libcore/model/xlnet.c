/* xlnet.c: XLNet inference (ProtXLNet), as transformers 2.2.2 computes it (see xlnet.h).
 *
 * A post-LayerNorm encoder with relative positional attention over residues <sep> <cls>:
 *
 *   x = word(ids)                                                  repr0
 *   r = [sin(p f), cos(p f)] for p = T, T-1, .., 1-T               2T relative positions
 *   for each layer:
 *     score(i, j) = ((q_i + r_w) . k_j + (q_i + r_r) . kr_(T-i+j)) / sqrt(d_head)
 *     x = LN(x + o(softmax(score) v)),  x = LN(x + W2 gelu(W1 x))  repr1..
 *   logits = x E^T + b                                             lm_loss, tied
 *
 * The position term is one matrix product against all 2T positions, then
 * transformers' rel_shift: row i of the scores gets columns T-i .. 2T-1-i of
 * it, read with a row stride one short of its width (plm_op_AddRows).
 *
 * q, k, v and r are stored [d_model, n_head, d_head]; they are transposed at
 * load so each projection is a Linear, with r_w_bias and r_r_bias as the
 * biases of two query projections.
 *
 *   plm_xlnet_Recognize() / plm_xlnet_Create()
 *   xlnet_forward() and the per-layer functions it calls
 */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "error.h"
#include "backend.h"
#include "checkpoint.h"
#include "lm.h"
#include "lmout.h"
#include "vocab.h"
#include "weights.h"
#include "xlnet.h"

typedef struct xlnet_layer {
  plm_w wq, wk, wv, wr;          /* transposed: [n_head * d_head, d_model] */
  plm_w r_w, r_r;                /* [n_head * d_head] */
  plm_w wo;                      /* [d_model, n_head * d_head], as stored */
  plm_w ln1_g, ln1_b;            /* rel_attn.layer_norm */
  plm_w w1, b1, w2, b2;          /* ff.layer_1, ff.layer_2 */
  plm_w ln2_g, ln2_b;            /* ff.layer_norm */
} xlnet_layer;

typedef struct xlnet_model {
  int          nl, D, H, hd, HD, F, V, clamp;
  float        eps, scaling;
  plm_w        word, lm_w, lm_b;
  xlnet_layer *layer;
  plm_weights  ws;
  plm_vocab   *vocab;
  /* workspace for one protein, regrown when a longer one comes */
  int          capT;
  plm_buf     *x, *h, *qw, *qr, *k, *v, *ctx, *pos, *kr, *att, *bd, *ff, *logits;
  float       *pos_host;         /* 2T x D */
} xlnet_model;

/* ---------------------------------------------------------------------------
 * the parameter table
 */

enum { DIM_D = -1, DIM_F = -2, DIM_V = -3, DIM_H = -4, DIM_HD = -5 };

typedef struct xlnet_param {
  size_t      off;            /* of the plm_w in xlnet_model, or in xlnet_layer */
  int         per_layer;
  const char *key;            /* after the body or head prefix; "%d" is the layer */
  int         head;           /* part of the LM head */
  int         flags;          /* plm_weights_Get's: transposed; used only as Linear's W (halves under f16) */
  int         rank, dim[3];
} xlnet_param;

#define M(f) offsetof(xlnet_model, f), 0
#define Y(f) offsetof(xlnet_layer, f), 1
static const xlnet_param xlnet_params[] = {
  { M(word),  "word_embedding.weight",            0, 0, 2, { DIM_V, DIM_D } },
  { Y(wq),    "layer.%d.rel_attn.q",              0, PLM_W_TRANSPOSE | PLM_W_LINEAR, 3, { DIM_D, DIM_H, DIM_HD } },
  { Y(wk),    "layer.%d.rel_attn.k",              0, PLM_W_TRANSPOSE | PLM_W_LINEAR, 3, { DIM_D, DIM_H, DIM_HD } },
  { Y(wv),    "layer.%d.rel_attn.v",              0, PLM_W_TRANSPOSE | PLM_W_LINEAR, 3, { DIM_D, DIM_H, DIM_HD } },
  { Y(wr),    "layer.%d.rel_attn.r",              0, PLM_W_TRANSPOSE | PLM_W_LINEAR, 3, { DIM_D, DIM_H, DIM_HD } },
  { Y(wo),    "layer.%d.rel_attn.o",              0, PLM_W_LINEAR, 3, { DIM_D, DIM_H, DIM_HD } },
  { Y(r_w),   "layer.%d.rel_attn.r_w_bias",       0, 0, 2, { DIM_H, DIM_HD } },
  { Y(r_r),   "layer.%d.rel_attn.r_r_bias",       0, 0, 2, { DIM_H, DIM_HD } },
  { Y(ln1_g), "layer.%d.rel_attn.layer_norm.weight", 0, 0, 1, { DIM_D } },
  { Y(ln1_b), "layer.%d.rel_attn.layer_norm.bias",   0, 0, 1, { DIM_D } },
  { Y(w1),    "layer.%d.ff.layer_1.weight",       0, PLM_W_LINEAR, 2, { DIM_F, DIM_D } },
  { Y(b1),    "layer.%d.ff.layer_1.bias",         0, 0, 1, { DIM_F } },
  { Y(w2),    "layer.%d.ff.layer_2.weight",       0, PLM_W_LINEAR, 2, { DIM_D, DIM_F } },
  { Y(b2),    "layer.%d.ff.layer_2.bias",         0, 0, 1, { DIM_D } },
  { Y(ln2_g), "layer.%d.ff.layer_norm.weight",    0, 0, 1, { DIM_D } },
  { Y(ln2_b), "layer.%d.ff.layer_norm.bias",      0, 0, 1, { DIM_D } },
  { M(lm_b),  "bias",                             1, 0, 1, { DIM_V } },   /* tells a head is there */
  { M(lm_w),  "weight",                           1, 0, 2, { DIM_V, DIM_D } },   /* tied to word: stays float32 */
};
#undef M
#undef Y
#define XLNET_NPARAMS (int)(sizeof xlnet_params / sizeof xlnet_params[0])

typedef struct xlnet_layout { const char *what; const char *body, *head; } xlnet_layout;
static const xlnet_layout xlnet_layouts[] = {
  { "HuggingFace XLNetLMHeadModel", "transformer.", "lm_loss." },
  { "HuggingFace XLNetModel",       "",             "lm_loss." },
};

static void
param_key(const xlnet_layout *lay, const xlnet_param *p, int layer, char *key, size_t n)
{
  char tail[256];
  snprintf(tail, sizeof tail, p->key, layer);
  snprintf(key, n, "%s%s", p->head ? lay->head : lay->body, tail);
}

static const xlnet_layout *
find_layout(const plm_checkpoint *ck)
{
  char key[320];
  for (size_t i = 0; i < sizeof xlnet_layouts / sizeof xlnet_layouts[0]; i++) {
    param_key(&xlnet_layouts[i], &xlnet_params[0], 0, key, sizeof key);
    if (plm_weights_Has(ck, key)) return &xlnet_layouts[i];
  }
  return NULL;
}

static int64_t
dim_size(const xlnet_model *e, int d)
{
  switch (d) {
  case DIM_D:  return e->D;
  case DIM_F:  return e->F;
  case DIM_V:  return e->V;
  case DIM_H:  return e->H;
  case DIM_HD: return e->hd;
  default:     return d;
  }
}

/* ---------------------------------------------------------------------------
 * configuration and loading
 */

int
plm_xlnet_Recognize(const plm_checkpoint *ck)
{
  const char *mt = plm_checkpoint_Config(ck, "model_type");
  if (mt) return strcmp(mt, "xlnet") == 0;
  return find_layout(ck) != NULL;                 /* transformers 2.x writes no model_type */
}

static int
read_config(plm_lm *m, xlnet_model *e, char *errbuf)
{
  const plm_checkpoint *ck = m->ck;
  const char           *v;
  int                   status;

  m->arch = "xlnet";
  PLM_XCHECK(plm_weights_ConfigSize(ck, "n_layer", NULL, -1, &e->nl, errbuf));
  PLM_XCHECK(plm_weights_ConfigSize(ck, "d_model", NULL, -1, &e->D, errbuf));
  PLM_XCHECK(plm_weights_ConfigSize(ck, "n_head", NULL, -1, &e->H, errbuf));
  PLM_XCHECK(plm_weights_ConfigSize(ck, "d_head", NULL, -1, &e->hd, errbuf));
  PLM_XCHECK(plm_weights_ConfigSize(ck, "d_inner", NULL, -1, &e->F, errbuf));
  PLM_XCHECK(plm_weights_ConfigSize(ck, "n_token", "vocab_size", -1, &e->V, errbuf));
  e->HD    = e->H * e->hd;
  e->eps   = (v = plm_checkpoint_Config(ck, "layer_norm_eps")) ? strtof(v, NULL) : 1e-12f;
  e->clamp = (v = plm_checkpoint_Config(ck, "clamp_len")) ? atoi(v) : -1;
  if ((v = plm_checkpoint_Config(ck, "attn_type")) && strcmp(v, "bi") != 0)
    PLM_XFAIL(PLM_EUNSUP, errbuf, "%s: attn_type '%s' is not supported (bi)", ck->path, v);
  if ((v = plm_checkpoint_Config(ck, "bi_data")) && strcmp(v, "false") != 0)
    PLM_XFAIL(PLM_EUNSUP, errbuf, "%s: bi_data '%s' is not supported (false)", ck->path, v);
  if ((v = plm_checkpoint_Config(ck, "ff_activation")) && strcmp(v, "gelu") != 0)
    PLM_XFAIL(PLM_EUNSUP, errbuf, "%s: ff_activation '%s' is not supported (gelu)", ck->path, v);
  if (e->D % 2 != 0)
    PLM_XFAIL(PLM_EFORMAT, errbuf, "%s: d_model %d is odd: no sinusoid table", ck->path, e->D);
  if (e->nl > PLM_LM_MAXLAYERS)
    PLM_XFAIL(PLM_ELIMIT, errbuf, "%s: %d layers, more than the %d supported", ck->path, e->nl, PLM_LM_MAXLAYERS);
  e->scaling = (float)(1.0 / sqrt((double)e->hd));
  return PLM_OK;

ERROR:
  return status;
}

static int
read_vocab(plm_lm *m, xlnet_model *e, char *errbuf)
{
  int status;

  PLM_XCHECK(plm_vocab_ReadBeside(m->ck->path, PLM_VOCAB_SEP_CLS, &e->vocab, errbuf));
  if (e->vocab->n > e->V)
    PLM_XFAIL(PLM_EFORMAT, errbuf, "%s: %d tokens in vocab.txt, but the model embeds %d", m->ck->path, e->vocab->n, e->V);
  return PLM_OK;

ERROR:
  return status;
}

static int
load_weights(plm_lm *m, xlnet_model *e, const xlnet_layout *lay, char *errbuf)
{
  char key[320];
  int  status;

  for (int i = 0; i < XLNET_NPARAMS; i++)
    if (xlnet_params[i].head) { param_key(lay, &xlnet_params[i], 0, key, sizeof key); break; }
  m->has_lmhead = plm_weights_Has(m->ck, key);
  if ((e->layer = calloc((size_t)e->nl, sizeof *e->layer)) == NULL) PLM_XFAIL(PLM_EMEM, errbuf, "out of memory");
  for (int i = 0; i < XLNET_NPARAMS; i++) {
    const xlnet_param *p = &xlnet_params[i];
    if (p->head && !m->has_lmhead) continue;
    for (int l = 0; l < (p->per_layer ? e->nl : 1); l++) {
      plm_w  *w = (plm_w *)((char *)(p->per_layer ? (void *)&e->layer[l] : (void *)e) + p->off);
      int64_t shape[3];
      for (int d = 0; d < p->rank; d++) shape[d] = dim_size(e, p->dim[d]);
      param_key(lay, p, l, key, sizeof key);
      PLM_XCHECK(plm_weights_Get(&e->ws, m->ck, key, p->rank, shape, p->flags, w, errbuf));
    }
  }
  return PLM_OK;

ERROR:
  return status;
}

static void
free_workspace(plm_backend *be, xlnet_model *e)
{
  plm_buf **bufs[] = { &e->x, &e->h, &e->qw, &e->qr, &e->k, &e->v, &e->ctx, &e->pos, &e->kr, &e->att, &e->bd, &e->ff, &e->logits };
  for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; i++) { plm_buf_Destroy(be, *bufs[i]); *bufs[i] = NULL; }
  free(e->pos_host); e->pos_host = NULL;
  e->capT = 0;
}

/* buffers for proteins of up to T tokens; grown in steps so a run of similar lengths reallocates rarely */
static int
reserve_workspace(plm_backend *be, xlnet_model *e, int T, char *errbuf)
{
  size_t cT;
  int    status;

  if (T <= e->capT) return PLM_OK;
  free_workspace(be, e);
  cT = (size_t)(T + 63) / 64 * 64;
  PLM_XCHECK(plm_buf_Create(be, cT * e->D, &e->x, errbuf));
  PLM_XCHECK(plm_buf_Create(be, cT * e->D, &e->h, errbuf));
  PLM_XCHECK(plm_buf_Create(be, cT * e->HD, &e->qw, errbuf));
  PLM_XCHECK(plm_buf_Create(be, cT * e->HD, &e->qr, errbuf));
  PLM_XCHECK(plm_buf_Create(be, cT * e->HD, &e->k, errbuf));
  PLM_XCHECK(plm_buf_Create(be, cT * e->HD, &e->v, errbuf));
  PLM_XCHECK(plm_buf_Create(be, cT * e->HD, &e->ctx, errbuf));
  PLM_XCHECK(plm_buf_Create(be, 2 * cT * e->D, &e->pos, errbuf));
  PLM_XCHECK(plm_buf_Create(be, 2 * cT * e->HD, &e->kr, errbuf));
  PLM_XCHECK(plm_buf_Create(be, cT * cT * e->H, &e->att, errbuf));
  PLM_XCHECK(plm_buf_Create(be, 2 * cT * cT * e->H, &e->bd, errbuf));
  PLM_XCHECK(plm_buf_Create(be, cT * e->F, &e->ff, errbuf));
  PLM_XCHECK(plm_buf_Create(be, cT * e->V, &e->logits, errbuf));
  if ((e->pos_host = malloc(sizeof *e->pos_host * 2 * cT * (size_t)e->D)) == NULL) PLM_XFAIL(PLM_EMEM, errbuf, "out of memory");
  e->capT = (int)cT;
  return PLM_OK;

ERROR:
  free_workspace(be, e);
  return status;
}

static void
xlnet_destroy(plm_lm *m)
{
  xlnet_model *e = m->priv;
  if (!e) return;
  free_workspace(m->be, e);
  plm_weights_Clear(&e->ws);
  plm_vocab_Destroy(e->vocab);
  free(e->layer);
  free(e);
  m->priv = NULL;
}

/* ---------------------------------------------------------------------------
 * the forward pass, one function per step
 */

/* relative positions: pos [2T, D], row r for distance p = T - r (clamped when configured):
 * [sin(p f_k), cos(p f_k)], f_k = 1 / 10000^(2k / D), in float32 as torch computes it */
static void
positions_forward(plm_backend *be, xlnet_model *e, int T)
{
  int half = e->D / 2;
  for (int r = 0; r < 2 * T; r++) {
    float  p = (float)(T - r);
    float *row = e->pos_host + (size_t)r * e->D;
    if (e->clamp > 0) p = fmaxf(-(float)e->clamp, fminf((float)e->clamp, p));
    for (int k = 0; k < half; k++) {
      float f = 1.0f / powf(10000.0f, (float)(2 * k) / (float)e->D);
      float a = p * f;
      row[k]        = (float)sin((double)a);
      row[half + k] = (float)cos((double)a);
    }
  }
  plm_buf_Write(be, e->pos, 0, e->pos_host, (size_t)2 * T * e->D);
}

/* relative attention block: x [T, D] = LN(x + o(softmax(scores) v)); qw, qr, k, v [T, HD], kr [2T, HD];
 * bd [H, T, 2T] holds the position term against every distance before the shift; the probabilities
 * stay in att [H, T, T] */
static void
attention_forward(plm_backend *be, xlnet_model *e, const xlnet_layer *w, int T)
{
  int    D = e->D, H = e->H, hd = e->hd, HD = e->HD;
  size_t TT = (size_t)T * T;

  plm_op_Linear(be, e->x, T, D, w->wq.buf, w->r_w.buf, HD, e->qw);
  plm_op_Linear(be, e->x, T, D, w->wq.buf, w->r_r.buf, HD, e->qr);
  plm_op_Linear(be, e->x, T, D, w->wk.buf, NULL, HD, e->k);
  plm_op_Linear(be, e->x, T, D, w->wv.buf, NULL, HD, e->v);
  plm_op_Linear(be, e->pos, 2 * T, D, w->wr.buf, NULL, HD, e->kr);
  plm_op_Gemm(be, &(plm_gemm){ .transB = 1, .M = T, .N = T, .K = hd, .batch = H, .alpha = e->scaling,
                               .A = e->qw, .lda = HD, .strideA = (size_t)hd,
                               .B = e->k, .ldb = HD, .strideB = (size_t)hd,
                               .C = e->att, .ldc = T, .strideC = TT });
  plm_op_Gemm(be, &(plm_gemm){ .transB = 1, .M = T, .N = 2 * T, .K = hd, .batch = H, .alpha = e->scaling,
                               .A = e->qr, .lda = HD, .strideA = (size_t)hd,
                               .B = e->kr, .ldb = HD, .strideB = (size_t)hd,
                               .C = e->bd, .ldc = 2 * T, .strideC = 2 * TT });
  for (int h = 0; h < H; h++)             /* rel_shift: score(i, j) += bd(i, T - i + j) */
    plm_op_AddRows(be, e->att, (size_t)h * TT, T, e->bd, (size_t)h * 2 * TT + (size_t)T, 2 * T - 1, T, T);
  plm_op_SoftmaxRows(be, e->att, H * T, T);
  plm_op_Gemm(be, &(plm_gemm){ .M = T, .N = hd, .K = T, .batch = H, .alpha = 1.0f,
                               .A = e->att, .lda = T, .strideA = TT,
                               .B = e->v, .ldb = HD, .strideB = (size_t)hd,
                               .C = e->ctx, .ldc = HD, .strideC = (size_t)hd });
  plm_op_Linear(be, e->ctx, T, HD, w->wo.buf, NULL, D, e->h);
  plm_op_Add(be, e->h, 0, e->x, 0, (size_t)T * D);
  plm_op_LayerNorm(be, e->h, e->x, T, D, w->ln1_g.buf, w->ln1_b.buf, e->eps);
}

/* feed-forward block: x [T, D] = LN(x + W2 gelu_tanh(W1 x)), through ff [T, F] */
static void
ffn_forward(plm_backend *be, xlnet_model *e, const xlnet_layer *w, int T)
{
  plm_op_Linear(be, e->x, T, e->D, w->w1.buf, w->b1.buf, e->F, e->ff);
  plm_op_GeluTanh(be, e->ff, (size_t)T * e->F);
  plm_op_Linear(be, e->ff, T, e->F, w->w2.buf, w->b2.buf, e->D, e->h);
  plm_op_Add(be, e->h, 0, e->x, 0, (size_t)T * e->D);
  plm_op_LayerNorm(be, e->h, e->x, T, e->D, w->ln2_g.buf, w->ln2_b.buf, e->eps);
}

static int
xlnet_forward(plm_lm *m, const int32_t *ids, int T, const plm_lm_request *req, plm_lm_output *out, char *errbuf)
{
  xlnet_model *e  = m->priv;
  plm_backend *be = m->be;
  int          nla = req->attn_layers ? plm_lmout_CountFlags(req->attn_layers, e->nl) : 0;
  int          nha = plm_lmout_CountFlags(req->attn_heads, e->H);
  int          li = 0, status;

  if (req->logits && !m->has_lmhead)
    PLM_XFAIL(PLM_EUNSUP, errbuf, "%s has no LM head (lm_loss.*): logits are unavailable", m->ck->path);
  if (req->contacts)
    PLM_XFAIL(PLM_EUNSUP, errbuf, "%s: xlnet models have no contact head (fit one with lrfit)", m->ck->path);
  PLM_XCHECK(reserve_workspace(be, e, T, errbuf));
  if (nla > 0 && nha > 0) {
    int64_t shape[4] = { nla, nha, T, T };
    PLM_XCHECK(plm_tensor_Create("attentions", req->attn_dtype, 4, shape, &out->attentions, errbuf));
  }

  plm_op_Embed(be, e->word.buf, ids, T, e->D, -1, 1.0f, 1.0f, e->x);
  PLM_XCHECK(plm_lmout_Repr(be, e->x, 0, T, e->D, req, out, errbuf));
  positions_forward(be, e, T);
  for (int l = 0; l < e->nl; l++) {
    attention_forward(be, e, &e->layer[l], T);
    if (out->attentions && req->attn_layers[l]) plm_lmout_Attention(be, e->att, e->H, li++, T, 0, T, req, out->attentions);
    ffn_forward(be, e, &e->layer[l], T);
    PLM_XCHECK(plm_lmout_Repr(be, e->x, l + 1, T, e->D, req, out, errbuf));
  }
  if (req->logits) {
    plm_op_Linear(be, e->x, T, e->D, e->lm_w.buf, e->lm_b.buf, e->V, e->logits);
    PLM_XCHECK(plm_lmout_Logits(be, e->logits, T, e->V, out, errbuf));
  }
  PLM_XCHECK(plm_backend_Sync(be, errbuf));
  return PLM_OK;

ERROR:
  return status;
}

static int
xlnet_tokenize(const plm_lm *m, const char *text, int32_t **ret_ids, int *ret_T, char *errbuf)
{
  const xlnet_model *e = m->priv;
  return plm_vocab_Tokenize(e->vocab, text, ret_ids, ret_T, errbuf);
}

int
plm_xlnet_Create(plm_checkpoint *ck, plm_backend *be, plm_lm **ret_m, char *errbuf)
{
  plm_lm             *m = NULL;
  xlnet_model        *e = NULL;
  const xlnet_layout *lay;
  int                 status;

  *ret_m = NULL;
  if ((m = calloc(1, sizeof *m)) == NULL || (e = calloc(1, sizeof *e)) == NULL) PLM_XFAIL(PLM_EMEM, errbuf, "out of memory");
  m->priv = e;
  m->ck = ck;
  m->be = be;
  e->ws.be = be;
  m->special_tokens = "sep,cls";
  m->tokenize = xlnet_tokenize;
  m->forward  = xlnet_forward;
  m->destroy  = xlnet_destroy;
  PLM_XCHECK(read_config(m, e, errbuf));
  if ((lay = find_layout(ck)) == NULL)
    PLM_XFAIL(PLM_ENOTFOUND, errbuf, "%s: no 'transformer.word_embedding.weight': not an XLNet checkpoint", ck->path);
  PLM_XCHECK(load_weights(m, e, lay, errbuf));
  PLM_XCHECK(read_vocab(m, e, errbuf));
  m->nlayers = e->nl;
  m->nheads  = e->H;
  m->dim     = e->D;
  m->vocab   = e->V;
  *ret_m = m;
  return PLM_OK;

ERROR:
  if (m) { m->ck = NULL; xlnet_destroy(m); free(m); }
  return status;
}
