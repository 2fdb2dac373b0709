/* golden.h: comparing model outputs with reference tensors, shared by the golden tests
 * (test_esm_golden, test_bert_golden, test_esm_opencl, test_esm_f16).
 *
 *   golden_esm_models  the ESM fixtures that have golden outputs: golden folder, model file
 *   golden_stat, golden_CompareFile()   the worst errors of one output kind against golden .npy
 *                    files: absolute per element (abs_tol > 0) or relative to the largest
 *                    magnitude (rel_tol); failures are counted and printed
 *   golden_Slurp()   a whole file as a NUL-terminated buffer (the goldens' index.json), or NULL
 *   golden_MaxErr()  worst absolute error of got against want, and that error relative to
 *                    want's largest magnitude (elementwise relative error means nothing near
 *                    zero); 0 when either is missing or the shapes differ. NaN sticks.
 */
#ifndef PLM_GOLDEN_H
#define PLM_GOLDEN_H
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include "error.h"
#include "tensor.h"
#include "npy.h"

__attribute__((unused)) static const char *const golden_esm_models[][2] = {
  { "esm2_t3_tiny_random",     "esm2_t3_tiny_random.pt" },
  { "esm2_t3_tiny_random",     "esm2_t3_tiny_random.hf" },
  { "esm2_t6_8M_shape_random", "esm2_t6_8M_shape_random.pt" },
  { "esm1b_t2_tiny_random",    "esm1b_t2_tiny_random.pt" },
  { "esm1_t3_tiny_random",     "esm1_t3_tiny_random.pt" },
};
#define GOLDEN_NESM (int)(sizeof golden_esm_models / sizeof golden_esm_models[0])

__attribute__((unused)) static char *
golden_Slurp(const char *path, size_t *ret_n)
{
  FILE *fp = fopen(path, "rb");
  char *buf = NULL;
  long  n;
  if (!fp) return NULL;
  if (fseek(fp, 0, SEEK_END) == 0 && (n = ftell(fp)) >= 0 && fseek(fp, 0, SEEK_SET) == 0 &&
      (buf = malloc((size_t)n + 1)) != NULL && fread(buf, 1, (size_t)n, fp) == (size_t)n) {
    buf[n] = '\0';
    *ret_n = (size_t)n;
  } else { free(buf); buf = NULL; }
  fclose(fp);
  return buf;
}

__attribute__((unused)) static int
golden_MaxErr(const plm_tensor *got, const plm_tensor *want, double *ret_abs, double *ret_rel)
{
  char        eb[PLM_ERRBUFSIZE];
  plm_tensor *g = NULL, *w = NULL;
  double      e = 0.0, scale = 0.0;
  int         ok = got && want && plm_tensor_ToF32(got, "got", &g, eb) == PLM_OK &&
                   plm_tensor_ToF32(want, "want", &w, eb) == PLM_OK && g->rank == w->rank;

  for (int d = 0; ok && d < w->rank; d++) ok = g->shape[d] == w->shape[d];
  if (ok) {
    const float *a = g->data, *b = w->data;
    for (int64_t i = 0; i < plm_tensor_Numel(w); i++) {
      double d = fabs((double)a[i] - b[i]);
      if (!(d <= e)) e = d;
      scale = fmax(scale, fabs(b[i]));
    }
    *ret_abs = e;
    *ret_rel = scale > 0 ? e / scale : e;
  }
  plm_tensor_Destroy(g);
  plm_tensor_Destroy(w);
  return ok;
}

typedef struct golden_stat { double abs, rel; int n, bad; } golden_stat;

__attribute__((unused)) static void
golden_CompareFile(const plm_tensor *got, const char *path, double abs_tol, double rel_tol, golden_stat *st)
{
  char        eb[PLM_ERRBUFSIZE];
  plm_tensor *want = NULL;
  double      e, r;

  if (plm_npy_Read(path, "golden", &want, eb) != PLM_OK) { st->bad++; printf("  cannot read %s: %s\n", path, eb); return; }
  if (!golden_MaxErr(got, want, &e, &r)) { st->bad++; printf("  %s: missing or wrong shape\n", path); }
  else {
    if (!(e <= st->abs)) st->abs = e;
    if (!(r <= st->rel)) st->rel = r;
    if (!(abs_tol > 0 ? e <= abs_tol : r <= rel_tol)) { st->bad++; printf("  %s: beyond tolerance\n", path); }
    st->n++;
  }
  plm_tensor_Destroy(want);
}

#endif
