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
 * ALBERT key; a bert_layout adds the prefixes of one file layout.
 *
 *   plm_bert_Recognize() / plm_bert_Create()
 *   bert_forward() and the per-layer functions it calls
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
#include "stwrite.h"
#include "vocab.h"
#include "weights.h"
#include "bert.h"

enum bert_act { ACT_GELU, ACT_GELU_TANH };

typedef struct bert_layer {
  plm_w wq, bq, wk, bk, wv, bv, wo, bo;   /* self-attention projections */
  plm_w ln1_g, ln1_b;                     /* after attention */
  plm_w fc1_w, fc1_b, fc2_w, fc2_b;
  plm_w ln2_g, ln2_b;                     /* after the feed-forward block */
} bert_layer;

typedef struct bert_model {
  int         albert;
  int         nl, D, H, hd, F, V, P, NT, E, ngroups;
  int         act;
  float       eps, head_eps, scaling;
  plm_w       word, pos, type, lne_g, lne_b, map_w, map_b;
  plm_w       dense_w, dense_b, lnh_g, lnh_b, dec_w, dec_b, bias, lm_bias;
  bert_layer *group;                      /* ngroups (BERT: one per layer) */
  plm_weights ws;
  plm_vocab  *vocab;
  /* workspace for one protein, regrown when a longer one comes */
  int         capT, capR;             /* attention maps for capT tokens; row buffers for capR rows (a batch) */
  plm_buf    *x, *h, *q, *k, *v, *ctx, *att, *ff, *emb, *typ, *hl, *logits;
  int32_t    *zeros;                      /* token type 0 for every token */
} bert_model;

/* ---------------------------------------------------------------------------
 * the parameter table
 */

enum bert_section { SEC_BODY, SEC_HEAD };
enum bert_need    { NEED_ALWAYS, NEED_HEAD, OPT_TIED /* decoder: the word embedding when absent */ };
enum { DIM_D = -1, DIM_F = -2, DIM_V = -3, DIM_P = -4, DIM_NT = -5, DIM_E = -6 };

typedef struct bert_param {
  size_t      off;          /* of the plm_w in bert_model, or in bert_layer */
  int         per_layer;
  const char *bert, *albert;  /* key after the layout prefix, NULL when the family lacks it; "%d": layer or group */
  int         section, need;
  int         rank, dim[2];
} bert_param;

#define M(f) offsetof(bert_model, f), 0
#define Y(f) offsetof(bert_layer, f), 1
#define AL "encoder.albert_layer_groups.%d.albert_layers.0."
static const bert_param bert_params[] = {
  { M(word),    "embeddings.word_embeddings.weight",       "embeddings.word_embeddings.weight",       SEC_BODY, NEED_ALWAYS, 2, { DIM_V, DIM_E } },
  { M(pos),     "embeddings.position_embeddings.weight",   "embeddings.position_embeddings.weight",   SEC_BODY, NEED_ALWAYS, 2, { DIM_P, DIM_E } },
  { M(type),    "embeddings.token_type_embeddings.weight", "embeddings.token_type_embeddings.weight", SEC_BODY, NEED_ALWAYS, 2, { DIM_NT, DIM_E } },
  { M(lne_g),   "embeddings.LayerNorm.weight",             "embeddings.LayerNorm.weight",             SEC_BODY, NEED_ALWAYS, 1, { DIM_E } },
  { M(lne_b),   "embeddings.LayerNorm.bias",               "embeddings.LayerNorm.bias",               SEC_BODY, NEED_ALWAYS, 1, { DIM_E } },
  { M(map_w),   NULL, "encoder.embedding_hidden_mapping_in.weight", SEC_BODY, NEED_ALWAYS, 2, { DIM_D, DIM_E } },
  { M(map_b),   NULL, "encoder.embedding_hidden_mapping_in.bias",   SEC_BODY, NEED_ALWAYS, 1, { DIM_D } },
  { Y(wq),      "encoder.layer.%d.attention.self.query.weight",        AL "attention.query.weight",     SEC_BODY, NEED_ALWAYS, 2, { DIM_D, DIM_D } },
  { Y(bq),      "encoder.layer.%d.attention.self.query.bias",          AL "attention.query.bias",       SEC_BODY, NEED_ALWAYS, 1, { DIM_D } },
  { Y(wk),      "encoder.layer.%d.attention.self.key.weight",          AL "attention.key.weight",       SEC_BODY, NEED_ALWAYS, 2, { DIM_D, DIM_D } },
  { Y(bk),      "encoder.layer.%d.attention.self.key.bias",            AL "attention.key.bias",         SEC_BODY, NEED_ALWAYS, 1, { DIM_D } },
  { Y(wv),      "encoder.layer.%d.attention.self.value.weight",        AL "attention.value.weight",     SEC_BODY, NEED_ALWAYS, 2, { DIM_D, DIM_D } },
  { Y(bv),      "encoder.layer.%d.attention.self.value.bias",          AL "attention.value.bias",       SEC_BODY, NEED_ALWAYS, 1, { DIM_D } },
  { Y(wo),      "encoder.layer.%d.attention.output.dense.weight",      AL "attention.dense.weight",     SEC_BODY, NEED_ALWAYS, 2, { DIM_D, DIM_D } },
  { Y(bo),      "encoder.layer.%d.attention.output.dense.bias",        AL "attention.dense.bias",       SEC_BODY, NEED_ALWAYS, 1, { DIM_D } },
  { Y(ln1_g),   "encoder.layer.%d.attention.output.LayerNorm.weight",  AL "attention.LayerNorm.weight", SEC_BODY, NEED_ALWAYS, 1, { DIM_D } },
  { Y(ln1_b),   "encoder.layer.%d.attention.output.LayerNorm.bias",    AL "attention.LayerNorm.bias",   SEC_BODY, NEED_ALWAYS, 1, { DIM_D } },
  { Y(fc1_w),   "encoder.layer.%d.intermediate.dense.weight",          AL "ffn.weight",                 SEC_BODY, NEED_ALWAYS, 2, { DIM_F, DIM_D } },
  { Y(fc1_b),   "encoder.layer.%d.intermediate.dense.bias",            AL "ffn.bias",                   SEC_BODY, NEED_ALWAYS, 1, { DIM_F } },
  { Y(fc2_w),   "encoder.layer.%d.output.dense.weight",                AL "ffn_output.weight",          SEC_BODY, NEED_ALWAYS, 2, { DIM_D, DIM_F } },
  { Y(fc2_b),   "encoder.layer.%d.output.dense.bias",                  AL "ffn_output.bias",            SEC_BODY, NEED_ALWAYS, 1, { DIM_D } },
  { Y(ln2_g),   "encoder.layer.%d.output.LayerNorm.weight",            AL "full_layer_layer_norm.weight", SEC_BODY, NEED_ALWAYS, 1, { DIM_D } },
  { Y(ln2_b),   "encoder.layer.%d.output.LayerNorm.bias",              AL "full_layer_layer_norm.bias",   SEC_BODY, NEED_ALWAYS, 1, { DIM_D } },
  { M(bias),    "bias",                       "bias",             SEC_HEAD, NEED_HEAD, 1, { DIM_V } },   /* first: it tells a head is there */
  { M(dense_w), "transform.dense.weight",     "dense.weight",     SEC_HEAD, NEED_HEAD, 2, { DIM_E, DIM_D } },
  { M(dense_b), "transform.dense.bias",       "dense.bias",       SEC_HEAD, NEED_HEAD, 1, { DIM_E } },
  { M(lnh_g),   "transform.LayerNorm.weight", "LayerNorm.weight", SEC_HEAD, NEED_HEAD, 1, { DIM_E } },
  { M(lnh_b),   "transform.LayerNorm.bias",   "LayerNorm.bias",   SEC_HEAD, NEED_HEAD, 1, { DIM_E } },
  { M(dec_w),   "decoder.weight",             "decoder.weight",   SEC_HEAD, OPT_TIED,  2, { DIM_V, DIM_E } },
  /* HF BERT's decoder.bias is the same parameter as bias; transformers 2.2.2's ALBERT adds both */
  { M(dec_b),   NULL,                         "decoder.bias",     SEC_HEAD, NEED_HEAD, 1, { DIM_V } },
};
#undef M
#undef Y
#undef AL
#define BERT_NPARAMS (int)(sizeof bert_params / sizeof bert_params[0])

/* the matrices only plm_op_Linear reads, as W: halves under f16 weights (backend.h); not the
 * decoder, which may be the word embedding */
static int
linear_only(const bert_param *p)
{
  static const size_t layer_w[] = { offsetof(bert_layer, wq), offsetof(bert_layer, wk), offsetof(bert_layer, wv),
                                    offsetof(bert_layer, wo), offsetof(bert_layer, fc1_w), offsetof(bert_layer, fc2_w) };
  if (!p->per_layer) return p->off == offsetof(bert_model, map_w) || p->off == offsetof(bert_model, dense_w);
  for (size_t i = 0; i < sizeof layer_w / sizeof layer_w[0]; i++) if (p->off == layer_w[i]) return 1;
  return 0;
}

/* where each section's keys start, per file layout */
typedef struct bert_layout { const char *what; int albert; const char *prefix[2]; } bert_layout;
static const bert_layout bert_layouts[] = {
  { "TAPE ProteinBertForMaskedLM",    0, { "bert.",   "mlm." } },
  { "HuggingFace BertForMaskedLM",    0, { "bert.",   "cls.predictions." } },
  { "HuggingFace BertModel",          0, { "",        "cls.predictions." } },
  { "HuggingFace AlbertForMaskedLM",  1, { "albert.", "predictions." } },
  { "HuggingFace AlbertModel",        1, { "",        "predictions." } },
};
#define BERT_NLAYOUTS (int)(sizeof bert_layouts / sizeof bert_layouts[0])

static int
param_key(const bert_layout *lay, const bert_param *p, int layer, char *key, size_t n)
{
  char        tail[256];
  const char *fmt = lay->albert ? p->albert : p->bert;
  if (!fmt) return 0;
  snprintf(tail, sizeof tail, fmt, layer);
  snprintf(key, n, "%s%s", lay->prefix[p->section], tail);
  return 1;
}

/* the head's first parameter: its presence tells a checkpoint has an MLM head */
static int
head0(void)
{
  int i = 0;
  while (bert_params[i].section != SEC_HEAD) i++;
  return i;
}

static int
layout_has(const plm_checkpoint *ck, const bert_layout *lay, int i)
{
  char key[320];
  return param_key(lay, &bert_params[i], 0, key, sizeof key) && plm_weights_Has(ck, key);
}

/* the family's layout whose word embedding and MLM head are present, else one with the embedding alone */
static const bert_layout *
find_layout(const plm_checkpoint *ck, int albert)
{
  const bert_layout *bare = NULL;
  for (int i = 0; i < BERT_NLAYOUTS; i++) {
    const bert_layout *lay = &bert_layouts[i];
    if (lay->albert != albert || !layout_has(ck, lay, 0)) continue;
    if (layout_has(ck, lay, head0())) return lay;
    if (!bare) bare = lay;
  }
  return bare;
}

static int64_t
dim_size(const bert_model *e, int d)
{
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
  if (!v || strcmp(v, "gelu") == 0) e->act = ACT_GELU;
  else if (strcmp(v, "gelu_new") == 0) e->act = ACT_GELU_TANH;
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
read_vocab(plm_lm *m, bert_model *e, const bert_layout *lay, char *errbuf)
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
load_weights(plm_lm *m, bert_model *e, const bert_layout *lay, char *errbuf)
{
  char   key[320];
  int    status;
  float *sum;

  m->has_lmhead = layout_has(m->ck, lay, head0());
  if ((e->group = calloc((size_t)e->ngroups, sizeof *e->group)) == NULL) PLM_XFAIL(PLM_EMEM, errbuf, "out of memory");
  for (int i = 0; i < BERT_NPARAMS; i++) {
    const bert_param *p = &bert_params[i];
    if (p->need != NEED_ALWAYS && !m->has_lmhead) continue;
    for (int l = 0; l < (p->per_layer ? e->ngroups : 1); l++) {
      plm_w  *w = (plm_w *)((char *)(p->per_layer ? (void *)&e->group[l] : (void *)e) + p->off);
      int64_t shape[2];
      if (!param_key(lay, p, l, key, sizeof key)) continue;
      for (int d = 0; d < p->rank; d++) shape[d] = dim_size(e, p->dim[d]);
      status = plm_weights_Get(&e->ws, m->ck, key, p->rank, shape, linear_only(p) ? PLM_W_LINEAR : 0, w, errbuf);
      if (status == PLM_ENOTFOUND && p->need == OPT_TIED) { *w = e->word; continue; }
      if (status != PLM_OK) goto ERROR;
    }
  }
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

static void
free_workspace(plm_backend *be, bert_model *e)
{
  plm_buf **bufs[] = { &e->x, &e->h, &e->q, &e->k, &e->v, &e->ctx, &e->att, &e->ff, &e->emb, &e->typ, &e->hl, &e->logits };
  for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; i++) { plm_buf_Destroy(be, *bufs[i]); *bufs[i] = NULL; }
  free(e->zeros); e->zeros = NULL;
  e->capT = e->capR = 0;
}

/* buffers for proteins of up to T tokens; grown in steps so a run of similar lengths reallocates rarely */
static int
reserve_workspace(plm_backend *be, bert_model *e, int R, int T, char *errbuf)
{
  size_t cT;
  int    status;

  size_t cR;
  if (T <= e->capT && R <= e->capR) return PLM_OK;
  if (T < e->capT) T = e->capT;
  if (R < e->capR) R = e->capR;
  if (R < T) R = T;
  free_workspace(be, e);
  cT = (size_t)(T + 63) / 64 * 64;
  cR = (size_t)(R + 63) / 64 * 64;
  PLM_XCHECK(plm_buf_Create(be, cR * e->D, &e->x, errbuf));
  PLM_XCHECK(plm_buf_Create(be, cR * e->D, &e->h, errbuf));
  PLM_XCHECK(plm_buf_Create(be, cR * e->D, &e->q, errbuf));
  PLM_XCHECK(plm_buf_Create(be, cR * e->D, &e->k, errbuf));
  PLM_XCHECK(plm_buf_Create(be, cR * e->D, &e->v, errbuf));
  PLM_XCHECK(plm_buf_Create(be, cR * e->D, &e->ctx, errbuf));
  PLM_XCHECK(plm_buf_Create(be, cT * cT * e->H, &e->att, errbuf));
  PLM_XCHECK(plm_buf_Create(be, cR * e->F, &e->ff, errbuf));
  PLM_XCHECK(plm_buf_Create(be, cR * e->E, &e->emb, errbuf));
  PLM_XCHECK(plm_buf_Create(be, cR * e->E, &e->typ, errbuf));
  PLM_XCHECK(plm_buf_Create(be, cR * e->E, &e->hl, errbuf));
  PLM_XCHECK(plm_buf_Create(be, cR * e->V, &e->logits, errbuf));
  if ((e->zeros = calloc(cT, sizeof *e->zeros)) == NULL) PLM_XFAIL(PLM_EMEM, errbuf, "out of memory");
  e->capT = (int)cT;
  e->capR = (int)cR;
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
 * the forward pass, one function per step
 */

static void
activation(plm_backend *be, const bert_model *e, plm_buf *x, size_t n)
{
  if (e->act == ACT_GELU) plm_op_Gelu(be, x, n);
  else                    plm_op_GeluTanh(be, x, n);
}

/* embeddings: ids (B proteins packed by rows: protein b's T[b] tokens from row off[b]) -> x [R, D]:
 * LN(word + position + type 0) over E columns, ALBERT's projection to D after; positions 0..T-1 of
 * each protein, in the order the references add them. One protein gathers straight into emb; more
 * gather each into hl and add onto a zeroed emb (0 + w is w: exact) */
static void
embeddings_forward(plm_backend *be, bert_model *e, const int32_t *ids, int B, const int *T, const int *off)
{
  plm_buf *emb = e->albert ? e->emb : e->x;
  int      R = off[B - 1] + T[B - 1], Tmax = 0;

  for (int b = 0; b < B; b++) if (T[b] > Tmax) Tmax = T[b];
  plm_op_Embed(be, e->type.buf, e->zeros, Tmax, e->E, -1, 1.0f, 1.0f, e->typ);
  if (B > 1) plm_op_Zero(be, emb, (size_t)R * e->E);
  for (int b = 0; b < B; b++) {
    size_t n = (size_t)T[b] * e->E, at = (size_t)off[b] * e->E;
    if (B > 1) {
      plm_op_Embed(be, e->word.buf, ids + off[b], T[b], e->E, -1, 1.0f, 1.0f, e->hl);
      plm_op_Add(be, emb, at, e->hl, 0, n);
    } else plm_op_Embed(be, e->word.buf, ids, T[b], e->E, -1, 1.0f, 1.0f, emb);
    plm_op_Add(be, emb, at, e->pos.buf, 0, n);
    plm_op_Add(be, emb, at, e->typ, 0, n);
  }
  plm_op_LayerNorm(be, emb, emb, R, e->E, e->lne_g.buf, e->lne_b.buf, e->eps);
  if (e->albert) plm_op_Linear(be, emb, R, e->E, e->map_w.buf, e->map_b.buf, e->D, e->x);
}

/* self-attention block over B proteins packed by rows: x [R, D] = LN(x + dense(softmax(q k^T /
 * sqrt(hd)) v)), per head of hd columns; the projections over all R rows at once, the attention per
 * protein over its own T x T (no padding), its probabilities in att [H, T, T] handed to outs[b]'s
 * attentions slot li while they are there (li < 0: no one wants them) */
static void
attention_forward(plm_backend *be, bert_model *e, const bert_layer *w, int B, const int *T, const int *off,
                  const plm_lm_request *req, plm_lm_output *outs, int li)
{
  int D = e->D, H = e->H, hd = e->hd, R = off[B - 1] + T[B - 1];

  plm_op_Linear(be, e->x, R, D, w->wq.buf, w->bq.buf, D, e->q);
  plm_op_Linear(be, e->x, R, D, w->wk.buf, w->bk.buf, D, e->k);
  plm_op_Linear(be, e->x, R, D, w->wv.buf, w->bv.buf, D, e->v);
  for (int b = 0; b < B; b++) {
    size_t TT = (size_t)T[b] * T[b], o = (size_t)off[b] * D;
    plm_op_Gemm(be, &(plm_gemm){ .transB = 1, .M = T[b], .N = T[b], .K = hd, .batch = H, .alpha = e->scaling,
                                 .A = e->q, .offA = o, .lda = D, .strideA = (size_t)hd,
                                 .B = e->k, .offB = o, .ldb = D, .strideB = (size_t)hd,
                                 .C = e->att, .ldc = T[b], .strideC = TT });
    plm_op_SoftmaxRows(be, e->att, H * T[b], T[b]);
    plm_op_Gemm(be, &(plm_gemm){ .M = T[b], .N = hd, .K = T[b], .batch = H, .alpha = 1.0f,
                                 .A = e->att, .lda = T[b], .strideA = TT,
                                 .B = e->v, .offB = o, .ldb = D, .strideB = (size_t)hd,
                                 .C = e->ctx, .offC = o, .ldc = D, .strideC = (size_t)hd });
    if (li >= 0 && outs[b].attentions) plm_lmout_Attention(be, e->att, H, li, T[b], 0, T[b], req, outs[b].attentions);
  }
  plm_op_Linear(be, e->ctx, R, D, w->wo.buf, w->bo.buf, D, e->h);
  plm_op_Add(be, e->h, 0, e->x, 0, (size_t)R * D);
  plm_op_LayerNorm(be, e->h, e->x, R, D, w->ln1_g.buf, w->ln1_b.buf, e->eps);
}
/* feed-forward block: x [T, D] = LN(x + fc2(act(fc1(x)))), through ff [T, F] */
static void
ffn_forward(plm_backend *be, bert_model *e, const bert_layer *w, int T)
{
  plm_op_Linear(be, e->x, T, e->D, w->fc1_w.buf, w->fc1_b.buf, e->F, e->ff);
  activation(be, e, e->ff, (size_t)T * e->F);
  plm_op_Linear(be, e->ff, T, e->F, w->fc2_w.buf, w->fc2_b.buf, e->D, e->h);
  plm_op_Add(be, e->h, 0, e->x, 0, (size_t)T * e->D);
  plm_op_LayerNorm(be, e->h, e->x, T, e->D, w->ln2_g.buf, w->ln2_b.buf, e->eps);
}

/* MLM head: x [T, D] -> logits [T, V] = LN(act(dense(x))) W_dec^T + b, through hl [T, E] */
static void
lmhead_forward(plm_backend *be, bert_model *e, int T)
{
  plm_op_Linear(be, e->x, T, e->D, e->dense_w.buf, e->dense_b.buf, e->E, e->hl);
  activation(be, e, e->hl, (size_t)T * e->E);
  plm_op_LayerNorm(be, e->hl, e->hl, T, e->E, e->lnh_g.buf, e->lnh_b.buf, e->head_eps);
  plm_op_Linear(be, e->hl, T, e->E, e->dec_w.buf, e->lm_bias.buf, e->V, e->logits);
}

/* B proteins packed by rows (ids: protein b's T[b] tokens after the ones before it) as one forward
 * pass: the position-wise layers over all rows at once, attention per protein; outs[b] protein b's */
static int
bert_run(plm_lm *m, const int32_t *ids, int B, const int *T, const plm_lm_request *req, plm_lm_output *outs, char *errbuf)
{
  bert_model  *e  = m->priv;
  plm_backend *be = m->be;
  int          nla = req->attn_layers ? plm_lmout_CountFlags(req->attn_layers, e->nl) : 0;
  int          nha = plm_lmout_CountFlags(req->attn_heads, e->H);
  int          li = 0, R = 0, Tmax = 0, *off = NULL, status;

  if (req->logits && !m->has_lmhead)
    PLM_XFAIL(PLM_EUNSUP, errbuf, "%s has no MLM head: logits are unavailable", m->ck->path);
  if (req->contacts)
    PLM_XFAIL(PLM_EUNSUP, errbuf, "%s: %s models have no contact head (fit one with lrfit)", m->ck->path, m->arch);
  if ((off = malloc(sizeof *off * (size_t)B)) == NULL) PLM_XFAIL(PLM_EMEM, errbuf, "out of memory");
  for (int b = 0; b < B; b++) {
    off[b] = R;
    R += T[b];
    if (T[b] > Tmax) Tmax = T[b];
  }
  if (Tmax > e->P) { free(off); PLM_XFAIL(PLM_ELIMIT, errbuf, "%d tokens exceed the model's %d positions", Tmax, e->P); }
  if ((status = reserve_workspace(be, e, R, Tmax, errbuf)) != PLM_OK) { free(off); return status; }
  for (int b = 0; b < B && nla > 0 && nha > 0; b++) {
    int64_t shape[4] = { nla, nha, T[b], T[b] };
    PLM_XCHECK(plm_tensor_Create("attentions", req->attn_dtype, 4, shape, &outs[b].attentions, errbuf));
  }

  embeddings_forward(be, e, ids, B, T, off);
  for (int b = 0; b < B; b++) PLM_XCHECK(plm_lmout_ReprRows(be, e->x, off[b], 0, T[b], e->D, req, &outs[b], errbuf));
  for (int l = 0; l < e->nl; l++) {
    const bert_layer *w = &e->group[(int)((int64_t)l * e->ngroups / e->nl)];
    int               mine = nla > 0 && nha > 0 && req->attn_layers[l];
    attention_forward(be, e, w, B, T, off, req, outs, mine ? li : -1);
    li += mine;
    ffn_forward(be, e, w, R);
    for (int b = 0; b < B; b++) PLM_XCHECK(plm_lmout_ReprRows(be, e->x, off[b], l + 1, T[b], e->D, req, &outs[b], errbuf));
  }
  if (req->logits) {
    lmhead_forward(be, e, R);
    for (int b = 0; b < B; b++) PLM_XCHECK(plm_lmout_LogitsRows(be, e->logits, off[b], T[b], e->V, &outs[b], errbuf));
  }
  PLM_XCHECK(plm_backend_Sync(be, errbuf));
  status = PLM_OK;

ERROR:
  free(off);
  return status;
}

static int
bert_forward(plm_lm *m, const int32_t *ids, int T, const plm_lm_request *req, plm_lm_output *out, char *errbuf)
{
  return bert_run(m, ids, 1, &T, req, out, errbuf);
}

static int
bert_forward_many(plm_lm *m, const int32_t *ids, int B, const int *T, const plm_lm_request *req, plm_lm_output *outs, char *errbuf)
{
  if (B < 1) return plm_Fail(errbuf, PLM_EINVAL, "a batch of %d proteins", B);
  return bert_run(m, ids, B, T, req, outs, errbuf);
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
  plm_lm            *m = NULL;
  bert_model        *e = NULL;
  const bert_layout *lay;
  int                status;

  *ret_m = NULL;
  if ((m = calloc(1, sizeof *m)) == NULL || (e = calloc(1, sizeof *e)) == NULL) PLM_XFAIL(PLM_EMEM, errbuf, "out of memory");
  m->priv = e;
  m->ck = ck;
  m->be = be;
  e->ws.be = be;
  m->special_tokens = "cls,sep";
  m->tokenize = bert_tokenize;
  m->forward  = bert_forward;
  m->forward_many = bert_forward_many;
  m->destroy  = bert_destroy;
  PLM_XCHECK(read_config(m, e, errbuf));
  if ((lay = find_layout(ck, e->albert)) == NULL)
    PLM_XFAIL(PLM_ENOTFOUND, errbuf, "%s: no '%sembeddings.word_embeddings.weight': not a %s checkpoint",
              ck->path, e->albert ? "albert." : "bert.", e->albert ? "ALBERT" : "BERT");
  PLM_XCHECK(load_weights(m, e, lay, errbuf));
  PLM_XCHECK(read_vocab(m, e, lay, errbuf));
  m->nlayers = e->nl;
  m->nheads  = e->H;
  m->dim     = e->D;
  m->vocab   = e->V;
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

/* torch's starting values: N(0, 1/fan_in) weights, N(0, 1) embeddings, LayerNorm gains 1, small biases */
static void
init_param(const char *key, plm_tensor *t, uint64_t *rng)
{
  float  *x = t->data;
  int64_t n = plm_tensor_Numel(t), cols = t->shape[t->rank - 1];
  int     gain = strstr(key, "LayerNorm.weight") != NULL, embed = t->rank == 2 && strstr(key, "embeddings") != NULL;
  for (int64_t i = 0; i < n; i++)
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
  const bert_layout *lay = &bert_layouts[1];      /* HuggingFace BertForMaskedLM */
  bert_model         e = { .nl = nl, .D = D, .H = H, .F = 4 * D, .V = RANDOM_V, .P = RANDOM_P, .NT = 2, .E = D };
  plm_tensor       **t = NULL;
  char               path[4096], key[320];
  int                n = 0, cap = BERT_NPARAMS * (nl > 0 ? nl : 1), status;
  uint64_t           rng = seed;

  if (nl < 1 || nl > PLM_LM_MAXLAYERS || D < 1 || H < 1 || D % H)
    PLM_XFAIL(PLM_EINVAL, errbuf, "no BERT shape with %d layers, width %d, %d heads (heads must divide the width)", nl, D, H);
  if (mkdir(dir, 0777) != 0 && errno != EEXIST) PLM_XFAIL(PLM_EIO, errbuf, "%s: %s", dir, strerror(errno));
  if ((t = calloc((size_t)cap, sizeof *t)) == NULL) PLM_XFAIL(PLM_EMEM, errbuf, "out of memory");
  for (int i = 0; i < BERT_NPARAMS; i++) {
    const bert_param *p = &bert_params[i];
    for (int l = 0; l < (p->per_layer ? nl : 1); l++) {
      int64_t shape[2];
      if (!param_key(lay, p, l, key, sizeof key)) continue;
      for (int d = 0; d < p->rank; d++) shape[d] = dim_size(&e, p->dim[d]);
      PLM_XCHECK(plm_tensor_Create(key, PLM_F32, p->rank, shape, &t[n], errbuf));
      if (p->need == OPT_TIED) memcpy(t[n]->data, t[0]->data, plm_tensor_Nbytes(t[0]));   /* HF ties the decoder */
      else init_param(key, t[n], &rng);
      n++;
    }
  }
  snprintf(path, sizeof path, "%s/model.safetensors", dir);
  PLM_XCHECK(plm_stwrite_File(path, t, n, errbuf));
  PLM_XCHECK(write_random_text(dir, &e, errbuf));
  status = PLM_OK;

ERROR:
  for (int i = 0; i < n; i++) plm_tensor_Destroy(t[i]);
  free(t);
  return status;
}
