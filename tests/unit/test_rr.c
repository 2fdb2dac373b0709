/* test_rr.c: unit tests of the CASP RR writer (formats/rr.c).
 *
 * A small map with known order: header, sequence lines of 50, pairs sorted by
 * score with ties broken by position, min-sep and top honoured; a length
 * mismatch and a NaN score refused.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "error.h"
#include "rr.h"
#include "test.h"

/* the RR text for an L x L map whose score at (i, j) is f(i, j) */
static char *
rr_text(int64_t L, const char *residues, float (*f)(int64_t, int64_t), int64_t minsep, int64_t top, int *ret_status, char *eb)
{
  float  *s = malloc((size_t)(L * L) * sizeof *s);
  char   *buf = NULL;
  size_t  len = 0;
  FILE   *fp = open_memstream(&buf, &len);
  for (int64_t i = 0; i < L; i++) for (int64_t j = 0; j < L; j++) s[i * L + j] = f(i, j);
  *ret_status = plm_rr_Write(fp, "T1", residues, s, L, minsep, top, eb);
  fclose(fp);
  free(s);
  return buf;
}

static float by_sep(int64_t i, int64_t j)  { return (float)(j - i) / 100.0f; }   /* larger separation scores higher */
static float ties(int64_t i, int64_t j)    { (void)i; (void)j; return 0.5f; }
static float with_nan(int64_t i, int64_t j) { return i == 1 && j == 9 ? NAN : 0.1f; }

int
main(void)
{
  char  eb[PLM_ERRBUFSIZE], seq[61];
  int   status;
  char *txt;

  memset(seq, 'A', 60); seq[60] = '\0'; seq[0] = 'M';
  txt = rr_text(60, seq, by_sep, 6, 3, &status, eb);
  TEST(status == PLM_OK && strcmp(txt,
       "PFRMAT RR\nTARGET T1\nMODEL 1\nMAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\nAAAAAAAAAA\n"
       "1 60 0 8 0.590000\n1 59 0 8 0.580000\n2 60 0 8 0.580000\nEND\n") == 0,
       "header, sequence in lines of 50, best pairs first, ties by i");
  free(txt);

  txt = rr_text(10, "ACDEFGHIKL", ties, 8, -1, &status, eb);
  TEST(status == PLM_OK && strstr(txt, "\nACDEFGHIKL\n1 9 0 8 0.500000\n1 10 0 8 0.500000\n2 10 0 8 0.500000\nEND\n"),
       "all pairs with j - i >= min-sep, equal scores by (i, j)");
  free(txt);

  txt = rr_text(10, "ACDEFGHIKL", ties, 20, -1, &status, eb);
  TEST(status == PLM_OK && strstr(txt, "ACDEFGHIKL\nEND\n"), "min-sep beyond the length gives no pairs");
  free(txt);

  txt = rr_text(10, "ACDEFGHIK", ties, 6, -1, &status, eb);
  TEST(status == PLM_EINVAL && strstr(eb, "9 residues"), "refuses a sequence of the wrong length: %s", eb);
  free(txt);

  txt = rr_text(10, "ACDEFGHIKL", with_nan, 6, -1, &status, eb);
  TEST(status == PLM_EFORMAT && strstr(eb, "(2, 10)"), "refuses a NaN score, naming the pair: %s", eb);
  free(txt);
  return test_done();
}
