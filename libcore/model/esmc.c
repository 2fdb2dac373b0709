/* esmc.c: ESM C inference, as EvolutionaryScale's esm package computes it (see esmc.h).
 *
 * A pre-LayerNorm transformer over BOS + residues + EOS, without positions or token dropout:
 *
 *   x = embed(tokens)                                                   repr0
 *   for each block (s = 1 / sqrt(blocks / 36)):
 *     q, k, v = chunk(LN(x) Wqkv^T, 3)                                  fused, no bias
 *     q, k = rotary(LN_q(q)), rotary(LN_k(k))                           LayerNorm over all of D, weight only
 *     x += s out(softmax(q k^T / sqrt(hd)) v)
 *     x += s fc2(silu(a) b), a, b = chunk(fc1(LN(x)), 2)                SwiGLU, no biases
 *                                                                       repr1 .. repr<blocks>
 *   e = LN(x), weight only                                              embeddings
 *   logits = Linear(LN(gelu(Linear(e))))                                sequence_head, 64 wide
 *
 * The sequence head has 64 outputs for a 64-row vocabulary of which 33 are tokens (ESM-1b's order,
 * '|' at 31, <mask> at 32); only its first 33 rows are computed, so logits are T x 33, equal to the
 * first 33 columns of ESM C's sequence_logits. No contact head is published: contacts come from a
 * head lrfit fits on the attention maps.
 *
 *   plm_esmc_Recognize() / plm_esmc_Create()
 *   esmc_run(): the forward pass of B proteins packed by rows, block_forward() per block
 *   plm_esmc_WriteRandom()  a random ESM C as a .safetensors file, from the same table
 */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "error.h"
#include "alphabet.h"
#include "backend.h"
#include "checkpoint.h"
#include "lm.h"
#include "lmout.h"
#include "rng.h"
#include "weights.h"
#include "blocks.h"
#include "esmc.h"

#define ESMC_VOCAB 33              /* real tokens of the 64-row vocabulary */

typedef struct esmc_layer {
  plm_ln_w ln1;                    /* attn.layernorm_qkv.0 */
  plm_w    wqkv;                   /* attn.layernorm_qkv.1: [3D, D] */
  plm_w    q_ln, k_ln;             /* [D] gains */
  plm_w    wo;                     /* attn.out_proj */
  plm_ln_w ln2;                    /* ffn.0 */
  plm_w    w1, w2;                 /* ffn.1 [2F, D], ffn.3 [D, F] */
} esmc_layer;

typedef struct esmc_model {
  int         nl, D, H, hd, F, V;  /* V: rows of the embedding and the head (64) */
  float       eps, rscale;         /* rscale: 1 / sqrt(nl / 36) on every residual branch */
  plm_w       embed, norm, zero;   /* zero: D zeros, the bias of the weight-only LayerNorms */
  plm_w       h_dense_w, h_dense_b, h_out_w, h_out_b;
  plm_ln_w    h_ln;
  esmc_layer *layer;
  plm_weights ws;
  float      *inv_freq;
  int         capR, capT;
  size_t      capAtt;
  plm_buf    *x, *h, *q, *k, *v, *ctx, *qkv, *ff2, *ff, *cos, *sin, *logits, *att;
  float      *rope;
} esmc_model;

/* ---------------------------------------------------------------------------
 * the parameter table
 */

enum { DIM_D = -1, DIM_F = -2, DIM_V = -3, DIM_3D = -4, DIM_2F = -5 };
enum esmc_init { INIT_WEIGHT = PLM_INIT_WEIGHT, INIT_BIAS = PLM_INIT_BIAS, INIT_GAIN = PLM_INIT_GAIN, INIT_EMBED = PLM_INIT_EMBED };

#define LIN PLM_W_LINEAR
#define M(f) PLM_PARAM_M(esmc_model, f)
#define Y(f) PLM_PARAM_L(esmc_layer, f)
static const plm_param esmc_params[] = {
  /* field          { key }                                                    sec need flags rank shape            init */
  { M(embed),       { "embed.weight" },                                          0, 0, 0,   2, { DIM_V, DIM_D },   INIT_EMBED },
  { Y(ln1.g),       { "transformer.blocks.%d.attn.layernorm_qkv.0.weight" },     0, 0, 0,   1, { DIM_D },          INIT_GAIN },
  { Y(ln1.b),       { "transformer.blocks.%d.attn.layernorm_qkv.0.bias" },       0, 0, 0,   1, { DIM_D },          INIT_BIAS },
  { Y(wqkv),        { "transformer.blocks.%d.attn.layernorm_qkv.1.weight" },     0, 0, LIN, 2, { DIM_3D, DIM_D },  INIT_WEIGHT },
  { Y(wo),          { "transformer.blocks.%d.attn.out_proj.weight" },            0, 0, LIN, 2, { DIM_D, DIM_D },   INIT_WEIGHT },
  { Y(q_ln),        { "transformer.blocks.%d.attn.q_ln.weight" },                0, 0, 0,   1, { DIM_D },          INIT_GAIN },
  { Y(k_ln),        { "transformer.blocks.%d.attn.k_ln.weight" },                0, 0, 0,   1, { DIM_D },          INIT_GAIN },
  { Y(ln2.g),       { "transformer.blocks.%d.ffn.0.weight" },                    0, 0, 0,   1, { DIM_D },          INIT_GAIN },
  { Y(ln2.b),       { "transformer.blocks.%d.ffn.0.bias" },                      0, 0, 0,   1, { DIM_D },          INIT_BIAS },
  { Y(w1),          { "transformer.blocks.%d.ffn.1.weight" },                    0, 0, LIN, 2, { DIM_2F, DIM_D },  INIT_WEIGHT },
  { Y(w2),          { "transformer.blocks.%d.ffn.3.weight" },                    0, 0, LIN, 2, { DIM_D, DIM_F },   INIT_WEIGHT },
  { M(norm),        { "transformer.norm.weight" },                               0, 0, 0,   1, { DIM_D },          INIT_GAIN },
  { M(h_dense_w),   { "sequence_head.0.weight" },                                0, 0, LIN, 2, { DIM_D, DIM_D },   INIT_WEIGHT },
  { M(h_dense_b),   { "sequence_head.0.bias" },                                  0, 0, 0,   1, { DIM_D },          INIT_BIAS },
  { M(h_ln.g),      { "sequence_head.2.weight" },                                0, 0, 0,   1, { DIM_D },          INIT_GAIN },
  { M(h_ln.b),      { "sequence_head.2.bias" },                                  0, 0, 0,   1, { DIM_D },          INIT_BIAS },
  { M(h_out_w),     { "sequence_head.3.weight" },                                0, 0, LIN, 2, { DIM_V, DIM_D },   INIT_WEIGHT },
  { M(h_out_b),     { "sequence_head.3.bias" },                                  0, 0, 0,   1, { DIM_V },          INIT_BIAS },
};
#undef M
#undef Y
#undef LIN

/* the published files: a bare state dict (torch .pth) or the same names in a .safetensors */
static const plm_layout esmc_layout = { "ESM C state dict", 0, { "", "", "" } };

static int64_t
esmc_dim(const void *model, int d)
{
  const esmc_model *e = model;
  switch (d) {
  case DIM_D:  return e->D;
  case DIM_F:  return e->F;
  case DIM_V:  return e->V;
  case DIM_3D: return 3 * (int64_t)e->D;
  case DIM_2F: return 2 * (int64_t)e->F;
  default:     return d;
  }
}

static const plm_ptable esmc_table = { esmc_params, (int)(sizeof esmc_params / sizeof esmc_params[0]), esmc_dim, NULL };

/* ---------------------------------------------------------------------------
 * the shape, from the tensors
 */

int
plm_esmc_Recognize(const plm_checkpoint *ck)
{
  return plm_checkpoint_Get(ck, "embed.weight") && plm_checkpoint_Get(ck, "transformer.blocks.0.attn.layernorm_qkv.1.weight");
}

static int
tensor_dim(const plm_checkpoint *ck, const char *key, int rank, int d, int *ret, char *errbuf)
{
  const plm_tensor *t = plm_checkpoint_Get(ck, key);
  if (!t) return plm_Fail(errbuf, PLM_ENOTFOUND, "%s: missing tensor '%s' (ESM C state dict)", ck->path, key);
  if (t->rank != rank) return plm_Fail(errbuf, PLM_EFORMAT, "%s: tensor '%s' has rank %d, expected %d", ck->path, key, t->rank, rank);
  *ret = (int)t->shape[d];
  return PLM_OK;
}

/* width from the embedding, blocks by counting them, SwiGLU width from ffn.3, heads = D / 64 */
static int
read_shape(plm_lm *m, esmc_model *e, char *errbuf)
{
  const plm_checkpoint *ck = m->ck;
  char                  key[128];
  int                   status;

  PLM_XCHECK(tensor_dim(ck, "embed.weight", 2, 0, &e->V, errbuf));
  PLM_XCHECK(tensor_dim(ck, "embed.weight", 2, 1, &e->D, errbuf));
  PLM_XCHECK(tensor_dim(ck, "transformer.blocks.0.ffn.3.weight", 2, 1, &e->F, errbuf));
  for (e->nl = 0; e->nl <= PLM_LM_MAXLAYERS; e->nl++) {
    snprintf(key, sizeof key, "transformer.blocks.%d.attn.layernorm_qkv.1.weight", e->nl);
    if (!plm_checkpoint_Get(ck, key)) break;
  }
  if (e->nl > PLM_LM_MAXLAYERS)
    PLM_XFAIL(PLM_ELIMIT, errbuf, "%s: more than the %d supported blocks", ck->path, PLM_LM_MAXLAYERS);
  if (e->V < ESMC_VOCAB)
    PLM_XFAIL(PLM_EFORMAT, errbuf, "%s: embed.weight has %d rows, fewer than ESM C's %d tokens", ck->path, e->V, ESMC_VOCAB);
  if (e->D % PLM_ESMC_HEAD_DIM != 0)
    PLM_XFAIL(PLM_EFORMAT, errbuf, "%s: width %d is not a multiple of 64, the head size of every published ESM C", ck->path, e->D);
  e->H      = e->D / PLM_ESMC_HEAD_DIM;
  e->hd     = PLM_ESMC_HEAD_DIM;
  e->eps    = 1e-5f;
  e->rscale = (float)(1.0 / sqrt(e->nl / 36.0));
  m->arch   = "esmc";
  m->trained_tokens = 2048;        /* ESM C's last training stage: 2048-token contexts; longer runs get a note */
  return PLM_OK;

ERROR:
  return status;
}

static int
load_weights(plm_lm *m, esmc_model *e, char *errbuf)
{
  int    half = e->hd / 2, status;
  float *zero = NULL;

  if ((e->layer = calloc((size_t)e->nl, sizeof *e->layer)) == NULL) PLM_XFAIL(PLM_EMEM, errbuf, "out of memory");
  PLM_XCHECK(plm_params_Load(&esmc_table, &esmc_layout, &e->ws, m->ck, e, e->layer, sizeof *e->layer, e->nl, errbuf));
  if ((zero = calloc((size_t)e->D, sizeof *zero)) == NULL) PLM_XFAIL(PLM_EMEM, errbuf, "out of memory");
  PLM_XCHECK(plm_weights_Adopt(&e->ws, zero, (size_t)e->D, &e->zero, errbuf));
  zero = NULL;
  /* ESM C's RotaryEmbedding: 1 / 10000^(2i/hd) in float32, half-split */
  if ((e->inv_freq = malloc(sizeof *e->inv_freq * (size_t)half)) == NULL) PLM_XFAIL(PLM_EMEM, errbuf, "out of memory");
  for (int i = 0; i < half; i++) e->inv_freq[i] = 1.0f / powf(10000.0f, (float)(2 * i) / (float)e->hd);
  m->has_lmhead = 1;
  return PLM_OK;

ERROR:
  free(zero);
  return status;
}

/* ---------------------------------------------------------------------------
 * workspace
 */

static int
scratch_list(esmc_model *e, plm_scratch *s)
{
  size_t D = (size_t)e->D;
  int    n = 0;
  plm_buf **rows[] = { &e->x, &e->h, &e->q, &e->k, &e->v, &e->ctx };
  for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) s[n++] = (plm_scratch){ rows[i], D, PLM_PER_ROW };
  s[n++] = (plm_scratch){ &e->qkv,    3 * D,                  PLM_PER_ROW };
  s[n++] = (plm_scratch){ &e->ff2,    2 * (size_t)e->F,       PLM_PER_ROW };
  s[n++] = (plm_scratch){ &e->ff,     (size_t)e->F,           PLM_PER_ROW };
  s[n++] = (plm_scratch){ &e->logits, ESMC_VOCAB,             PLM_PER_ROW };
  s[n++] = (plm_scratch){ &e->cos,    (size_t)e->hd / 2,      PLM_PER_ROW };
  s[n++] = (plm_scratch){ &e->sin,    (size_t)e->hd / 2,      PLM_PER_ROW };
  return n;
}

static void
free_workspace(plm_backend *be, esmc_model *e)
{
  plm_scratch s[16];
  plm_scratch_Free(be, s, scratch_list(e, s), &e->capR, &e->capT);
  plm_buf_Destroy(be, e->att); e->att = NULL; e->capAtt = 0;
  free(e->rope); e->rope = NULL;
}

static int
reserve_workspace(plm_backend *be, esmc_model *e, int R, size_t natt, char *errbuf)
{
  plm_scratch s[16];
  int         grown, status;

  PLM_XCHECK(plm_scratch_Reserve(be, s, scratch_list(e, s), R, R, &e->capR, &e->capT, &grown, errbuf));
  if (grown) {
    free(e->rope);
    if ((e->rope = malloc(sizeof *e->rope * (size_t)e->capR * (size_t)e->hd)) == NULL) PLM_XFAIL(PLM_EMEM, errbuf, "out of memory");
  }
  PLM_XCHECK(plm_scratch_Regrow(be, &e->att, &e->capAtt, natt, errbuf));
  return PLM_OK;

ERROR:
  free_workspace(be, e);
  return status;
}

static void
esmc_destroy(plm_lm *m)
{
  esmc_model *e = m->priv;
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

/* each protein's attentions tensor gets the maps of the asked layers as blocks of query rows come */
typedef struct esmc_sink {
  plm_backend          *be;
  const esmc_model     *e;
  const plm_lm_request *req;
  const plm_pack       *pk;
  plm_lm_output        *outs;
  int                   li, maps;
} esmc_sink;

static void
esmc_maps(void *ctx, int b, int row0, int rows, plm_buf *att)
{
  esmc_sink *s = ctx;
  if (s->maps && s->outs[b].attentions)
    plm_lmout_Attention(s->be, att, s->e->H, s->li, s->pk->T[b], row0, rows, s->req, s->outs[b].attentions);
}

/* one block over all rows (see the top of the file) */
static void
block_forward(plm_backend *be, esmc_model *e, const esmc_layer *w, const plm_pack *pk, const int *Q, esmc_sink *sink)
{
  int D = e->D, R = pk->R;

  plm_op_LayerNorm(be, e->x, e->h, R, D, w->ln1.g.buf, w->ln1.b.buf, e->eps);
  plm_block_QkvFused(be, e->h, R, D, &w->wqkv, D, e->qkv, e->q, e->k, e->v);
  plm_block_QkNorm(be, e->q, e->k, R, D, &w->q_ln, &w->k_ln, &e->zero, e->eps);
  plm_op_Rotary(be, e->q, R, e->H, e->hd, D, e->cos, e->sin);
  plm_op_Rotary(be, e->k, R, e->H, e->hd, D, e->cos, e->sin);
  plm_block_Attention(be, pk, &(plm_sdpa){ .q = e->q, .k = e->k, .v = e->v, .ctx = e->ctx, .att = e->att,
                                           .H = e->H, .hd = e->hd, .ld = D, .alpha = 1.0f / sqrtf((float)e->hd),
                                           .Q = Q, .sink = sink ? esmc_maps : NULL, .sink_ctx = sink });
  plm_op_Linear(be, e->ctx, R, D, w->wo.buf, NULL, D, e->h);
  plm_block_ScaledResidual(be, e->h, R, D, e->rscale, e->x);
  plm_op_LayerNorm(be, e->x, e->h, R, D, w->ln2.g.buf, w->ln2.b.buf, e->eps);
  plm_block_SwiGluFfn(be, e->h, R, D, e->F, &w->w1, &w->w2, e->rscale, e->ff2, e->ff, e->h, e->x);
}

/* B proteins packed by rows through the model; outs[b] gets what req asks for protein b; with
 * merged (forward_batch), the logits of all rows in one tensor and outs NULL */
static int
esmc_run(plm_lm *m, const int32_t *ids, int B, const int *T, const plm_lm_request *req, plm_lm_output *outs,
         plm_lm_output *merged, char *errbuf)
{
  esmc_model  *e  = m->priv;
  plm_backend *be = m->be;
  plm_pack     pk = { 0 };
  esmc_sink    sink = { .be = be, .e = e, .req = req, .outs = outs };
  int         *Q = NULL, nla = 0, status;
  size_t       natt = 0;

  PLM_XCHECK(plm_model_Begin(m, req, B, T, outs, "sequence_head.*", &pk, &nla, errbuf));
  sink.pk = &pk;
  if ((Q = malloc(sizeof *Q * (size_t)B)) == NULL) PLM_XFAIL(PLM_EMEM, errbuf, "out of memory");
  for (int b = 0; b < B; b++) {
    size_t n;
    Q[b] = plm_block_QueryRows(be, e->H, T[b], req->attn_bytes);
    if ((n = (size_t)e->H * Q[b] * T[b]) > natt) natt = n;
  }
  PLM_XCHECK(reserve_workspace(be, e, pk.R, natt, errbuf));

  plm_block_RotaryTables(be, &pk, e->hd, e->inv_freq, e->rope, e->cos, e->sin);
  plm_block_Embed(be, e->embed.buf, ids, &pk, e->D, -1, e->h, e->x);
  for (int b = 0; b < B && outs; b++) PLM_XCHECK(plm_lmout_ReprRows(be, e->x, pk.off[b], 0, T[b], e->D, req, &outs[b], errbuf));
  for (int l = 0; l < e->nl; l++) {
    sink.maps = nla > 0 && req->attn_layers[l];
    block_forward(be, e, &e->layer[l], &pk, Q, outs ? &sink : NULL);
    sink.li += sink.maps;
    for (int b = 0; b < B && outs; b++) PLM_XCHECK(plm_lmout_ReprRows(be, e->x, pk.off[b], l + 1, T[b], e->D, req, &outs[b], errbuf));
  }
  plm_op_LayerNorm(be, e->x, e->h, pk.R, e->D, e->norm.buf, e->zero.buf, e->eps);
  for (int b = 0; b < B && outs && req->embeddings; b++)
    PLM_XCHECK(plm_lmout_Matrix(be, e->h, pk.off[b], "embeddings", T[b], e->D, &outs[b].embeddings, errbuf));
  if (req->logits) {
    /* the head's first ESMC_VOCAB rows: [V, D] row-major, so they are a prefix of it */
    plm_block_LmHead(be, e->h, pk.R, e->D, e->D, &e->h_dense_w, &e->h_dense_b, PLM_ACT_GELU, &e->h_ln, e->eps,
                     &e->h_out_w, &e->h_out_b, ESMC_VOCAB, e->q, e->logits);
    if (merged) PLM_XCHECK(plm_lmout_Logits(be, e->logits, pk.R, ESMC_VOCAB, merged, errbuf));
    for (int b = 0; b < B && outs; b++) PLM_XCHECK(plm_lmout_LogitsRows(be, e->logits, pk.off[b], T[b], ESMC_VOCAB, &outs[b], errbuf));
  }
  PLM_XCHECK(plm_backend_Sync(be, errbuf));
  status = PLM_OK;

ERROR:
  plm_pack_Clear(&pk);
  free(Q);
  return status;
}

static int
esmc_forward_many(plm_lm *m, const int32_t *ids, int B, const int *T, const plm_lm_request *req, plm_lm_output *outs, char *errbuf)
{
  return esmc_run(m, ids, B, T, req, outs, NULL, errbuf);
}

static int
esmc_forward_batch(plm_lm *m, const int32_t *ids, int B, int T, plm_lm_output *out, char *errbuf)
{
  return plm_model_SameLengths(m, esmc_run, ids, B, T, out, errbuf);
}

/* ESM C's tokenizer: ESM-1b's with '|' (a chain break) as token 31, BOS and EOS around; the
 * parts between breaks are tokenized as ESM-1b's, so positions in errors count within a part */
static int
esmc_tokenize(const plm_lm *m, const char *text, int32_t **ret_ids, int *ret_T, char *errbuf)
{
  int32_t *ids = NULL, *part = NULL;
  char    *copy = NULL;
  int      n, cap, status;

  (void)m;
  *ret_ids = NULL;
  cap = (int)strlen(text) + 2;
  if ((ids = malloc(sizeof *ids * (size_t)cap)) == NULL || (copy = strdup(text)) == NULL)
    PLM_XFAIL(PLM_EMEM, errbuf, "out of memory");
  ids[0] = PLM_ESM_CLS;
  n = 1;
  for (char *s = copy, *bar; ; s = bar + 1) {
    int k;
    if ((bar = strchr(s, '|')) != NULL) *bar = '\0';
    PLM_XCHECK(plm_esm_Tokenize(s, 0, 0, &part, &k, errbuf));
    for (int i = 0; i < k; i++) {
      if (part[i] == PLM_ESM_PAD) PLM_XFAIL(PLM_EFORMAT, errbuf, "<pad> inside a sequence is not supported");
      if (part[i] == PLM_ESMC_CHAINBREAK) PLM_XFAIL(PLM_EFORMAT, errbuf, "<null_1> is not an ESM C token (its id 31 is '|')");
      ids[n++] = part[i];
    }
    free(part); part = NULL;
    if (!bar) break;
    ids[n++] = PLM_ESMC_CHAINBREAK;
  }
  ids[n++] = PLM_ESM_EOS;
  free(copy);
  *ret_ids = ids;
  *ret_T   = n;
  return PLM_OK;

ERROR:
  free(part);
  free(copy);
  free(ids);
  return status;
}

int
plm_esmc_Create(plm_checkpoint *ck, plm_backend *be, plm_lm **ret_m, char *errbuf)
{
  plm_lm     *m = NULL;
  esmc_model *e;
  int         status;

  PLM_XCHECK(plm_model_New(ck, be, sizeof *e, &m, errbuf));
  e = m->priv;
  e->ws.be = be;
  m->special_tokens = "bos,eos";
  m->has_embeddings = 1;
  m->tokenize       = esmc_tokenize;
  m->forward        = plm_model_ForwardOne;
  m->forward_batch  = esmc_forward_batch;
  m->forward_many   = esmc_forward_many;
  m->destroy        = esmc_destroy;
  snprintf(m->note, sizeof m->note, "ESM C publishes no contact head: fit one on its attention maps with "
                                    "'lrfit train' and apply it with 'lrfit predict -w HEAD'");
  PLM_XCHECK(read_shape(m, e, errbuf));
  PLM_XCHECK(load_weights(m, e, errbuf));
  plm_model_Done(m, e->nl, e->H, e->D, ESMC_VOCAB);
  *ret_m = m;
  return PLM_OK;

ERROR:
  if (m) { m->ck = NULL; esmc_destroy(m); free(m); }
  return status;
}

/* ---------------------------------------------------------------------------
 * random models, for benchmarks and tests
 */

/* torch's starting values: N(0, 1/fan_in) weights, N(0, 1) embeddings, LayerNorm gains 1, small biases */
static void
init_param(const void *model, const plm_param *p, plm_tensor *t, plm_tensor *const *made, int n, uint64_t *rng)
{
  (void)model; (void)n;
  plm_param_InitCommon(p, t, made, -1, rng);          /* no padding row */
}

/* ESM C's shape for a width: SwiGLU hidden = roundup256(8/3 D), 64 vocabulary rows */
int
plm_esmc_WriteRandom(const char *path, int nl, int D, uint64_t seed, char *errbuf)
{
  esmc_model e = { .nl = nl, .D = D, .V = 64 };

  if (nl < 1 || nl > PLM_LM_MAXLAYERS || D < PLM_ESMC_HEAD_DIM || D % PLM_ESMC_HEAD_DIM)
    return plm_Fail(errbuf, PLM_EINVAL, "no ESM C shape with %d blocks and width %d (the width must be a multiple of 64)", nl, D);
  e.F = (8 * D / 3 + 255) / 256 * 256;
  return plm_params_WriteRandom(&esmc_table, &esmc_layout, &e, nl, init_param, seed, path, errbuf);
}
