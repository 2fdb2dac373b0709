/* simd.h: 8-float vectors for the CPU kernels' hot loops (private to libcore).
 *
 * GCC/Clang vector extensions, so one source serves every x86-64 (two SSE
 * halves) and, in functions marked PLM_SIMD_CLONES, AVX2 picked at run time.
 * The auto-vectorizer cannot be relied on at -O2, and not at all for sums,
 * which it may not reorder. Each vector function computes exactly what its
 * scalar twin does, lane by lane, so loop tails agree with the body.
 *
 *   v8f, v8i, v8_load(), v8_store(), v8_splat(), v8_select(), v8_sum()
 *   plm_expf(), v8_exp()   exp, Cephes-style polynomial, < 2 ulp; below -87.3 it
 *                          gives ~1e-38 where libm gives a denormal or 0
 *   plm_erff(), v8_erf()   erf, Abramowitz-Stegun 7.1.26 as torch's CPU kernels, |error| < 1.5e-7
 */
#ifndef PLM_SIMD_H
#define PLM_SIMD_H
#include <stdint.h>
#include <string.h>

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && !defined(__SANITIZE_ADDRESS__)
#define PLM_SIMD_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define PLM_SIMD_CLONES
#endif

/* these helpers are always inlined, so no vector ever crosses a call boundary whose ABI
 * depends on AVX being enabled: GCC's note about that does not apply */
#pragma GCC diagnostic ignored "-Wpsabi"

typedef float   v8f __attribute__((vector_size(32)));
typedef int32_t v8i __attribute__((vector_size(32)));

static inline v8f  v8_load(const float *p)        { v8f v; memcpy(&v, p, sizeof v); return v; }
static inline void v8_store(float *p, v8f v)      { memcpy(p, &v, sizeof v); }
static inline v8f  v8_splat(float a)              { return (v8f){ a, a, a, a, a, a, a, a }; }
static inline v8f  v8_select(v8i m, v8f a, v8f b) { return (v8f)((m & (v8i)a) | (~m & (v8i)b)); }
static inline float v8_sum(v8f v)                 { return ((v[0] + v[4]) + (v[1] + v[5])) + ((v[2] + v[6]) + (v[3] + v[7])); }
static inline v8f  v8_max(v8f a, v8f b)           { return v8_select(a > b, a, b); }

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

static inline v8f
v8_exp(v8f x)
{
  x = v8_select(x < -87.3f, v8_splat(-87.3f), x);
  x = v8_select(x >  88.3f, v8_splat(88.3f), x);
  v8f k = (x * 1.44269504088896341f + 12582912.0f) - 12582912.0f;
  v8f r = x - k * 0.693359375f - k * -2.12194440e-4f;
  v8f p = v8_splat(1.9875691500e-4f);
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * r * r + r + 1.0f;
  v8i e = (__builtin_convertvector(k, v8i) + 127) << 23;
  return p * (v8f)e;
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

static inline v8f
v8_erf(v8f x)
{
  v8i neg = x < 0.0f;
  v8f a = v8_select(neg, -x, x);
  v8f t = 1.0f / (1.0f + 0.3275911f * a);
  v8f y = v8_splat(1.061405429f);
  y = y * t - 1.453152027f;
  y = y * t + 1.421413741f;
  y = y * t - 0.284496736f;
  y = y * t + 0.254829592f;
  y = 1.0f - y * t * v8_exp(-a * a);
  return v8_select(neg, -y, y);
}

#endif
