/* simd.h: 8- and 16-float vectors for the CPU kernels' hot loops (private to libcore).
 *
 * GCC/Clang vector extensions, so one source serves every x86-64 (SSE
 * quarters or halves) and, in functions marked PLM_SIMD_CLONES, AVX2 or
 * AVX-512 picked at run time: a 16-float loop runs as one AVX-512 register,
 * two AVX2 ones or four SSE ones, with the same result. The auto-vectorizer
 * cannot be relied on at -O2, and not at all for sums, which it may not
 * reorder. Each vector function computes exactly what its scalar twin does,
 * lane by lane (ISO C mode: no fused multiply-adds), so loop tails agree with
 * the body and every clone with every other.
 *
 *   v8f, v8i, v16f, v16i, v8d   the vector types (v8d: 8 doubles, for sums)
 *   vW_load(), vW_store(), vW_splat(), vW_select(), vW_max(), vW_sum()   W = 8 or 16
 *   plm_expf(), vW_exp()   exp, Cephes-style polynomial, < 2 ulp; below -87.3 it
 *                          gives ~1e-38 where libm gives a denormal or 0
 *   plm_erff(), vW_erf()   erf, Abramowitz-Stegun 7.1.26 as torch's CPU kernels, |error| < 1.5e-7
 */
#ifndef PLM_SIMD_H
#define PLM_SIMD_H
#include <stdint.h>
#include <string.h>

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && !defined(__SANITIZE_ADDRESS__)
#define PLM_SIMD_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define PLM_SIMD_CLONES
#endif

/* these helpers are always inlined, so no vector ever crosses a call boundary whose ABI
 * depends on AVX being enabled: GCC's note about that does not apply */
#pragma GCC diagnostic ignored "-Wpsabi"

typedef double v8d __attribute__((vector_size(64)));

static inline float
plm_expf(float x)
{
  x = x < -87.3f ? -87.3f : x;
  x = x >  88.3f ?  88.3f : x;
  float k = (x * 1.44269504088896341f + 12582912.0f) - 12582912.0f;   /* round(x / ln 2) */
  float r = x - k * 0.693359375f - k * -2.12194440e-4f;              /* Cody-Waite: ln 2 in two parts */
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * r * r + r + 1.0f;
  int32_t e = ((int32_t)k + 127) << 23;
  float   s;
  memcpy(&s, &e, sizeof s);
  return p * s;
}

static inline float
plm_erff(float x)
{
  float a = x < 0.0f ? -x : x;
  float t = 1.0f / (1.0f + 0.3275911f * a);
  float y = 1.061405429f;
  y = y * t - 1.453152027f;
  y = y * t + 1.421413741f;
  y = y * t - 0.284496736f;
  y = y * t + 0.254829592f;
  y = 1.0f - y * t * plm_expf(-a * a);
  return x < 0.0f ? -y : y;
}

/* the W-float vector type and its helpers, one definition for both widths */
#define PLM_SIMD_DEFINE(W)                                                                            \
typedef float   v##W##f __attribute__((vector_size(4 * (W))));                                     \
typedef int32_t v##W##i __attribute__((vector_size(4 * (W))));                                     \
static inline v##W##f v##W##_load(const float *p)   { v##W##f v; memcpy(&v, p, sizeof v); return v; } \
static inline void    v##W##_store(float *p, v##W##f v) { memcpy(p, &v, sizeof v); }                  \
static inline v##W##f v##W##_splat(float a)         { return (v##W##f){ 0 } + a; }                   \
static inline v##W##f v##W##_select(v##W##i m, v##W##f a, v##W##f b)                                 \
{ return (v##W##f)((m & (v##W##i)a) | (~m & (v##W##i)b)); }                                          \
static inline v##W##f v##W##_max(v##W##f a, v##W##f b) { return v##W##_select(a > b, a, b); }        \
                                                                                                      \
static inline v##W##f                                                                                 \
v##W##_exp(v##W##f x)                                                                                 \
{                                                                                                     \
  x = v##W##_select(x < -87.3f, v##W##_splat(-87.3f), x);                                             \
  x = v##W##_select(x >  88.3f, v##W##_splat(88.3f), x);                                              \
  v##W##f k = (x * 1.44269504088896341f + 12582912.0f) - 12582912.0f;                                 \
  v##W##f r = x - k * 0.693359375f - k * -2.12194440e-4f;                                             \
  v##W##f p = v##W##_splat(1.9875691500e-4f);                                                         \
  p = p * r + 1.3981999507e-3f;                                                                       \
  p = p * r + 8.3334519073e-3f;                                                                       \
  p = p * r + 4.1665795894e-2f;                                                                       \
  p = p * r + 1.6666665459e-1f;                                                                       \
  p = p * r + 5.0000001201e-1f;                                                                       \
  p = p * r * r + r + 1.0f;                                                                           \
  v##W##i e = (__builtin_convertvector(k, v##W##i) + 127) << 23;                                      \
  return p * (v##W##f)e;                                                                              \
}                                                                                                     \
                                                                                                      \
static inline v##W##f                                                                                 \
v##W##_erf(v##W##f x)                                                                                 \
{                                                                                                     \
  v##W##i neg = x < 0.0f;                                                                             \
  v##W##f a = v##W##_select(neg, -x, x);                                                              \
  v##W##f t = 1.0f / (1.0f + 0.3275911f * a);                                                         \
  v##W##f y = v##W##_splat(1.061405429f);                                                             \
  y = y * t - 1.453152027f;                                                                           \
  y = y * t + 1.421413741f;                                                                           \
  y = y * t - 0.284496736f;                                                                           \
  y = y * t + 0.254829592f;                                                                           \
  y = 1.0f - y * t * v##W##_exp(-a * a);                                                              \
  return v##W##_select(neg, -y, y);                                                                   \
}

PLM_SIMD_DEFINE(8)
PLM_SIMD_DEFINE(16)

static inline float v8_sum(v8f v) { return ((v[0] + v[4]) + (v[1] + v[5])) + ((v[2] + v[6]) + (v[3] + v[7])); }

/* the halves added lane by lane, then v8_sum */
static inline float
v16_sum(v16f v)
{
  v8f lo, hi;
  memcpy(&lo, &v, sizeof lo);
  memcpy(&hi, (const char *)&v + sizeof lo, sizeof hi);
  return v8_sum(lo + hi);
}

/* the 8 floats at p as doubles */
static inline v8d v8d_load(const float *p) { return __builtin_convertvector(v8_load(p), v8d); }
static inline double v8d_sum(v8d v) { return ((v[0] + v[4]) + (v[1] + v[5])) + ((v[2] + v[6]) + (v[3] + v[7])); }

#endif
