/* backend.h: compute backends: one operator set, several implementations.
 *
 * Model code (esm.c, and the BERT-family models to come) runs every tensor
 * operation through a backend chosen at run time by name, so an OpenCL/CLBlast
 * backend can sit beside the CPU one, and tests/unit/test_backend.c runs every
 * operator on every backend against a naive reference.
 *
 * Data is float32, row-major. A plm_buf is an array the backend owns (host
 * memory on the CPU, device memory on a GPU); operands are a buffer plus an
 * element offset. Host data crosses only through plm_buf_Write/Read, or is
 * looked at in place with plm_buf_Map (free on the CPU, a map on a GPU).
 *
 * Weight precision (plm_backend_SetWeights): with f16, a matrix wrapped by
 * plm_buf_WrapWeight is kept rounded to IEEE half (to nearest even), which
 * halves the memory of a model's big matrices; plm_op_Linear widens it to
 * float32 before its product, so all arithmetic stays float32 and every
 * backend computes what an f32 run of the half-rounded model computes. Half
 * storage only, never half arithmetic: NVIDIA's OpenCL has no cl_khr_fp16.
 * A half buffer is valid only as Linear's W; passed to any other operator (or
 * read, or mapped) it is a programming error the backend reports at sync.
 *
 * Operators return nothing: like a GPU queue, a backend remembers its first
 * failure and plm_backend_Sync() reports it, so model code reads like the
 * maths. CPU operators cannot fail.
 *
 * Threads: the CPU backend runs its own pool of nthreads and sets OpenBLAS to
 * one thread, so exactly nthreads cores work at any moment: each operator
 * splits its rows, heads or batch items over the pool and every thread calls
 * single-threaded sgemm on its share. OpenBLAS threads and ours never run at
 * the same time (openblas_set_num_threads is process-wide: a program that
 * uses OpenBLAS itself should do so between operators). $PLMSCOPE_GEMM picks
 * the CPU's sgemm library: openblas, dnnl (oneDNN, AVX-512 where the CPU has
 * it) or auto, the default: oneDNN on an AVX-512 CPU when built with it.
 *
 *   plm_backend_Create()  by name: "cpu", "opencl", or "opencl:P:D" (a device, as --list-devices numbers it),
 *                         or "auto": OpenCL on the first GPU (or $PLMSCOPE_OPENCL_DEVICE) when there is one, else the CPU
 *   plm_backend_Default() what a tool uses without --backend: $PLMSCOPE_BACKEND, else "auto"
 *   plm_backend_CopiesWeights()  does plm_buf_WrapWeight() keep a copy of its own (f16 halves, or
 *                         device memory), so that the host's array may go?
 *   plm_backend_CreateOrCpu()  the same, but the CPU backend (and a note why) where the named one is
 *                         unavailable here: what a tool's --backend wants
 *   plm_backend_Destroy()
 *   plm_backend_Sync()    finish queued work; the first error since the last sync
 *   plm_backend_SetWeights()  PLM_F32 (the default) or PLM_F16: how WrapWeight stores matrices;
 *                         set before a model wraps its weights
 *   plm_buf_Create()      n floats, zeroed
 *   plm_buf_Wrap()        read-only weights from host memory (the CPU borrows them)
 *   plm_buf_WrapWeight()  a weight matrix used only as W of plm_op_Linear; kept as float16 when
 *                         the backend's weights are f16 (an owned copy), else exactly plm_buf_Wrap
 *   plm_buf_Destroy()
 *   plm_buf_Write() / plm_buf_Read()   host <-> buffer copies
 *   plm_buf_Map() / plm_buf_Unmap()    read a buffer in place
 *
 *   plm_op_Gemm()         batched strided C = alpha op(A) op(B) + beta C
 *   plm_op_Linear()       y = x W^T + b (torch's nn.Linear)
 *   plm_op_LayerNorm()    per row, biased variance, eps inside the sqrt
 *   plm_op_Gelu()         exact: x/2 (1 + erf(x/sqrt 2))
 *   plm_op_GeluTanh()     tanh form (HF gelu_new, XLNet's gelu): x/2 (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))
 *   plm_op_SwiGlu()       y = silu(a) * b, a and b the two halves of each row of x (ESM C's FFN)
 *   plm_op_SoftmaxRows()  in place, float32
 *   plm_op_Rotary()       half-split rotary embedding of every head, from cos/sin tables
 *   plm_op_Add() / plm_op_Scale() / plm_op_Zero()
 *   plm_op_AddRows()      y += x over a rows x cols block, each with its own row stride (XLNet's relative shift)
 *   plm_op_Embed()        gather token rows, with ESM token-dropout scaling
 *   plm_op_ContactAccum() one layer of the contact head, a block of rows at a time (see plm_contact_step)
 *   plm_op_ContactFactors()  the layer's APC factors, after its last block
 *   plm_op_AddTranspose() x += x^T for a square matrix
 */
#ifndef PLM_BACKEND_H
#define PLM_BACKEND_H
#include <stddef.h>
#include <stdint.h>
#include "error.h"
#include "tensor.h"

typedef struct plm_backend plm_backend;
typedef struct plm_buf     plm_buf;     /* defined by each backend */

/* one strided batch of GEMMs; fields left out of an initializer are 0 */
typedef struct plm_gemm {
  int            transA, transB;
  int            M, N, K, batch;        /* batch 0 means 1 */
  float          alpha, beta;
  const plm_buf *A; size_t offA; int lda; size_t strideA;
  const plm_buf *B; size_t offB; int ldb; size_t strideB;
  plm_buf       *C; size_t offC; int ldc; size_t strideC;
} plm_gemm;

/* the contact head's per-layer step. A layer's H maps may come in blocks of query rows
 * (plm_op_ContactAccum once per block, rows in order), then plm_op_ContactFactors ends the layer.
 * For each head h, over the residue block A_h (rows and columns first .. first+L-1 of the T x T map):
 *   ContactAccum:   acc += w_h A_h and v[k0+h] += r_h, restricted to the block's rows
 *   ContactFactors: u[k0+h] = (w_h / sum(v[k0+h])) v[k0+h]
 * so that, v zeroed before the first layer, after the last  acc + acc^T - u^T v  is the regression's
 * sum over all heads of w APC(sym(A)) (r_h: apc.h; plm_op_AddTranspose, then plm_op_Gemm). Rows
 * seen in order give the same sums, bit for bit, as one block of all T rows */
typedef struct plm_contact_step {
  plm_buf       *att;      /* H maps of one layer, rows x T each: token rows row0 .. row0+rows-1; dropped
                              rows and columns are zeroed here */
  int            H, T;
  int            row0, rows;
  int            first, L; /* residue block: rows/columns first .. first+L-1 */
  const uint8_t *drop;     /* host, L flags: positions fair-esm zeroes (inline <eos>), or NULL */
  const float   *w;        /* host, H regression weights of this layer */
  plm_buf       *acc;      /* L x L */
  plm_buf       *u, *v;    /* (layers x H) x L each; this layer fills rows k0 .. k0+H-1 */
  int            k0;
} plm_contact_step;

typedef struct plm_backend_ops {
  const char *name;
  int   borrows;          /* buf_wrap uses the caller's memory in place (the CPU), rather than a copy */
  int   (*buf_is_half)(const plm_buf *b);
  size_t attn_bytes;      /* the attention workspace it runs best with (lm.h's attn_bytes when unset) */
  int   (*open)(plm_backend *be, char *errbuf);
  void  (*close)(plm_backend *be);
  int   (*buf_create)(plm_backend *be, size_t n, plm_buf **ret_b, char *errbuf);
  int   (*buf_wrap)(plm_backend *be, const float *host, size_t n, plm_buf **ret_b, char *errbuf);
  int   (*buf_wrap_half)(plm_backend *be, const uint16_t *half, size_t n, plm_buf **ret_b, char *errbuf);
  void  (*buf_destroy)(plm_backend *be, plm_buf *b);
  void  (*write)(plm_backend *be, plm_buf *dst, size_t off, const float *src, size_t n);
  void  (*read)(plm_backend *be, const plm_buf *src, size_t off, float *dst, size_t n);
  const float *(*map)(plm_backend *be, const plm_buf *b, size_t off, size_t n);
  void  (*unmap)(plm_backend *be, const plm_buf *b, const float *p);
  void  (*gemm)(plm_backend *be, const plm_gemm *g);
  void  (*linear)(plm_backend *be, const plm_buf *x, int rows, int in, const plm_buf *W, const plm_buf *b,
                  int out, plm_buf *y);
  void  (*layernorm)(plm_backend *be, const plm_buf *x, plm_buf *y, int rows, int cols,
                     const plm_buf *gamma, const plm_buf *beta, float eps);
  void  (*gelu)(plm_backend *be, plm_buf *x, size_t n);
  void  (*gelu_tanh)(plm_backend *be, plm_buf *x, size_t n);
  void  (*swiglu)(plm_backend *be, const plm_buf *x, plm_buf *y, int rows, int cols);
  void  (*softmax_rows)(plm_backend *be, plm_buf *x, int rows, int cols);
  void  (*rotary)(plm_backend *be, plm_buf *x, int T, int H, int hd, int ld,
                  const plm_buf *cos, const plm_buf *sin);
  void  (*add)(plm_backend *be, plm_buf *y, size_t offy, const plm_buf *x, size_t offx, size_t n);
  void  (*add_rows)(plm_backend *be, plm_buf *y, size_t offy, int ldy, const plm_buf *x, size_t offx, int ldx,
                    int rows, int cols);
  void  (*scale)(plm_backend *be, plm_buf *x, size_t n, float a);
  void  (*zero)(plm_backend *be, plm_buf *x, size_t n);
  void  (*embed)(plm_backend *be, const plm_buf *table, const int32_t *ids, int T, int D,
                 int drop_id, float mul, float div, plm_buf *out);
  void  (*contact_accum)(plm_backend *be, const plm_contact_step *s);
  void  (*contact_factors)(plm_backend *be, const plm_contact_step *s);
  void  (*add_transpose)(plm_backend *be, plm_buf *x, int n);
  int   (*sync)(plm_backend *be, char *errbuf);
} plm_backend_ops;

struct plm_backend {
  const plm_backend_ops *ops;
  int    nthreads;
  plm_dtype weights;              /* PLM_F32 or PLM_F16: storage of plm_buf_WrapWeight's matrices */
  const char *device;             /* what followed "NAME:" in Create's spec, or NULL; valid during open only */
  char   desc[192];               /* what runs: "cpu, N threads" or "opencl P:D DEVICE-NAME" (set by open) */
  int    status;                  /* first failure since the last sync */
  char   errmsg[PLM_ERRBUFSIZE];
  void  *priv;
};

int   plm_backend_Create(const char *spec, int nthreads, plm_backend **ret_be, char *errbuf);
int   plm_backend_CreateOrCpu(const char *spec, int nthreads, plm_backend **ret_be, char *note, char *errbuf);
void  plm_backend_Destroy(plm_backend *be);
int   plm_backend_Sync(plm_backend *be, char *errbuf);
const char *plm_backend_Names(void);
const char *plm_backend_Default(void);
int         plm_backend_CopiesWeights(const plm_backend *be);

#define PLM_BACKEND_ENV "PLMSCOPE_BACKEND"
#define PLM_GEMM_ENV    "PLMSCOPE_GEMM"     /* the CPU backend's sgemm: openblas, dnnl or auto (backend_cpu.c) */

/* for backends' operators: a half buffer anywhere but Linear's W is a programming error; noted for
 * sync, and true, so that the operator does nothing rather than read halves as floats */
int plm_backend_HalfMisused(plm_backend *be, const char *op, const plm_buf *const *b, size_t n);
#define PLM_HALF_MISUSED(be, op, ...) \
  plm_backend_HalfMisused(be, op, (const plm_buf *const []){ __VA_ARGS__ }, \
                          sizeof (const plm_buf *const []){ __VA_ARGS__ } / sizeof (const plm_buf *))

int   plm_buf_Create(plm_backend *be, size_t n, plm_buf **ret_b, char *errbuf);
int   plm_backend_SetWeights(plm_backend *be, plm_dtype dt, char *errbuf);
int   plm_buf_Wrap(plm_backend *be, const float *host, size_t n, plm_buf **ret_b, char *errbuf);
int   plm_buf_WrapWeight(plm_backend *be, const float *host, size_t n, plm_buf **ret_b, char *errbuf);
void  plm_buf_Destroy(plm_backend *be, plm_buf *b);

/* thin dispatch: each is the backend's operator of the same name */
static inline void plm_buf_Write(plm_backend *be, plm_buf *dst, size_t off, const float *src, size_t n)
{ be->ops->write(be, dst, off, src, n); }
static inline void plm_buf_Read(plm_backend *be, const plm_buf *src, size_t off, float *dst, size_t n)
{ be->ops->read(be, src, off, dst, n); }
static inline const float *plm_buf_Map(plm_backend *be, const plm_buf *b, size_t off, size_t n)
{ return be->ops->map(be, b, off, n); }
static inline void plm_buf_Unmap(plm_backend *be, const plm_buf *b, const float *p)
{ be->ops->unmap(be, b, p); }

static inline void plm_op_Gemm(plm_backend *be, const plm_gemm *g) { be->ops->gemm(be, g); }
static inline void plm_op_Linear(plm_backend *be, const plm_buf *x, int rows, int in, const plm_buf *W,
                                 const plm_buf *b, int out, plm_buf *y)
{ be->ops->linear(be, x, rows, in, W, b, out, y); }
static inline void plm_op_LayerNorm(plm_backend *be, const plm_buf *x, plm_buf *y, int rows, int cols,
                                    const plm_buf *gamma, const plm_buf *beta, float eps)
{ be->ops->layernorm(be, x, y, rows, cols, gamma, beta, eps); }
static inline void plm_op_Gelu(plm_backend *be, plm_buf *x, size_t n) { be->ops->gelu(be, x, n); }
static inline void plm_op_GeluTanh(plm_backend *be, plm_buf *x, size_t n) { be->ops->gelu_tanh(be, x, n); }
/* x [rows, 2 cols] -> y [rows, cols]: y = silu(x[:, :cols]) * x[:, cols:] */
static inline void plm_op_SwiGlu(plm_backend *be, const plm_buf *x, plm_buf *y, int rows, int cols)
{ be->ops->swiglu(be, x, y, rows, cols); }
static inline void plm_op_SoftmaxRows(plm_backend *be, plm_buf *x, int rows, int cols)
{ be->ops->softmax_rows(be, x, rows, cols); }
static inline void plm_op_Rotary(plm_backend *be, plm_buf *x, int T, int H, int hd, int ld,
                                 const plm_buf *cos, const plm_buf *sin)
{ be->ops->rotary(be, x, T, H, hd, ld, cos, sin); }
static inline void plm_op_Add(plm_backend *be, plm_buf *y, size_t offy, const plm_buf *x, size_t offx, size_t n)
{ be->ops->add(be, y, offy, x, offx, n); }
static inline void plm_op_AddRows(plm_backend *be, plm_buf *y, size_t offy, int ldy, const plm_buf *x, size_t offx,
                                  int ldx, int rows, int cols)
{ be->ops->add_rows(be, y, offy, ldy, x, offx, ldx, rows, cols); }
static inline void plm_op_Scale(plm_backend *be, plm_buf *x, size_t n, float a) { be->ops->scale(be, x, n, a); }
static inline void plm_op_Zero(plm_backend *be, plm_buf *x, size_t n) { be->ops->zero(be, x, n); }
static inline void plm_op_Embed(plm_backend *be, const plm_buf *table, const int32_t *ids, int T, int D,
                                int drop_id, float mul, float div, plm_buf *out)
{ be->ops->embed(be, table, ids, T, D, drop_id, mul, div, out); }
static inline void plm_op_ContactAccum(plm_backend *be, const plm_contact_step *s) { be->ops->contact_accum(be, s); }
static inline void plm_op_ContactFactors(plm_backend *be, const plm_contact_step *s) { be->ops->contact_factors(be, s); }
static inline void plm_op_AddTranspose(plm_backend *be, plm_buf *x, int n) { be->ops->add_transpose(be, x, n); }

#endif
