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
 *   xlnet_forward_many(): a batch of proteins packed by rows (forward is a batch of one), layer_forward() per
 *   layer; the relative attention and positions are blocks of blocks.h, as is the rest
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
#include "blocks.h"
#include "xlnet.h"

typedef struct xlnet_layer {
  plm_w     wq, wk, wv, wr;               /* transposed: [n_head * d_head, d_model] */
  plm_w     r_w, r_r;                     /* [n_head * d_head] */
  plm_w     wo;                           /* [d_model, n_head * d_head], as stored */
  plm_ln_w  ln1;                          /* rel_attn.layer_norm */
  plm_ffn_w ffn;                          /* ff.layer_1, ff.layer_2 */
  plm_ln_w  ln2;                          /* ff.layer_norm */
} xlnet_layer;

typedef struct xlnet_model {
  int          nl, D, H, hd, HD, F, V, clamp, has_lmhead;
  float        eps, scaling;
  plm_w        word, lm_w, lm_b;
  xlnet_layer *layer;
  plm_weights  ws;
  plm_vocab   *vocab;
  /* workspace for a batch, regrown when a larger one comes */
  int          capR, capT;
  plm_buf     *x, *h, *qw, *qr, *k, *v, *ctx, *pos, *kr, *att, *bd, *ff, *logits;
  float       *pos_host;                  /* 2R x D */
} xlnet_model;

/* ---------------------------------------------------------------------------
 * the parameter table
 */

enum { DIM_D = -1, DIM_F = -2, DIM_V = -3, DIM_H = -4, DIM_HD = -5 };
enum { SEC_BODY, SEC_HEAD };

#define LIN  PLM_W_LINEAR                 /* read only as Linear's W: halves under f16 weights */
#define TLIN (PLM_W_TRANSPOSE | PLM_W_LINEAR)
#define M(f) PLM_PARAM_M(xlnet_model, f)
#define Y(f) PLM_PARAM_L(xlnet_layer, f)
static const plm_param xlnet_params[] = {
  { M(word),   { "word_embedding.weight" },                SEC_BODY, 0, 0,    2, { DIM_V, DIM_D }, 0 },
  { Y(wq),     { "layer.%d.rel_attn.q" },                  SEC_BODY, 0, TLIN, 3, { DIM_D, DIM_H, DIM_HD }, 0 },
  { Y(wk),     { "layer.%d.rel_attn.k" },                  SEC_BODY, 0, TLIN, 3, { DIM_D, DIM_H, DIM_HD }, 0 },
  { Y(wv),     { "layer.%d.rel_attn.v" },                  SEC_BODY, 0, TLIN, 3, { DIM_D, DIM_H, DIM_HD }, 0 },
  { Y(wr),     { "layer.%d.rel_attn.r" },                  SEC_BODY, 0, TLIN, 3, { DIM_D, DIM_H, DIM_HD }, 0 },
  { Y(wo),     { "layer.%d.rel_attn.o" },                  SEC_BODY, 0, LIN,  3, { DIM_D, DIM_H, DIM_HD }, 0 },
  { Y(r_w),    { "layer.%d.rel_attn.r_w_bias" },           SEC_BODY, 0, 0,    2, { DIM_H, DIM_HD }, 0 },
  { Y(r_r),    { "layer.%d.rel_attn.r_r_bias" },           SEC_BODY, 0, 0,    2, { DIM_H, DIM_HD }, 0 },
  { Y(ln1.g),  { "layer.%d.rel_attn.layer_norm.weight" },  SEC_BODY, 0, 0,    1, { DIM_D }, 0 },
  { Y(ln1.b),  { "layer.%d.rel_attn.layer_norm.bias" },    SEC_BODY, 0, 0,    1, { DIM_D }, 0 },
  { Y(ffn.w1), { "layer.%d.ff.layer_1.weight" },           SEC_BODY, 0, LIN,  2, { DIM_F, DIM_D }, 0 },
  { Y(ffn.b1), { "layer.%d.ff.layer_1.bias" },             SEC_BODY, 0, 0,    1, { DIM_F }, 0 },
  { Y(ffn.w2), { "layer.%d.ff.layer_2.weight" },           SEC_BODY, 0, LIN,  2, { DIM_D, DIM_F }, 0 },
  { Y(ffn.b2), { "layer.%d.ff.layer_2.bias" },             SEC_BODY, 0, 0,    1, { DIM_D }, 0 },
  { Y(ln2.g),  { "layer.%d.ff.layer_norm.weight" },        SEC_BODY, 0, 0,    1, { DIM_D }, 0 },
  { Y(ln2.b),  { "layer.%d.ff.layer_norm.bias" },          SEC_BODY, 0, 0,    1, { DIM_D }, 0 },
  { M(lm_b),   { "bias" },                                 SEC_HEAD, 1, 0,    1, { DIM_V }, 0 },   /* tells a head is there */
  { M(lm_w),   { "weight" },                               SEC_HEAD, 1, 0,    2, { DIM_V, DIM_D }, 0 },   /* tied to word: stays float32 */
};
#undef M
#undef Y
#undef LIN
#undef TLIN

static const plm_layout xlnet_layouts[] = {
  { "HuggingFace XLNetLMHeadModel", 0, { "transformer.", "lm_loss." } },
  { "HuggingFace XLNetModel",       0, { "",             "lm_loss." } },
};

static int64_t
xlnet_dim(const void *model, int d)
{
  const xlnet_model *e = model;
  switch (d) {
  case DIM_D:  return e->D;
  case DIM_F:  return e->F;
  case DIM_V:  return e->V;
  case DIM_H:  return e->H;
  case DIM_HD: return e->hd;
  default:     return d;
  }
}

/* need 1: part of the LM head */
static int
xlnet_wanted(const void *model, const plm_param *p)
{
  return !p->need || ((const xlnet_model *)model)->has_lmhead;
}

static const plm_ptable xlnet_table = { xlnet_params, (int)(sizeof xlnet_params / sizeof xlnet_params[0]), xlnet_dim, xlnet_wanted };

static const plm_layout *
find_layout(const plm_checkpoint *ck)
{
  for (size_t i = 0; i < sizeof xlnet_layouts / sizeof xlnet_layouts[0]; i++)
    if (plm_param_Has(ck, &xlnet_layouts[i], &xlnet_params[0])) return &xlnet_layouts[i];
  return NULL;
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
load_weights(plm_lm *m, xlnet_model *e, const plm_layout *lay, char *errbuf)
{
  int status;

  m->has_lmhead = e->has_lmhead = plm_param_Has(m->ck, lay, plm_param_Find(&xlnet_table, offsetof(xlnet_model, lm_b)));
  if ((e->layer = calloc((size_t)e->nl, sizeof *e->layer)) == NULL) PLM_XFAIL(PLM_EMEM, errbuf, "out of memory");
  PLM_XCHECK(plm_params_Load(&xlnet_table, lay, &e->ws, m->ck, e, e->layer, sizeof *e->layer, e->nl, errbuf));
  return PLM_OK;

ERROR:
  return status;
}

static int
scratch_list(xlnet_model *e, plm_scratch *s)
{
  size_t D = (size_t)e->D, HD = (size_t)e->HD;
  int    n = 0;
  s[n++] = (plm_scratch){ &e->x,      D,                PLM_PER_ROW };
  s[n++] = (plm_scratch){ &e->h,      D,                PLM_PER_ROW };
  s[n++] = (plm_scratch){ &e->qw,     HD,               PLM_PER_ROW };
  s[n++] = (plm_scratch){ &e->qr,     HD,               PLM_PER_ROW };
  s[n++] = (plm_scratch){ &e->k,      HD,               PLM_PER_ROW };
  s[n++] = (plm_scratch){ &e->v,      HD,               PLM_PER_ROW };
  s[n++] = (plm_scratch){ &e->ctx,    HD,               PLM_PER_ROW };
  s[n++] = (plm_scratch){ &e->pos,    2 * D,            PLM_PER_ROW };     /* 2T rows per protein */
  s[n++] = (plm_scratch){ &e->kr,     2 * HD,           PLM_PER_ROW };
  s[n++] = (plm_scratch){ &e->att,    (size_t)e->H,     PLM_PER_TOKEN2 };
  s[n++] = (plm_scratch){ &e->bd,     2 * (size_t)e->H, PLM_PER_TOKEN2 };
  s[n++] = (plm_scratch){ &e->ff,     (size_t)e->F,     PLM_PER_ROW };
  s[n++] = (plm_scratch){ &e->logits, (size_t)e->V,     PLM_PER_ROW };
  return n;
}

static void
free_workspace(plm_backend *be, xlnet_model *e)
{
  plm_scratch s[16];
  plm_scratch_Free(be, s, scratch_list(e, s), &e->capR, &e->capT);
  free(e->pos_host); e->pos_host = NULL;
}

/* buffers for R rows of proteins of up to T tokens */
static int
reserve_workspace(plm_backend *be, xlnet_model *e, int R, int T, char *errbuf)
{
  plm_scratch s[16];
  int         grown, status;

  PLM_XCHECK(plm_scratch_Reserve(be, s, scratch_list(e, s), R, T, &e->capR, &e->capT, &grown, errbuf));
  if (grown) {
    free(e->pos_host);
    if ((e->pos_host = malloc(sizeof *e->pos_host * 2 * (size_t)e->capR * (size_t)e->D)) == NULL)
      PLM_XFAIL(PLM_EMEM, errbuf, "out of memory");
  }
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

/* who wants one layer's maps: each protein's attentions tensor, slot li */
typedef struct xlnet_sink {
  plm_backend *be; const plm_lm_request *req; plm_lm_output *outs; int H, li;
} xlnet_sink;

static void
xlnet_maps(void *ctx, int b, int row0, int rows, plm_buf *att)
{
  xlnet_sink *s = ctx;
  if (s->outs[b].attentions) plm_lmout_Attention(s->be, att, s->H, s->li, rows, row0, rows, s->req, s->outs[b].attentions);
}

/* one post-LayerNorm layer over all rows: x = LN(x + o(relative attention)), x = LN(x + W2 gelu_tanh(W1 x));
 * qw, qr, k, v [R, HD], kr [2R, HD]; the attention per protein (plm_block_RelAttention) */
static void
layer_forward(plm_backend *be, xlnet_model *e, const xlnet_layer *w, const plm_pack *pk, xlnet_sink *sink)
{
  int D = e->D, HD = e->HD, R = pk->R;

  plm_op_Linear(be, e->x, R, D, w->wq.buf, w->r_w.buf, HD, e->qw);
  plm_op_Linear(be, e->x, R, D, w->wq.buf, w->r_r.buf, HD, e->qr);
  plm_op_Linear(be, e->x, R, D, w->wk.buf, NULL, HD, e->k);
  plm_op_Linear(be, e->x, R, D, w->wv.buf, NULL, HD, e->v);
  plm_op_Linear(be, e->pos, 2 * R, D, w->wr.buf, NULL, HD, e->kr);
  plm_block_RelAttention(be, pk, &(plm_relattn){ .qw = e->qw, .qr = e->qr, .k = e->k, .v = e->v, .kr = e->kr,
                                                 .ctx = e->ctx, .att = e->att, .bd = e->bd, .H = e->H, .hd = e->hd,
                                                 .ld = HD, .alpha = e->scaling,
                                                 .sink = sink ? xlnet_maps : NULL, .sink_ctx = sink });
  plm_block_Output(be, e->ctx, R, HD, &w->wo, NULL, D, e->h, e->x);
  plm_op_LayerNorm(be, e->x, e->x, R, D, w->ln1.g.buf, w->ln1.b.buf, e->eps);
  plm_block_Ffn(be, e->x, R, D, e->F, &w->ffn, PLM_ACT_GELU_TANH, e->ff, e->h, e->x);
  plm_op_LayerNorm(be, e->x, e->x, R, D, w->ln2.g.buf, w->ln2.b.buf, e->eps);
}

/* B proteins packed by rows (ids: protein b's T[b] tokens after the ones before it) as one forward
 * pass: the position-wise layers over all rows at once, the relative attention per protein, each
 * with its own 2T[b] distances; outs[b] protein b's */
static int
xlnet_forward_many(plm_lm *m, const int32_t *ids, int B, const int *T, const plm_lm_request *req, plm_lm_output *outs,
                   char *errbuf)
{
  xlnet_model *e  = m->priv;
  plm_backend *be = m->be;
  plm_pack     pk = { 0 };
  int          nla = 0, status;

  PLM_XCHECK(plm_model_Begin(m, req, B, T, outs, "lm_loss.*", &pk, &nla, errbuf));
  PLM_XCHECK(reserve_workspace(be, e, pk.R, pk.Tmax, errbuf));

  plm_block_Embed(be, e->word.buf, ids, &pk, e->D, -1, e->h, e->x);
  for (int b = 0; b < B; b++) PLM_XCHECK(plm_lmout_ReprRows(be, e->x, pk.off[b], 0, T[b], e->D, req, &outs[b], errbuf));
  plm_block_RelPositions(be, &pk, e->D, e->clamp, e->pos_host, e->pos);
  for (int l = 0, li = 0; l < e->nl; l++) {
    xlnet_sink sink = { be, req, outs, e->H, li };
    int        mine = nla > 0 && req->attn_layers[l];
    layer_forward(be, e, &e->layer[l], &pk, mine ? &sink : NULL);
    li += mine;
    for (int b = 0; b < B; b++) PLM_XCHECK(plm_lmout_ReprRows(be, e->x, pk.off[b], l + 1, T[b], e->D, req, &outs[b], errbuf));
  }
  if (req->logits) {
    plm_op_Linear(be, e->x, pk.R, e->D, e->lm_w.buf, e->lm_b.buf, e->V, e->logits);
    for (int b = 0; b < B; b++) PLM_XCHECK(plm_lmout_LogitsRows(be, e->logits, pk.off[b], T[b], e->V, &outs[b], errbuf));
  }
  PLM_XCHECK(plm_backend_Sync(be, errbuf));
  status = PLM_OK;

ERROR:
  plm_pack_Clear(&pk);
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
  plm_lm           *m = NULL;
  xlnet_model      *e;
  const plm_layout *lay;
  int               status;

  PLM_XCHECK(plm_model_New(ck, be, sizeof *e, &m, errbuf));
  e = m->priv;
  e->ws.be = be;
  m->special_tokens = "sep,cls";
  m->tokenize = xlnet_tokenize;
  m->forward  = plm_model_ForwardOne;
  m->forward_many = xlnet_forward_many;
  m->destroy  = xlnet_destroy;
  PLM_XCHECK(read_config(m, e, errbuf));
  if ((lay = find_layout(ck)) == NULL)
    PLM_XFAIL(PLM_ENOTFOUND, errbuf, "%s: no 'transformer.word_embedding.weight': not an XLNet checkpoint", ck->path);
  PLM_XCHECK(load_weights(m, e, lay, errbuf));
  PLM_XCHECK(read_vocab(m, e, errbuf));
  plm_model_Done(m, e->nl, e->H, e->D, e->V);
  *ret_m = m;
  return PLM_OK;

ERROR:
  if (m) { m->ck = NULL; xlnet_destroy(m); free(m); }
  return status;
}
