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
 * block of blocks.h on buffers sized once per batch.
 *
 * Weight names: esm_params[] lists every parameter once with its fair-esm and
 * HuggingFace keys; a layout adds the prefixes of one file layout.
 *
 *   plm_esm_Recognize() / plm_esm_Create()
 *   esm_run(): the forward pass of a batch, layer_forward() per layer
 *   plm_esm_WriteRandom() / plm_esm1_WriteRandom()  random ESM-2 / ESM-1 folders, from the same table
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
#include "esm.h"

typedef struct esm_layer {
  plm_ln_w   ln1;                         /* self_attn_layer_norm */
  plm_attn_w attn;                        /* q/k/v/out projections */
  plm_ln_w   ln2;                         /* final_layer_norm */
  plm_ffn_w  ffn;                         /* fc1, fc2 */
  plm_w      inv_freq;                    /* rotary buffer; computed when absent */
  plm_w      bias_k, bias_v;              /* ESM-1: the learned null key and value [1, 1, D] */
} esm_layer;

typedef struct esm_model {
  int         nl, D, H, hd, F, V, P;      /* P: rows of the learned position table */
  int         rotary, ln_before, token_dropout;
  int         esm1;                       /* ESM-1 (protein_bert_base): sinusoidal positions scaled embeddings,
                                             null key/value, no final LayerNorm, untied output, BOS only */
  int         eos;                        /* tokens after the residues: 1 (EOS), ESM-1 0 */
  int         fairesm_1b;                 /* loaded as fair-esm's v1 loader would: arch roberta_large */
  int         has_lmhead, has_contacts;   /* the optional parts the file has (or a random model gets) */
  float       eps, scaling;
  plm_w       embed, pos;
  plm_ln_w    lnb, lna;                   /* emb_layer_norm_before, emb_layer_norm_after */
  plm_w       lm_dense_w, lm_dense_b, lm_w, lm_b;
  plm_ln_w    lm_ln;
  plm_w       reg_w, reg_b;
  plm_w       out_w, out_b;               /* ESM-1's embed_out, embed_out_bias */
  esm_layer  *layer;
  plm_weights ws;
  float      *inv_freq;                   /* hd/2 rotary frequencies (host) */
  /* workspace for B proteins packed by rows (attention maps for one block of query rows of one
   * protein; the contact head for one), regrown when more come */
  int         capR, capT;
  size_t      capAtt, capAcc;             /* floats in att; L x L capacity of acc */
  plm_buf    *x, *h, *q, *k, *v, *ctx, *ff, *cos, *sin, *logits, *cu, *cv;
  plm_buf    *kx, *vx, *spos;             /* ESM-1: keys and values with each protein's null row; sinusoids */
  plm_buf    *att, *acc, *att2;           /* regrown on their own (plm_scratch_Regrow); att2: maps without
                                             the null column */
  size_t      capAtt2;
  float      *rope;                       /* host: cos then sin, R x hd/2 each */
  float      *spos_host;                  /* host: sinusoid table, capT x D */
  int        *koff;                       /* ESM-1: each protein's first key row in kx, vx */
  uint8_t    *drop;                       /* host: inline <eos> among each protein's residues, R flags */
} esm_model;

/* ---------------------------------------------------------------------------
 * the parameter table
 */

enum esm_section { SEC_BODY, SEC_LMHEAD, SEC_CONTACT };
enum esm_need    { NEED_ALWAYS, NEED_ABSOLUTE, NEED_LNBEFORE, NEED_LNAFTER, NEED_LMHEAD, NEED_CONTACT, NEED_ROTARY,
                   NEED_NULLKV, NEED_OUT };
/* symbolic sizes in shapes; positive numbers are literal */
enum { DIM_D = -1, DIM_F = -2, DIM_V = -3, DIM_P = -4, DIM_HALF = -5, DIM_LH = -6 };

/* how plm_esm_WriteRandom() fills a parameter: what torch's modules start from */
enum esm_init { INIT_WEIGHT = PLM_INIT_WEIGHT, INIT_BIAS = PLM_INIT_BIAS, INIT_GAIN = PLM_INIT_GAIN, INIT_EMBED = PLM_INIT_EMBED,
                INIT_TIED = PLM_INIT_TIED, INIT_ROPE = PLM_INIT_OWN };

#define LIN PLM_W_LINEAR                  /* read only as Linear's W: halves under f16 weights */
#define OPT PLM_P_OPTIONAL
#define M(f) PLM_PARAM_M(esm_model, f)
#define Y(f) PLM_PARAM_L(esm_layer, f)
static const plm_param esm_params[] = {
  /* field           { fair-esm key (after the layout's prefix; %d: the layer),
   *                   HuggingFace key }                                           section      need       flags rank shape    init */
  { M(embed),        { "embed_tokens.weight",
                       "embeddings.word_embeddings.weight" },                          SEC_BODY,    NEED_ALWAYS,   0,   2, { DIM_V, DIM_D }, INIT_EMBED },
  { M(pos),          { "embed_positions.weight",
                       "embeddings.position_embeddings.weight" },                      SEC_BODY,    NEED_ABSOLUTE, 0,   2, { DIM_P, DIM_D }, INIT_EMBED },
  { M(lnb.g),        { "emb_layer_norm_before.weight",
                       "embeddings.layer_norm.weight" },                               SEC_BODY,    NEED_LNBEFORE, 0,   1, { DIM_D },        INIT_GAIN },
  { M(lnb.b),        { "emb_layer_norm_before.bias",
                       "embeddings.layer_norm.bias" },                                 SEC_BODY,    NEED_LNBEFORE, 0,   1, { DIM_D },        INIT_BIAS },
  { Y(ln1.g),        { "layers.%d.self_attn_layer_norm.weight",
                       "encoder.layer.%d.attention.LayerNorm.weight" },                SEC_BODY,    NEED_ALWAYS,   0,   1, { DIM_D },        INIT_GAIN },
  { Y(ln1.b),        { "layers.%d.self_attn_layer_norm.bias",
                       "encoder.layer.%d.attention.LayerNorm.bias" },                  SEC_BODY,    NEED_ALWAYS,   0,   1, { DIM_D },        INIT_BIAS },
  { Y(attn.wq),      { "layers.%d.self_attn.q_proj.weight",
                       "encoder.layer.%d.attention.self.query.weight" },               SEC_BODY,    NEED_ALWAYS,   LIN, 2, { DIM_D, DIM_D }, INIT_WEIGHT },
  { Y(attn.bq),      { "layers.%d.self_attn.q_proj.bias",
                       "encoder.layer.%d.attention.self.query.bias" },                 SEC_BODY,    NEED_ALWAYS,   0,   1, { DIM_D },        INIT_BIAS },
  { Y(attn.wk),      { "layers.%d.self_attn.k_proj.weight",
                       "encoder.layer.%d.attention.self.key.weight" },                 SEC_BODY,    NEED_ALWAYS,   LIN, 2, { DIM_D, DIM_D }, INIT_WEIGHT },
  { Y(attn.bk),      { "layers.%d.self_attn.k_proj.bias",
                       "encoder.layer.%d.attention.self.key.bias" },                   SEC_BODY,    NEED_ALWAYS,   0,   1, { DIM_D },        INIT_BIAS },
  { Y(attn.wv),      { "layers.%d.self_attn.v_proj.weight",
                       "encoder.layer.%d.attention.self.value.weight" },               SEC_BODY,    NEED_ALWAYS,   LIN, 2, { DIM_D, DIM_D }, INIT_WEIGHT },
  { Y(attn.bv),      { "layers.%d.self_attn.v_proj.bias",
                       "encoder.layer.%d.attention.self.value.bias" },                 SEC_BODY,    NEED_ALWAYS,   0,   1, { DIM_D },        INIT_BIAS },
  { Y(attn.wo),      { "layers.%d.self_attn.out_proj.weight",
                       "encoder.layer.%d.attention.output.dense.weight" },             SEC_BODY,    NEED_ALWAYS,   LIN, 2, { DIM_D, DIM_D }, INIT_WEIGHT },
  { Y(attn.bo),      { "layers.%d.self_attn.out_proj.bias",
                       "encoder.layer.%d.attention.output.dense.bias" },               SEC_BODY,    NEED_ALWAYS,   0,   1, { DIM_D },        INIT_BIAS },
  { Y(inv_freq),     { "layers.%d.self_attn.rot_emb.inv_freq",
                       "encoder.layer.%d.attention.self.rotary_embeddings.inv_freq" }, SEC_BODY,    NEED_ROTARY,   OPT, 1, { DIM_HALF },     INIT_ROPE },
  { Y(ln2.g),        { "layers.%d.final_layer_norm.weight",
                       "encoder.layer.%d.LayerNorm.weight" },                          SEC_BODY,    NEED_ALWAYS,   0,   1, { DIM_D },        INIT_GAIN },
  { Y(ln2.b),        { "layers.%d.final_layer_norm.bias",
                       "encoder.layer.%d.LayerNorm.bias" },                            SEC_BODY,    NEED_ALWAYS,   0,   1, { DIM_D },        INIT_BIAS },
  { Y(ffn.w1),       { "layers.%d.fc1.weight",
                       "encoder.layer.%d.intermediate.dense.weight" },                 SEC_BODY,    NEED_ALWAYS,   LIN, 2, { DIM_F, DIM_D }, INIT_WEIGHT },
  { Y(ffn.b1),       { "layers.%d.fc1.bias",
                       "encoder.layer.%d.intermediate.dense.bias" },                   SEC_BODY,    NEED_ALWAYS,   0,   1, { DIM_F },        INIT_BIAS },
  { Y(ffn.w2),       { "layers.%d.fc2.weight",
                       "encoder.layer.%d.output.dense.weight" },                       SEC_BODY,    NEED_ALWAYS,   LIN, 2, { DIM_D, DIM_F }, INIT_WEIGHT },
  { Y(ffn.b2),       { "layers.%d.fc2.bias",
                       "encoder.layer.%d.output.dense.bias" },                         SEC_BODY,    NEED_ALWAYS,   0,   1, { DIM_D },        INIT_BIAS },
  { Y(bias_k),       { "layers.%d.self_attn.bias_k", NULL },                          SEC_BODY,    NEED_NULLKV,   0,   3, { 1, 1, DIM_D },  INIT_BIAS },
  { Y(bias_v),       { "layers.%d.self_attn.bias_v", NULL },                          SEC_BODY,    NEED_NULLKV,   0,   3, { 1, 1, DIM_D },  INIT_BIAS },
  { M(lna.g),        { "emb_layer_norm_after.weight",
                       "encoder.emb_layer_norm_after.weight" },                        SEC_BODY,    NEED_LNAFTER,  0,   1, { DIM_D },        INIT_GAIN },
  { M(lna.b),        { "emb_layer_norm_after.bias",
                       "encoder.emb_layer_norm_after.bias" },                          SEC_BODY,    NEED_LNAFTER,  0,   1, { DIM_D },        INIT_BIAS },
  /* ESM-1's untied output layer; embed_out_bias is there when args.final_bias */
  { M(out_w),        { "embed_out", NULL },                                           SEC_LMHEAD,  NEED_OUT,      LIN, 2, { DIM_V, DIM_D }, INIT_WEIGHT },
  { M(out_b),        { "embed_out_bias", NULL },                                      SEC_LMHEAD,  NEED_OUT,      OPT, 1, { DIM_V },        INIT_BIAS },
  { M(lm_dense_w),   { "lm_head.dense.weight",
                       "lm_head.dense.weight" },                                       SEC_LMHEAD,  NEED_LMHEAD,   LIN, 2, { DIM_D, DIM_D }, INIT_WEIGHT },
  { M(lm_dense_b),   { "lm_head.dense.bias",
                       "lm_head.dense.bias" },                                         SEC_LMHEAD,  NEED_LMHEAD,   0,   1, { DIM_D },        INIT_BIAS },
  { M(lm_ln.g),      { "lm_head.layer_norm.weight",
                       "lm_head.layer_norm.weight" },                                  SEC_LMHEAD,  NEED_LMHEAD,   0,   1, { DIM_D },        INIT_GAIN },
  { M(lm_ln.b),      { "lm_head.layer_norm.bias",
                       "lm_head.layer_norm.bias" },                                    SEC_LMHEAD,  NEED_LMHEAD,   0,   1, { DIM_D },        INIT_BIAS },
  /* tied: the embedding when absent (so never halves) */
  { M(lm_w),         { "lm_head.weight",
                       "lm_head.decoder.weight" },                                     SEC_LMHEAD,  NEED_LMHEAD,   OPT, 2, { DIM_V, DIM_D }, INIT_TIED },
  { M(lm_b),         { "lm_head.bias",
                       "lm_head.bias" },                                               SEC_LMHEAD,  NEED_LMHEAD,   0,   1, { DIM_V },        INIT_BIAS },
  { M(reg_w),        { "contact_head.regression.weight",
                       "contact_head.regression.weight" },                             SEC_CONTACT, NEED_CONTACT,  0,   2, { 1, DIM_LH },    INIT_WEIGHT },
  { M(reg_b),        { "contact_head.regression.bias",
                       "contact_head.regression.bias" },                               SEC_CONTACT, NEED_CONTACT,  0,   1, { 1 },            INIT_BIAS },
};
#undef M
#undef Y
#undef LIN
#undef OPT

/* where each section's keys start, per file layout; the first whose embedding key exists wins */
static const plm_layout esm_layouts[] = {
  { "fair-esm",                    0, { "encoder.sentence_encoder.", "encoder.", "" } },
  { "fair-esm (upgraded keys)",    0, { "", "", "" } },
  { "HuggingFace EsmForMaskedLM",  1, { "esm.", "", "esm." } },
  { "HuggingFace EsmModel",        1, { "", "", "" } },
  { "fair-esm ESM-1",              0, { "decoder.", "decoder.", "" } },
};
enum { LAYOUT_HF_MLM = 2, LAYOUT_ESM1 = 4 };   /* what plm_esm_WriteRandom, plm_esm1_WriteRandom write */
#define ESM_NLAYOUTS (int)(sizeof esm_layouts / sizeof esm_layouts[0])

static int64_t esm_dim(const void *model, int d);
static int     esm_wanted(const void *model, const plm_param *p);
static const plm_ptable esm_table = { esm_params, (int)(sizeof esm_params / sizeof esm_params[0]), esm_dim, esm_wanted };

static int64_t
esm_dim(const void *model, int d)
{
  const esm_model *e = model;
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

static int
esm_wanted(const void *model, const plm_param *p)
{
  const esm_model *e = model;
  switch (p->need) {
  case NEED_ROTARY:   return e->rotary;
  case NEED_ABSOLUTE: return !e->rotary && !e->esm1;
  case NEED_LNBEFORE: return e->ln_before;
  case NEED_LNAFTER:  return !e->esm1;
  case NEED_NULLKV:   return e->esm1;
  case NEED_OUT:      return e->has_lmhead && e->esm1;
  case NEED_LMHEAD:   return e->has_lmhead && !e->esm1;
  case NEED_CONTACT:  return e->has_contacts;
  default:            return 1;
  }
}

static const plm_layout *
find_layout(const plm_checkpoint *ck)
{
  for (int i = 0; i < ESM_NLAYOUTS; i++)
    if (plm_param_Has(ck, &esm_layouts[i], plm_param_Find(&esm_table, offsetof(esm_model, embed)))) return &esm_layouts[i];
  return NULL;
}

/* ---------------------------------------------------------------------------
 * configuration
 */

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
  return (arch && (strcmp(arch, "esm2") == 0 || strcmp(arch, "roberta_large") == 0 || strcmp(arch, "protein_bert_base") == 0)) ||
         (mt && strcmp(mt, "esm") == 0);
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
  e->eos = 1;
  if (arch && strcmp(arch, "protein_bert_base") == 0) {    /* fair-esm ESM-1: legacy args, decoder_ names */
    m->arch  = "esm1";
    e->esm1  = 1;
    e->eos   = 0;
    e->V     = PLM_ESM1_NTOK;
    e->eps   = 1e-12f;                                    /* ESM1LayerNorm */
    PLM_XCHECK(plm_weights_ConfigSize(ck, "decoder_layers", "layers", -1, &e->nl, errbuf));
    PLM_XCHECK(plm_weights_ConfigSize(ck, "decoder_embed_dim", "embed_dim", -1, &e->D, errbuf));
    PLM_XCHECK(plm_weights_ConfigSize(ck, "decoder_ffn_embed_dim", "ffn_embed_dim", -1, &e->F, errbuf));
    PLM_XCHECK(plm_weights_ConfigSize(ck, "decoder_attention_heads", "attention_heads", -1, &e->H, errbuf));
    /* sinusoids have no end; beyond the trained length a note warns */
    PLM_XCHECK(plm_weights_ConfigSize(ck, "max_positions", NULL, 1024, &m->trained_tokens, errbuf));
    if (cfg_bool(ck, "token_dropout", 0))
      PLM_XFAIL(PLM_EUNSUP, errbuf, "%s: ESM-1 with token_dropout is not supported", ck->path);
  } else if (arch && strcmp(arch, "esm2") == 0) {                 /* fair-esm ESM-2: cfg['model'] */
    m->arch = "esm2";
    PLM_XCHECK(plm_weights_ConfigSize(ck, "encoder_layers", NULL, -1, &e->nl, errbuf));
    PLM_XCHECK(plm_weights_ConfigSize(ck, "encoder_embed_dim", NULL, -1, &e->D, errbuf));
    PLM_XCHECK(plm_weights_ConfigSize(ck, "encoder_attention_heads", NULL, -1, &e->H, errbuf));
    e->F             = 4 * e->D;                          /* ESM2() ignores encoder_ffn_embed_dim */
    e->rotary        = 1;
    e->token_dropout = cfg_bool(ck, "token_dropout", 1);
    PLM_XCHECK(plm_weights_ConfigSize(ck, "max_positions", NULL, 1024, &m->trained_tokens, errbuf));
  } else if (arch && strcmp(arch, "roberta_large") == 0) { /* fair-esm ESM-1b: legacy args */
    int maxpos;
    m->arch = "esm1b";
    e->fairesm_1b = 1;
    PLM_XCHECK(plm_weights_ConfigSize(ck, "encoder_layers", "layers", -1, &e->nl, errbuf));
    PLM_XCHECK(plm_weights_ConfigSize(ck, "encoder_embed_dim", "embed_dim", -1, &e->D, errbuf));
    PLM_XCHECK(plm_weights_ConfigSize(ck, "encoder_ffn_embed_dim", "ffn_embed_dim", -1, &e->F, errbuf));
    PLM_XCHECK(plm_weights_ConfigSize(ck, "encoder_attention_heads", "attention_heads", -1, &e->H, errbuf));
    PLM_XCHECK(plm_weights_ConfigSize(ck, "max_positions", NULL, -1, &maxpos, errbuf));
    e->P             = maxpos + PLM_ESM_PAD + 1;
    e->token_dropout = cfg_bool(ck, "token_dropout", 0);
    e->ln_before     = -1;                                /* decided by the weights */
  } else {                                                 /* HuggingFace config.json */
    const char *pe = plm_checkpoint_Config(ck, "position_embedding_type");
    PLM_XCHECK(plm_weights_ConfigSize(ck, "num_hidden_layers", NULL, -1, &e->nl, errbuf));
    PLM_XCHECK(plm_weights_ConfigSize(ck, "hidden_size", NULL, -1, &e->D, errbuf));
    PLM_XCHECK(plm_weights_ConfigSize(ck, "num_attention_heads", NULL, -1, &e->H, errbuf));
    PLM_XCHECK(plm_weights_ConfigSize(ck, "intermediate_size", NULL, -1, &e->F, errbuf));
    PLM_XCHECK(plm_weights_ConfigSize(ck, "vocab_size", NULL, -1, &e->V, errbuf));
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
      PLM_XCHECK(plm_weights_ConfigSize(ck, "max_position_embeddings", NULL, 1026, &m->trained_tokens, errbuf));
      m->trained_tokens -= PLM_ESM_PAD + 1;                 /* HF counts the padding offset in */
    } else
      PLM_XCHECK(plm_weights_ConfigSize(ck, "max_position_embeddings", NULL, -1, &e->P, errbuf));
  }
  if (e->D % e->H != 0 || (e->rotary && (e->D / e->H) % 2 != 0))
    PLM_XFAIL(PLM_EFORMAT, errbuf, "%s: %d heads do not divide the width %d into even head sizes", ck->path, e->H, e->D);
  if (e->nl > PLM_LM_MAXLAYERS)
    PLM_XFAIL(PLM_ELIMIT, errbuf, "%s: %d layers, more than the %d supported", ck->path, e->nl, PLM_LM_MAXLAYERS);
  e->hd      = e->D / e->H;
  e->scaling = (float)pow(e->hd, -0.5);
  if (!e->rotary && !e->esm1) m->max_tokens = e->P - PLM_ESM_PAD - 1;
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
zero_mask_row(esm_model *e, char *errbuf)
{
  size_t n = (size_t)e->V * e->D;
  float *copy;

  if (e->has_lmhead && e->lm_w.host != e->embed.host) {   /* the tied parameter ends up as lm_head.weight */
    e->embed = e->lm_w;
    return PLM_OK;
  }
  if ((copy = malloc(sizeof *copy * n)) == NULL) return plm_Fail(errbuf, PLM_EMEM, "out of memory");
  memcpy(copy, e->embed.host, sizeof *copy * n);
  memset(copy + (size_t)PLM_ESM_MASK * e->D, 0, sizeof(float) * (size_t)e->D);
  if (plm_weights_Adopt(&e->ws, copy, n, &e->embed, errbuf) != PLM_OK) return PLM_EMEM;
  if (e->has_lmhead) e->lm_w = e->embed;
  return PLM_OK;
}

static int
load_weights(plm_lm *m, esm_model *e, char *errbuf)
{
  const plm_layout *lay = find_layout(m->ck);
  int               status;

  if (!lay)
    PLM_XFAIL(PLM_ENOTFOUND, errbuf, "%s: missing tensor 'encoder.sentence_encoder.embed_tokens.weight' (or HuggingFace "
              "'esm.embeddings.word_embeddings.weight'): not an ESM checkpoint", m->ck->path);
  /* an optional part is there when its first tensor is; then all of it must be */
  m->has_contacts = e->has_contacts = plm_param_Has(m->ck, lay, plm_param_Find(&esm_table, offsetof(esm_model, reg_w)));
  m->has_lmhead   = e->has_lmhead   = plm_param_Has(m->ck, lay, plm_param_Find(&esm_table, e->esm1 ? offsetof(esm_model, out_w)
                                                                                             : offsetof(esm_model, lm_dense_w)));
  if (e->ln_before < 0) e->ln_before = plm_param_Has(m->ck, lay, plm_param_Find(&esm_table, offsetof(esm_model, lnb.g)));

  if ((e->layer = calloc((size_t)e->nl, sizeof *e->layer)) == NULL) PLM_XFAIL(PLM_EMEM, errbuf, "out of memory");
  PLM_XCHECK(plm_params_Load(&esm_table, lay, &e->ws, m->ck, e, e->layer, sizeof *e->layer, e->nl, errbuf));
  if (e->has_lmhead && !e->lm_w.buf) e->lm_w = e->embed;
  if (e->fairesm_1b) PLM_XCHECK(zero_mask_row(e, errbuf));
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

/* the scratch buffers regrown together: rows (x .. logits, rotary tables) and per token (the
 * contact head's factors); s holds room for all */
static int
scratch_list(esm_model *e, plm_scratch *s)
{
  size_t D = (size_t)e->D, LH = (size_t)e->nl * e->H;
  int    n = 0;
  plm_buf **rows[] = { &e->x, &e->h, &e->q, &e->k, &e->v, &e->ctx };
  for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) s[n++] = (plm_scratch){ rows[i], D, PLM_PER_ROW };
  s[n++] = (plm_scratch){ &e->ff,     (size_t)e->F,      PLM_PER_ROW };
  s[n++] = (plm_scratch){ &e->logits, (size_t)e->V,      PLM_PER_ROW };
  s[n++] = (plm_scratch){ &e->cos,    (size_t)e->hd / 2, PLM_PER_ROW };
  s[n++] = (plm_scratch){ &e->sin,    (size_t)e->hd / 2, PLM_PER_ROW };
  s[n++] = (plm_scratch){ &e->cu,     LH,                PLM_PER_TOKEN };
  s[n++] = (plm_scratch){ &e->cv,     LH,                PLM_PER_TOKEN };
  if (e->esm1) {                          /* R + B <= 2R rows with the null rows */
    s[n++] = (plm_scratch){ &e->kx,   2 * D,             PLM_PER_ROW };
    s[n++] = (plm_scratch){ &e->vx,   2 * D,             PLM_PER_ROW };
    s[n++] = (plm_scratch){ &e->spos, D,                 PLM_PER_TOKEN };
  }
  return n;
}

static void
free_workspace(plm_backend *be, esm_model *e)
{
  plm_scratch s[16];
  plm_scratch_Free(be, s, scratch_list(e, s), &e->capR, &e->capT);
  plm_buf_Destroy(be, e->att); e->att = NULL; e->capAtt = 0;
  plm_buf_Destroy(be, e->acc); e->acc = NULL; e->capAcc = 0;
  plm_buf_Destroy(be, e->att2); e->att2 = NULL; e->capAtt2 = 0;
  free(e->rope); e->rope = NULL;
  free(e->drop); e->drop = NULL;
  free(e->spos_host); e->spos_host = NULL;
  free(e->koff); e->koff = NULL;
}

/* buffers for R rows of proteins of up to T tokens, natt attention floats (ESM-1: and as many
 * without the null column) and an acc of L x L (L < 0: none; an empty protein still gets one) */
static int
reserve_workspace(plm_backend *be, esm_model *e, int R, int T, size_t natt, int L, char *errbuf)
{
  plm_scratch s[16];
  int         grown, status;

  PLM_XCHECK(plm_scratch_Reserve(be, s, scratch_list(e, s), R, T, &e->capR, &e->capT, &grown, errbuf));
  if (grown) {
    free(e->rope);
    free(e->drop);
    free(e->spos_host);
    free(e->koff);
    e->spos_host = NULL;
    e->koff = NULL;
    if ((e->rope = malloc(sizeof *e->rope * (size_t)e->capR * (size_t)e->hd)) == NULL ||
        (e->drop = malloc((size_t)e->capR)) == NULL ||
        (e->esm1 && (e->spos_host = malloc(sizeof *e->spos_host * (size_t)e->capT * (size_t)e->D)) == NULL) ||
        (e->esm1 && (e->koff = malloc(sizeof *e->koff * (size_t)e->capR)) == NULL))
      PLM_XFAIL(PLM_EMEM, errbuf, "out of memory");
  }
  PLM_XCHECK(plm_scratch_Regrow(be, &e->att, &e->capAtt, natt, errbuf));
  if (e->esm1) PLM_XCHECK(plm_scratch_Regrow(be, &e->att2, &e->capAtt2, natt, errbuf));
  if (L >= 0) PLM_XCHECK(plm_scratch_Regrow(be, &e->acc, &e->capAcc, (size_t)L * L, errbuf));
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
  plm_weights_Clear(&e->ws);
  free(e->layer);
  free(e->inv_freq);
  free(e);
  m->priv = NULL;
}

/* ---------------------------------------------------------------------------
 * the forward pass
 */

/* who wants the maps of one layer, as blocks of query rows come: each protein's attentions tensor
 * (slot li; NULL outs or maps 0: not this layer) and its contact head (NULL: none) */
typedef struct esm_sink {
  plm_backend          *be;
  esm_model            *e;
  const plm_lm_request *req;
  const plm_pack       *pk;
  plm_lm_output        *outs;
  plm_contact          *c;
  int                   l, li, maps;
} esm_sink;

static void
esm_maps(void *ctx, int b, int row0, int rows, plm_buf *att)
{
  esm_sink  *s = ctx;
  esm_model *e = s->e;
  int        T = s->pk->T[b], want = s->maps && s->outs && s->outs[b].attentions;
  if (!want && !(s->c && s->c[b].acc)) return;
  if (e->esm1) {              /* fair-esm drops the null key's column: rows then sum to less than 1 */
    plm_op_Zero(s->be, e->att2, (size_t)e->H * rows * T);
    plm_op_AddRows(s->be, e->att2, 0, T, att, 0, T + 1, e->H * rows, T);
    att = e->att2;
  }
  if (want)
    plm_lmout_Attention(s->be, att, s->e->H, s->li, T, row0, rows, s->req, s->outs[b].attentions);
  if (s->c && s->c[b].acc) plm_block_ContactStep(s->be, &s->c[b], s->l, att, T, row0, rows);
}

/* one pre-LayerNorm layer over all rows: x += out(attention(LN(x))), x += fc2(gelu(fc1(LN(x)))).
 * q is scaled before rotary, as fair-esm does */
static void
layer_forward(plm_backend *be, esm_model *e, const esm_layer *w, const plm_pack *pk, const int *Q, esm_sink *sink)
{
  int D = e->D, R = pk->R;

  plm_op_LayerNorm(be, e->x, e->h, R, D, w->ln1.g.buf, w->ln1.b.buf, e->eps);
  plm_block_Qkv(be, e->h, R, D, &w->attn, D, e->q, e->k, e->v);
  plm_op_Scale(be, e->q, (size_t)R * D, e->scaling);
  if (e->rotary) {
    plm_op_Rotary(be, e->q, R, e->H, e->hd, D, e->cos, e->sin);
    plm_op_Rotary(be, e->k, R, e->H, e->hd, D, e->cos, e->sin);
  }
  if (e->esm1) {
    plm_block_NullKv(be, pk, D, e->k, w->bias_k.buf, e->kx, e->koff);
    plm_block_NullKv(be, pk, D, e->v, w->bias_v.buf, e->vx, e->koff);
  }
  plm_block_Attention(be, pk, &(plm_sdpa){ .q = e->q, .k = e->esm1 ? e->kx : e->k, .v = e->esm1 ? e->vx : e->v,
                                           .ctx = e->ctx, .att = e->att, .H = e->H, .hd = e->hd, .ld = D,
                                           .alpha = 1.0f, .Q = Q, .koff = e->esm1 ? e->koff : NULL, .kextra = e->esm1,
                                           .sink = sink ? esm_maps : NULL, .sink_ctx = sink });
  plm_block_Output(be, e->ctx, R, D, &w->attn.wo, &w->attn.bo, D, e->h, e->x);
  plm_op_LayerNorm(be, e->x, e->h, R, D, w->ln2.g.buf, w->ln2.b.buf, e->eps);
  plm_block_Ffn(be, e->h, R, D, e->F, &w->ffn, PLM_ACT_GELU, e->ff, e->h, e->x);
}

/* the contact heads of the proteins that want one: the first protein's state in the model's
 * acc/cu/cv, the others' made here; residues 1 .. T-2 (ESM-1: T-1), inline <eos> among them dropped
 * where an EOS ends the protein (fair-esm's append_eos) */
static int
contacts_begin(plm_backend *be, esm_model *e, const plm_pack *pk, const int32_t *ids, plm_contact *c, char *errbuf)
{
  int status;

  for (int b = 0; b < pk->B; b++) {
    int      T = pk->T[b], L = T - 1 - e->eos, dropping = 0;
    uint8_t *drop = e->drop + pk->off[b];
    for (int i = 0; e->eos && i < L; i++) dropping |= (drop[i] = ids[pk->off[b] + i + 1] == PLM_ESM_EOS);
    c[b] = (plm_contact){ .first = 1, .L = L, .nl = e->nl, .H = e->H, .drop = dropping ? drop : NULL,
                          .w = e->reg_w.host, .bias = e->reg_b.host[0] };
    if (b == 0) { c[b].acc = e->acc; c[b].cu = e->cu; c[b].cv = e->cv; }
    else {
      PLM_XCHECK(plm_buf_Create(be, (size_t)L * L, &c[b].acc, errbuf));
      PLM_XCHECK(plm_buf_Create(be, (size_t)e->nl * e->H * L, &c[b].cu, errbuf));
      PLM_XCHECK(plm_buf_Create(be, (size_t)e->nl * e->H * L, &c[b].cv, errbuf));
    }
  }
  return PLM_OK;

ERROR:
  return status;
}

static void
contacts_free(plm_backend *be, plm_contact *c, int B)
{
  for (int b = 1; c && b < B; b++) {
    plm_buf_Destroy(be, c[b].acc);
    plm_buf_Destroy(be, c[b].cu);
    plm_buf_Destroy(be, c[b].cv);
  }
  free(c);
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
  plm_pack     pk = { 0 };
  plm_contact *c = NULL;
  esm_sink     sink = { .be = be, .e = e, .req = req, .outs = outs };
  int         *Q = NULL, nla = 0, status;
  size_t       natt = 0;

  PLM_XCHECK(plm_model_Begin(m, req, B, T, outs, e->esm1 ? "embed_out" : "lm_head.*", &pk, &nla, errbuf));
  sink.pk = &pk;
  if ((Q = malloc(sizeof *Q * (size_t)B)) == NULL) PLM_XFAIL(PLM_EMEM, errbuf, "out of memory");
  for (int b = 0; b < B; b++) {
    size_t n;
    Q[b] = plm_block_QueryRows(be, e->H, T[b] + e->esm1, req->attn_bytes);
    if ((n = (size_t)e->H * Q[b] * (T[b] + e->esm1)) > natt) natt = n;
  }
  /* rows for all B proteins (and ESM-1's sinusoids for the longest); att for the largest H x Q x T
   * of the batch; acc for the first protein */
  PLM_XCHECK(reserve_workspace(be, e, pk.R, pk.R + PLM_ESM_PAD + 1, natt, req->contacts && outs ? T[0] - 1 - e->eos : -1, errbuf));
  if (req->contacts && outs) {
    if ((c = calloc((size_t)B, sizeof *c)) == NULL) PLM_XFAIL(PLM_EMEM, errbuf, "out of memory");
    PLM_XCHECK(contacts_begin(be, e, &pk, ids, c, errbuf));
    sink.c = c;
  }

  if (e->rotary) plm_block_RotaryTables(be, &pk, e->hd, e->inv_freq, e->rope, e->cos, e->sin);
  plm_block_Embed(be, e->embed.buf, ids, &pk, e->D, e->token_dropout ? PLM_ESM_MASK : -1, e->h, e->x);
  if (e->esm1) {              /* x = sqrt(D) embed + sinusoids of positions t + padding_idx + 1 */
    plm_op_Scale(be, e->x, (size_t)pk.R * e->D, sqrtf((float)e->D));
    plm_block_Sinusoids(be, pk.Tmax + PLM_ESM_PAD + 1, e->D, PLM_ESM_PAD, e->spos_host, e->spos);
    plm_block_AddPositions(be, e->x, &pk, e->D, e->spos, PLM_ESM_PAD + 1);
  } else if (!e->rotary)
    plm_block_AddPositions(be, e->x, &pk, e->D, e->pos.buf, PLM_ESM_PAD + 1);
  if (e->ln_before) plm_op_LayerNorm(be, e->x, e->x, pk.R, e->D, e->lnb.g.buf, e->lnb.b.buf, e->eps);
  for (int b = 0; b < B && outs; b++) PLM_XCHECK(plm_lmout_ReprRows(be, e->x, pk.off[b], 0, T[b], e->D, req, &outs[b], errbuf));
  for (int b = 0; c && b < B; b++) plm_block_ContactStart(be, &c[b]);

  for (int l = 0; l < e->nl; l++) {
    sink.l    = l;
    sink.maps = nla > 0 && req->attn_layers[l];
    layer_forward(be, e, &e->layer[l], &pk, Q, outs ? &sink : NULL);
    sink.li  += sink.maps;
    if (l < e->nl - 1)
      for (int b = 0; b < B && outs; b++) PLM_XCHECK(plm_lmout_ReprRows(be, e->x, pk.off[b], l + 1, T[b], e->D, req, &outs[b], errbuf));
  }
  if (!e->esm1) plm_op_LayerNorm(be, e->x, e->x, pk.R, e->D, e->lna.g.buf, e->lna.b.buf, e->eps);
  for (int b = 0; b < B && outs; b++) PLM_XCHECK(plm_lmout_ReprRows(be, e->x, pk.off[b], e->nl, T[b], e->D, req, &outs[b], errbuf));

  if (req->logits && e->esm1)    /* ESM-1: logits = x embed_out^T + embed_out_bias */
    plm_op_Linear(be, e->x, pk.R, e->D, e->out_w.buf, e->out_b.buf, e->V, e->logits);
  else if (req->logits)
    plm_block_LmHead(be, e->x, pk.R, e->D, e->D, &e->lm_dense_w, &e->lm_dense_b, PLM_ACT_GELU, &e->lm_ln, e->eps,
                     &e->lm_w, &e->lm_b, e->V, e->h, e->logits);
  if (req->logits) {
    if (merged) PLM_XCHECK(plm_lmout_Logits(be, e->logits, pk.R, e->V, merged, errbuf));
    for (int b = 0; b < B && outs; b++) PLM_XCHECK(plm_lmout_LogitsRows(be, e->logits, pk.off[b], T[b], e->V, &outs[b], errbuf));
  }
  for (int b = 0; c && b < B; b++) {
    int64_t shape[2] = { T[b] - 1 - e->eos, T[b] - 1 - e->eos };
    PLM_XCHECK(plm_tensor_Create("contacts", PLM_F32, 2, shape, &outs[b].contacts, errbuf));
    plm_block_ContactFinish(be, &c[b], outs[b].contacts->data);
  }
  PLM_XCHECK(plm_backend_Sync(be, errbuf));
  status = PLM_OK;

ERROR:
  contacts_free(be, c, B);
  plm_pack_Clear(&pk);
  free(Q);
  return status;
}

static int
esm_forward_many(plm_lm *m, const int32_t *ids, int B, const int *T, const plm_lm_request *req, plm_lm_output *outs, char *errbuf)
{
  return esm_run(m, ids, B, T, req, outs, NULL, errbuf);
}

static int
esm_forward_batch(plm_lm *m, const int32_t *ids, int B, int T, plm_lm_output *out, char *errbuf)
{
  return plm_model_SameLengths(m, esm_run, ids, B, T, out, errbuf);
}

/* fair-esm's tokenization with BOS and EOS (ESM-1: BOS only, in its own alphabet); an inline <pad>
 * would need a padding mask fair-esm only builds for batches, so it is refused */
static int
esm_tokenize(const plm_lm *m, const char *text, int32_t **ret_ids, int *ret_T, char *errbuf)
{
  const esm_model *e = m->priv;
  int              status;

  PLM_XCHECK(plm_esm_Tokenize(text, 1, e->eos, ret_ids, ret_T, errbuf));
  for (int t = 0; e->esm1 && t < *ret_T; t++) {
    int32_t *id = &(*ret_ids)[t];
    *id = *id == PLM_ESM_CLS ? PLM_ESM1_CLS : *id == PLM_ESM_MASK ? PLM_ESM1_MASK : *id;
  }
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
  esm_model *e;
  int        status;

  PLM_XCHECK(plm_model_New(ck, be, sizeof *e, &m, errbuf));
  e = m->priv;
  e->ws.be = be;
  m->tokenize = esm_tokenize;
  m->forward  = plm_model_ForwardOne;
  m->forward_batch = esm_forward_batch;
  m->forward_many  = esm_forward_many;
  m->destroy  = esm_destroy;
  PLM_XCHECK(read_config(m, e, errbuf));
  m->special_tokens = e->eos ? "bos,eos" : "bos";
  PLM_XCHECK(load_weights(m, e, errbuf));
  if (e->rotary) PLM_XCHECK(set_inv_freq(e, errbuf));
  plm_model_Done(m, e->nl, e->H, e->D, e->V);
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
 * LayerNorm gains 1, small biases, fair-esm's rotary frequencies; HF ties the decoder to the
 * embedding (the table's first tensor) */
static void
init_param(const void *model, const plm_param *p, plm_tensor *t, plm_tensor *const *made, int n, uint64_t *rng)
{
  const esm_model *e = model;
  float           *x = t->data;
  if (plm_param_InitCommon(p, t, made, PLM_ESM_PAD, rng)) return;
  for (int64_t i = 0; i < plm_tensor_Numel(t); i++)        /* INIT_ROPE */
    x[i] = 1.0f / powf(10000.0f, (float)(2 * i) / (float)e->hd);
}

/* config.json: HuggingFace's for ESM-2; for ESM-1 fair-esm's args (which plmscope reads from a
 * folder's config.json as it reads them from the legacy .pt) */
static int
write_config(const char *path, const esm_model *e, char *errbuf)
{
  FILE *fp = fopen(path, "w");
  if (!fp) return plm_Fail(errbuf, PLM_EIO, "%s: %s", path, strerror(errno));
  if (e->esm1)
    fprintf(fp, "{\n \"arch\": \"protein_bert_base\",\n \"decoder_layers\": %d,\n \"decoder_embed_dim\": %d,\n"
                " \"decoder_ffn_embed_dim\": %d,\n \"decoder_attention_heads\": %d,\n \"max_positions\": 1024,\n"
                " \"final_bias\": true\n}\n", e->nl, e->D, e->F, e->H);
  else
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

/* a random model of e's shape into folder dir: the table's parameters under layout lay, and config.json */
static int
write_random(const char *dir, esm_model *e, const plm_layout *lay, uint64_t seed, char *errbuf)
{
  char path[4096];
  int  status;

  if (e->nl < 1 || e->nl > PLM_LM_MAXLAYERS || e->D < 2 || e->H < 1 || e->D % e->H || (e->rotary && (e->D / e->H) % 2))
    PLM_XFAIL(PLM_EINVAL, errbuf, "no %s shape with %d layers, width %d, %d heads (heads must divide the width into even sizes)",
              e->esm1 ? "ESM-1" : "ESM-2", e->nl, e->D, e->H);
  e->hd = e->D / e->H;
  if (mkdir(dir, 0777) != 0 && errno != EEXIST) PLM_XFAIL(PLM_EIO, errbuf, "%s: %s", dir, strerror(errno));
  snprintf(path, sizeof path, "%s/model.safetensors", dir);
  PLM_XCHECK(plm_params_WriteRandom(&esm_table, lay, e, e->nl, init_param, seed, path, errbuf));
  snprintf(path, sizeof path, "%s/config.json", dir);
  PLM_XCHECK(write_config(path, e, errbuf));
  return PLM_OK;

ERROR:
  return status;
}

int
plm_esm_WriteRandom(const char *dir, int nl, int D, int H, uint64_t seed, char *errbuf)
{
  esm_model e = { .nl = nl, .D = D, .H = H, .F = 4 * D, .V = PLM_ESM_NTOK, .rotary = 1, .has_lmhead = 1, .has_contacts = 1 };
  return write_random(dir, &e, &esm_layouts[LAYOUT_HF_MLM], seed, errbuf);
}

int
plm_esm1_WriteRandom(const char *dir, int nl, int D, int H, uint64_t seed, char *errbuf)
{
  esm_model e = { .nl = nl, .D = D, .H = H, .F = 4 * D, .V = PLM_ESM1_NTOK, .esm1 = 1, .has_lmhead = 1, .has_contacts = 1 };
  return write_random(dir, &e, &esm_layouts[LAYOUT_ESM1], seed, errbuf);
}
