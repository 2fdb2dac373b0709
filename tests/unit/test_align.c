/* test_align.c: unit tests of the global aligner (libcore/analysis/align.c).
 *
 *   BLOSUM62 equal to NCBI's file in ../shared, cell by cell;
 *   identical, fragment, internal-gap and substitution maps;
 *   empty inputs and the size limit.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "align.h"
#include "error.h"
#include "test.h"

static void
test_blosum(void)
{
  char  path[4096], line[512], cols[32];
  int   ncols = 0, nbad = 0, ncells = 0;
  FILE *fp;
  snprintf(path, sizeof path, "%s/data/annotations/blosum62/BLOSUM62.ncbi-data", test_shared());
  if ((fp = fopen(path, "r")) == NULL) { test_skip("BLOSUM62: %s absent", path); return; }
  while (fgets(line, sizeof line, fp)) {
    char *tok, *save;
    if (line[0] == '#' || line[0] == '\n') continue;
    if (ncols == 0) { for (tok = strtok_r(line, " \n", &save); tok && ncols < 31; tok = strtok_r(NULL, " \n", &save)) cols[ncols++] = tok[0]; continue; }
    char row = strtok_r(line, " \n", &save)[0];
    for (int k = 0; k < ncols && (tok = strtok_r(NULL, " \n", &save)); k++, ncells++)
      if (plm_align_Blosum62(row, cols[k]) != atoi(tok)) nbad++;
  }
  fclose(fp);
  TEST(ncells == 625 && nbad == 0, "BLOSUM62 equals NCBI's matrix (%d cells, %d differ)", ncells, nbad);
}

static int
map_is(const int *map, const int *want, int n)
{
  for (int i = 0; i < n; i++) if (map[i] != want[i]) return 0;
  return 1;
}

static void
test_maps(void)
{
  char eb[PLM_ERRBUFSIZE];
  int  map[128], ni, na, st;

  st = plm_align_Map("MKTAYIAKQR", "MKTAYIAKQR", map, &ni, &na, eb);
  TEST(st == PLM_OK && ni == 10 && na == 10 && map[0] == 0 && map[9] == 9, "identical sequences map 1:1");

  /* the structure lacks the first three and last two residues */
  st = plm_align_Map("GSHMKTAYIAKQRQISFVKSHFSRQLEE", "MKTAYIAKQRQISFVKSHFSRQL", map, &ni, &na, eb);
  TEST(st == PLM_OK && map[0] == -1 && map[2] == -1 && map[3] == 0 && map[25] == 22 && map[26] == -1 && ni == 23,
       "free end gaps: termini unmatched, the rest 1:1 (%d/%d)", ni, na);

  /* a disordered loop of 4 is missing from the structure */
  {
    const char *seq = "MKTAYIAKQRQISFVKSHFSRQLEERLGLIEVQAPILSRVGDGTQDNLSGAEKAVQVKVKALPDAQ";
    const char *ref = "MKTAYIAKQRQISFVKSHFSRQLEERLGLIEVQAPIGDGTQDNLSGAEKAVQVKVKALPDAQ";
    int want[128];
    for (int i = 0; i < 36; i++) want[i] = i;
    for (int i = 36; i < 40; i++) want[i] = -1;
    for (int i = 40; i < (int)strlen(seq); i++) want[i] = i - 4;
    st = plm_align_Map(seq, ref, map, &ni, &na, eb);
    TEST(st == PLM_OK && map_is(map, want, (int)strlen(seq)) && ni == na && na == (int)strlen(ref),
         "internal gap of 4 placed as one gap");
  }
  st = plm_align_Map("MKTAYIAKQR", "MKTAWIAKQR", map, &ni, &na, eb);
  TEST(st == PLM_OK && map[4] == 4 && ni == 9 && na == 10, "a substitution stays aligned (identity 9/10)");

  st = plm_align_Map("", "MKT", map, &ni, &na, eb);
  TEST(st == PLM_OK && na == 0, "empty sequence");
  st = plm_align_Map("MKT", "", map, &ni, &na, eb);
  TEST(st == PLM_OK && na == 0 && map[0] == -1 && map[2] == -1, "empty structure: all unknown");
}

static void
test_limit(void)
{
  char  eb[PLM_ERRBUFSIZE];
  int   n = 6000, ni, na, st;
  char *a = malloc((size_t)n + 1);
  int  *map = malloc((size_t)n * sizeof *map);
  memset(a, 'A', (size_t)n);
  a[n] = '\0';
  st = plm_align_Map(a, a, map, &ni, &na, eb);
  TEST(st == PLM_ELIMIT && strstr(eb, "limit"), "6000 x 6000 refused (%s)", eb);
  free(a);
  free(map);
}

int
main(void)
{
  test_blosum();
  test_maps();
  test_limit();
  return test_done();
}
