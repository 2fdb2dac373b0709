/* aapair.c: amino-acid pair attention per head vs BLOSUM62 (see aapair.h).
 *
 *   aa_Index()   residue letter -> row (0..19), -1 for others
 *   plm_aapair_Create() plm_aapair_Destroy() plm_aapair_Add() plm_aapair_Enrichment() plm_aapair_Blosum()
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "aapair.h"
#include "align.h"
#include "error.h"
#include "linfit.h"

static int
aa_Index(char c)
{
  const char *p = c ? strchr(PLM_AAPAIR_ORDER, c) : NULL;
  return p ? (int)(p - PLM_AAPAIR_ORDER) : -1;
}

int
plm_aapair_Create(int nl, int nh, plm_aapair **ret_ap, char *errbuf)
{
  plm_aapair *ap;
  *ret_ap = NULL;
  if (nl < 1 || nh < 1 || nl > 10000 || nh > 10000) return plm_Fail(errbuf, PLM_EINVAL, "%d x %d heads", nl, nh);
  if ((ap = calloc(1, sizeof *ap)) == NULL || (ap->mass = calloc((size_t)nl * nh * 400, sizeof *ap->mass)) == NULL) {
    free(ap);
    return plm_Fail(errbuf, PLM_EMEM, "out of memory");
  }
  ap->nl = nl;
  ap->nh = nh;
  *ret_ap = ap;
  return PLM_OK;
}

void
plm_aapair_Destroy(plm_aapair *ap)
{
  if (!ap) return;
  free(ap->mass);
  free(ap);
}

int
plm_aapair_Add(plm_aapair *ap, const float *attn, int T, int lead, int L, const char *seq, char *errbuf)
{
  int *idx;
  if (lead < 0 || L < 0 || lead + L > T || (int)strlen(seq) < L)
    return plm_Fail(errbuf, PLM_EINVAL, "residues %d..%d of %d tokens, sequence of %zu", lead, lead + L, T, strlen(seq));
  if ((idx = malloc(sizeof *idx * (L + 1))) == NULL) return plm_Fail(errbuf, PLM_EMEM, "out of memory");
  for (int i = 0; i < L; i++) idx[i] = aa_Index(seq[i]);
  for (int h = 0; h < ap->nl * ap->nh; h++) {
    const float *A = attn + (size_t)h * T * T;
    double      *M = ap->mass + (size_t)h * 400;
    for (int i = 0; i < L; i++) {
      const float *row = A + (size_t)(lead + i) * T + lead;
      double      *Mi;
      if (idx[i] < 0) continue;
      Mi = M + 20 * idx[i];
      for (int j = 0; j < L; j++) if (idx[j] >= 0) Mi[idx[j]] += row[j];
    }
  }
  free(idx);
  ap->nrecords++;
  return PLM_OK;
}

/* head -1: the mass of every head added, so the pooled matrix weighs heads by their mass (all equal: rows sum to 1) */
void
plm_aapair_Enrichment(const plm_aapair *ap, int head, double enr[400])
{
  double M[400] = { 0 }, row[20] = { 0 }, col[20] = { 0 }, tot = 0.0, e[400];
  for (int h = head < 0 ? 0 : head; h < (head < 0 ? ap->nl * ap->nh : head + 1); h++)
    for (int k = 0; k < 400; k++) M[k] += ap->mass[(size_t)h * 400 + k];
  for (int a = 0; a < 20; a++)
    for (int b = 0; b < 20; b++) { row[a] += M[20 * a + b]; col[b] += M[20 * a + b]; tot += M[20 * a + b]; }
  for (int a = 0; a < 20; a++)
    for (int b = 0; b < 20; b++)
      e[20 * a + b] = M[20 * a + b] > 0.0 ? log2(M[20 * a + b] * tot / (row[a] * col[b])) : NAN;
  for (int a = 0; a < 20; a++)
    for (int b = 0; b < 20; b++) enr[20 * a + b] = 0.5 * (e[20 * a + b] + e[20 * b + a]);
}

double
plm_aapair_Blosum(const double enr[400], int *ret_npairs)
{
  double     x[210], y[210];
  int        n = 0;
  plm_linfit f;
  char       eb[PLM_ERRBUFSIZE];
  for (int a = 0; a < 20; a++)
    for (int b = a; b < 20; b++) {
      x[n] = plm_align_Blosum62(PLM_AAPAIR_ORDER[a], PLM_AAPAIR_ORDER[b]);
      y[n++] = enr[20 * a + b];
    }
  if (plm_linfit_Fit(x, y, (size_t)n, &f, eb) != PLM_OK) { if (ret_npairs) *ret_npairs = (int)f.n; return NAN; }
  if (ret_npairs) *ret_npairs = (int)f.n;
  return f.r;
}
