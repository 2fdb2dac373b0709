/* tensor.c: named, typed, shaped arrays (see tensor.h). */
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <sys/mman.h>
#include "error.h"
#include "tensor.h"

static const struct { const char *name; size_t size; } dtypes[] = {
  [PLM_F32] = { "f32", 4 }, [PLM_F16] = { "f16", 2 }, [PLM_BF16] = { "bf16", 2 },
  [PLM_I32] = { "i32", 4 }, [PLM_U8]  = { "u8", 1 },  [PLM_I64]  = { "i64", 8 },
};
#define NDTYPES (int)(sizeof dtypes / sizeof dtypes[0])

size_t      plm_dtype_Size(plm_dtype dt) { return (int)dt >= 0 && (int)dt < NDTYPES ? dtypes[dt].size : 0; }
const char *plm_dtype_Name(plm_dtype dt) { return (int)dt >= 0 && (int)dt < NDTYPES ? dtypes[dt].name : "?"; }

int
plm_dtype_FromName(const char *name, plm_dtype *ret_dt)
{
  for (int i = 0; i < NDTYPES; i++)
    if (strcmp(name, dtypes[i].name) == 0) { *ret_dt = (plm_dtype)i; return PLM_OK; }
  return PLM_ENOTFOUND;
}

int
plm_tensor_SizeFor(plm_dtype dt, int rank, const int64_t *shape,
                   int64_t *ret_numel, size_t *ret_nbytes, char *errbuf)
{
  size_t   esz = plm_dtype_Size(dt);
  uint64_t n   = 1;
  if (esz == 0)            return plm_Fail(errbuf, PLM_EINVAL, "unknown dtype code %d", (int)dt);
  if (rank < 0 || rank > 8) return plm_Fail(errbuf, PLM_EINVAL, "rank %d out of range", rank);
  for (int i = 0; i < rank; i++) {
    if (shape[i] < 0) return plm_Fail(errbuf, PLM_EFORMAT, "negative dimension %lld", (long long)shape[i]);
    if (shape[i] != 0 && n > (UINT64_C(1) << 62) / (uint64_t)shape[i])
      return plm_Fail(errbuf, PLM_ELIMIT, "tensor shape overflows");
    n *= (uint64_t)shape[i];
  }
  if (n > ((UINT64_C(1) << 62) / esz)) return plm_Fail(errbuf, PLM_ELIMIT, "tensor size overflows");
  if (ret_numel)  *ret_numel  = (int64_t)n;
  if (ret_nbytes) *ret_nbytes = (size_t)(n * esz);
  return PLM_OK;
}

/* A tensor this large (attention maps: 127 MB a protein for ESM-2 8M at L 512) is a fresh mmap
 * that calloc leaves untouched; in 4 KiB pages its first writes were a third of attn --attentions'
 * time in page faults (perf). Asking for transparent huge pages where the kernel offers them on
 * request (enabled=madvise) cuts the faults 512-fold; no effect (and no error) elsewhere. */
#define HUGE_TENSOR ((size_t)32 << 20)
static void
huge_pages(void *p, size_t n)
{
  uintptr_t a = ((uintptr_t)p + 4095) & ~(uintptr_t)4095;
  if (a < (uintptr_t)p + n) (void)madvise((void *)a, (uintptr_t)p + n - a, MADV_HUGEPAGE);
}

/* Freed tensors this large are kept for the next one: attn --attentions makes a map tensor per
 * protein, and a fresh mapping's first writes were a quarter of its time in the kernel zeroing
 * pages (perf, ESM-2 35M at L 512; first touch runs at 1-3 GB/s here, memset at 12). The smallest
 * kept block that fits is reused, its pages past the request handed back to the kernel; when none
 * fits, the largest grows (realloc moves its pages; only the growth is fresh) and the others are
 * freed, so kept blocks never sit beside a new one; and plm_mem_Check drops them all before it
 * refuses a record for want of memory. */
#define KEEP 4
static pthread_mutex_t keep_lock = PTHREAD_MUTEX_INITIALIZER;
static struct { void *p; size_t n; } kept[KEEP];

/* every kept block freed; keep_lock held */
static void
drop_locked(void)
{
  for (int i = 0; i < KEEP; i++) { free(kept[i].p); kept[i].p = NULL; }
}

static void *
reuse(size_t n)
{
  void *p = NULL;
  int   best = -1, big = -1;
  pthread_mutex_lock(&keep_lock);
  for (int i = 0; i < KEEP; i++) {
    if (!kept[i].p) continue;
    if (kept[i].n >= n && (best < 0 || kept[i].n < kept[best].n)) best = i;
    if (big < 0 || kept[i].n > kept[big].n) big = i;
  }
  if (best >= 0) {
    uintptr_t from = ((uintptr_t)kept[best].p + n + 4095) & ~(uintptr_t)4095;
    uintptr_t to   = ((uintptr_t)kept[best].p + kept[best].n) & ~(uintptr_t)4095;
    if (from < to) (void)madvise((void *)from, to - from, MADV_DONTNEED);
    p = kept[best].p;
    kept[best].p = NULL;
  }
  else if (big >= 0) {
    if ((p = realloc(kept[big].p, n)) == NULL) free(kept[big].p);
    else huge_pages(p, n);
    kept[big].p = NULL;
    drop_locked();
  }
  pthread_mutex_unlock(&keep_lock);
  return p ? memset(p, 0, n) : NULL;
}

/* p kept for reuse, the oldest kept block freed if all slots are taken */
static void
keep(void *p, size_t n)
{
  static unsigned next;
  int             slot = -1;
  pthread_mutex_lock(&keep_lock);
  for (int i = 0; i < KEEP && slot < 0; i++) if (!kept[i].p) slot = i;
  if (slot < 0) { slot = (int)(next++ % KEEP); free(kept[slot].p); }
  kept[slot].p = p;
  kept[slot].n = n;
  pthread_mutex_unlock(&keep_lock);
}

void
plm_tensor_DropKept(void)
{
  pthread_mutex_lock(&keep_lock);
  drop_locked();
  pthread_mutex_unlock(&keep_lock);
}

size_t
plm_tensor_KeptBytes(void)
{
  size_t n = 0;
  pthread_mutex_lock(&keep_lock);
  for (int i = 0; i < KEEP; i++) if (kept[i].p) n += kept[i].n;
  pthread_mutex_unlock(&keep_lock);
  return n;
}

int
plm_tensor_Create(const char *name, plm_dtype dt, int rank, const int64_t *shape,
                  plm_tensor **ret_t, char *errbuf)
{
  plm_tensor *t = NULL;
  size_t      nbytes;
  int         status;

  *ret_t = NULL;
  PLM_XCHECK(plm_tensor_SizeFor(dt, rank, shape, NULL, &nbytes, errbuf));
  if ((t = calloc(1, sizeof *t)) == NULL)                    PLM_XFAIL(PLM_EMEM, errbuf, "out of memory");
  if ((t->name = strdup(name ? name : "")) == NULL)           PLM_XFAIL(PLM_EMEM, errbuf, "out of memory");
  t->dtype = dt;
  t->rank  = rank;
  for (int i = 0; i < rank; i++) t->shape[i] = shape[i];
  if (nbytes >= HUGE_TENSOR && (t->data = reuse(nbytes)) != NULL) t->data_owned = 1;
  else {
    if ((t->data = calloc(1, nbytes ? nbytes : 1)) == NULL)
      PLM_XFAIL(PLM_EMEM, errbuf, "out of memory allocating %zu bytes for tensor %s", nbytes, name);
    t->data_owned = 1;
    if (nbytes >= HUGE_TENSOR) huge_pages(t->data, nbytes);
  }
  *ret_t = t;
  return PLM_OK;

ERROR:
  plm_tensor_Destroy(t);
  return status;
}

void
plm_tensor_Destroy(plm_tensor *t)
{
  if (!t) return;
  if (t->data_owned) {
    size_t n = plm_tensor_Nbytes(t);
    if (n >= HUGE_TENSOR) keep(t->data, n);
    else                  free(t->data);
  }
  free(t->name);
  free(t);
}

int64_t
plm_tensor_Numel(const plm_tensor *t)
{
  int64_t n = 1;
  for (int i = 0; i < t->rank; i++) n *= t->shape[i];
  return n;
}

size_t plm_tensor_Nbytes(const plm_tensor *t) { return (size_t)plm_tensor_Numel(t) * plm_dtype_Size(t->dtype); }

/* IEEE half <-> single, round to nearest even, handling subnormals, inf, nan */
float
plm_f16_to_f32(uint16_t h)
{
  uint32_t sign = (uint32_t)(h & 0x8000) << 16, exp = (h >> 10) & 0x1f, man = h & 0x3ff, bits;
  float    f;
  if (exp == 0x1f)      bits = sign | 0x7f800000u | (man << 13);
  else if (exp != 0)    bits = sign | ((exp + 112) << 23) | (man << 13);
  else if (man == 0)    bits = sign;
  else {                /* subnormal: renormalize */
    int e = -1;
    do { e++; man <<= 1; } while (!(man & 0x400));
    bits = sign | ((uint32_t)(112 - e) << 23) | ((man & 0x3ff) << 13);
  }
  memcpy(&f, &bits, 4);
  return f;
}

uint16_t
plm_f32_to_f16(float f)
{
  uint32_t x; memcpy(&x, &f, 4);
  uint32_t sign = (x >> 16) & 0x8000, exp = (x >> 23) & 0xff, man = x & 0x7fffff;
  if (exp == 0xff) return (uint16_t)(sign | 0x7c00 | (man ? 0x200 : 0));
  int e = (int)exp - 127 + 15;
  if (e >= 0x1f) return (uint16_t)(sign | 0x7c00);
  if (e <= 0) {
    if (e < -10) return (uint16_t)sign;
    man |= 0x800000;
    int      shift = 14 - e;
    uint32_t half  = man >> shift, rem = man & ((1u << shift) - 1), mid = 1u << (shift - 1);
    if (rem > mid || (rem == mid && (half & 1))) half++;
    return (uint16_t)(sign | half);
  }
  uint32_t half = ((uint32_t)e << 10) | (man >> 13), rem = man & 0x1fff;
  if (rem > 0x1000 || (rem == 0x1000 && (half & 1))) half++;   /* may carry into exponent: correct */
  return (uint16_t)(sign | half);
}

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)   /* clang lacks __builtin_cpu_supports("f16c") */
#include <immintrin.h>
#define HAVE_F16C_PATH 1

__attribute__((target("avx,f16c"))) static void
widen_f16c(const uint16_t *h, float *f, size_t n)
{
  size_t i = 0;
  for (; i + 8 <= n; i += 8) _mm256_storeu_ps(f + i, _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(h + i))));
  for (; i < n; i++) f[i] = plm_f16_to_f32(h[i]);
}

__attribute__((target("avx,f16c"))) static void
round_f16c(const float *f, uint16_t *h, size_t n)
{
  size_t i = 0;
  for (; i + 8 <= n; i += 8)
    _mm_storeu_si128((__m128i *)(h + i), _mm256_cvtps_ph(_mm256_loadu_ps(f + i), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
  for (; i < n; i++) h[i] = plm_f32_to_f16(f[i]);
}

static int
has_f16c(void)
{
  static int known = -1;
  if (known < 0) known = __builtin_cpu_supports("f16c") && __builtin_cpu_supports("avx");
  return known;
}
#endif

void
plm_f16_ToF32Array(const uint16_t *h, float *f, size_t n)
{
#ifdef HAVE_F16C_PATH
  if (has_f16c()) { widen_f16c(h, f, n); return; }
#endif
  for (size_t i = 0; i < n; i++) f[i] = plm_f16_to_f32(h[i]);
}

/* NaNs are the one difference: F16C keeps a NaN's top payload bits where plm_f32_to_f16 writes
 * the canonical quiet NaN; both stay NaN */
void
plm_f32_ToF16Array(const float *f, uint16_t *h, size_t n)
{
#ifdef HAVE_F16C_PATH
  if (has_f16c()) { round_f16c(f, h, n); return; }
#endif
  for (size_t i = 0; i < n; i++) h[i] = plm_f32_to_f16(f[i]);
}

float    plm_bf16_to_f32(uint16_t b) { uint32_t x = (uint32_t)b << 16; float f; memcpy(&f, &x, 4); return f; }

uint16_t
plm_f32_to_bf16(float f)
{
  uint32_t x; memcpy(&x, &f, 4);
  if ((x & 0x7fffffff) > 0x7f800000) return (uint16_t)((x >> 16) | 0x40);   /* quiet nan */
  x += 0x7fff + ((x >> 16) & 1);
  return (uint16_t)(x >> 16);
}

int
plm_tensor_ToF32(const plm_tensor *t, const char *newname, plm_tensor **ret_t, char *errbuf)
{
  plm_tensor *o = NULL;
  int64_t     n = plm_tensor_Numel(t);
  int         status;

  PLM_XCHECK(plm_tensor_Create(newname ? newname : t->name, PLM_F32, t->rank, t->shape, &o, errbuf));
  float *y = o->data;
  for (int64_t i = 0; i < n; i++) {
    switch (t->dtype) {
    case PLM_F32:  y[i] = ((const float *)t->data)[i];                     break;
    case PLM_F16:  y[i] = plm_f16_to_f32(((const uint16_t *)t->data)[i]);  break;
    case PLM_BF16: y[i] = plm_bf16_to_f32(((const uint16_t *)t->data)[i]); break;
    case PLM_I32:  y[i] = (float)((const int32_t *)t->data)[i];            break;
    case PLM_U8:   y[i] = (float)((const uint8_t *)t->data)[i];            break;
    case PLM_I64:  y[i] = (float)((const int64_t *)t->data)[i];            break;
    }
  }
  *ret_t = o;
  return PLM_OK;

ERROR:
  plm_tensor_Destroy(o);
  return status;
}
