/* msa.c: the MSA Transformer, as fair-esm 2.0 computes it (see msa.h).
 *
 *   x = embed(tokens) + learned positions (per row) + msa_position_embedding[r]; LN   repr0
 *   for each axial layer:  x += row_attention(LN(x))       tied over the R rows
 *                          x += column_attention(LN(x))    per column, over the R rows
 *                          x += fc2(gelu(fc1(LN(x))))                                repr1..
 *   x = LN(x)                                                                        repr<last>
 *   logits = LN(gelu(dense(x))) W^T + b; contacts from the row attentions (ESM's head)
 *
 * x holds the alignment row-major: token c of row r is row r*C + c of every buffer. Both
 * attentions are strided GEMMs over that layout (blocks.h: plm_block_RowAttention,
 * plm_block_ColumnAttention), so nothing is transposed. Memory: 5 buffers of R*C*D floats and
 * R*C*V logits, H*C*C for the row maps, and within the attention budget the column maps (a block
 * of columns) and the FFN (a block of rows): 1024 rows x 1024 columns of the 100M model (D 768)
 * take about 15 GiB (15 KB a token).
 */
#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "error.h"
#include "alphabet.h"
#include "backend.h"
#include "checkpoint.h"
#include "lm.h"
#include "lmout.h"
#include "rng.h"
#include "weights.h"
#include "blocks.h"
#include "msa.h"

typedef struct msa_layer {
  plm_ln_w   ln_row, ln_col, ln_ffn;
  plm_attn_w row, col;
  plm_ffn_w  ffn;
} msa_layer;

typedef struct msa_model {
  int         nl, D, H, hd, F, V, P, maxrows;
  float       eps;
  plm_w       embed, pos, msapos;
  plm_ln_w    lnb, lna, lm_ln;
  plm_w       lm_dense_w, lm_dense_b, lm_w, lm_b, reg_w, reg_b;
  int         has_contacts;
  msa_layer  *layer;
  plm_weights ws;
  int         capR, capT;
  size_t      capAtt, capAcc, capFf, capChunk[3];
  int         chunk;                      /* rows per block of the feed-forward layer */
  plm_buf    *x, *h, *q, *k, *v, *logits, *cu, *cv, *att, *acc;
  plm_buf    *ff, *fin, *fout, *fres;        /* the feed-forward layer's block: chunk x F, 3 x chunk x D */
} msa_model;

/* ---------------------------------------------------------------------------
 * the parameter table: keys as stored, row and column swapped on disk
 */

enum { SEC_BODY, SEC_LMHEAD, SEC_CONTACT };
enum { NEED_ALWAYS, NEED_CONTACT };
enum { DIM_D = -1, DIM_F = -2, DIM_V = -3, DIM_P = -4, DIM_LH = -5, DIM_R = -6 };
/* how plm_msa_WriteRandom() fills a parameter: what fair-esm's modules start from */
enum { INIT_WEIGHT = PLM_INIT_WEIGHT, INIT_BIAS = PLM_INIT_BIAS, INIT_GAIN = PLM_INIT_GAIN, INIT_EMBED = PLM_INIT_EMBED,
       INIT_TIED = PLM_INIT_TIED, INIT_MSAPOS = PLM_INIT_OWN };

#define LIN PLM_W_LINEAR
#define M(f) PLM_PARAM_M(msa_model, f)
#define Y(f) PLM_PARAM_L(msa_layer, f)
#define ATTN(f, disk)                                                                                        \
  { Y(f.wq), { "layers.%d." disk ".layer.q_proj.weight" },   SEC_BODY, NEED_ALWAYS, LIN, 2, { DIM_D, DIM_D }, INIT_WEIGHT }, \
  { Y(f.bq), { "layers.%d." disk ".layer.q_proj.bias" },     SEC_BODY, NEED_ALWAYS, 0,   1, { DIM_D },        INIT_BIAS }, \
  { Y(f.wk), { "layers.%d." disk ".layer.k_proj.weight" },   SEC_BODY, NEED_ALWAYS, LIN, 2, { DIM_D, DIM_D }, INIT_WEIGHT }, \
  { Y(f.bk), { "layers.%d." disk ".layer.k_proj.bias" },     SEC_BODY, NEED_ALWAYS, 0,   1, { DIM_D },        INIT_BIAS }, \
  { Y(f.wv), { "layers.%d." disk ".layer.v_proj.weight" },   SEC_BODY, NEED_ALWAYS, LIN, 2, { DIM_D, DIM_D }, INIT_WEIGHT }, \
  { Y(f.bv), { "layers.%d." disk ".layer.v_proj.bias" },     SEC_BODY, NEED_ALWAYS, 0,   1, { DIM_D },        INIT_BIAS }, \
  { Y(f.wo), { "layers.%d." disk ".layer.out_proj.weight" }, SEC_BODY, NEED_ALWAYS, LIN, 2, { DIM_D, DIM_D }, INIT_WEIGHT }, \
  { Y(f.bo), { "layers.%d." disk ".layer.out_proj.bias" },   SEC_BODY, NEED_ALWAYS, 0,   1, { DIM_D },        INIT_BIAS }
#define LN(K, f, key, sec) \
  { K(f.g), { key ".weight" }, sec, NEED_ALWAYS, 0, 1, { DIM_D }, INIT_GAIN }, \
  { K(f.b), { key ".bias" },   sec, NEED_ALWAYS, 0, 1, { DIM_D }, INIT_BIAS }

static const plm_param msa_params[] = {
  { M(embed),      { "embed_tokens.weight" },           SEC_BODY,    NEED_ALWAYS,  0,   2, { DIM_V, DIM_D }, INIT_EMBED },
  { M(pos),        { "embed_positions.weight" },        SEC_BODY,    NEED_ALWAYS,  0,   2, { DIM_P, DIM_D }, INIT_EMBED },
  /* [1, rows, 1, D]: fair-esm's embed_positions_msa */
  { M(msapos),     { "msa_position_embedding" },        SEC_BODY,    NEED_ALWAYS,  0,   4, { 1, DIM_R, 1, DIM_D }, INIT_MSAPOS },
  LN(M, lnb,       "emb_layer_norm_before",             SEC_BODY),
  LN(Y, ln_row,    "layers.%d.column_self_attention.layer_norm", SEC_BODY),   /* on disk: "column" */
  ATTN(row,        "column_self_attention"),
  LN(Y, ln_col,    "layers.%d.row_self_attention.layer_norm",    SEC_BODY),   /* on disk: "row" */
  ATTN(col,        "row_self_attention"),
  LN(Y, ln_ffn,    "layers.%d.feed_forward_layer.layer_norm",    SEC_BODY),
  { Y(ffn.w1),     { "layers.%d.feed_forward_layer.layer.fc1.weight" }, SEC_BODY, NEED_ALWAYS, LIN, 2, { DIM_F, DIM_D }, INIT_WEIGHT },
  { Y(ffn.b1),     { "layers.%d.feed_forward_layer.layer.fc1.bias" },   SEC_BODY, NEED_ALWAYS, 0,   1, { DIM_F },        0 },
  { Y(ffn.w2),     { "layers.%d.feed_forward_layer.layer.fc2.weight" }, SEC_BODY, NEED_ALWAYS, LIN, 2, { DIM_D, DIM_F }, INIT_WEIGHT },
  { Y(ffn.b2),     { "layers.%d.feed_forward_layer.layer.fc2.bias" },   SEC_BODY, NEED_ALWAYS, 0,   1, { DIM_D },        0 },
  LN(M, lna,       "emb_layer_norm_after",              SEC_BODY),
  { M(lm_dense_w), { "lm_head.dense.weight" },          SEC_LMHEAD,  NEED_ALWAYS,  LIN, 2, { DIM_D, DIM_D }, INIT_WEIGHT },
  { M(lm_dense_b), { "lm_head.dense.bias" },            SEC_LMHEAD,  NEED_ALWAYS,  0,   1, { DIM_D },        INIT_BIAS },
  LN(M, lm_ln,     "lm_head.layer_norm",                SEC_LMHEAD),
  { M(lm_w),       { "lm_head.weight" },                SEC_LMHEAD,  NEED_ALWAYS,  0,   2, { DIM_V, DIM_D }, INIT_TIED },    /* tied to embed_tokens */
  { M(lm_b),       { "lm_head.bias" },                  SEC_LMHEAD,  NEED_ALWAYS,  0,   1, { DIM_V },        INIT_BIAS },
  { M(reg_w),      { "contact_head.regression.weight" }, SEC_CONTACT, NEED_CONTACT, 0,   2, { 1, DIM_LH },    INIT_WEIGHT },
  { M(reg_b),      { "contact_head.regression.bias" },  SEC_CONTACT, NEED_CONTACT, 0,   1, { 1 },            INIT_BIAS },
};
#undef LN
#undef ATTN
#undef M
#undef Y
#undef LIN

static const plm_layout msa_layout = { "fair-esm legacy", 0, { "encoder.sentence_encoder.", "encoder.", "" } };

static int64_t
msa_dim(const void *model, int d)
{
  const msa_model *e = model;
  switch (d) {
  case DIM_D:   return e->D;
  case DIM_F:   return e->F;
  case DIM_V:   return e->V;
  case DIM_P:   return e->P;
  case DIM_LH:  return (int64_t)e->nl * e->H;
  case DIM_R:   return e->maxrows;
  default:      return d;
  }
}

static int
msa_wanted(const void *model, const plm_param *p)
{
  return p->need != NEED_CONTACT || ((const msa_model *)model)->has_contacts;
}

static const plm_ptable msa_table = { msa_params, (int)(sizeof msa_params / sizeof msa_params[0]), msa_dim, msa_wanted };

/* ---------------------------------------------------------------------------
 * loading
 */

int
plm_msa_Recognize(const plm_checkpoint *ck)
{
  const char *arch = plm_checkpoint_Config(ck, "arch");
  return arch && strcmp(arch, "msa_transformer") == 0;
}

static int
scratch_list(msa_model *e, plm_scratch *s)
{
  int n = 0;
  plm_buf **rows[] = { &e->x, &e->h, &e->q, &e->k, &e->v };
  for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) s[n++] = (plm_scratch){ rows[i], (size_t)e->D, PLM_PER_ROW };
  s[n++] = (plm_scratch){ &e->logits, (size_t)e->V, PLM_PER_ROW };
  s[n++] = (plm_scratch){ &e->cu,     (size_t)e->nl * e->H, PLM_PER_TOKEN };
  s[n++] = (plm_scratch){ &e->cv,     (size_t)e->nl * e->H, PLM_PER_TOKEN };
  return n;
}

static void
msa_destroy(plm_lm *m)
{
  msa_model  *e = m->priv;
  plm_scratch s[16];
  if (!e) return;
  plm_scratch_Free(m->be, s, scratch_list(e, s), &e->capR, &e->capT);
  plm_buf_Destroy(m->be, e->att);
  plm_buf_Destroy(m->be, e->acc);
  plm_buf_Destroy(m->be, e->ff);
  plm_buf_Destroy(m->be, e->fin);
  plm_buf_Destroy(m->be, e->fout);
  plm_buf_Destroy(m->be, e->fres);
  plm_weights_Clear(&e->ws);
  free(e->layer);
  free(e);
  m->priv = NULL;
}

static int msa_forward(plm_lm *m, const int32_t *ids, int T, const plm_lm_request *req, plm_lm_output *out, char *errbuf);
static int msa_tokenize(const plm_lm *m, const char *text, int32_t **ret_ids, int *ret_T, char *errbuf);

int
plm_msa_Create(plm_checkpoint *ck, plm_backend *be, plm_lm **ret_m, char *errbuf)
{
  plm_lm          *m = NULL;
  msa_model       *e;
  const plm_tensor *mp;
  int              maxpos, status;

  PLM_XCHECK(plm_model_New(ck, be, sizeof *e, &m, errbuf));
  e = m->priv;
  e->ws.be = be;
  m->arch = "msa";
  m->special_tokens = "bos";
  m->tokenize = msa_tokenize;
  m->forward  = msa_forward;
  m->destroy  = msa_destroy;
  PLM_XCHECK(plm_weights_ConfigSize(ck, "encoder_layers", "layers", -1, &e->nl, errbuf));
  PLM_XCHECK(plm_weights_ConfigSize(ck, "encoder_embed_dim", "embed_dim", -1, &e->D, errbuf));
  PLM_XCHECK(plm_weights_ConfigSize(ck, "encoder_ffn_embed_dim", "ffn_embed_dim", -1, &e->F, errbuf));
  PLM_XCHECK(plm_weights_ConfigSize(ck, "encoder_attention_heads", "attention_heads", -1, &e->H, errbuf));
  PLM_XCHECK(plm_weights_ConfigSize(ck, "max_positions", NULL, -1, &maxpos, errbuf));
  if (e->H < 1 || e->D % e->H) PLM_XFAIL(PLM_EFORMAT, errbuf, "%s: %d heads do not divide the width %d", ck->path, e->H, e->D);
  if (e->nl > PLM_LM_MAXLAYERS) PLM_XFAIL(PLM_ELIMIT, errbuf, "%s: %d layers, more than the %d supported", ck->path, e->nl, PLM_LM_MAXLAYERS);
  /* fair-esm: msa_position_embedding [1, 1024, 1, D]; models without it are not published */
  if ((mp = plm_checkpoint_Get(ck, "encoder.sentence_encoder.msa_position_embedding")) == NULL || mp->rank != 4)
    PLM_XFAIL(PLM_ENOTFOUND, errbuf, "%s: missing tensor 'encoder.sentence_encoder.msa_position_embedding' [1, rows, 1, D]", ck->path);
  e->maxrows = (int)mp->shape[1];
  e->hd  = e->D / e->H;
  e->V   = PLM_ESM_NTOK;
  e->P   = maxpos + PLM_ESM_PAD + 1;
  e->eps = 1e-5f;
  m->max_tokens = 0;                                  /* lm.c's long policies assume <eos>: msa_run checks P */
  m->has_lmhead = 1;
  m->has_contacts = e->has_contacts = plm_weights_Has(ck, "contact_head.regression.weight");
  if ((e->layer = calloc((size_t)e->nl, sizeof *e->layer)) == NULL) PLM_XFAIL(PLM_EMEM, errbuf, "out of memory");
  PLM_XCHECK(plm_params_Load(&msa_table, &msa_layout, &e->ws, ck, e, e->layer, sizeof *e->layer, e->nl, errbuf));
  /* fair-esm ties lm_head.weight and embed_tokens.weight to one parameter, loaded last from lm_head.weight */
  e->embed = e->lm_w;
  plm_model_Done(m, e->nl, e->H, e->D, e->V);
  *ret_m = m;
  return PLM_OK;

ERROR:
  if (m) { m->ck = NULL; msa_destroy(m); free(m); }
  return status;
}

/* ---------------------------------------------------------------------------
 * the forward pass
 */

static int
want_repr(const plm_lm_request *req, int k) { return req->repr && req->repr[k]; }

static int
read_repr(plm_backend *be, const msa_model *e, int k, int R, int C, const plm_lm_request *req, plm_msa_output *out, char *errbuf)
{
  char name[32];
  int  status;
  if (!want_repr(req, k)) return PLM_OK;
  snprintf(name, sizeof name, "repr%d", k);
  PLM_XCHECK(plm_tensor_Create(name, PLM_F32, 3, (int64_t[]){ R, C, e->D }, &out->repr[k], errbuf));
  plm_buf_Read(be, e->x, 0, out->repr[k]->data, (size_t)R * C * e->D);
  return PLM_OK;
ERROR:
  return status;
}

/* columns per block of column attention: R x R maps of n columns within the budget */
static int
col_block(const plm_backend *be, int R, int C, size_t budget)
{
  size_t per = (size_t)R * R * sizeof(float), n;
  if (budget == 0) budget = be->ops->attn_bytes;
  n = budget / per;
  return n < 1 ? 1 : n > (size_t)C ? C : (int)n;
}

/* one axial layer l over the N = R*C rows of e->x; li: its slot among the asked layers (-1: none) */
static void
layer_forward(plm_backend *be, msa_model *e, int l, int R, int C, int nb, int li, plm_contact *c, plm_msa_output *out)
{
  const msa_layer *w = &e->layer[l];
  int              N = R * C, D = e->D, H = e->H, hd = e->hd;

  plm_op_LayerNorm(be, e->x, e->h, N, D, w->ln_row.g.buf, w->ln_row.b.buf, e->eps);
  plm_block_Qkv(be, e->h, N, D, &w->row, D, e->q, e->k, e->v);
  plm_op_Scale(be, e->q, (size_t)N * D, (float)(pow(hd, -0.5) / sqrt((double)R)));
  plm_block_RowAttention(be, e->q, e->k, e->v, e->h, e->att, R, C, H, hd);
  if (li >= 0 && out->row_attentions)
    plm_buf_Read(be, e->att, 0, (float *)out->row_attentions->data + (size_t)li * H * C * C, (size_t)H * C * C);
  if (c) plm_block_ContactStep(be, c, l, e->att, C, 0, C);
  plm_block_Output(be, e->h, N, D, &w->row.wo, &w->row.bo, D, e->q, e->x);

  plm_op_LayerNorm(be, e->x, e->h, N, D, w->ln_col.g.buf, w->ln_col.b.buf, e->eps);
  plm_block_Qkv(be, e->h, N, D, &w->col, D, e->q, e->k, e->v);
  plm_op_Scale(be, e->q, (size_t)N * D, (float)pow(hd, -0.5));
  for (int h = 0; h < H; h++)
    for (int c0 = 0; c0 < C; c0 += nb) {
      int n = c0 + nb > C ? C - c0 : nb;
      plm_block_ColumnAttention(be, e->q, e->k, e->v, e->h, e->att, R, C, H, hd, h, c0, n);
      if (li >= 0 && out->col_attentions)
        plm_buf_Read(be, e->att, 0, (float *)out->col_attentions->data + (((size_t)li * H + h) * C + c0) * R * R,
                     (size_t)n * R * R);
    }
  plm_block_Output(be, e->h, N, D, &w->col.wo, &w->col.bo, D, e->q, e->x);

  /* the feed-forward layer a block of rows at a time, so that its F-wide activations stay within
   * the attention budget however deep the alignment: each block's input copied out of h, its
   * residual branch added into x (x + (0 + y) is x + y, bit for bit) */
  plm_op_LayerNorm(be, e->x, e->h, N, D, w->ln_ffn.g.buf, w->ln_ffn.b.buf, e->eps);
  for (int r0 = 0; r0 < N; r0 += e->chunk) {
    int n = r0 + e->chunk > N ? N - r0 : e->chunk;
    plm_op_Zero(be, e->fin, (size_t)n * D);
    plm_op_Add(be, e->fin, 0, e->h, (size_t)r0 * D, (size_t)n * D);
    plm_op_Zero(be, e->fres, (size_t)n * D);
    plm_block_Ffn(be, e->fin, n, D, e->F, &w->ffn, PLM_ACT_GELU, e->ff, e->fout, e->fres);
    plm_op_Add(be, e->x, (size_t)r0 * D, e->fres, 0, (size_t)n * D);
  }
}

/* R rows of C tokens each (ids R x C) through the model */
static int
msa_run(plm_lm *m, const int32_t *ids, int R, int C, const plm_lm_request *req, int cols, plm_msa_output *out, char *errbuf)
{
  msa_model   *e  = m->priv;
  plm_backend *be = m->be;
  plm_scratch  s[16];
  plm_contact  c = { 0 }, *cp = NULL;
  int          N = R * C, D = e->D, H = e->H, nb, nla = 0, grown, status;
  size_t       natt;

  if (R < 1 || C < 2) PLM_XFAIL(PLM_EINVAL, errbuf, "an alignment of %d rows of %d columns", R, C - 1);
  if (R > e->maxrows)
    PLM_XFAIL(PLM_ELIMIT, errbuf, "%d rows: %s was trained on at most %d (select rows: --msa-rows)", R, m->name, e->maxrows);
  if (C > e->P - PLM_ESM_PAD - 1)
    PLM_XFAIL(PLM_ELIMIT, errbuf, "%d columns: %s takes at most %d", C - 1, m->name, e->P - PLM_ESM_PAD - 2);
  if (req->contacts && !e->has_contacts)
    PLM_XFAIL(PLM_ENOTFOUND, errbuf, "%s has no contact head (its -contact-regression.pt is missing)", m->name);
  for (int l = 0; req->attn_layers && l < e->nl; l++) nla += req->attn_layers[l] != 0;
  nb   = col_block(be, R, C, req->attn_bytes);
  natt = (size_t)H * C * C;
  if ((size_t)nb * R * R > natt) natt = (size_t)nb * R * R;
  PLM_XCHECK(plm_scratch_Reserve(be, s, scratch_list(e, s), N, C, &e->capR, &e->capT, &grown, errbuf));
  PLM_XCHECK(plm_scratch_Regrow(be, &e->att, &e->capAtt, natt, errbuf));
  {
    size_t budget = req->attn_bytes ? req->attn_bytes : be->ops->attn_bytes, rows = budget / (sizeof(float) * (size_t)e->F);
    e->chunk = rows < 64 ? 64 : rows > (size_t)N ? N : (int)rows;
    if (e->chunk > N) e->chunk = N;            /* a small alignment: one block */
    PLM_XCHECK(plm_scratch_Regrow(be, &e->ff, &e->capFf, (size_t)e->chunk * e->F, errbuf));
    PLM_XCHECK(plm_scratch_Regrow(be, &e->fin,  &e->capChunk[0], (size_t)e->chunk * D, errbuf));
    PLM_XCHECK(plm_scratch_Regrow(be, &e->fout, &e->capChunk[1], (size_t)e->chunk * D, errbuf));
    PLM_XCHECK(plm_scratch_Regrow(be, &e->fres, &e->capChunk[2], (size_t)e->chunk * D, errbuf));
  }

  PLM_XCHECK(plm_tensor_Create("tokens", PLM_I32, 2, (int64_t[]){ R, C }, &out->tokens, errbuf));
  memcpy(out->tokens->data, ids, sizeof *ids * (size_t)N);
  if (nla) {
    PLM_XCHECK(plm_tensor_Create("row_attentions", PLM_F32, 4, (int64_t[]){ nla, H, C, C }, &out->row_attentions, errbuf));
    if (cols) PLM_XCHECK(plm_tensor_Create("col_attentions", PLM_F32, 5, (int64_t[]){ nla, H, C, R, R }, &out->col_attentions, errbuf));
  }
  if (req->contacts) {
    PLM_XCHECK(plm_scratch_Regrow(be, &e->acc, &e->capAcc, (size_t)(C - 1) * (C - 1), errbuf));
    c  = (plm_contact){ .acc = e->acc, .cu = e->cu, .cv = e->cv, .first = 1, .L = C - 1, .nl = e->nl, .H = H,
                        .w = e->reg_w.host, .bias = e->reg_b.host[0] };
    cp = &c;
    plm_block_ContactStart(be, cp);
  }

  plm_op_Embed(be, e->embed.buf, ids, N, D, -1, 1.0f, 1.0f, e->x);
  for (int r = 0; r < R; r++) {
    plm_op_Add(be, e->x, (size_t)r * C * D, e->pos.buf, (size_t)(PLM_ESM_PAD + 1) * D, (size_t)C * D);
    plm_op_AddRows(be, e->x, (size_t)r * C * D, D, e->msapos.buf, (size_t)r * D, 0, C, D);   /* row r's, to all columns */
  }
  plm_op_LayerNorm(be, e->x, e->x, N, D, e->lnb.g.buf, e->lnb.b.buf, e->eps);
  PLM_XCHECK(read_repr(be, e, 0, R, C, req, out, errbuf));

  for (int l = 0, li = 0; l < e->nl; l++) {
    int asked = req->attn_layers && req->attn_layers[l];
    layer_forward(be, e, l, R, C, nb, asked ? li : -1, cp, out);
    li += asked;
    if (l < e->nl - 1) PLM_XCHECK(read_repr(be, e, l + 1, R, C, req, out, errbuf));
  }
  plm_op_LayerNorm(be, e->x, e->x, N, D, e->lna.g.buf, e->lna.b.buf, e->eps);
  PLM_XCHECK(read_repr(be, e, e->nl, R, C, req, out, errbuf));

  if (req->logits) {
    plm_block_LmHead(be, e->x, N, D, D, &e->lm_dense_w, &e->lm_dense_b, PLM_ACT_GELU, &e->lm_ln, e->eps,
                     &e->lm_w, &e->lm_b, e->V, e->h, e->logits);
    PLM_XCHECK(plm_tensor_Create("logits", PLM_F32, 3, (int64_t[]){ R, C, e->V }, &out->logits, errbuf));
    plm_buf_Read(be, e->logits, 0, out->logits->data, (size_t)N * e->V);
  }
  if (cp) {
    PLM_XCHECK(plm_tensor_Create("contacts", PLM_F32, 2, (int64_t[]){ C - 1, C - 1 }, &out->contacts, errbuf));
    plm_block_ContactFinish(be, cp, out->contacts->data);
  }
  PLM_XCHECK(plm_backend_Sync(be, errbuf));
  return PLM_OK;

ERROR:
  plm_msa_OutputClear(out);
  return status;
}

void
plm_msa_OutputClear(plm_msa_output *out)
{
  plm_tensor_Destroy(out->tokens);
  plm_tensor_Destroy(out->logits);
  plm_tensor_Destroy(out->row_attentions);
  plm_tensor_Destroy(out->col_attentions);
  plm_tensor_Destroy(out->contacts);
  for (int k = 0; k <= PLM_LM_MAXLAYERS; k++) plm_tensor_Destroy(out->repr[k]);
  memset(out, 0, sizeof *out);
}

/* A3M insertions (lowercase, '.') and '*' dropped as fair-esm's read_msa does; special tokens
 * such as <mask> kept whole */
int
plm_msa_Strip(const char *text, char **ret_row, char *errbuf)
{
  size_t n = strlen(text), j = 0;
  char  *row = malloc(n + 1);
  if ((*ret_row = row) == NULL) return plm_Fail(errbuf, PLM_EMEM, "out of memory");
  for (size_t i = 0, tag = 0; i < n; i++) {
    if (text[i] == '<') tag = 1;
    if (tag || !((text[i] >= 'a' && text[i] <= 'z') || text[i] == '.' || text[i] == '*')) row[j++] = text[i];
    if (text[i] == '>') tag = 0;
  }
  row[j] = '\0';
  return PLM_OK;
}

/* one row of an alignment: <cls> then its aligned residues */
static int
msa_tokenize(const plm_lm *m, const char *text, int32_t **ret_ids, int *ret_T, char *errbuf)
{
  char *row;
  int   status;
  if ((status = plm_msa_Strip(text, &row, errbuf)) != PLM_OK) return status;
  status = plm_esm_Tokenize(row, 1, 0, ret_ids, ret_T, errbuf);
  free(row);
  return status;
}

int
plm_msa_Run(plm_lm *m, const char *const *rows, int R, const plm_lm_request *req, int cols, plm_msa_output *out, char *errbuf)
{
  int32_t *ids = NULL, *one = NULL;
  int      C = 0, T, status;

  memset(out, 0, sizeof *out);
  if (R < 1) PLM_XFAIL(PLM_EINVAL, errbuf, "an empty alignment");
  for (int r = 0; r < R; r++) {
    PLM_XCHECK(msa_tokenize(m, rows[r], &one, &T, errbuf));
    if (r == 0) {
      C = T;
      if ((ids = malloc(sizeof *ids * (size_t)R * C)) == NULL) PLM_XFAIL(PLM_EMEM, errbuf, "out of memory");
    } else if (T != C)
      PLM_XFAIL(PLM_EFORMAT, errbuf, "aligned row %d has %d columns, the query %d", r + 1, T - 1, C - 1);
    memcpy(ids + (size_t)r * C, one, sizeof *one * (size_t)C);
    free(one); one = NULL;
  }
  status = msa_run(m, ids, R, C, req, cols, out, errbuf);

ERROR:
  free(one);
  free(ids);
  return status;
}

/* plm_lm's forward: one sequence as an alignment of one row; row attentions as "attentions"
 * (the asked heads), everything as T x ...; the tokens tensor is plm_lm_Run's to make */
static int
msa_forward(plm_lm *m, const int32_t *ids, int T, const plm_lm_request *req, plm_lm_output *out, char *errbuf)
{
  plm_msa_output o;
  int            H = m->nheads, nha = 0, status;

  memset(&o, 0, sizeof o);
  PLM_XCHECK(msa_run(m, ids, 1, T, req, 0, &o, errbuf));
  out->contacts = o.contacts; o.contacts = NULL;
  if (o.logits) { out->logits = o.logits; o.logits = NULL; out->logits->rank = 2; out->logits->shape[0] = T; out->logits->shape[1] = m->vocab; }
  for (int k = 0; k <= m->nlayers; k++)
    if (o.repr[k]) { out->repr[k] = o.repr[k]; o.repr[k] = NULL; out->repr[k]->rank = 2; out->repr[k]->shape[0] = T; out->repr[k]->shape[1] = m->dim; }
  if (o.row_attentions) {
    int64_t nla = o.row_attentions->shape[0];
    size_t  map = (size_t)T * T;
    for (int h = 0; h < H; h++) nha += !req->attn_heads || req->attn_heads[h];
    PLM_XCHECK(plm_tensor_Create("attentions", req->attn_dtype, 4, (int64_t[]){ nla, nha, T, T }, &out->attentions, errbuf));
    for (int64_t l = 0, j = 0; l < nla; l++)
      for (int h = 0; h < H; h++) {
        const float *src = (const float *)o.row_attentions->data + ((size_t)l * H + h) * map;
        if (req->attn_heads && !req->attn_heads[h]) continue;
        for (size_t i = 0; i < map; i++)
          if (req->attn_dtype == PLM_F16) ((uint16_t *)out->attentions->data)[(size_t)j * map + i] = plm_f32_to_f16(src[i]);
          else                            ((float *)out->attentions->data)[(size_t)j * map + i] = src[i];
        j++;
      }
  }
  status = PLM_OK;

ERROR:
  plm_msa_OutputClear(&o);
  return status;
}

/* ---------------------------------------------------------------------------
 * a random model
 */

/* the shared starts (the embeddings' pad row zero; lm_head.weight a copy of embed_tokens, the
 * table's first tensor, tied as in fair-esm), msa_position_embedding 0.01 N(0, 1) as fair-esm starts it */
static void
init_param(const void *model, const plm_param *p, plm_tensor *t, plm_tensor *const *made, int n, uint64_t *rng)
{
  float *x = t->data;
  (void)model; (void)n;
  if (plm_param_InitCommon(p, t, made, PLM_ESM_PAD, rng)) return;
  for (int64_t i = 0; i < plm_tensor_Numel(t); i++) x[i] = (float)(0.01 * plm_rng_Normal(rng));   /* INIT_MSAPOS */
}

/* fair-esm's args for msa_transformer, which plmscope reads from a folder's config.json as it
 * reads them from the legacy .pt */
static int
write_config(const char *path, const msa_model *e, char *errbuf)
{
  FILE *fp = fopen(path, "w");
  if (!fp) return plm_Fail(errbuf, PLM_EIO, "%s: %s", path, strerror(errno));
  fprintf(fp, "{\n \"arch\": \"msa_transformer\",\n \"encoder_layers\": %d,\n \"encoder_embed_dim\": %d,\n"
              " \"encoder_ffn_embed_dim\": %d,\n \"encoder_attention_heads\": %d,\n \"max_positions\": %d,\n"
              " \"max_tokens_per_msa\": 16384,\n \"embed_positions_msa\": true\n}\n",
          e->nl, e->D, e->F, e->H, e->P - PLM_ESM_PAD - 1);
  if (fclose(fp) != 0) return plm_Fail(errbuf, PLM_EIO, "%s: %s", path, strerror(errno));
  return PLM_OK;
}

/* the published 100M model's positions (1024 columns) and rows (1024), FFN 4 D; the contact head
 * in model.safetensors under the name its own -contact-regression.pt gives it */
int
plm_msa_WriteRandom(const char *dir, int nl, int D, int H, uint64_t seed, char *errbuf)
{
  msa_model e = { .nl = nl, .D = D, .H = H, .F = 4 * D, .V = PLM_ESM_NTOK, .P = 1024 + PLM_ESM_PAD + 1,
                  .maxrows = 1024, .has_contacts = 1 };
  char      path[4096];
  int       status;

  if (nl < 1 || nl > PLM_LM_MAXLAYERS || D < 1 || H < 1 || D % H)
    PLM_XFAIL(PLM_EINVAL, errbuf, "no MSA Transformer shape with %d layers, width %d, %d heads (heads must divide the width)",
              nl, D, H);
  if (mkdir(dir, 0777) != 0 && errno != EEXIST) PLM_XFAIL(PLM_EIO, errbuf, "%s: %s", dir, strerror(errno));
  snprintf(path, sizeof path, "%s/model.safetensors", dir);
  PLM_XCHECK(plm_params_WriteRandom(&msa_table, &msa_layout, &e, nl, init_param, seed, path, errbuf));
  snprintf(path, sizeof path, "%s/config.json", dir);
  PLM_XCHECK(write_config(path, &e, errbuf));
  return PLM_OK;

ERROR:
  return status;
}
