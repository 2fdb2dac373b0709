/* bert.c: BERT and ALBERT inference (TAPE BERT, ProtBert, ProtAlbert), see bert.h.
 *
 * The model is a post-LayerNorm transformer encoder over [CLS] residues [SEP]:
 *
 *   e = LN(word(ids) + pos(0..T-1) + type(0))           E wide      repr0 (BERT)
 *   x = e [ALBERT: x = e W_map^T + b_map]                 D wide      repr0
 *   for each layer:  x = LN(x + attention(x)),  x = LN(x + fc2(act(fc1(x))))   repr1..
 *   logits = LN(act(dense(x))) W_dec^T + b                the MLM head
 *
 * ALBERT's layer l runs the weights of group l * groups / layers. BERT's head
 * LayerNorm uses the configured eps; ALBERT's (transformers 2.2.2) torch's
 * default 1e-5, and its logits add both decoder.bias and predictions.bias.
 *
 * Weight names: bert_params[] lists every parameter once with its BERT and its
 * ALBERT key; a layout adds the prefixes of one file layout. Every step is a block of
 * blocks.h.
 *
 *   plm_bert_Recognize() / plm_bert_Create()
 *   bert_forward_many(): the forward pass of a batch, layer_forward() per layer
 *   plm_bert_WriteRandom()  a random BERT as a HuggingFace folder, from the same table
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
#include "backend.h"
#include "checkpoint.h"
#include "lm.h"
#include "lmout.h"
#include "rng.h"
#include "vocab.h"
#include "weights.h"
#include "blocks.h"
#include "bert.h"

typedef struct bert_layer {
  plm_attn_w attn;                        /* self-attention projections */
  plm_ln_w   ln1;                         /* after attention */
  plm_ffn_w  ffn;
  plm_ln_w   ln2;                         /* after the feed-forward block */
} bert_layer;

typedef struct bert_model {
  int         albert, has_lmhead;
  int         nl, D, H, hd, F, V, P, NT, E, ngroups;
  int         act;                        /* PLM_ACT_GELU or PLM_ACT_GELU_TANH */
  float       eps, head_eps, scaling;
  plm_w       word, pos, type, map_w, map_b;
  plm_ln_w    lne;
  plm_w       dense_w, dense_b, dec_w, dec_b, bias, lm_bias;
  plm_ln_w    lnh;
  bert_layer *group;                      /* ngroups (BERT: one per layer) */
  plm_weights ws;
  plm_vocab  *vocab;
  /* workspace for a batch, regrown when a larger one comes */
  int         capT, capR;                 /* attention maps for capT tokens; row buffers for capR rows */
  plm_buf    *x, *h, *q, *k, *v, *ctx, *att, *ff, *emb, *typ, *hl, *logits;
  int32_t    *zeros;                      /* token type 0 for every token */
} bert_model;

/* ---------------------------------------------------------------------------
 * the parameter table
 */

enum bert_section { SEC_BODY, SEC_HEAD };
enum bert_need    { NEED_ALWAYS, NEED_HEAD };
enum bert_init    { INIT_AUTO, INIT_TIED };
enum { DIM_D = -1, DIM_F = -2, DIM_V = -3, DIM_P = -4, DIM_NT = -5, DIM_E = -6 };

#define LIN PLM_W_LINEAR                  /* read only as Linear's W: halves under f16 weights */
#define M(f) PLM_PARAM_M(bert_model, f)
#define Y(f) PLM_PARAM_L(bert_layer, f)
#define AL "encoder.albert_layer_groups.%d.albert_layers.0."
static const plm_param bert_params[] = {
  /* field        { BERT key, ALBERT key } (after the layout's prefix; NULL: the family lacks it; "%d": layer or group) */
  { M(word),      { "embeddings.word_embeddings.weight",       "embeddings.word_embeddings.weight" },       SEC_BODY, NEED_ALWAYS, 0,   2, { DIM_V, DIM_E }, INIT_AUTO },
  { M(pos),       { "embeddings.position_embeddings.weight",   "embeddings.position_embeddings.weight" },   SEC_BODY, NEED_ALWAYS, 0,   2, { DIM_P, DIM_E }, INIT_AUTO },
  { M(type),      { "embeddings.token_type_embeddings.weight", "embeddings.token_type_embeddings.weight" }, SEC_BODY, NEED_ALWAYS, 0,   2, { DIM_NT, DIM_E }, INIT_AUTO },
  { M(lne.g),     { "embeddings.LayerNorm.weight",             "embeddings.LayerNorm.weight" },             SEC_BODY, NEED_ALWAYS, 0,   1, { DIM_E }, INIT_AUTO },
  { M(lne.b),     { "embeddings.LayerNorm.bias",               "embeddings.LayerNorm.bias" },               SEC_BODY, NEED_ALWAYS, 0,   1, { DIM_E }, INIT_AUTO },
  { M(map_w),     { NULL, "encoder.embedding_hidden_mapping_in.weight" }, SEC_BODY, NEED_ALWAYS, LIN, 2, { DIM_D, DIM_E }, INIT_AUTO },
  { M(map_b),     { NULL, "encoder.embedding_hidden_mapping_in.bias" },   SEC_BODY, NEED_ALWAYS, 0,   1, { DIM_D }, INIT_AUTO },
  { Y(attn.wq),   { "encoder.layer.%d.attention.self.query.weight",        AL "attention.query.weight" },     SEC_BODY, NEED_ALWAYS, LIN, 2, { DIM_D, DIM_D }, INIT_AUTO },
  { Y(attn.bq),   { "encoder.layer.%d.attention.self.query.bias",          AL "attention.query.bias" },       SEC_BODY, NEED_ALWAYS, 0,   1, { DIM_D }, INIT_AUTO },
  { Y(attn.wk),   { "encoder.layer.%d.attention.self.key.weight",          AL "attention.key.weight" },       SEC_BODY, NEED_ALWAYS, LIN, 2, { DIM_D, DIM_D }, INIT_AUTO },
  { Y(attn.bk),   { "encoder.layer.%d.attention.self.key.bias",            AL "attention.key.bias" },         SEC_BODY, NEED_ALWAYS, 0,   1, { DIM_D }, INIT_AUTO },
  { Y(attn.wv),   { "encoder.layer.%d.attention.self.value.weight",        AL "attention.value.weight" },     SEC_BODY, NEED_ALWAYS, LIN, 2, { DIM_D, DIM_D }, INIT_AUTO },
  { Y(attn.bv),   { "encoder.layer.%d.attention.self.value.bias",          AL "attention.value.bias" },       SEC_BODY, NEED_ALWAYS, 0,   1, { DIM_D }, INIT_AUTO },
  { Y(attn.wo),   { "encoder.layer.%d.attention.output.dense.weight",      AL "attention.dense.weight" },     SEC_BODY, NEED_ALWAYS, LIN, 2, { DIM_D, DIM_D }, INIT_AUTO },
  { Y(attn.bo),   { "encoder.layer.%d.attention.output.dense.bias",        AL "attention.dense.bias" },       SEC_BODY, NEED_ALWAYS, 0,   1, { DIM_D }, INIT_AUTO },
  { Y(ln1.g),     { "encoder.layer.%d.attention.output.LayerNorm.weight",  AL "attention.LayerNorm.weight" }, SEC_BODY, NEED_ALWAYS, 0,   1, { DIM_D }, INIT_AUTO },
  { Y(ln1.b),     { "encoder.layer.%d.attention.output.LayerNorm.bias",    AL "attention.LayerNorm.bias" },   SEC_BODY, NEED_ALWAYS, 0,   1, { DIM_D }, INIT_AUTO },
  { Y(ffn.w1),    { "encoder.layer.%d.intermediate.dense.weight",          AL "ffn.weight" },                 SEC_BODY, NEED_ALWAYS, LIN, 2, { DIM_F, DIM_D }, INIT_AUTO },
  { Y(ffn.b1),    { "encoder.layer.%d.intermediate.dense.bias",            AL "ffn.bias" },                   SEC_BODY, NEED_ALWAYS, 0,   1, { DIM_F }, INIT_AUTO },
  { Y(ffn.w2),    { "encoder.layer.%d.output.dense.weight",                AL "ffn_output.weight" },          SEC_BODY, NEED_ALWAYS, LIN, 2, { DIM_D, DIM_F }, INIT_AUTO },
  { Y(ffn.b2),    { "encoder.layer.%d.output.dense.bias",                  AL "ffn_output.bias" },            SEC_BODY, NEED_ALWAYS, 0,   1, { DIM_D }, INIT_AUTO },
  { Y(ln2.g),     { "encoder.layer.%d.output.LayerNorm.weight",            AL "full_layer_layer_norm.weight" }, SEC_BODY, NEED_ALWAYS, 0, 1, { DIM_D }, INIT_AUTO },
  { Y(ln2.b),     { "encoder.layer.%d.output.LayerNorm.bias",              AL "full_layer_layer_norm.bias" },   SEC_BODY, NEED_ALWAYS, 0, 1, { DIM_D }, INIT_AUTO },
  { M(bias),      { "bias",                       "bias" },             SEC_HEAD, NEED_HEAD, 0,   1, { DIM_V }, INIT_AUTO },   /* it tells a head is there */
  { M(dense_w),   { "transform.dense.weight",     "dense.weight" },     SEC_HEAD, NEED_HEAD, LIN, 2, { DIM_E, DIM_D }, INIT_AUTO },
  { M(dense_b),   { "transform.dense.bias",       "dense.bias" },       SEC_HEAD, NEED_HEAD, 0,   1, { DIM_E }, INIT_AUTO },
  { M(lnh.g),     { "transform.LayerNorm.weight", "LayerNorm.weight" }, SEC_HEAD, NEED_HEAD, 0,   1, { DIM_E }, INIT_AUTO },
  { M(lnh.b),     { "transform.LayerNorm.bias",   "LayerNorm.bias" },   SEC_HEAD, NEED_HEAD, 0,   1, { DIM_E }, INIT_AUTO },
  /* the word embedding when absent (tied, so never halves) */
  { M(dec_w),     { "decoder.weight",             "decoder.weight" },   SEC_HEAD, NEED_HEAD, PLM_P_OPTIONAL, 2, { DIM_V, DIM_E }, INIT_TIED },
  /* HF BERT's decoder.bias is the same parameter as bias; transformers 2.2.2's ALBERT adds both */
  { M(dec_b),     { NULL,                         "decoder.bias" },     SEC_HEAD, NEED_HEAD, 0,   1, { DIM_V }, INIT_AUTO },
};
#undef M
#undef Y
#undef AL
#undef LIN

static int64_t bert_dim(const void *model, int d);
static int     bert_wanted(const void *model, const plm_param *p);
static const plm_ptable bert_table = { bert_params, (int)(sizeof bert_params / sizeof bert_params[0]), bert_dim, bert_wanted };

/* where each section's keys start, per file layout (naming 1: ALBERT's keys) */
static const plm_layout bert_layouts[] = {
  { "TAPE ProteinBertForMaskedLM",    0, { "bert.",   "mlm." } },
  { "HuggingFace BertForMaskedLM",    0, { "bert.",   "cls.predictions." } },
  { "HuggingFace BertModel",          0, { "",        "cls.predictions." } },
  { "HuggingFace AlbertForMaskedLM",  1, { "albert.", "predictions." } },
  { "HuggingFace AlbertModel",        1, { "",        "predictions." } },
};
#define BERT_NLAYOUTS (int)(sizeof bert_layouts / sizeof bert_layouts[0])

static int
bert_wanted(const void *model, const plm_param *p)
{
  const bert_model *e = model;
  return p->need == NEED_ALWAYS || e->has_lmhead;
}

static int
layout_has(const plm_checkpoint *ck, const plm_layout *lay, size_t off)
{
  return plm_param_Has(ck, lay, plm_param_Find(&bert_table, off));
}

/* the family's layout whose word embedding and MLM head are present, else one with the embedding alone */
static const plm_layout *
find_layout(const plm_checkpoint *ck, int albert)
{
  const plm_layout *bare = NULL;
  for (int i = 0; i < BERT_NLAYOUTS; i++) {
    const plm_layout *lay = &bert_layouts[i];
    if (lay->naming != albert || !layout_has(ck, lay, offsetof(bert_model, word))) continue;
    if (layout_has(ck, lay, offsetof(bert_model, bias))) return lay;
    if (!bare) bare = lay;
  }
  return bare;
}

static int64_t
bert_dim(const void *model, int d)
{
  const bert_model *e = model;
  switch (d) {
  case DIM_D:  return e->D;
  case DIM_F:  return e->F;
  case DIM_V:  return e->V;
  case DIM_P:  return e->P;
  case DIM_NT: return e->NT;
  case DIM_E:  return e->E;
  default:     return d;
  }
}

/* ---------------------------------------------------------------------------
 * configuration
 */

static int
is_albert(const plm_checkpoint *ck)
{
  const char *mt = plm_checkpoint_Config(ck, "model_type");
  if (mt) return strcmp(mt, "albert") == 0;
  return plm_weights_Has(ck, "albert.embeddings.word_embeddings.weight") ||
         plm_weights_Has(ck, "encoder.embedding_hidden_mapping_in.weight");
}

int
plm_bert_Recognize(const plm_checkpoint *ck)
{
  const char *mt = plm_checkpoint_Config(ck, "model_type");
  if (mt) return strcmp(mt, "bert") == 0 || strcmp(mt, "albert") == 0;
  return find_layout(ck, is_albert(ck)) != NULL;   /* TAPE and transformers 2.x write no model_type */
}

static int
read_config(plm_lm *m, bert_model *e, char *errbuf)
{
  const plm_checkpoint *ck = m->ck;
  const char           *v;
  int                   inner, status;

  e->albert = is_albert(ck);
  m->arch = e->albert ? "albert" : "bert";
  PLM_XCHECK(plm_weights_ConfigSize(ck, "num_hidden_layers", NULL, -1, &e->nl, errbuf));
  PLM_XCHECK(plm_weights_ConfigSize(ck, "hidden_size", NULL, -1, &e->D, errbuf));
  PLM_XCHECK(plm_weights_ConfigSize(ck, "num_attention_heads", NULL, -1, &e->H, errbuf));
  PLM_XCHECK(plm_weights_ConfigSize(ck, "intermediate_size", NULL, -1, &e->F, errbuf));
  PLM_XCHECK(plm_weights_ConfigSize(ck, "vocab_size", NULL, -1, &e->V, errbuf));
  PLM_XCHECK(plm_weights_ConfigSize(ck, "max_position_embeddings", NULL, -1, &e->P, errbuf));
  PLM_XCHECK(plm_weights_ConfigSize(ck, "type_vocab_size", NULL, 2, &e->NT, errbuf));
  PLM_XCHECK(plm_weights_ConfigSize(ck, "embedding_size", NULL, e->D, &e->E, errbuf));
  PLM_XCHECK(plm_weights_ConfigSize(ck, "num_hidden_groups", NULL, 1, &e->ngroups, errbuf));
  PLM_XCHECK(plm_weights_ConfigSize(ck, "inner_group_num", NULL, 1, &inner, errbuf));
  if (!e->albert) { e->E = e->D; e->ngroups = e->nl; }
  e->eps = (v = plm_checkpoint_Config(ck, "layer_norm_eps")) ? strtof(v, NULL) : 1e-12f;
  e->head_eps = e->albert ? 1e-5f : e->eps;
  v = plm_checkpoint_Config(ck, "hidden_act");
  if (!v || strcmp(v, "gelu") == 0) e->act = PLM_ACT_GELU;
  else if (strcmp(v, "gelu_new") == 0) e->act = PLM_ACT_GELU_TANH;
  else PLM_XFAIL(PLM_EUNSUP, errbuf, "%s: hidden_act '%s' is not supported (gelu, gelu_new)", ck->path, v);
  if ((v = plm_checkpoint_Config(ck, "position_embedding_type")) && strcmp(v, "absolute") != 0)
    PLM_XFAIL(PLM_EUNSUP, errbuf, "%s: position_embedding_type '%s' is not supported (absolute)", ck->path, v);
  if (inner != 1)
    PLM_XFAIL(PLM_EUNSUP, errbuf, "%s: inner_group_num %d is not supported (1)", ck->path, inner);
  if (e->ngroups > e->nl)
    PLM_XFAIL(PLM_EFORMAT, errbuf, "%s: %d layer groups for %d layers", ck->path, e->ngroups, e->nl);
  if (e->D % e->H != 0)
    PLM_XFAIL(PLM_EFORMAT, errbuf, "%s: %d heads do not divide the width %d", ck->path, e->H, e->D);
  if (e->nl > PLM_LM_MAXLAYERS)
    PLM_XFAIL(PLM_ELIMIT, errbuf, "%s: %d layers, more than the %d supported", ck->path, e->nl, PLM_LM_MAXLAYERS);
  e->hd      = e->D / e->H;
  e->scaling = (float)(1.0 / sqrt((double)e->hd));
  m->max_tokens = e->P;
  return PLM_OK;

ERROR:
  return status;
}

/* vocab.txt beside the weights; TAPE folders carry none and use the iupac vocabulary */
static int
read_vocab(plm_lm *m, bert_model *e, const plm_layout *lay, char *errbuf)
{
  int status = plm_vocab_ReadBeside(m->ck->path, PLM_VOCAB_CLS_SEP, &e->vocab, errbuf);

  if (status == PLM_ENOTFOUND && !e->albert && !plm_checkpoint_Config(m->ck, "model_type") && e->V == 30)
    status = plm_vocab_Iupac(&e->vocab, errbuf);
  if (status != PLM_OK) return status;
  if (e->vocab->n > e->V)
    return plm_Fail(errbuf, PLM_EFORMAT, "%s: %d tokens in vocab.txt, but the %s embeds %d", m->ck->path, e->vocab->n, lay->what, e->V);
  return PLM_OK;
}

/* ---------------------------------------------------------------------------
 * loading
 */

static int
load_weights(plm_lm *m, bert_model *e, const plm_layout *lay, char *errbuf)
{
  int    status;
  float *sum;

  m->has_lmhead = e->has_lmhead = layout_has(m->ck, lay, offsetof(bert_model, bias));
  if ((e->group = calloc((size_t)e->ngroups, sizeof *e->group)) == NULL) PLM_XFAIL(PLM_EMEM, errbuf, "out of memory");
  PLM_XCHECK(plm_params_Load(&bert_table, lay, &e->ws, m->ck, e, e->group, sizeof *e->group, e->ngroups, errbuf));
  if (m->has_lmhead && !e->dec_w.buf) e->dec_w = e->word;
  if (m->has_lmhead && e->albert) {               /* decoder(h) + bias: both biases, as 2.2.2 adds them */
    if ((sum = malloc(sizeof *sum * (size_t)e->V)) == NULL) PLM_XFAIL(PLM_EMEM, errbuf, "out of memory");
    for (int i = 0; i < e->V; i++) sum[i] = e->dec_b.host[i] + e->bias.host[i];
    PLM_XCHECK(plm_weights_Adopt(&e->ws, sum, (size_t)e->V, &e->lm_bias, errbuf));
  } else
    e->lm_bias = e->bias;
  return PLM_OK;

ERROR:
  return status;
}

static int
scratch_list(bert_model *e, plm_scratch *s)
{
  size_t    D = (size_t)e->D, E = (size_t)e->E;
  plm_buf **rows[] = { &e->x, &e->h, &e->q, &e->k, &e->v, &e->ctx };
  int       n = 0;
  for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) s[n++] = (plm_scratch){ rows[i], D, PLM_PER_ROW };
  s[n++] = (plm_scratch){ &e->att,    (size_t)e->H, PLM_PER_TOKEN2 };
  s[n++] = (plm_scratch){ &e->ff,     (size_t)e->F, PLM_PER_ROW };
  s[n++] = (plm_scratch){ &e->emb,    E,            PLM_PER_ROW };
  s[n++] = (plm_scratch){ &e->typ,    E,            PLM_PER_ROW };
  s[n++] = (plm_scratch){ &e->hl,     E,            PLM_PER_ROW };
  s[n++] = (plm_scratch){ &e->logits, (size_t)e->V, PLM_PER_ROW };
  return n;
}

static void
free_workspace(plm_backend *be, bert_model *e)
{
  plm_scratch s[16];
  plm_scratch_Free(be, s, scratch_list(e, s), &e->capR, &e->capT);
  free(e->zeros); e->zeros = NULL;
}

/* buffers for R rows of proteins of up to T tokens */
static int
reserve_workspace(plm_backend *be, bert_model *e, int R, int T, char *errbuf)
{
  plm_scratch s[16];
  int         grown, status;

  PLM_XCHECK(plm_scratch_Reserve(be, s, scratch_list(e, s), R, T, &e->capR, &e->capT, &grown, errbuf));
  if (grown) {
    free(e->zeros);
    if ((e->zeros = calloc((size_t)e->capT, sizeof *e->zeros)) == NULL) PLM_XFAIL(PLM_EMEM, errbuf, "out of memory");
  }
  return PLM_OK;

ERROR:
  free_workspace(be, e);
  return status;
}

static void
bert_destroy(plm_lm *m)
{
  bert_model *e = m->priv;
  if (!e) return;
  free_workspace(m->be, e);
  plm_weights_Clear(&e->ws);
  plm_vocab_Destroy(e->vocab);
  free(e->group);
  free(e);
  m->priv = NULL;
}

/* ---------------------------------------------------------------------------
 * the forward pass
 */

/* embeddings: x [R, D] = LN(word(ids) + position(0..T-1) + type(0)) over E columns per protein, in
 * the order the references add them; ALBERT's projection E -> D after */
static void
embeddings_forward(plm_backend *be, bert_model *e, const int32_t *ids, const plm_pack *pk)
{
  plm_buf *emb = e->albert ? e->emb : e->x;

  plm_op_Embed(be, e->type.buf, e->zeros, pk->Tmax, e->E, -1, 1.0f, 1.0f, e->typ);
  plm_block_Embed(be, e->word.buf, ids, pk, e->E, -1, e->hl, emb);
  plm_block_AddPositions(be, emb, pk, e->E, e->pos.buf, 0);
  plm_block_AddPositions(be, emb, pk, e->E, e->typ, 0);
  plm_op_LayerNorm(be, emb, emb, pk->R, e->E, e->lne.g.buf, e->lne.b.buf, e->eps);
  if (e->albert) plm_op_Linear(be, emb, pk->R, e->E, e->map_w.buf, e->map_b.buf, e->D, e->x);
}

/* who wants one layer's maps: each protein's attentions tensor, slot li */
typedef struct bert_sink {
  plm_backend *be; const plm_lm_request *req; const plm_pack *pk; plm_lm_output *outs; int H, li;
} bert_sink;

static void
bert_maps(void *ctx, int b, int row0, int rows, plm_buf *att)
{
  bert_sink *s = ctx;
  if (s->outs[b].attentions) plm_lmout_Attention(s->be, att, s->H, s->li, s->pk->T[b], row0, rows, s->req, s->outs[b].attentions);
}

/* one post-LayerNorm layer over all rows: x = LN(x + out(softmax(q k^T / sqrt(hd)) v)),
 * x = LN(x + fc2(act(fc1(x)))); sink NULL when no one wants this layer's maps */
static void
layer_forward(plm_backend *be, bert_model *e, const bert_layer *w, const plm_pack *pk, bert_sink *sink)
{
  int D = e->D, R = pk->R;

  plm_block_Qkv(be, e->x, R, D, &w->attn, D, e->q, e->k, e->v);
  plm_block_Attention(be, pk, &(plm_sdpa){ .q = e->q, .k = e->k, .v = e->v, .ctx = e->ctx, .att = e->att,
                                           .H = e->H, .hd = e->hd, .ld = D, .alpha = e->scaling,
                                           .sink = sink ? bert_maps : NULL, .sink_ctx = sink });
  plm_block_Output(be, e->ctx, R, D, &w->attn.wo, &w->attn.bo, D, e->h, e->x);
  plm_op_LayerNorm(be, e->x, e->x, R, D, w->ln1.g.buf, w->ln1.b.buf, e->eps);
  plm_block_Ffn(be, e->x, R, D, e->F, &w->ffn, e->act, e->ff, e->h, e->x);
  plm_op_LayerNorm(be, e->x, e->x, R, D, w->ln2.g.buf, w->ln2.b.buf, e->eps);
}

/* B proteins packed by rows (ids: protein b's T[b] tokens after the ones before it) as one forward
 * pass: the position-wise layers over all rows at once, attention per protein; outs[b] protein b's */
static int
bert_forward_many(plm_lm *m, const int32_t *ids, int B, const int *T, const plm_lm_request *req, plm_lm_output *outs,
                  char *errbuf)
{
  bert_model  *e  = m->priv;
  plm_backend *be = m->be;
  plm_pack     pk = { 0 };
  int          nla = 0, status;

  PLM_XCHECK(plm_model_Begin(m, req, B, T, outs, "its MLM head", &pk, &nla, errbuf));
  if (pk.Tmax > e->P) PLM_XFAIL(PLM_ELIMIT, errbuf, "%d tokens exceed the model's %d positions", pk.Tmax, e->P);
  PLM_XCHECK(reserve_workspace(be, e, pk.R, pk.Tmax, errbuf));

  embeddings_forward(be, e, ids, &pk);
  for (int b = 0; b < B; b++) PLM_XCHECK(plm_lmout_ReprRows(be, e->x, pk.off[b], 0, T[b], e->D, req, &outs[b], errbuf));
  for (int l = 0, li = 0; l < e->nl; l++) {
    const bert_layer *w = &e->group[(int)((int64_t)l * e->ngroups / e->nl)];
    bert_sink         sink = { be, req, &pk, outs, e->H, li };
    int               mine = nla > 0 && req->attn_layers[l];
    layer_forward(be, e, w, &pk, mine ? &sink : NULL);
    li += mine;
    for (int b = 0; b < B; b++) PLM_XCHECK(plm_lmout_ReprRows(be, e->x, pk.off[b], l + 1, T[b], e->D, req, &outs[b], errbuf));
  }
  if (req->logits) {
    plm_block_LmHead(be, e->x, pk.R, e->D, e->E, &e->dense_w, &e->dense_b, e->act, &e->lnh, e->head_eps,
                     &e->dec_w, &e->lm_bias, e->V, e->hl, e->logits);
    for (int b = 0; b < B; b++) PLM_XCHECK(plm_lmout_LogitsRows(be, e->logits, pk.off[b], T[b], e->V, &outs[b], errbuf));
  }
  PLM_XCHECK(plm_backend_Sync(be, errbuf));
  status = PLM_OK;

ERROR:
  plm_pack_Clear(&pk);
  return status;
}

static int
bert_tokenize(const plm_lm *m, const char *text, int32_t **ret_ids, int *ret_T, char *errbuf)
{
  const bert_model *e = m->priv;
  return plm_vocab_Tokenize(e->vocab, text, ret_ids, ret_T, errbuf);
}

int
plm_bert_Create(plm_checkpoint *ck, plm_backend *be, plm_lm **ret_m, char *errbuf)
{
  plm_lm           *m = NULL;
  bert_model       *e;
  const plm_layout *lay;
  int               status;

  PLM_XCHECK(plm_model_New(ck, be, sizeof *e, &m, errbuf));
  e = m->priv;
  e->ws.be = be;
  m->special_tokens = "cls,sep";
  m->tokenize = bert_tokenize;
  m->forward  = plm_model_ForwardOne;
  m->forward_many = bert_forward_many;
  m->destroy  = bert_destroy;
  PLM_XCHECK(read_config(m, e, errbuf));
  if ((lay = find_layout(ck, e->albert)) == NULL)
    PLM_XFAIL(PLM_ENOTFOUND, errbuf, "%s: no '%sembeddings.word_embeddings.weight': not a %s checkpoint",
              ck->path, e->albert ? "albert." : "bert.", e->albert ? "ALBERT" : "BERT");
  PLM_XCHECK(load_weights(m, e, lay, errbuf));
  PLM_XCHECK(read_vocab(m, e, lay, errbuf));
  plm_model_Done(m, e->nl, e->H, e->D, e->V);
  *ret_m = m;
  return PLM_OK;

ERROR:
  if (m) { m->ck = NULL; bert_destroy(m); free(m); }
  return status;
}

/* ---------------------------------------------------------------------------
 * random models, for benchmarks
 */

/* ProtBert's vocab.txt */
static const char *const protbert_vocab[] = {
  "[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "L", "A", "G", "V", "E", "S", "I", "K", "R", "D",
  "T", "P", "N", "Q", "F", "Y", "M", "H", "C", "W", "X", "U", "B", "Z", "O",
};
#define RANDOM_V    (int)(sizeof protbert_vocab / sizeof protbert_vocab[0])
#define RANDOM_P    8192              /* TAPE's position table; ProtBert's has 40000 rows */

/* torch's starting values: N(0, 1/fan_in) weights, N(0, 1) embeddings, LayerNorm gains 1, small
 * biases; HF ties the decoder to the word embedding (the table's first tensor) */
static void
init_param(const void *model, const plm_param *p, plm_tensor *t, plm_tensor *const *made, int n, uint64_t *rng)
{
  const char *key = t->name;
  float      *x = t->data;
  int64_t     cnt = plm_tensor_Numel(t), cols = t->shape[t->rank - 1];
  int         gain = strstr(key, "LayerNorm.weight") != NULL, embed = t->rank == 2 && strstr(key, "embeddings") != NULL;
  if (p->init == INIT_TIED) { memcpy(x, made[0]->data, plm_tensor_Nbytes(made[0])); return; }
  for (int64_t i = 0; i < cnt; i++)
    x[i] = gain  ? 1.0f
         : embed ? (float)plm_rng_Normal(rng)
         : t->rank == 2 ? (float)(plm_rng_Normal(rng) / sqrt((double)cols))
         : (float)(0.02 * plm_rng_Normal(rng));
}

static int
write_random_text(const char *dir, const bert_model *e, char *errbuf)
{
  char  path[4096];
  FILE *fp;

  snprintf(path, sizeof path, "%s/config.json", dir);
  if ((fp = fopen(path, "w")) == NULL) return plm_Fail(errbuf, PLM_EIO, "%s: %s", path, strerror(errno));
  fprintf(fp, "{\n \"architectures\": [\"BertForMaskedLM\"],\n \"model_type\": \"bert\",\n"
              " \"hidden_size\": %d,\n \"num_hidden_layers\": %d,\n \"num_attention_heads\": %d,\n"
              " \"intermediate_size\": %d,\n \"vocab_size\": %d,\n \"max_position_embeddings\": %d,\n"
              " \"type_vocab_size\": %d,\n \"hidden_act\": \"gelu\",\n \"layer_norm_eps\": 1e-12,\n"
              " \"pad_token_id\": 0,\n \"position_embedding_type\": \"absolute\",\n \"torch_dtype\": \"float32\"\n}\n",
          e->D, e->nl, e->H, e->F, e->V, e->P, e->NT);
  if (fclose(fp) != 0) return plm_Fail(errbuf, PLM_EIO, "%s: %s", path, strerror(errno));
  snprintf(path, sizeof path, "%s/vocab.txt", dir);
  if ((fp = fopen(path, "w")) == NULL) return plm_Fail(errbuf, PLM_EIO, "%s: %s", path, strerror(errno));
  for (int i = 0; i < RANDOM_V; i++) fprintf(fp, "%s\n", protbert_vocab[i]);
  if (fclose(fp) != 0) return plm_Fail(errbuf, PLM_EIO, "%s: %s", path, strerror(errno));
  return PLM_OK;
}

int
plm_bert_WriteRandom(const char *dir, int nl, int D, int H, uint64_t seed, char *errbuf)
{
  bert_model e = { .nl = nl, .D = D, .H = H, .F = 4 * D, .V = RANDOM_V, .P = RANDOM_P, .NT = 2, .E = D, .has_lmhead = 1 };
  char       path[4096];
  int        status;

  if (nl < 1 || nl > PLM_LM_MAXLAYERS || D < 1 || H < 1 || D % H)
    PLM_XFAIL(PLM_EINVAL, errbuf, "no BERT shape with %d layers, width %d, %d heads (heads must divide the width)", nl, D, H);
  if (mkdir(dir, 0777) != 0 && errno != EEXIST) PLM_XFAIL(PLM_EIO, errbuf, "%s: %s", dir, strerror(errno));
  snprintf(path, sizeof path, "%s/model.safetensors", dir);
  PLM_XCHECK(plm_params_WriteRandom(&bert_table, &bert_layouts[1], &e, nl, init_param, seed, path, errbuf));   /* HF BertForMaskedLM */
  PLM_XCHECK(write_random_text(dir, &e, errbuf));
  return PLM_OK;

ERROR:
  return status;
}
