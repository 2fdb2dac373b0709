/* apc.c: symmetrization and average product correction (see apc.h).
 *
 *   plm_apc_AddRowSums()   8 floats at a time (simd.h)
 *   plm_apc_RowSums()
 *   plm_apc_Map()
 */
#include <stdlib.h>
#include "error.h"
#include "simd.h"
#include "apc.h"

PLM_SIMD_CLONES void
plm_apc_AddRowSums(const float *a, int lda, int i0, int n, int L, float *r)
{
  for (int i = i0; i < i0 + n; i++) {
    const float *row = a + (size_t)(i - i0) * lda;
    v8f          vs = v8_splat(0.0f);
    float        s;
    int          j = 0;
    for (; j + 8 <= L; j += 8) {
      v8f v = v8_load(row + j);
      vs += v;
      v8_store(r + j, v8_load(r + j) + v);    /* column sums */
    }
    s = v8_sum(vs);
    for (; j < L; j++) { s += row[j]; r[j] += row[j]; }
    r[i] += s;
  }
}

double
plm_apc_RowSums(const float *a, int lda, int L, float *r)
{
  double total = 0.0;

  for (int j = 0; j < L; j++) r[j] = 0.0f;
  plm_apc_AddRowSums(a, lda, 0, L, L, r);
  for (int i = 0; i < L; i++) total += r[i];
  return total;
}

int
plm_apc_Map(const float *a, int lda, int L, float *out, int ldout, char *errbuf)
{
  float *r = NULL;
  double total;
  float  inv;
  int    status;

  if ((r = malloc(sizeof *r * (size_t)(L > 0 ? L : 1))) == NULL) PLM_XFAIL(PLM_EMEM, errbuf, "out of memory");
  total = plm_apc_RowSums(a, lda, L, r);
  inv   = total != 0.0 ? (float)(1.0 / total) : 0.0f;   /* an all-zero map: torch divides 0 by 0, we give 0 */
  for (int i = 0; i < L; i++)
    for (int j = 0; j < L; j++)
      out[(size_t)i * ldout + j] = (a[(size_t)i * lda + j] + a[(size_t)j * lda + i]) - r[i] * inv * r[j];
  free(r);
  return PLM_OK;

ERROR:
  free(r);
  return status;
}
