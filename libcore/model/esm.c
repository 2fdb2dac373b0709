/* esm.c: ESM-2 and ESM-1b inference, as fair-esm 2.0 computes it (see esm.h).
 *
 * The model is a pre-LayerNorm transformer encoder over BOS + residues + EOS:
 *
 *   x = embed(tokens), token dropout, [+ learned positions, LayerNorm]   repr0
 *   for each layer:  x += attention(LN(x)),  x += fc2(gelu(fc1(LN(x))))  repr1..
 *   x = LN(x)                                                            repr<last>
 *   logits = LN(gelu(dense(x))) embed^T + bias                           the tied LM head
 *   contacts = sigmoid(sum over layers, heads of w APC(sym(attention)))
 *
 * ESM-2 rotates q and k (half-split rotary); ESM-1b adds learned positions
 * and a LayerNorm before the first layer, and its <mask> embedding row is
 * zeroed at load as fair-esm's loader does (zero_mask_row). Every step is a
 * backend operator (backend.h) on buffers sized once per protein.
 *
 * Weight names: esm_params[] lists every parameter once with its fair-esm and
 * HuggingFace keys; an esm_layout adds the prefixes of one file layout.
 *
 *   plm_esm_Recognize() / plm_esm_Create()
 *   esm_forward() and the per-layer functions it calls
 *   plm_esm_WriteRandom()  a random ESM-2 as a HuggingFace folder, from the same table
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
#include "stwrite.h"
#include "esm.h"

/* one weight: float32 host data (a view into the checkpoint or our copy; NULL for a matrix the backend
 * keeps as halves) and its backend buffer */
typedef struct esm_w { const float *host; plm_buf *buf; } esm_w;

typedef struct esm_layer {
  esm_w ln1_g, ln1_b;                         /* self_attn_layer_norm */
  esm_w wq, bq, wk, bk, wv, bv, wo, bo;       /* q/k/v/out projections */
  esm_w ln2_g, ln2_b;                         /* final_layer_norm */
  esm_w fc1_w, fc1_b, fc2_w, fc2_b;
  esm_w inv_freq;                             /* rotary buffer; computed when absent */
} esm_layer;

typedef struct esm_model {
  int        nl, D, H, hd, F, V, P;   /* P: rows of the learned position table */
  int        rotary, ln_before, token_dropout;
  int        fairesm_1b;              /* loaded as fair-esm's v1 loader would: arch roberta_large */
  float      eps, scaling;
  esm_w      embed, pos, lnb_g, lnb_b, lna_g, lna_b;
  esm_w      lm_dense_w, lm_dense_b, lm_ln_g, lm_ln_b, lm_w, lm_b;
  esm_w      reg_w, reg_b;
  esm_layer *layer;
  float     *inv_freq;                /* hd/2 rotary frequencies (host) */
  float    **owned;                   /* float32 copies we made (other dtypes, misaligned, written) */
  int        nowned;
  /* workspace for B proteins of T tokens (B x T rows; attention maps for one block of query rows of
   * one protein; the contact head for one), regrown when more come */
  int        capT, capRows;
  size_t     capAtt, capAcc;          /* floats in att; L x L capacity of acc (0: no contact head yet) */
  plm_buf   *x, *h, *q, *k, *v, *ctx, *att, *ff, *cos, *sin, *logits;
  plm_buf   *acc, *cu, *cv;             /* contact head: L x L sum, (layers x H) x L rank-one factors */
  float     *rope;                    /* host: cos then sin, T x hd/2 each */
  uint8_t   *drop;                    /* host: inline <eos> among the residues */
  int        dropping;                /* any drop flag set, for this protein */
} esm_model;

/* ---------------------------------------------------------------------------
 * the parameter table
 */

enum esm_section { SEC_BODY, SEC_LMHEAD, SEC_CONTACT };
enum esm_need    { NEED_ALWAYS, NEED_ABSOLUTE, NEED_LNBEFORE, NEED_LMHEAD, NEED_CONTACT,
                   OPT_ROTARY,     /* rotary inv_freq: computed when absent */
                   OPT_TIED };     /* LM head weight: the embedding when absent */
/* symbolic sizes in shapes; positive numbers are literal */
enum { DIM_D = -1, DIM_F = -2, DIM_V = -3, DIM_P = -4, DIM_HALF = -5, DIM_LH = -6 };

/* how plm_esm_WriteRandom() fills a parameter: what torch's modules start from */
enum esm_init { INIT_WEIGHT, INIT_BIAS, INIT_GAIN, INIT_EMBED, INIT_ROPE };

typedef struct esm_param {
  size_t      off;          /* of the esm_w in esm_model, or in esm_layer for per-layer ones */
  int         per_layer;
  const char *fe, *hf;      /* key after the layout prefix; "%d" is the layer */
  int         section, need;
  int         rank, dim[2];
  int         init;
} esm_param;

#define M(f) offsetof(esm_model, f), 0
#define Y(f) offsetof(esm_layer, f), 1
static const esm_param esm_params[] = {
  /* field         fair-esm key (after the layout's prefix; %d: the layer)
   *  HuggingFace key                                              section      need           rank shape            init */
  { M(embed),       "embed_tokens.weight",
    "embeddings.word_embeddings.weight",                            SEC_BODY,    NEED_ALWAYS,   2, { DIM_V, DIM_D }, INIT_EMBED },
  { M(pos),         "embed_positions.weight",
    "embeddings.position_embeddings.weight",                        SEC_BODY,    NEED_ABSOLUTE, 2, { DIM_P, DIM_D }, INIT_EMBED },
  { M(lnb_g),       "emb_layer_norm_before.weight",
    "embeddings.layer_norm.weight",                                 SEC_BODY,    NEED_LNBEFORE, 1, { DIM_D },        INIT_GAIN },
  { M(lnb_b),       "emb_layer_norm_before.bias",
    "embeddings.layer_norm.bias",                                   SEC_BODY,    NEED_LNBEFORE, 1, { DIM_D },        INIT_BIAS },
  { Y(ln1_g),       "layers.%d.self_attn_layer_norm.weight",
    "encoder.layer.%d.attention.LayerNorm.weight",                  SEC_BODY,    NEED_ALWAYS,   1, { DIM_D },        INIT_GAIN },
  { Y(ln1_b),       "layers.%d.self_attn_layer_norm.bias",
    "encoder.layer.%d.attention.LayerNorm.bias",                    SEC_BODY,    NEED_ALWAYS,   1, { DIM_D },        INIT_BIAS },
  { Y(wq),          "layers.%d.self_attn.q_proj.weight",
    "encoder.layer.%d.attention.self.query.weight",                 SEC_BODY,    NEED_ALWAYS,   2, { DIM_D, DIM_D }, INIT_WEIGHT },
  { Y(bq),          "layers.%d.self_attn.q_proj.bias",
    "encoder.layer.%d.attention.self.query.bias",                   SEC_BODY,    NEED_ALWAYS,   1, { DIM_D },        INIT_BIAS },
  { Y(wk),          "layers.%d.self_attn.k_proj.weight",
    "encoder.layer.%d.attention.self.key.weight",                   SEC_BODY,    NEED_ALWAYS,   2, { DIM_D, DIM_D }, INIT_WEIGHT },
  { Y(bk),          "layers.%d.self_attn.k_proj.bias",
    "encoder.layer.%d.attention.self.key.bias",                     SEC_BODY,    NEED_ALWAYS,   1, { DIM_D },        INIT_BIAS },
  { Y(wv),          "layers.%d.self_attn.v_proj.weight",
    "encoder.layer.%d.attention.self.value.weight",                 SEC_BODY,    NEED_ALWAYS,   2, { DIM_D, DIM_D }, INIT_WEIGHT },
  { Y(bv),          "layers.%d.self_attn.v_proj.bias",
    "encoder.layer.%d.attention.self.value.bias",                   SEC_BODY,    NEED_ALWAYS,   1, { DIM_D },        INIT_BIAS },
  { Y(wo),          "layers.%d.self_attn.out_proj.weight",
    "encoder.layer.%d.attention.output.dense.weight",               SEC_BODY,    NEED_ALWAYS,   2, { DIM_D, DIM_D }, INIT_WEIGHT },
  { Y(bo),          "layers.%d.self_attn.out_proj.bias",
    "encoder.layer.%d.attention.output.dense.bias",                 SEC_BODY,    NEED_ALWAYS,   1, { DIM_D },        INIT_BIAS },
  { Y(inv_freq),    "layers.%d.self_attn.rot_emb.inv_freq",
    "encoder.layer.%d.attention.self.rotary_embeddings.inv_freq",   SEC_BODY,    OPT_ROTARY,    1, { DIM_HALF },     INIT_ROPE },
  { Y(ln2_g),       "layers.%d.final_layer_norm.weight",
    "encoder.layer.%d.LayerNorm.weight",                            SEC_BODY,    NEED_ALWAYS,   1, { DIM_D },        INIT_GAIN },
  { Y(ln2_b),       "layers.%d.final_layer_norm.bias",
    "encoder.layer.%d.LayerNorm.bias",                              SEC_BODY,    NEED_ALWAYS,   1, { DIM_D },        INIT_BIAS },
  { Y(fc1_w),       "layers.%d.fc1.weight",
    "encoder.layer.%d.intermediate.dense.weight",                   SEC_BODY,    NEED_ALWAYS,   2, { DIM_F, DIM_D }, INIT_WEIGHT },
  { Y(fc1_b),       "layers.%d.fc1.bias",
    "encoder.layer.%d.intermediate.dense.bias",                     SEC_BODY,    NEED_ALWAYS,   1, { DIM_F },        INIT_BIAS },
  { Y(fc2_w),       "layers.%d.fc2.weight",
    "encoder.layer.%d.output.dense.weight",                         SEC_BODY,    NEED_ALWAYS,   2, { DIM_D, DIM_F }, INIT_WEIGHT },
  { Y(fc2_b),       "layers.%d.fc2.bias",
    "encoder.layer.%d.output.dense.bias",                           SEC_BODY,    NEED_ALWAYS,   1, { DIM_D },        INIT_BIAS },
  { M(lna_g),       "emb_layer_norm_after.weight",
    "encoder.emb_layer_norm_after.weight",                          SEC_BODY,    NEED_ALWAYS,   1, { DIM_D },        INIT_GAIN },
  { M(lna_b),       "emb_layer_norm_after.bias",
    "encoder.emb_layer_norm_after.bias",                            SEC_BODY,    NEED_ALWAYS,   1, { DIM_D },        INIT_BIAS },
  { M(lm_dense_w),  "lm_head.dense.weight",
    "lm_head.dense.weight",                                         SEC_LMHEAD,  NEED_LMHEAD,   2, { DIM_D, DIM_D }, INIT_WEIGHT },
  { M(lm_dense_b),  "lm_head.dense.bias",
    "lm_head.dense.bias",                                           SEC_LMHEAD,  NEED_LMHEAD,   1, { DIM_D },        INIT_BIAS },
  { M(lm_ln_g),     "lm_head.layer_norm.weight",
    "lm_head.layer_norm.weight",                                    SEC_LMHEAD,  NEED_LMHEAD,   1, { DIM_D },        INIT_GAIN },
  { M(lm_ln_b),     "lm_head.layer_norm.bias",
    "lm_head.layer_norm.bias",                                      SEC_LMHEAD,  NEED_LMHEAD,   1, { DIM_D },        INIT_BIAS },
  { M(lm_w),        "lm_head.weight",
    "lm_head.decoder.weight",                                       SEC_LMHEAD,  OPT_TIED,      2, { DIM_V, DIM_D }, INIT_WEIGHT },
  { M(lm_b),        "lm_head.bias",
    "lm_head.bias",                                                 SEC_LMHEAD,  NEED_LMHEAD,   1, { DIM_V },        INIT_BIAS },
  { M(reg_w),       "contact_head.regression.weight",
    "contact_head.regression.weight",                               SEC_CONTACT, NEED_CONTACT,  2, { 1, DIM_LH },    INIT_WEIGHT },
  { M(reg_b),       "contact_head.regression.bias",
    "contact_head.regression.bias",                                 SEC_CONTACT, NEED_CONTACT,  1, { 1 },            INIT_BIAS },
};
#undef M
#undef Y
#define ESM_NPARAMS (int)(sizeof esm_params / sizeof esm_params[0])

/* where each section's keys start, per file layout; the first whose embedding key exists wins */
typedef struct esm_layout { const char *what; int hf; const char *prefix[3]; } esm_layout;
static const esm_layout esm_layouts[] = {
  { "fair-esm",                    0, { "encoder.sentence_encoder.", "encoder.", "" } },
  { "fair-esm (upgraded keys)",    0, { "", "", "" } },
  { "HuggingFace EsmForMaskedLM",  1, { "esm.", "", "esm." } },
  { "HuggingFace EsmModel",        1, { "", "", "" } },
};
#define ESM_NLAYOUTS (int)(sizeof esm_layouts / sizeof esm_layouts[0])

static void
param_key(const esm_layout *lay, const esm_param *p, int layer, char *key, size_t n)
{
  char tail[256];
  snprintf(tail, sizeof tail, lay->hf ? p->hf : p->fe, layer);
  snprintf(key, n, "%s%s", lay->prefix[p->section], tail);
}

/* the model-wide parameter stored at `off` in esm_model */
static const esm_param *
model_param(size_t off)
{
  for (int i = 0; i < ESM_NPARAMS; i++)
    if (!esm_params[i].per_layer && esm_params[i].off == off) return &esm_params[i];
  return NULL;
}

/* does the checkpoint hold the model-wide parameter at `off`, in this layout? */
static int
has_param(const plm_checkpoint *ck, const esm_layout *lay, size_t off)
{
  char key[320];
  param_key(lay, model_param(off), 0, key, sizeof key);
  return plm_checkpoint_Get(ck, key) != NULL;
}

static const esm_layout *
find_layout(const plm_checkpoint *ck)
{
  for (int i = 0; i < ESM_NLAYOUTS; i++)
    if (has_param(ck, &esm_layouts[i], offsetof(esm_model, embed))) return &esm_layouts[i];
  return NULL;
}

/* is a parameter with this `need` part of the model being built? */
static int
param_wanted(const esm_model *e, int need, int has_lmhead, int has_contacts)
{
  switch (need) {
  case OPT_ROTARY:    return e->rotary;
  case NEED_ABSOLUTE: return !e->rotary;
  case NEED_LNBEFORE: return e->ln_before;
  case NEED_LMHEAD:   case OPT_TIED: return has_lmhead;
  case NEED_CONTACT:  return has_contacts;
  default:            return 1;
  }
}

static int64_t
dim_size(const esm_model *e, int d)
{
  switch (d) {
  case DIM_D:    return e->D;
  case DIM_F:    return e->F;
  case DIM_V:    return e->V;
  case DIM_P:    return e->P;
  case DIM_HALF: return e->hd / 2;
  case DIM_LH:   return (int64_t)e->nl * e->H;
  default:       return d;
  }
}

static void
shape_str(int rank, const int64_t *shape, char *buf, size_t n)
{
  size_t used = 0;
  used += (size_t)snprintf(buf, n, "[");
  for (int i = 0; i < rank && used < n; i++)
    used += (size_t)snprintf(buf + used, n - used, "%s%lld", i ? ", " : "", (long long)shape[i]);
  if (used < n) snprintf(buf + used, n - used, "]");
}

/* float32 data of a checkpoint tensor: the mapped data itself when it is aligned float32 and
 * need not be written, else a copy the model owns */
static int
weight_f32(esm_model *e, const plm_tensor *t, int writable, const float **ret, char *errbuf)
{
  plm_tensor *c = NULL;
  float     **grown;
  int         status;

  if (t->dtype == PLM_F32 && !writable && ((uintptr_t)t->data % sizeof(float)) == 0) { *ret = t->data; return PLM_OK; }
  if ((grown = realloc(e->owned, sizeof *grown * (size_t)(e->nowned + 1))) == NULL) PLM_XFAIL(PLM_EMEM, errbuf, "out of memory");
  e->owned = grown;
  if (t->dtype == PLM_F32) {
    size_t nb = plm_tensor_Nbytes(t);
    if ((e->owned[e->nowned] = malloc(nb ? nb : 1)) == NULL) PLM_XFAIL(PLM_EMEM, errbuf, "out of memory");
    memcpy(e->owned[e->nowned], t->data, nb);
  } else {
    PLM_XCHECK(plm_tensor_ToF32(t, t->name, &c, errbuf));
    e->owned[e->nowned] = c->data;   /* keep the data, drop the wrapper */
    c->data_owned = 0;
    plm_tensor_Destroy(c);
  }
  *ret = e->owned[e->nowned++];
  return PLM_OK;

ERROR:
  return status;
}

/* the matrices only plm_op_Linear reads, as W: under f16 weights the backend keeps them as halves
 * (backend.h). Not the embedding, the tied LM weight (which may be the embedding) or positions. */
static int
linear_only(const esm_param *p)
{
  static const size_t layer_w[] = { offsetof(esm_layer, wq), offsetof(esm_layer, wk), offsetof(esm_layer, wv),
                                    offsetof(esm_layer, wo), offsetof(esm_layer, fc1_w), offsetof(esm_layer, fc2_w) };
  if (!p->per_layer) return p->off == offsetof(esm_model, lm_dense_w);
  for (size_t i = 0; i < sizeof layer_w / sizeof layer_w[0]; i++) if (p->off == layer_w[i]) return 1;
  return 0;
}

/* a float32 copy weight_f32 just made, no longer needed once the backend holds its own halves */
static void
drop_copy(esm_model *e, const float **host)
{
  if (e->nowned > 0 && e->owned[e->nowned - 1] == *host) free(e->owned[--e->nowned]);
  *host = NULL;
}

/* find, check and wrap one parameter; ENOTFOUND (with a message) when it is absent */
static int
load_param(plm_lm *m, esm_model *e, const esm_layout *lay, const esm_param *p, int layer, esm_w *w, char *errbuf)
{
  char              key[320], want[96], got[96];
  int64_t           shape[2];
  const plm_tensor *t;
  int               ok, status;

  param_key(lay, p, layer, key, sizeof key);
  if ((t = plm_checkpoint_Get(m->ck, key)) == NULL)
    return plm_Fail(errbuf, PLM_ENOTFOUND, "%s: missing tensor '%s' (%s layout, %s)", m->ck->path, key, lay->what, m->arch);
  for (int i = 0; i < p->rank; i++) shape[i] = dim_size(e, p->dim[i]);
  ok = t->rank == p->rank;
  for (int i = 0; ok && i < p->rank; i++) ok = t->shape[i] == shape[i];
  if (!ok) {
    shape_str(t->rank, t->shape, got, sizeof got);
    shape_str(p->rank, shape, want, sizeof want);
    PLM_XFAIL(PLM_EFORMAT, errbuf, "%s: tensor '%s' has shape %s, expected %s for %s", m->ck->path, key, got, want, m->arch);
  }
  if (t->dtype != PLM_F32 && t->dtype != PLM_F16 && t->dtype != PLM_BF16)
    PLM_XFAIL(PLM_EFORMAT, errbuf, "%s: tensor '%s' is %s, expected a floating-point type", m->ck->path, key, plm_dtype_Name(t->dtype));
  PLM_XCHECK(weight_f32(e, t, 0, &w->host, errbuf));
  if (!linear_only(p))
    PLM_XCHECK(plm_buf_Wrap(m->be, w->host, (size_t)plm_tensor_Numel(t), &w->buf, errbuf));
  else {
    PLM_XCHECK(plm_buf_WrapWeight(m->be, w->host, (size_t)plm_tensor_Numel(t), &w->buf, errbuf));
    if (m->be->weights == PLM_F16) drop_copy(e, &w->host);
    /* the backend has its own copy: the file's pages need not stay resident */
    if (plm_backend_CopiesWeights(m->be)) plm_checkpoint_Release(m->ck, t->data, plm_tensor_Nbytes(t));
  }
  return PLM_OK;

ERROR:
  return status;
}

/* ---------------------------------------------------------------------------
 * configuration
 */

static const char *
cfg_any(const plm_checkpoint *ck, const char *k1, const char *k2)
{
  const char *v = plm_checkpoint_Config(ck, k1);
  return v || !k2 ? v : plm_checkpoint_Config(ck, k2);
}

/* a positive integer under key k1 (or k2) */
static int
cfg_int(const plm_checkpoint *ck, const char *k1, const char *k2, int *ret, char *errbuf)
{
  const char *v = cfg_any(ck, k1, k2);
  char       *end;
  long        x;

  if (!v) return plm_Fail(errbuf, PLM_EFORMAT, "%s: configuration lacks '%s'", ck->path, k1);
  x = strtol(v, &end, 10);
  if (end == v || *end || x < 1 || x > (1L << 24))
    return plm_Fail(errbuf, PLM_EFORMAT, "%s: configuration '%s' = '%s' is not a usable size", ck->path, k1, v);
  *ret = (int)x;
  return PLM_OK;
}

static int
cfg_bool(const plm_checkpoint *ck, const char *k, int dflt)
{
  const char *v = plm_checkpoint_Config(ck, k);
  return v ? strcmp(v, "true") == 0 || strcmp(v, "1") == 0 : dflt;
}

int
plm_esm_Recognize(const plm_checkpoint *ck)
{
  const char *arch = plm_checkpoint_Config(ck, "arch");
  const char *mt   = plm_checkpoint_Config(ck, "model_type");
  return (arch && (strcmp(arch, "esm2") == 0 || strcmp(arch, "roberta_large") == 0)) || (mt && strcmp(mt, "esm") == 0);
}

/* sizes and variant from the configuration; ln_before of ESM-1b from the weights, as fair-esm does */
static int
read_config(plm_lm *m, esm_model *e, char *errbuf)
{
  const plm_checkpoint *ck   = m->ck;
  const char           *arch = plm_checkpoint_Config(ck, "arch");
  const char           *v;
  int                   status;

  e->V = PLM_ESM_NTOK;
  e->eps = 1e-5f;
  if (arch && strcmp(arch, "esm2") == 0) {                 /* fair-esm ESM-2: cfg['model'] */
    m->arch = "esm2";
    PLM_XCHECK(cfg_int(ck, "encoder_layers", NULL, &e->nl, errbuf));
    PLM_XCHECK(cfg_int(ck, "encoder_embed_dim", NULL, &e->D, errbuf));
    PLM_XCHECK(cfg_int(ck, "encoder_attention_heads", NULL, &e->H, errbuf));
    e->F             = 4 * e->D;                          /* ESM2() ignores encoder_ffn_embed_dim */
    e->rotary        = 1;
    e->token_dropout = cfg_bool(ck, "token_dropout", 1);
    if (cfg_int(ck, "max_positions", NULL, &m->trained_tokens, errbuf) != PLM_OK) m->trained_tokens = 1024;
  } else if (arch && strcmp(arch, "roberta_large") == 0) { /* fair-esm ESM-1b: legacy args */
    int maxpos;
    m->arch = "esm1b";
    e->fairesm_1b = 1;
    PLM_XCHECK(cfg_int(ck, "encoder_layers", "layers", &e->nl, errbuf));
    PLM_XCHECK(cfg_int(ck, "encoder_embed_dim", "embed_dim", &e->D, errbuf));
    PLM_XCHECK(cfg_int(ck, "encoder_ffn_embed_dim", "ffn_embed_dim", &e->F, errbuf));
    PLM_XCHECK(cfg_int(ck, "encoder_attention_heads", "attention_heads", &e->H, errbuf));
    PLM_XCHECK(cfg_int(ck, "max_positions", NULL, &maxpos, errbuf));
    e->P             = maxpos + PLM_ESM_PAD + 1;
    e->token_dropout = cfg_bool(ck, "token_dropout", 0);
    e->ln_before     = -1;                                /* decided by the weights */
  } else {                                                 /* HuggingFace config.json */
    const char *pe = plm_checkpoint_Config(ck, "position_embedding_type");
    PLM_XCHECK(cfg_int(ck, "num_hidden_layers", NULL, &e->nl, errbuf));
    PLM_XCHECK(cfg_int(ck, "hidden_size", NULL, &e->D, errbuf));
    PLM_XCHECK(cfg_int(ck, "num_attention_heads", NULL, &e->H, errbuf));
    PLM_XCHECK(cfg_int(ck, "intermediate_size", NULL, &e->F, errbuf));
    PLM_XCHECK(cfg_int(ck, "vocab_size", NULL, &e->V, errbuf));
    if (!pe || (strcmp(pe, "rotary") != 0 && strcmp(pe, "absolute") != 0))
      PLM_XFAIL(PLM_EUNSUP, errbuf, "%s: position_embedding_type '%s' is not supported (rotary or absolute)", ck->path, pe ? pe : "none");
    e->rotary        = strcmp(pe, "rotary") == 0;
    m->arch          = e->rotary ? "esm2" : "esm1b";
    e->ln_before     = cfg_bool(ck, "emb_layer_norm_before", 0);
    e->token_dropout = cfg_bool(ck, "token_dropout", 0);
    e->eps           = (v = plm_checkpoint_Config(ck, "layer_norm_eps")) ? strtof(v, NULL) : 1e-12f;
    if ((v = plm_checkpoint_Config(ck, "hidden_act")) && strcmp(v, "gelu") != 0)
      PLM_XFAIL(PLM_EUNSUP, errbuf, "%s: hidden_act '%s' is not supported (gelu)", ck->path, v);
    if (e->V != PLM_ESM_NTOK ||
        ((v = plm_checkpoint_Config(ck, "pad_token_id"))  && atoi(v) != PLM_ESM_PAD) ||
        ((v = plm_checkpoint_Config(ck, "mask_token_id")) && atoi(v) != PLM_ESM_MASK))
      PLM_XFAIL(PLM_EUNSUP, errbuf, "%s: vocabulary differs from the 33-token ESM alphabet", ck->path);
    if (e->rotary) {
      if (cfg_int(ck, "max_position_embeddings", NULL, &m->trained_tokens, errbuf) != PLM_OK) m->trained_tokens = 1026;
      m->trained_tokens -= PLM_ESM_PAD + 1;                 /* HF counts the padding offset in */
    } else
      PLM_XCHECK(cfg_int(ck, "max_position_embeddings", NULL, &e->P, errbuf));
  }
  if (e->D % e->H != 0 || (e->rotary && (e->D / e->H) % 2 != 0))
    PLM_XFAIL(PLM_EFORMAT, errbuf, "%s: %d heads do not divide the width %d into even head sizes", ck->path, e->H, e->D);
  if (e->nl > PLM_LM_MAXLAYERS)
    PLM_XFAIL(PLM_ELIMIT, errbuf, "%s: %d layers, more than the %d supported", ck->path, e->nl, PLM_LM_MAXLAYERS);
  e->hd      = e->D / e->H;
  e->scaling = (float)pow(e->hd, -0.5);
  if (!e->rotary) m->max_tokens = e->P - PLM_ESM_PAD - 1;
  return PLM_OK;

ERROR:
  return status;
}

/* ---------------------------------------------------------------------------
 * loading
 */

/* fair-esm zeroes ESM-1b's <mask> embedding row at load ("for token drop"), in the state dict,
 * before load_state_dict copies embed_tokens and then lm_head.weight into the one tied parameter.
 * When the file stores both under one storage (as the published ESM-1b does) the zero reaches
 * both; when it stores two copies, lm_head.weight's unzeroed row wins. A shared storage shows here
 * as one data pointer. */
static int
zero_mask_row(plm_lm *m, esm_model *e, char *errbuf)
{
  plm_tensor   view = { .dtype = PLM_F32, .rank = 2, .shape = { e->V, e->D }, .data = (void *)e->embed.host };
  const float *copy;
  int          shared = !m->has_lmhead || e->lm_w.host == e->embed.host, status;

  if (!shared) {                                   /* the tied parameter ends up as lm_head.weight */
    plm_buf_Destroy(m->be, e->embed.buf);
    e->embed = e->lm_w;
    return PLM_OK;
  }
  PLM_XCHECK(weight_f32(e, &view, 1, &copy, errbuf));
  memset((float *)copy + (size_t)PLM_ESM_MASK * e->D, 0, sizeof(float) * (size_t)e->D);
  plm_buf_Destroy(m->be, e->embed.buf);
  e->embed.host = copy;
  PLM_XCHECK(plm_buf_Wrap(m->be, copy, (size_t)e->V * e->D, &e->embed.buf, errbuf));
  if (m->has_lmhead) e->lm_w = e->embed;
  return PLM_OK;

ERROR:
  return status;
}

static int
load_weights(plm_lm *m, esm_model *e, char *errbuf)
{
  const esm_layout *lay = find_layout(m->ck);
  char              key[320];
  int               status;

  if (!lay) {
    param_key(&esm_layouts[0], model_param(offsetof(esm_model, embed)), 0, key, sizeof key);
    PLM_XFAIL(PLM_ENOTFOUND, errbuf, "%s: missing tensor '%s' (or HuggingFace 'esm.embeddings.word_embeddings.weight'): "
              "not an ESM checkpoint", m->ck->path, key);
  }
  /* an optional part is there when its first tensor is; then all of it must be */
  m->has_contacts = has_param(m->ck, lay, offsetof(esm_model, reg_w));
  m->has_lmhead   = has_param(m->ck, lay, offsetof(esm_model, lm_dense_w));
  if (e->ln_before < 0) e->ln_before = has_param(m->ck, lay, offsetof(esm_model, lnb_g));

  if ((e->layer = calloc((size_t)e->nl, sizeof *e->layer)) == NULL) PLM_XFAIL(PLM_EMEM, errbuf, "out of memory");
  for (int i = 0; i < ESM_NPARAMS; i++) {
    const esm_param *p = &esm_params[i];
    if (!param_wanted(e, p->need, m->has_lmhead, m->has_contacts)) continue;
    for (int l = 0; l < (p->per_layer ? e->nl : 1); l++) {
      esm_w *w = (esm_w *)((char *)(p->per_layer ? (void *)&e->layer[l] : (void *)e) + p->off);
      status = load_param(m, e, lay, p, l, w, errbuf);
      if (status == PLM_ENOTFOUND && p->need == OPT_TIED)   { e->lm_w = e->embed; continue; }
      if (status == PLM_ENOTFOUND && p->need == OPT_ROTARY) continue;
      if (status != PLM_OK) goto ERROR;
    }
  }
  if (e->fairesm_1b) PLM_XCHECK(zero_mask_row(m, e, errbuf));
  return PLM_OK;

ERROR:
  return status;
}

/* rotary frequencies 1 / 10000^(2i/hd), as stored (float32) or as fair-esm computes them */
static int
set_inv_freq(esm_model *e, char *errbuf)
{
  int half = e->hd / 2;

  if ((e->inv_freq = malloc(sizeof *e->inv_freq * (size_t)half)) == NULL) return plm_Fail(errbuf, PLM_EMEM, "out of memory");
  for (int i = 0; i < half; i++)
    e->inv_freq[i] = e->layer[0].inv_freq.host ? e->layer[0].inv_freq.host[i]
                                               : 1.0f / powf(10000.0f, (float)(2 * i) / (float)e->hd);
  return PLM_OK;
}

static void
free_workspace(plm_backend *be, esm_model *e)
{
  plm_buf **bufs[] = { &e->x, &e->h, &e->q, &e->k, &e->v, &e->ctx, &e->att, &e->ff, &e->cos, &e->sin, &e->logits,
                       &e->acc, &e->cu, &e->cv };
  for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; i++) { plm_buf_Destroy(be, *bufs[i]); *bufs[i] = NULL; }
  free(e->rope); e->rope = NULL;
  free(e->drop); e->drop = NULL;
  e->capT = e->capRows = 0;
  e->capAtt = e->capAcc = 0;
}

/* b replaced by a buffer of n floats when it holds fewer (*cap) or is none yet (an empty protein
 * still gets one); its contents are not kept */
static int
regrow(plm_backend *be, plm_buf **b, size_t *cap, size_t n, char *errbuf)
{
  int status;

  if (*b && n <= *cap) return PLM_OK;
  plm_buf_Destroy(be, *b);
  *b   = NULL;
  *cap = 0;
  if ((status = plm_buf_Create(be, n, b, errbuf)) == PLM_OK) *cap = n;
  return status;
}

/* buffers for B proteins of up to T tokens each: row-wise ones hold B x T rows, the attention maps
 * and the contact head one protein's; grown in steps so a run of similar sizes reallocates rarely */
static int
reserve_workspace(plm_backend *be, esm_model *e, int B, int T, int Q, int contacts, char *errbuf)
{
  size_t cT, cR, natt = (size_t)e->H * Q * T, L = (size_t)T - 2;
  int    status;

  if (T <= e->capT && (size_t)B * T <= (size_t)e->capRows) {
    PLM_XCHECK(regrow(be, &e->att, &e->capAtt, natt, errbuf));
    if (contacts) PLM_XCHECK(regrow(be, &e->acc, &e->capAcc, L * L, errbuf));
    return PLM_OK;
  }
  cT = (size_t)((T > e->capT ? T : e->capT) + 63) / 64 * 64;
  cR = (size_t)B * T > (size_t)e->capRows ? (size_t)B * T : (size_t)e->capRows;
  cR = (cR + 63) / 64 * 64;
  if (cR < cT) cR = cT;
  free_workspace(be, e);
  PLM_XCHECK(plm_buf_Create(be, cR * e->D, &e->x, errbuf));
  PLM_XCHECK(plm_buf_Create(be, cR * e->D, &e->h, errbuf));
  PLM_XCHECK(plm_buf_Create(be, cR * e->D, &e->q, errbuf));
  PLM_XCHECK(plm_buf_Create(be, cR * e->D, &e->k, errbuf));
  PLM_XCHECK(plm_buf_Create(be, cR * e->D, &e->v, errbuf));
  PLM_XCHECK(plm_buf_Create(be, cR * e->D, &e->ctx, errbuf));
  PLM_XCHECK(regrow(be, &e->att, &e->capAtt, natt, errbuf));
  PLM_XCHECK(plm_buf_Create(be, cR * e->F, &e->ff, errbuf));
  PLM_XCHECK(plm_buf_Create(be, cR * e->V, &e->logits, errbuf));
  if (contacts) PLM_XCHECK(regrow(be, &e->acc, &e->capAcc, L * L, errbuf));
  PLM_XCHECK(plm_buf_Create(be, cT * e->nl * e->H, &e->cu, errbuf));
  PLM_XCHECK(plm_buf_Create(be, cT * e->nl * e->H, &e->cv, errbuf));
  PLM_XCHECK(plm_buf_Create(be, cR * (e->hd / 2), &e->cos, errbuf));
  PLM_XCHECK(plm_buf_Create(be, cR * (e->hd / 2), &e->sin, errbuf));
  if ((e->rope = malloc(sizeof *e->rope * cR * (size_t)e->hd)) == NULL ||
      (e->drop = malloc(cT)) == NULL)
    PLM_XFAIL(PLM_EMEM, errbuf, "out of memory");
  e->capT    = (int)cT;
  e->capRows = (int)cR;
  return PLM_OK;

ERROR:
  free_workspace(be, e);
  return status;
}

static void
esm_destroy(plm_lm *m)
{
  esm_model *e = m->priv;
  if (!e) return;
  free_workspace(m->be, e);
  if (e->layer)
    for (int l = 0; l < e->nl; l++)
      for (int i = 0; i < ESM_NPARAMS; i++)
        if (esm_params[i].per_layer) plm_buf_Destroy(m->be, ((esm_w *)((char *)&e->layer[l] + esm_params[i].off))->buf);
  for (int i = 0; i < ESM_NPARAMS; i++)
    if (!esm_params[i].per_layer) {
      esm_w *w = (esm_w *)((char *)e + esm_params[i].off);
      if (w != &e->lm_w || e->lm_w.buf != e->embed.buf) plm_buf_Destroy(m->be, w->buf);
    }
  for (int i = 0; i < e->nowned; i++) free(e->owned[i]);
  free(e->owned);
  free(e->layer);
  free(e->inv_freq);
  free(e);
  m->priv = NULL;
}

/* ---------------------------------------------------------------------------
 * the forward pass, one function per step
 */

/* embeddings: ids (B proteins packed, protein b's T[b] tokens from row off[b]) -> x [R, D]
 * token dropout (trained with 15% x 80% masks): <mask> rows zeroed, the rest scaled by
 * 0.88 / (1 - masked fraction), the fraction of each protein's own tokens as fair-esm computes
 * it per sequence; ESM-1b adds positions t + padding_idx + 1 and a LayerNorm. One protein
 * gathers straight into x; more gather each into h and add onto a zeroed x (exact) */
static void
embeddings_forward(plm_backend *be, esm_model *e, const int32_t *ids, int B, const int *T, const int *off)
{
  int R = off[B - 1] + T[B - 1];

  if (B > 1) plm_op_Zero(be, e->x, (size_t)R * e->D);
  for (int b = 0; b < B; b++) {
    const int32_t *id = ids + off[b];
    size_t         TD = (size_t)T[b] * e->D, at = (size_t)off[b] * e->D;
    plm_buf       *dst = B > 1 ? e->h : e->x;
    int            nmask = 0;
    for (int t = 0; t < T[b]; t++) nmask += id[t] == PLM_ESM_MASK;
    if (e->token_dropout)
      plm_op_Embed(be, e->embed.buf, id, T[b], e->D, PLM_ESM_MASK, 1.0f - 0.12f, 1.0f - (float)nmask / (float)T[b], dst);
    else
      plm_op_Embed(be, e->embed.buf, id, T[b], e->D, -1, 1.0f, 1.0f, dst);
    if (B > 1) plm_op_Add(be, e->x, at, e->h, 0, TD);
    if (!e->rotary) plm_op_Add(be, e->x, at, e->pos.buf, (size_t)(PLM_ESM_PAD + 1) * e->D, TD);
  }
  if (e->ln_before) plm_op_LayerNorm(be, e->x, e->x, R, e->D, e->lnb_g.buf, e->lnb_b.buf, e->eps);
}

/* rotary tables: cos, sin [R, hd/2] of angle t * inv_freq[i] (t the position within its
 * protein), the angle rounded to float as torch does; the longest protein's table, copied per protein */
static void
rotary_tables(plm_backend *be, esm_model *e, int B, const int *T, const int *off)
{
  int    half = e->hd / 2, R = off[B - 1] + T[B - 1], Tmax = 0;
  float *c = e->rope, *s = e->rope + (size_t)R * half;
  for (int b = 0; b < B; b++) if (T[b] > Tmax) Tmax = T[b];
  for (int t = 0; t < Tmax; t++)
    for (int i = 0; i < half; i++) {
      float a = (float)t * e->inv_freq[i];
      c[(size_t)t * half + i] = (float)cos(a);
      s[(size_t)t * half + i] = (float)sin(a);
    }
  /* protein 0 starts at row 0 and may be shorter than the longest: later ones copy from the back */
  for (int b = B - 1; b >= 0; b--)
    for (int t = T[b] - 1; t >= 0; t--) {
      size_t to = ((size_t)off[b] + t) * half, from = (size_t)t * half;
      if (to == from) continue;
      memmove(c + to, c + from, sizeof *c * half);
      memmove(s + to, s + from, sizeof *s * half);
    }
  plm_buf_Write(be, e->cos, 0, c, (size_t)R * half);
  plm_buf_Write(be, e->sin, 0, s, (size_t)R * half);
}

/* who wants one protein's maps of one layer, as blocks of query rows come: its attentions tensor
 * (slot li) and its contact head (layer l, into its own acc/cu/cv); NULL where no one does */
typedef struct esm_maps {
  const plm_lm_request *req;
  plm_tensor           *attentions;   /* NULL: not this layer */
  int                   li, l, contacts;
  plm_buf              *acc, *cu, *cv; /* this protein's contact head state */
  const int32_t        *ids;          /* this protein's tokens, for its inline <eos> */
} esm_maps;

static void contact_step(plm_backend *be, esm_model *e, const esm_maps *mp, int T, int row0, int rows);

/* self-attention block over B proteins packed by rows (protein b: T[b] rows from off[b]):
 * x [R, D] += out_proj(softmax(q k^T) v) of LN(x), per head of hd columns; the projections run over
 * all R rows at once, the attention per protein over its own T x T, Q[b] query rows at a time: att
 * holds H x Q x T probabilities, so memory for the maps is bounded however long the protein (each
 * row's softmax is whole, so blocks change nothing but the order of work); no padding anywhere;
 * each block goes to maps[b] (NULL: no one wants maps) */
static void
attention_forward(plm_backend *be, esm_model *e, const esm_layer *w, int B, const int *T, const int *off,
                  const int *Q, const esm_maps *maps)
{
  int D = e->D, H = e->H, hd = e->hd, R = off[B - 1] + T[B - 1];

  plm_op_LayerNorm(be, e->x, e->h, R, D, w->ln1_g.buf, w->ln1_b.buf, e->eps);
  plm_op_Linear(be, e->h, R, D, w->wq.buf, w->bq.buf, D, e->q);
  plm_op_Linear(be, e->h, R, D, w->wk.buf, w->bk.buf, D, e->k);
  plm_op_Linear(be, e->h, R, D, w->wv.buf, w->bv.buf, D, e->v);
  plm_op_Scale(be, e->q, (size_t)R * D, e->scaling);          /* before rotary, as fair-esm */
  if (e->rotary) {
    plm_op_Rotary(be, e->q, R, H, hd, D, e->cos, e->sin);
    plm_op_Rotary(be, e->k, R, H, hd, D, e->cos, e->sin);
  }
  for (int b = 0; b < B; b++)
    for (int r0 = 0; r0 < T[b]; r0 += Q[b]) {
      int    Tb = T[b];
      size_t o = (size_t)off[b] * D, qoff = o + (size_t)r0 * D;
      int    n = Tb - r0 < Q[b] ? Tb - r0 : Q[b];
      size_t hs = (size_t)n * Tb;                           /* one head's block */
      plm_op_Gemm(be, &(plm_gemm){ .transB = 1, .M = n, .N = Tb, .K = hd, .batch = H, .alpha = 1.0f,
                                   .A = e->q, .offA = qoff, .lda = D, .strideA = (size_t)hd,
                                   .B = e->k, .offB = o, .ldb = D, .strideB = (size_t)hd,
                                   .C = e->att, .ldc = Tb, .strideC = hs });
      plm_op_SoftmaxRows(be, e->att, H * n, Tb);
      plm_op_Gemm(be, &(plm_gemm){ .M = n, .N = hd, .K = Tb, .batch = H, .alpha = 1.0f,
                                   .A = e->att, .lda = Tb, .strideA = hs,
                                   .B = e->v, .offB = o, .ldb = D, .strideB = (size_t)hd,
                                   .C = e->ctx, .offC = qoff, .ldc = D, .strideC = (size_t)hd });
      if (!maps) continue;
      if (maps[b].attentions) plm_lmout_Attention(be, e->att, H, maps[b].li, Tb, r0, n, maps[b].req, maps[b].attentions);
      if (maps[b].contacts) contact_step(be, e, &maps[b], Tb, r0, n);
    }
  plm_op_Linear(be, e->ctx, R, D, w->wo.buf, w->bo.buf, D, e->h);
  plm_op_Add(be, e->x, 0, e->h, 0, (size_t)R * D);
}

/* feed-forward block: x [R, D] += fc2(gelu(fc1(LN(x)))), through ff [R, F]; R = B x T rows */
static void
ffn_forward(plm_backend *be, esm_model *e, const esm_layer *w, int R)
{
  plm_op_LayerNorm(be, e->x, e->h, R, e->D, w->ln2_g.buf, w->ln2_b.buf, e->eps);
  plm_op_Linear(be, e->h, R, e->D, w->fc1_w.buf, w->fc1_b.buf, e->F, e->ff);
  plm_op_Gelu(be, e->ff, (size_t)R * e->F);
  plm_op_Linear(be, e->ff, R, e->F, w->fc2_w.buf, w->fc2_b.buf, e->D, e->h);
  plm_op_Add(be, e->x, 0, e->h, 0, (size_t)R * e->D);
}

/* LM head: x [R, D] -> logits [R, V] = LN(gelu(dense(x))) W^T + b, W tied to the embedding */
static void
lmhead_forward(plm_backend *be, esm_model *e, int R)
{
  plm_op_Linear(be, e->x, R, e->D, e->lm_dense_w.buf, e->lm_dense_b.buf, e->D, e->h);
  plm_op_Gelu(be, e->h, (size_t)R * e->D);
  plm_op_LayerNorm(be, e->h, e->q, R, e->D, e->lm_ln_g.buf, e->lm_ln_b.buf, e->eps);
  plm_op_Linear(be, e->q, R, e->D, e->lm_w.buf, e->lm_b.buf, e->V, e->logits);
}

/* contact head, one layer, a block of its query rows: the weighted sum of the maps over residues
 * 1..T-2 and each map's APC sums (backend.h, apc.h); rows and columns of inline <eos> (e->drop,
 * set from the protein's tokens) zeroed first, as fair-esm's eos mask does; the last block adds the
 * layer's factors */
static void
contact_step(plm_backend *be, esm_model *e, const esm_maps *mp, int T, int row0, int rows)
{
  e->dropping = 0;
  for (int i = 0; i < T - 2; i++) e->dropping |= (e->drop[i] = mp->ids[i + 1] == PLM_ESM_EOS);
  plm_contact_step s = { .att = e->att, .H = e->H, .T = T, .row0 = row0, .rows = rows, .first = 1, .L = T - 2,
                         .drop = e->dropping ? e->drop : NULL, .w = e->reg_w.host + (size_t)mp->l * e->H,
                         .acc = mp->acc, .u = mp->cu, .v = mp->cv, .k0 = mp->l * e->H };
  plm_op_ContactAccum(be, &s);
  if (row0 + rows == T) plm_op_ContactFactors(be, &s);
}

/* contact head, the end: z [L, L] = acc + acc^T - u^T v, the regression over all layers x heads of
 * w APC(sym(attention)), then contacts = sigmoid(z + bias) */
static void
contact_finish(plm_backend *be, esm_model *e, const esm_maps *mp, int T, float *contacts)
{
  int L = T - 2, K = e->nl * e->H;
  plm_op_AddTranspose(be, mp->acc, L);
  plm_op_Gemm(be, &(plm_gemm){ .transA = 1, .M = L, .N = L, .K = K, .alpha = -1.0f, .beta = 1.0f,
                               .A = mp->cu, .lda = L, .B = mp->cv, .ldb = L, .C = mp->acc, .ldc = L });
  plm_buf_Read(be, mp->acc, 0, contacts, (size_t)L * L);
  for (size_t i = 0; i < (size_t)L * L; i++) contacts[i] = 1.0f / (1.0f + expf(-(contacts[i] + e->reg_b.host[0])));
}

/* ---------------------------------------------------------------------------
 * outputs
 */

static int
new_output(const char *name, plm_dtype dt, int rank, int64_t d0, int64_t d1, int64_t d2, int64_t d3,
           plm_tensor **ret_t, char *errbuf)
{
  int64_t shape[4] = { d0, d1, d2, d3 };
  return plm_tensor_Create(name, dt, rank, shape, ret_t, errbuf);
}

/* query rows per block of attention: all T unless H x T x T floats would pass the budget (the
 * request's, else the backend's) */
static int
query_block(const plm_backend *be, const esm_model *e, int T, size_t budget)
{
  size_t row = (size_t)e->H * T * sizeof(float), q;

  if (budget == 0) budget = be->ops->attn_bytes;
  q = budget / row;
  if (q >= (size_t)T) return T;
  if (q > 64) q -= q % 64;
  return q < 1 ? 1 : (int)q;
}

/* the contact head's state of the proteins of a batch after the first (the first uses e->acc, cu, cv) */
static void
free_contact_state(plm_backend *be, esm_maps *mp, int B)
{
  for (int b = 1; b < B; b++) {
    plm_buf_Destroy(be, mp[b].acc);
    plm_buf_Destroy(be, mp[b].cu);
    plm_buf_Destroy(be, mp[b].cv);
  }
}

/* B proteins packed by rows (ids: protein b's T[b] tokens after the ones before it) through the
 * model, as one forward pass: the position-wise layers one GEMM over all rows, attention per protein
 * without padding. outs[b] gets what req asks for protein b; with merged (forward_batch), logits of
 * all rows come back in one tensor in *merged and outs is NULL */
static int
esm_run(plm_lm *m, const int32_t *ids, int B, const int *T, const plm_lm_request *req, plm_lm_output *outs,
        plm_lm_output *merged, char *errbuf)
{
  esm_model   *e  = m->priv;
  plm_backend *be = m->be;
  int          nla = req->attn_layers ? plm_lmout_CountFlags(req->attn_layers, e->nl) : 0;
  int          nha = plm_lmout_CountFlags(req->attn_heads, e->H);
  int          R = 0, Tq = 0, Qmax = 0, status;
  int         *off = NULL, *Q = NULL;
  esm_maps    *mp = NULL;

  if (req->logits && !m->has_lmhead)
    PLM_XFAIL(PLM_EUNSUP, errbuf, "%s has no LM head (lm_head.*): logits are unavailable", m->path);
  if (req->contacts && !m->has_contacts)
    PLM_XFAIL(PLM_EUNSUP, errbuf, "%s has no contact regression weights (contact_head.regression.*)%s%s", m->path,
              m->note[0] ? ": " : "", m->note);
  if ((off = malloc(sizeof *off * (size_t)B)) == NULL || (Q = malloc(sizeof *Q * (size_t)B)) == NULL ||
      (mp = calloc((size_t)B, sizeof *mp)) == NULL)
    PLM_XFAIL(PLM_EMEM, errbuf, "out of memory");
  for (int b = 0; b < B; b++) {
    off[b] = R;
    R     += T[b];
    Q[b]   = query_block(be, e, T[b], req->attn_bytes);
    if ((size_t)Q[b] * T[b] > (size_t)Qmax * Tq) { Qmax = Q[b]; Tq = T[b]; }
  }
  /* rows for all B proteins (capT >= R too: cu, cv and drop are sized by it); att for the largest
   * H x Q x T of the batch; acc for the first protein's contact head */
  PLM_XCHECK(reserve_workspace(be, e, 1, R, 1, 0, errbuf));
  PLM_XCHECK(reserve_workspace(be, e, 1, Tq, Qmax, 0, errbuf));
  if (req->contacts && outs) PLM_XCHECK(reserve_workspace(be, e, 1, T[0], Q[0], 1, errbuf));
  for (int b = 0; b < B; b++) {
    plm_lm_output *out = outs ? &outs[b] : NULL;
    int            L = T[b] - 2;
    mp[b] = (esm_maps){ .req = req, .contacts = req->contacts && out, .ids = ids + off[b] };
    if (out && nla > 0 && nha > 0)
      PLM_XCHECK(new_output("attentions", req->attn_dtype, 4, nla, nha, T[b], T[b], &out->attentions, errbuf));
    if (!mp[b].contacts) continue;
    if (b == 0) { mp[b].acc = e->acc; mp[b].cu = e->cu; mp[b].cv = e->cv; }
    else {
      PLM_XCHECK(plm_buf_Create(be, (size_t)L * L, &mp[b].acc, errbuf));
      PLM_XCHECK(plm_buf_Create(be, (size_t)e->nl * e->H * L, &mp[b].cu, errbuf));
      PLM_XCHECK(plm_buf_Create(be, (size_t)e->nl * e->H * L, &mp[b].cv, errbuf));
    }
  }

  if (e->rotary) rotary_tables(be, e, B, T, off);
  embeddings_forward(be, e, ids, B, T, off);
  for (int b = 0; b < B && outs; b++) PLM_XCHECK(plm_lmout_ReprRows(be, e->x, off[b], 0, T[b], e->D, req, &outs[b], errbuf));
  for (int b = 0; b < B; b++)
    if (mp[b].contacts) {
      int L = T[b] - 2;
      plm_op_Zero(be, mp[b].acc, (size_t)L * L);
      plm_op_Zero(be, mp[b].cv, (size_t)e->nl * e->H * L);
    }

  for (int l = 0, li = 0; l < e->nl; l++) {
    int mine = nla > 0 && nha > 0 && req->attn_layers[l];
    for (int b = 0; b < B; b++) {
      mp[b].l = l;
      mp[b].li = li;
      mp[b].attentions = mine && outs ? outs[b].attentions : NULL;
    }
    li += mine;
    attention_forward(be, e, &e->layer[l], B, T, off, Q, outs ? mp : NULL);
    ffn_forward(be, e, &e->layer[l], R);
    if (l < e->nl - 1)
      for (int b = 0; b < B && outs; b++) PLM_XCHECK(plm_lmout_ReprRows(be, e->x, off[b], l + 1, T[b], e->D, req, &outs[b], errbuf));
  }
  plm_op_LayerNorm(be, e->x, e->x, R, e->D, e->lna_g.buf, e->lna_b.buf, e->eps);
  for (int b = 0; b < B && outs; b++) PLM_XCHECK(plm_lmout_ReprRows(be, e->x, off[b], e->nl, T[b], e->D, req, &outs[b], errbuf));

  if (req->logits) {
    lmhead_forward(be, e, R);
    if (merged) PLM_XCHECK(plm_lmout_Logits(be, e->logits, R, e->V, merged, errbuf));
    for (int b = 0; b < B && outs; b++) PLM_XCHECK(plm_lmout_LogitsRows(be, e->logits, off[b], T[b], e->V, &outs[b], errbuf));
  }
  for (int b = 0; b < B; b++) {
    if (!mp[b].contacts) continue;
    PLM_XCHECK(new_output("contacts", PLM_F32, 2, T[b] - 2, T[b] - 2, 0, 0, &outs[b].contacts, errbuf));
    contact_finish(be, e, &mp[b], T[b], outs[b].contacts->data);
  }
  PLM_XCHECK(plm_backend_Sync(be, errbuf));
  status = PLM_OK;

ERROR:
  if (mp) free_contact_state(be, mp, B);
  free(mp);
  free(off);
  free(Q);
  return status;
}

static int
esm_forward(plm_lm *m, const int32_t *ids, int T, const plm_lm_request *req, plm_lm_output *out, char *errbuf)
{
  return esm_run(m, ids, 1, &T, req, out, NULL, errbuf);
}

static int
esm_forward_many(plm_lm *m, const int32_t *ids, int B, const int *T, const plm_lm_request *req, plm_lm_output *outs, char *errbuf)
{
  if (B < 1) return plm_Fail(errbuf, PLM_EINVAL, "a batch of %d proteins", B);
  return esm_run(m, ids, B, T, req, outs, NULL, errbuf);
}

static int
esm_forward_batch(plm_lm *m, const int32_t *ids, int B, int T, plm_lm_output *out, char *errbuf)
{
  plm_lm_request req = { .logits = 1 };
  int           *Ts, status;
  if (B < 1) return plm_Fail(errbuf, PLM_EINVAL, "a batch of %d proteins", B);
  if ((Ts = malloc(sizeof *Ts * (size_t)B)) == NULL) return plm_Fail(errbuf, PLM_EMEM, "out of memory");
  for (int b = 0; b < B; b++) Ts[b] = T;
  status = esm_run(m, ids, B, Ts, &req, NULL, out, errbuf);
  free(Ts);
  return status;
}

/* fair-esm's tokenization with BOS and EOS; an inline <pad> would need a padding mask fair-esm
 * only builds for batches, so it is refused */
static int
esm_tokenize(const plm_lm *m, const char *text, int32_t **ret_ids, int *ret_T, char *errbuf)
{
  int status;

  PLM_XCHECK(plm_esm_Tokenize(text, 1, 1, ret_ids, ret_T, errbuf));
  for (int t = 0; t < *ret_T; t++)
    if ((*ret_ids)[t] == PLM_ESM_PAD) {
      free(*ret_ids); *ret_ids = NULL;
      PLM_XFAIL(PLM_EFORMAT, errbuf, "<pad> inside a sequence (residue %d) is not supported", t);
    }
  return PLM_OK;

ERROR:
  return status;
}

int
plm_esm_Create(plm_checkpoint *ck, plm_backend *be, plm_lm **ret_m, char *errbuf)
{
  plm_lm    *m = NULL;
  esm_model *e = NULL;
  int        status;

  *ret_m = NULL;
  if ((m = calloc(1, sizeof *m)) == NULL || (e = calloc(1, sizeof *e)) == NULL) PLM_XFAIL(PLM_EMEM, errbuf, "out of memory");
  m->priv = e;
  m->ck = ck;
  m->be = be;
  m->special_tokens = "bos,eos";
  m->tokenize = esm_tokenize;
  m->forward  = esm_forward;
  m->forward_batch = esm_forward_batch;
  m->forward_many  = esm_forward_many;
  m->destroy  = esm_destroy;
  PLM_XCHECK(read_config(m, e, errbuf));
  PLM_XCHECK(load_weights(m, e, errbuf));
  if (e->rotary) PLM_XCHECK(set_inv_freq(e, errbuf));
  m->nlayers = e->nl;
  m->nheads  = e->H;
  m->dim     = e->D;
  m->vocab   = e->V;
  *ret_m = m;
  return PLM_OK;

ERROR:
  if (m) { m->ck = NULL; esm_destroy(m); free(m); }
  return status;
}

/* ---------------------------------------------------------------------------
 * random models, for benchmarks and tests
 */

/* torch's starting values: N(0, 1/fan_in) weights, N(0, 1) embeddings with a zero padding row,
 * LayerNorm gains 1, small biases, fair-esm's rotary frequencies */
static void
init_param(const esm_model *e, const esm_param *p, plm_tensor *t, uint64_t *rng)
{
  float  *x = t->data;
  int64_t n = plm_tensor_Numel(t), cols = t->shape[t->rank - 1];
  for (int64_t i = 0; i < n; i++)
    switch (p->init) {
    case INIT_WEIGHT: x[i] = (float)(plm_rng_Normal(rng) / sqrt((double)cols)); break;
    case INIT_BIAS:   x[i] = (float)(0.02 * plm_rng_Normal(rng)); break;
    case INIT_GAIN:   x[i] = 1.0f; break;
    case INIT_EMBED:  x[i] = i / cols == PLM_ESM_PAD ? 0.0f : (float)plm_rng_Normal(rng); break;
    case INIT_ROPE:   x[i] = 1.0f / powf(10000.0f, (float)(2 * i) / (float)e->hd); break;
    }
}

static int
write_config(const char *path, const esm_model *e, char *errbuf)
{
  FILE *fp = fopen(path, "w");
  if (!fp) return plm_Fail(errbuf, PLM_EIO, "%s: %s", path, strerror(errno));
  fprintf(fp, "{\n \"architectures\": [\"EsmForMaskedLM\"],\n \"model_type\": \"esm\",\n"
              " \"hidden_size\": %d,\n \"num_hidden_layers\": %d,\n \"num_attention_heads\": %d,\n"
              " \"intermediate_size\": %d,\n \"vocab_size\": %d,\n \"pad_token_id\": %d,\n \"mask_token_id\": %d,\n"
              " \"position_embedding_type\": \"rotary\",\n \"max_position_embeddings\": 1026,\n"
              " \"layer_norm_eps\": 1e-05,\n \"token_dropout\": true,\n \"emb_layer_norm_before\": false,\n"
              " \"hidden_act\": \"gelu\",\n \"torch_dtype\": \"float32\"\n}\n",
          e->D, e->nl, e->H, e->F, e->V, PLM_ESM_PAD, PLM_ESM_MASK);
  if (fclose(fp) != 0) return plm_Fail(errbuf, PLM_EIO, "%s: %s", path, strerror(errno));
  return PLM_OK;
}

int
plm_esm_WriteRandom(const char *dir, int nl, int D, int H, uint64_t seed, char *errbuf)
{
  const esm_layout *lay = &esm_layouts[2];     /* HuggingFace EsmForMaskedLM */
  esm_model         e = { .nl = nl, .D = D, .H = H, .F = 4 * D, .V = PLM_ESM_NTOK, .rotary = 1 };
  plm_tensor      **t = NULL, *embed = NULL;
  char              path[4096], key[320];
  int               n = 0, cap = ESM_NPARAMS * (nl > 0 ? nl : 1), status;
  uint64_t          rng = seed;

  if (nl < 1 || nl > PLM_LM_MAXLAYERS || D < 2 || H < 1 || D % H || (D / H) % 2)
    PLM_XFAIL(PLM_EINVAL, errbuf, "no ESM-2 shape with %d layers, width %d, %d heads (heads must divide the width into even sizes)", nl, D, H);
  e.hd = D / H;
  if (mkdir(dir, 0777) != 0 && errno != EEXIST) PLM_XFAIL(PLM_EIO, errbuf, "%s: %s", dir, strerror(errno));
  if ((t = calloc((size_t)cap, sizeof *t)) == NULL) PLM_XFAIL(PLM_EMEM, errbuf, "out of memory");
  for (int i = 0; i < ESM_NPARAMS; i++) {
    const esm_param *p = &esm_params[i];
    if (!param_wanted(&e, p->need, 1, 1)) continue;
    for (int l = 0; l < (p->per_layer ? nl : 1); l++) {
      int64_t shape[2];
      for (int d = 0; d < p->rank; d++) shape[d] = dim_size(&e, p->dim[d]);
      param_key(lay, p, l, key, sizeof key);
      PLM_XCHECK(plm_tensor_Create(key, PLM_F32, p->rank, shape, &t[n], errbuf));
      if (p->need == OPT_TIED) memcpy(t[n]->data, embed->data, plm_tensor_Nbytes(embed));   /* HF ties the decoder */
      else init_param(&e, p, t[n], &rng);
      if (p->off == offsetof(esm_model, embed) && !p->per_layer) embed = t[n];
      n++;
    }
  }
  snprintf(path, sizeof path, "%s/model.safetensors", dir);
  PLM_XCHECK(plm_stwrite_File(path, t, n, errbuf));
  snprintf(path, sizeof path, "%s/config.json", dir);
  PLM_XCHECK(write_config(path, &e, errbuf));
  status = PLM_OK;

ERROR:
  for (int i = 0; i < n; i++) plm_tensor_Destroy(t[i]);
  free(t);
  return status;
}
