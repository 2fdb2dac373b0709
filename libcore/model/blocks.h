/* blocks.h: the pieces every language model is built from, shared by esm.c, bert.c, xlnet.c.
 *
 * A model is a parameter table (which tensors, under which keys, of which shapes) plus a
 * forward pass that calls these blocks in its own order. Shapes use these names:
 *
 *   B proteins packed by rows: protein b has T[b] tokens in rows off[b] .. off[b]+T[b]-1 of
 *   every row buffer; R = sum of T[b] rows in all; no padding anywhere.
 *   D model width, H heads of hd columns (ld: a buffer's row stride, usually D), F the
 *   feed-forward width, V the vocabulary, E the embedding width (ALBERT's, else D).
 *
 * Every block runs backend operators (backend.h) only, so every block runs on every backend.
 *
 * The model's frame:
 *   plm_model_New()        a plm_lm and its zeroed private model struct, wired to checkpoint and backend
 *   plm_model_Done()       the sizes the model settled on, into the plm_lm (nlayers, nheads, dim, vocab)
 *   plm_model_ForwardOne() a plm_lm's forward for models whose forward_many does it all: a batch of one
 *   plm_model_Begin()      a run's common start: the request checked against the model's heads, the
 *                          proteins packed (plm_pack), each asked attentions tensor created
 *   plm_model_SameLengths()  forward_batch (B proteins of T tokens, logits in one tensor) through the
 *                          model's run over packed proteins
 *   plm_pack_Init() / plm_pack_Clear()   row offsets of B proteins
 *
 * Parameter tables (plm_param, plm_ptable, plm_layout):
 *   plm_param_Key()        a parameter's key in one file layout (0 when that naming lacks it)
 *   plm_param_Find()       the table's model-wide parameter stored at an offset
 *   plm_param_Has()        does the checkpoint hold it (layer 0) in this layout?
 *   plm_params_Load()      every wanted parameter of the table into the model's plm_w fields
 *   plm_params_WriteRandom()  every wanted parameter, freshly initialised, as a safetensors file
 *   plm_param_InitCommon() the starts random parameters share (PLM_INIT_*), for a model's plm_param_init
 *
 * Scratch buffers (plm_scratch):
 *   plm_scratch_Reserve()  a model's scratch buffers for R rows of proteins of up to T tokens,
 *                          regrown (all together, rounded up) only when a run needs more
 *   plm_scratch_Free()
 *   plm_scratch_Regrow()   one buffer of at least n floats
 *
 * Blocks (each comment in blocks.c gives the shapes):
 *   plm_block_Embed()      token rows gathered from a table, ESM's token dropout optional
 *   plm_block_AddPositions()  learned absolute positions added to each protein's rows
 *   plm_block_RotaryTables()  cos/sin tables of each row's position within its protein
 *   plm_block_Sinusoids()  fairseq's sinusoidal position table (ESM-1)
 *   plm_block_NullKv()     keys (or values) with a learned null row after each protein's (ESM-1)
 *   plm_block_Qkv()        the three projections q, k, v = x W^T + b
 *   plm_block_QkvFused()   the same from one fused [3 HD, D] matrix without bias (ESM C), split into q, k, v
 *   plm_block_QkNorm()     LayerNorm of q and of k over all their columns, weight only (ESM C)
 *   plm_block_Attention()  softmax(alpha q k^T) v per protein and head, in blocks of query rows,
 *                          each block's probabilities handed to a sink while they are there
 *   plm_block_RelPositions()  XLNet's relative sinusoids, 2T distances per protein
 *   plm_block_RelAttention()  XLNet's relative attention: content and position scores, rel_shift
 *   plm_block_Output()     the attention's output projection and residual: res += x W^T + b
 *   plm_block_Ffn()        the feed-forward block and residual: res += fc2(act(fc1(x))), act GELU
 *                          (exact or tanh)
 *   plm_block_SwiGluFfn()  the SwiGLU feed-forward block and a scaled residual: res += s fc2(silu(a) b),
 *                          a and b the halves of fc1(x) (ESM C)
 *   plm_block_ScaledResidual()  res += s y (ESM C divides each branch by sqrt(layers / 36))
 *   plm_block_LmHead()     LN(act(dense(x))) W^T + b: the masked-LM heads of ESM and BERT
 *   plm_block_ContactStep() / plm_block_ContactFinish()  fair-esm's contact head, a layer at a time
 *   plm_block_QueryRows()  query rows per attention block within a memory budget
 *   plm_block_RowAttention()     the MSA Transformer's row attention, tied over an alignment's rows
 *   plm_block_ColumnAttention()  its column attention, one head over a block of columns
 */
#ifndef PLM_BLOCKS_H
#define PLM_BLOCKS_H
#include <stddef.h>
#include <stdint.h>
#include "backend.h"
#include "checkpoint.h"
#include "lm.h"
#include "weights.h"

/* ---------------------------------------------------------------------------
 * the frame of a model
 */

typedef struct plm_pack {
  int        B, R, Tmax;
  const int *T;               /* B token counts */
  int       *off;             /* B first rows */
} plm_pack;

int  plm_pack_Init(plm_pack *pk, int B, const int *T, char *errbuf);
void plm_pack_Clear(plm_pack *pk);

int  plm_model_New(plm_checkpoint *ck, plm_backend *be, size_t priv_size, plm_lm **ret_m, char *errbuf);
void plm_model_Done(plm_lm *m, int nlayers, int nheads, int dim, int vocab);
int  plm_model_ForwardOne(plm_lm *m, const int32_t *ids, int T, const plm_lm_request *req, plm_lm_output *out,
                          char *errbuf);

/* a model's forward pass over B proteins packed by rows: outs[b] what req asks for protein b, or
 * (outs NULL) the logits of all rows in one tensor in *merged */
typedef int (*plm_model_run)(plm_lm *m, const int32_t *ids, int B, const int *T, const plm_lm_request *req,
                             plm_lm_output *outs, plm_lm_output *merged, char *errbuf);
int  plm_model_SameLengths(plm_lm *m, plm_model_run run, const int32_t *ids, int B, int T, plm_lm_output *out,
                           char *errbuf);
int  plm_model_Begin(plm_lm *m, const plm_lm_request *req, int B, const int *T, plm_lm_output *outs,
                     const char *nohead, plm_pack *pk, int *ret_nla, char *errbuf);

/* ---------------------------------------------------------------------------
 * parameter tables
 */

#define PLM_P_OPTIONAL  4      /* absent is fine: the plm_w stays empty (buf NULL) and the model fills it in */

typedef struct plm_param {
  size_t      off;            /* of the plm_w in the model struct, or in its layer struct */
  int         per_layer;
  const char *key[2];         /* key under naming 0 and 1 of the layouts, after the section's prefix
                                 ("%d": the layer); NULL where that naming lacks the parameter */
  int         section;        /* which prefix of the layout */
  int         need;           /* the model's own tag: its wanted() decides from it */
  int         flags;          /* PLM_W_LINEAR, PLM_W_TRANSPOSE (weights.h), PLM_P_OPTIONAL */
  int         rank, dim[4];   /* negative sizes are symbolic: the model's dim() gives them */
  int         init;           /* how a random model fills it: the model's own tag */
} plm_param;

typedef struct plm_layout { const char *what; int naming; const char *prefix[3]; } plm_layout;

typedef struct plm_ptable {
  const plm_param *p;
  int              n;
  int64_t        (*dim)(const void *model, int d);
  int            (*wanted)(const void *model, const plm_param *p);   /* NULL: all */
} plm_ptable;

#define PLM_PARAM_M(type, f)  offsetof(type, f), 0
#define PLM_PARAM_L(type, f)  offsetof(type, f), 1

int  plm_param_Key(const plm_layout *lay, const plm_param *p, int layer, char *key, size_t n);
const plm_param *plm_param_Find(const plm_ptable *t, size_t off);
int  plm_param_Has(const plm_checkpoint *ck, const plm_layout *lay, const plm_param *p);
int  plm_params_Load(const plm_ptable *t, const plm_layout *lay, plm_weights *ws, const plm_checkpoint *ck,
                     void *model, void *layers, size_t layer_size, int nlayers, char *errbuf);

/* fills one random tensor; `made` holds the n tensors written so far (for ties) */
typedef void (*plm_param_init)(const void *model, const plm_param *p, plm_tensor *t, plm_tensor *const *made,
                               int n, uint64_t *rng);
int  plm_params_WriteRandom(const plm_ptable *t, const plm_layout *lay, const void *model, int nlayers,
                            plm_param_init init, uint64_t seed, const char *path, char *errbuf);
/* plm_param.init tags every model shares; a model numbers its own from PLM_INIT_OWN */
enum { PLM_INIT_WEIGHT, PLM_INIT_BIAS, PLM_INIT_GAIN, PLM_INIT_EMBED, PLM_INIT_TIED, PLM_INIT_OWN };
int  plm_param_InitCommon(const plm_param *p, plm_tensor *t, plm_tensor *const *made, int pad, uint64_t *rng);

/* ---------------------------------------------------------------------------
 * scratch buffers
 */

enum plm_scratch_per { PLM_PER_ROW, PLM_PER_TOKEN, PLM_PER_TOKEN2 };
typedef struct plm_scratch {
  plm_buf **buf;
  size_t    width;            /* floats per row, per token, or per token pair */
  int       per;
} plm_scratch;

int  plm_scratch_Reserve(plm_backend *be, const plm_scratch *s, int n, int R, int T, int *capR, int *capT,
                         int *ret_grown, char *errbuf);
void plm_scratch_Free(plm_backend *be, const plm_scratch *s, int n, int *capR, int *capT);
int  plm_scratch_Regrow(plm_backend *be, plm_buf **b, size_t *cap, size_t n, char *errbuf);

/* ---------------------------------------------------------------------------
 * blocks
 */

/* the weights of the common sub-blocks, so tables and blocks agree on them */
typedef struct plm_ln_w   { plm_w g, b; } plm_ln_w;
typedef struct plm_attn_w { plm_w wq, bq, wk, bk, wv, bv, wo, bo; } plm_attn_w;
typedef struct plm_ffn_w  { plm_w w1, b1, w2, b2; } plm_ffn_w;

enum plm_act { PLM_ACT_GELU, PLM_ACT_GELU_TANH };

void plm_block_Act(plm_backend *be, int act, plm_buf *x, size_t n);
void plm_block_Embed(plm_backend *be, const plm_buf *table, const int32_t *ids, const plm_pack *pk, int D,
                     int drop_id, plm_buf *tmp, plm_buf *x);
void plm_block_AddPositions(plm_backend *be, plm_buf *x, const plm_pack *pk, int D, const plm_buf *pos, int first);
void plm_block_RotaryTables(plm_backend *be, const plm_pack *pk, int hd, const float *inv_freq, float *host,
                            plm_buf *cos, plm_buf *sin);
void plm_block_Sinusoids(plm_backend *be, int n, int D, int padding_idx, float *host, plm_buf *table);
void plm_block_NullKv(plm_backend *be, const plm_pack *pk, int ld, const plm_buf *k, const plm_buf *null,
                      plm_buf *kx, int *koff);
void plm_block_Qkv(plm_backend *be, const plm_buf *x, int R, int D, const plm_attn_w *w, int HD,
                   plm_buf *q, plm_buf *k, plm_buf *v);

void plm_block_QkvFused(plm_backend *be, const plm_buf *x, int R, int D, const plm_w *W, int HD, plm_buf *qkv,
                        plm_buf *q, plm_buf *k, plm_buf *v);
void plm_block_QkNorm(plm_backend *be, plm_buf *q, plm_buf *k, int R, int HD, const plm_w *gq, const plm_w *gk,
                      const plm_w *zero, float eps);

/* where one protein's probabilities go, a block of query rows at a time: att holds H x rows x Tk */
typedef void (*plm_attn_sink)(void *ctx, int b, int row0, int rows, plm_buf *att);

typedef struct plm_sdpa {
  const plm_buf *q, *k, *v;   /* q [R, ld]; k, v: protein b's Tk keys from row koff[b] (off[b] when NULL) */
  plm_buf       *ctx, *att;   /* ctx [R, ld]; att H x Q x Tk */
  int            H, hd, ld;
  float          alpha;       /* scores = alpha q k^T */
  const int     *Q;           /* query rows per block, per protein; NULL: all T[b] at once */
  const int     *koff;        /* NULL: the keys are the protein's own rows */
  int            kextra;      /* keys beyond the protein's T (a learned null key): Tk = T + kextra */
  plm_attn_sink  sink;        /* NULL: no one wants the probabilities */
  void          *sink_ctx;
} plm_sdpa;

void plm_block_Attention(plm_backend *be, const plm_pack *pk, const plm_sdpa *a);
/* XLNet's relative attention over packed proteins (bidirectional, no memory; see blocks.c) */
typedef struct plm_relattn {
  const plm_buf *qw, *qr;     /* [R, ld]: q + r_w_bias and q + r_r_bias */
  const plm_buf *k, *v;       /* [R, ld] */
  const plm_buf *kr;          /* [2R, ld]: protein b's 2T[b] position keys from row 2 off[b] */
  plm_buf       *ctx;         /* [R, ld] */
  plm_buf       *att, *bd;    /* H x T x T and H x T x 2T of the longest protein */
  int            H, hd, ld;
  float          alpha;
  plm_attn_sink  sink;
  void          *sink_ctx;
} plm_relattn;

void plm_block_RelPositions(plm_backend *be, const plm_pack *pk, int D, int clamp, float *host, plm_buf *pos);
void plm_block_RelAttention(plm_backend *be, const plm_pack *pk, const plm_relattn *a);
void plm_block_Output(plm_backend *be, const plm_buf *x, int R, int in, const plm_w *W, const plm_w *b, int out,
                      plm_buf *y, plm_buf *res);
void plm_block_Ffn(plm_backend *be, plm_buf *x, int R, int D, int F, const plm_ffn_w *w, int act,
                   plm_buf *ff, plm_buf *y, plm_buf *res);
void plm_block_ScaledResidual(plm_backend *be, plm_buf *y, int R, int D, float s, plm_buf *res);
void plm_block_SwiGluFfn(plm_backend *be, const plm_buf *x, int R, int D, int F, const plm_w *w1, const plm_w *w2,
                         float s, plm_buf *ff2, plm_buf *ff, plm_buf *y, plm_buf *res);
void plm_block_LmHead(plm_backend *be, const plm_buf *x, int R, int D, int E, const plm_w *dense_w,
                      const plm_w *dense_b, int act, const plm_ln_w *ln, float eps, const plm_w *dec_w,
                      const plm_w *dec_b, int V, plm_buf *tmp, plm_buf *logits);

/* one protein's contact head state (fair-esm's ContactPredictionHead): acc L x L, u and v
 * (layers x H) x L; residues are token rows first .. first+L-1 */
typedef struct plm_contact {
  plm_buf       *acc, *cu, *cv;
  int            first, L, nl, H;
  const uint8_t *drop;        /* L flags: rows and columns fair-esm zeroes (inline <eos>), or NULL */
  const float   *w;           /* host, nl x H regression weights */
  float          bias;
} plm_contact;

void plm_block_ContactStart(plm_backend *be, const plm_contact *c);
void plm_block_ContactStep(plm_backend *be, const plm_contact *c, int l, plm_buf *att, int T, int row0, int rows);
void plm_block_ContactFinish(plm_backend *be, const plm_contact *c, float *contacts);
int  plm_block_QueryRows(const plm_backend *be, int H, int T, size_t budget);

/* an alignment of R rows of C tokens in buffers [R*C, D], token c of row r at row r*C + c; q already
 * scaled. Row: att [H, C, C] = softmax(sum over rows of q k^T), ctx = att v per row. Column, head h,
 * columns c0 .. c0+n-1: att [n, R, R] = softmax(q k^T) per column, ctx = att v */
void plm_block_RowAttention(plm_backend *be, const plm_buf *q, const plm_buf *k, const plm_buf *v, plm_buf *ctx,
                            plm_buf *att, int R, int C, int H, int hd);
void plm_block_ColumnAttention(plm_backend *be, const plm_buf *q, const plm_buf *k, const plm_buf *v, plm_buf *ctx,
                               plm_buf *att, int R, int C, int H, int hd, int h, int c0, int n);

#endif
