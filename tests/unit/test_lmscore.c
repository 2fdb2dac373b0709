/* test_lmscore.c: unit tests of libcore/lmscore's windows and libcore/variant, at the scale esm-variants
 * runs (windows of 1022 residues, overlap 511, sigmoid width 16).
 *
 *   window starts and weights equal esm-variants' get_intervals_and_weights (values from numpy:
 *   tests/pipeline/lmscore_oracle.py weights(L, 511, 1022, 16)); every residue's weights sum to 1
 *   variants: single and multiple substitutions, offsets, the wild type; every refusal named
 *   a DMS table: CSV with quotes, TSV, the named column, a missing column
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "error.h"
#include "lmscore.h"
#include "variant.h"
#include "test.h"

static void
windows(int L, int n, const int *want_start, const double want[5])
{
  int   *start, got_n;
  float *w;
  char   errbuf[PLM_ERRBUFSIZE];
  int    ok = 1;

  if (plm_lmscore_Windows(L, 1022, 511, 16.0, &start, &w, &got_n, errbuf) != PLM_OK) { TEST(0, "windows L=%d: %s", L, errbuf); return; }
  TEST(got_n == n, "L=%d: %d windows (esm-variants: %d)", L, got_n, n);
  for (int k = 0; k < n && k < got_n; k++) ok = ok && start[k] == want_start[k];
  TEST(ok, "L=%d: window starts as esm-variants tiles", L);
  double got[5] = { w[0], w[600], w[(size_t)L + 600], w[1000], w[(size_t)(got_n - 1) * L + L - 1] };
  ok = 1;
  for (int k = 0; k < 5; k++) ok = ok && fabs(got[k] - want[k]) < 2e-6;
  TEST(ok, "L=%d: sigmoid weights as numpy (%.6f %.6f %.6f %.6f %.6f)", L, got[0], got[1], got[2], got[3], got[4]);
  double worst = 0.0;
  for (int i = 0; i < L; i++) {
    double s = 0.0;
    for (int k = 0; k < got_n; k++) s += w[(size_t)k * L + i];
    worst = fmax(worst, fabs(s - 1.0));
  }
  TEST(worst < 1e-6, "L=%d: every residue's weights sum to 1 (worst %.1g)", L, worst);
  free(start); free(w);
}

static void
variant_ok(const char *s, int offset, int n, int pos0, char mt0)
{
  plm_subst *sub;
  int        got;
  char       errbuf[PLM_ERRBUFSIZE];
  int        st = plm_variant_Parse(s, "MKTAYIAK", offset, &sub, &got, errbuf);
  TEST(st == PLM_OK && got == n && (n == 0 || (sub[0].pos == pos0 && sub[0].mt == mt0)), "variant '%s' (offset %d): %d substitutions%s%s",
       s, offset, n, st == PLM_OK ? "" : ": ", st == PLM_OK ? "" : errbuf);
  if (st == PLM_OK) free(sub);
}

static void
variant_bad(const char *s, const char *why)
{
  plm_subst *sub;
  int        n;
  char       errbuf[PLM_ERRBUFSIZE] = "";
  int        st = plm_variant_Parse(s, "MKTAYIAK", 1, &sub, &n, errbuf);
  TEST(st != PLM_OK && strstr(errbuf, why), "variant '%s' refused: %s", s, errbuf);
  if (st == PLM_OK) free(sub);
}

int
main(void)
{
  char        errbuf[PLM_ERRBUFSIZE], path[] = "/tmp/test_lmscore_XXXXXX";
  plm_vtable *t;
  FILE       *fp;

  windows(1100, 2, (int[]){ 0, 78 }, (double[]){ 1.0, 0.5, 0.5, 0.001323, 1.0 });
  windows(2000, 3, (int[]){ 0, 489, 978 }, (double[]){ 1.0, 0.795651, 0.204349, 0.001322, 1.0 });
  windows(3000, 5, (int[]){ 0, 511, 989, 1467, 1978 }, (double[]){ 1.0, 0.92562, 0.07438, 0.001322, 1.0 });
  {
    int *start, n; float *w;
    TEST(plm_lmscore_Windows(500, 1022, 511, 16.0, &start, &w, &n, errbuf) == PLM_OK && n == 1 && start[0] == 0 && w[0] == 1.0f && w[499] == 1.0f,
         "a protein within the window: one window, weights 1");
    if (n == 1) { free(start); free(w); }
    TEST(plm_lmscore_Windows(500, 100, 100, 16.0, &start, &w, &n, errbuf) == PLM_EINVAL, "overlap = window refused: %s", errbuf);
  }

  variant_ok("A4G", 1, 1, 3, 'G');
  variant_ok("K1R", 0, 1, 1, 'R');
  variant_ok("T27W", 25, 1, 2, 'W');
  variant_ok("A4G:K8R", 1, 2, 3, 'G');
  variant_ok("_wt", 1, 0, 0, 0);
  variant_ok("", 1, 0, 0, 0);
  variant_bad("Q3W", "wild type Q3 does not match the sequence, which has T there");
  variant_bad("K9R", "outside the sequence (1-8");
  variant_bad("A4B", "not one of the 20 amino acids");
  variant_bad("A4G:A4C", "substituted twice");
  variant_bad("A4", "not a substitution like A25G");
  variant_bad("4G", "not a substitution like A25G");
  {
    char *m = plm_variant_Apply("MKTAYIAK", (plm_subst[]){ { 3, 'A', 'G' }, { 7, 'K', 'R' } }, 2);
    TEST(m && strcmp(m, "MKTGYIAR") == 0, "apply A4G:K8R -> %s", m ? m : "NULL");
    free(m);
  }

  int fd = mkstemp(path);
  if (fd < 0 || (fp = fdopen(fd, "w")) == NULL) { TEST(0, "temporary file"); return test_done(); }
  fputs("id,mutant,score\n1,\"A4G\",0.5\n2,\"K2R, odd\",1\n3,_wt,0\n", fp);
  fclose(fp);
  TEST(plm_vtable_Read(path, "mutant", &t, errbuf) == PLM_OK && t->sep == ',' && t->n == 3 && strcmp(t->field[0], "A4G") == 0 &&
       strcmp(t->field[1], "K2R, odd") == 0 && strcmp(t->line[2], "3,_wt,0") == 0, "CSV: quoted fields, lines kept as read");
  plm_vtable_Destroy(t);
  TEST(plm_vtable_Read(path, "variant", &t, errbuf) == PLM_EFORMAT && strstr(errbuf, "no column 'variant'"), "a missing column: %s", errbuf);
  fp = fopen(path, "w");
  fputs("mutant\tscore\nA4G\t1\n\nK2R\t2\n", fp);
  fclose(fp);
  TEST(plm_vtable_Read(path, "score", &t, errbuf) == PLM_OK && t->sep == '\t' && t->n == 2 && strcmp(t->field[1], "2") == 0,
       "TSV: the second column, blank lines skipped");
  plm_vtable_Destroy(t);
  remove(path);
  return test_done();
}
