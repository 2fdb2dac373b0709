/* align.c: global alignment of a structure's residues to a sequence (see align.h).
 *
 *   BLOSUM62 (NCBI's matrix, ambiguity codes B J Z X and * included)
 *   Gotoh's affine-gap dynamic programming, end gaps free, with traceback
 *   the sequence -> structure position map and identity
 */
#include <ctype.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include "align.h"
#include "error.h"

static const char   b62_order[] = "ARNDCQEGHILKMFPSTWYVBJZX*";
static const int8_t b62[25][25] = {
  { 4,-1,-2,-2, 0,-1,-1, 0,-2,-1,-1,-1,-1,-2,-1, 1, 0,-3,-2, 0,-2,-1,-1,-1,-4},  /* A */
  {-1, 5, 0,-2,-3, 1, 0,-2, 0,-3,-2, 2,-1,-3,-2,-1,-1,-3,-2,-3,-1,-2, 0,-1,-4},  /* R */
  {-2, 0, 6, 1,-3, 0, 0, 0, 1,-3,-3, 0,-2,-3,-2, 1, 0,-4,-2,-3, 4,-3, 0,-1,-4},  /* N */
  {-2,-2, 1, 6,-3, 0, 2,-1,-1,-3,-4,-1,-3,-3,-1, 0,-1,-4,-3,-3, 4,-3, 1,-1,-4},  /* D */
  { 0,-3,-3,-3, 9,-3,-4,-3,-3,-1,-1,-3,-1,-2,-3,-1,-1,-2,-2,-1,-3,-1,-3,-1,-4},  /* C */
  {-1, 1, 0, 0,-3, 5, 2,-2, 0,-3,-2, 1, 0,-3,-1, 0,-1,-2,-1,-2, 0,-2, 4,-1,-4},  /* Q */
  {-1, 0, 0, 2,-4, 2, 5,-2, 0,-3,-3, 1,-2,-3,-1, 0,-1,-3,-2,-2, 1,-3, 4,-1,-4},  /* E */
  { 0,-2, 0,-1,-3,-2,-2, 6,-2,-4,-4,-2,-3,-3,-2, 0,-2,-2,-3,-3,-1,-4,-2,-1,-4},  /* G */
  {-2, 0, 1,-1,-3, 0, 0,-2, 8,-3,-3,-1,-2,-1,-2,-1,-2,-2, 2,-3, 0,-3, 0,-1,-4},  /* H */
  {-1,-3,-3,-3,-1,-3,-3,-4,-3, 4, 2,-3, 1, 0,-3,-2,-1,-3,-1, 3,-3, 3,-3,-1,-4},  /* I */
  {-1,-2,-3,-4,-1,-2,-3,-4,-3, 2, 4,-2, 2, 0,-3,-2,-1,-2,-1, 1,-4, 3,-3,-1,-4},  /* L */
  {-1, 2, 0,-1,-3, 1, 1,-2,-1,-3,-2, 5,-1,-3,-1, 0,-1,-3,-2,-2, 0,-3, 1,-1,-4},  /* K */
  {-1,-1,-2,-3,-1, 0,-2,-3,-2, 1, 2,-1, 5, 0,-2,-1,-1,-1,-1, 1,-3, 2,-1,-1,-4},  /* M */
  {-2,-3,-3,-3,-2,-3,-3,-3,-1, 0, 0,-3, 0, 6,-4,-2,-2, 1, 3,-1,-3, 0,-3,-1,-4},  /* F */
  {-1,-2,-2,-1,-3,-1,-1,-2,-2,-3,-3,-1,-2,-4, 7,-1,-1,-4,-3,-2,-2,-3,-1,-1,-4},  /* P */
  { 1,-1, 1, 0,-1, 0, 0, 0,-1,-2,-2, 0,-1,-2,-1, 4, 1,-3,-2,-2, 0,-2, 0,-1,-4},  /* S */
  { 0,-1, 0,-1,-1,-1,-1,-2,-2,-1,-1,-1,-1,-2,-1, 1, 5,-2,-2, 0,-1,-1,-1,-1,-4},  /* T */
  {-3,-3,-4,-4,-2,-2,-3,-2,-2,-3,-2,-3,-1, 1,-4,-3,-2,11, 2,-3,-4,-2,-2,-1,-4},  /* W */
  {-2,-2,-2,-3,-2,-1,-2,-3, 2,-1,-1,-2,-1, 3,-3,-2,-2, 2, 7,-1,-3,-1,-2,-1,-4},  /* Y */
  { 0,-3,-3,-3,-1,-2,-2,-3,-3, 3, 1,-2, 1,-1,-2,-2, 0,-3,-1, 4,-3, 2,-2,-1,-4},  /* V */
  {-2,-1, 4, 4,-3, 0, 1,-1, 0,-3,-4, 0,-3,-3,-2, 0,-1,-4,-3,-3, 4,-3, 0,-1,-4},  /* B */
  {-1,-2,-3,-3,-1,-2,-3,-4,-3, 3, 3,-3, 2, 0,-3,-2,-1,-2,-1, 2,-3, 3,-3,-1,-4},  /* J */
  {-1, 0, 0, 1,-3, 4, 4,-2, 0,-3,-3, 1,-1,-3,-1, 0,-1,-2,-2,-2, 0,-3, 4,-1,-4},  /* Z */
  {-1,-1,-1,-1,-1,-1,-1,-1,-1,-1,-1,-1,-1,-1,-1,-1,-1,-1,-1,-1,-1,-1,-1,-1,-4},  /* X */
  {-4,-4,-4,-4,-4,-4,-4,-4,-4,-4,-4,-4,-4,-4,-4,-4,-4,-4,-4,-4,-4,-4,-4,-4, 1},  /* * */
};

/* residues outside the matrix (U, O, '.', ...) score as X */
static int
b62_Index(char c)
{
  const char *p = strchr(b62_order, toupper((unsigned char)c));
  return (c && p) ? (int)(p - b62_order) : 23;
}

int
plm_align_Blosum62(char a, char b)
{
  return b62[b62_Index(a)][b62_Index(b)];
}

/* traceback: for each cell the predecessor state of each of the three states */
enum { ST_M = 0, ST_X = 1, ST_Y = 2 };
#define TB(m, x, y) ((uint8_t)((m) | (x) << 2 | (y) << 4))
#define NEG_INF     (INT_MIN / 4)

static int
best3(int m, int x, int y, int *ret_state)
{
  *ret_state = ST_M;
  if (x > m)          { m = x; *ret_state = ST_X; }
  if (y > m)          { m = y; *ret_state = ST_Y; }
  return m;
}

/* Fill the DP (a down, b across) and return where the best alignment ends:
 * any cell of the last row or column, end gaps being free. */
static void
align_Fill(const char *a, int n1, const char *b, int n2, uint8_t *tb, int *M, int *X, int *Y,
           int *ret_i, int *ret_j, int *ret_state)
{
  const int open = PLM_ALIGN_GAPOPEN + PLM_ALIGN_GAPEXTEND, ext = PLM_ALIGN_GAPEXTEND;
  int      *pM = M, *pX = X, *pY = Y, *cM = M + n2 + 1, *cX = X + n2 + 1, *cY = Y + n2 + 1, *t;
  int       i, j, sm, sx, sy, best = NEG_INF, s;

  for (j = 0; j <= n2; j++) { pM[j] = j ? NEG_INF : 0; pX[j] = NEG_INF; pY[j] = j ? 0 : NEG_INF; tb[j] = TB(ST_M, ST_X, ST_Y); }
  for (i = 1; i <= n1; i++) {
    uint8_t *row = tb + (size_t)i * (size_t)(n2 + 1);
    cM[0] = NEG_INF; cX[0] = 0; cY[0] = NEG_INF; row[0] = TB(ST_M, ST_X, ST_Y);
    for (j = 1; j <= n2; j++) {
      cM[j] = best3(pM[j - 1], pX[j - 1], pY[j - 1], &sm) + plm_align_Blosum62(a[i - 1], b[j - 1]);
      cX[j] = best3(pM[j] - open, pX[j] - ext, pY[j] - open, &sx);
      cY[j] = best3(cM[j - 1] - open, cX[j - 1] - open, cY[j - 1] - ext, &sy);
      row[j] = TB(sm, sx, sy);
      if ((i == n1 || j == n2) && (s = best3(cM[j], cX[j], cY[j], &sm)) > best) {
        best = s; *ret_i = i; *ret_j = j; *ret_state = sm;
      }
    }
    t = pM; pM = cM; cM = t;
    t = pX; pX = cX; cX = t;
    t = pY; pY = cY; cY = t;
  }
}

int
plm_align_Map(const char *seq, const char *ref, int *map, int *ret_nident, int *ret_naligned, char *errbuf)
{
  int      n1 = (int)strlen(seq), n2 = (int)strlen(ref), i, j, state = ST_M, nident = 0, naligned = 0, k, status;
  uint8_t *tb = NULL;
  int     *rows = NULL;

  for (k = 0; k < n1; k++) map[k] = -1;
  if (n1 && n2 && (int64_t)n1 * n2 > PLM_ALIGN_MAXCELLS)
    PLM_XFAIL(PLM_ELIMIT, errbuf, "alignment of %d x %d residues exceeds the limit of %lld cells",
              n1, n2, (long long)PLM_ALIGN_MAXCELLS);
  if (n1 && n2) {
    if ((tb = malloc((size_t)(n1 + 1) * (size_t)(n2 + 1))) == NULL ||
        (rows = malloc(6 * (size_t)(n2 + 1) * sizeof *rows)) == NULL)
      PLM_XFAIL(PLM_EMEM, errbuf, "out of memory");
    i = n1; j = n2;
    align_Fill(seq, n1, ref, n2, tb, rows, rows + 2 * (n2 + 1), rows + 4 * (n2 + 1), &i, &j, &state);
    while (i > 0 && j > 0) {
      uint8_t c = tb[(size_t)i * (size_t)(n2 + 1) + (size_t)j];
      int     prev = (c >> (2 * state)) & 3;
      if (state == ST_M) {
        map[i - 1] = j - 1;
        naligned++;
        if (toupper((unsigned char)seq[i - 1]) == toupper((unsigned char)ref[j - 1])) nident++;
        i--; j--;
      }
      else if (state == ST_X) i--;
      else                    j--;
      state = prev;
    }
  }
  *ret_nident = nident;
  *ret_naligned = naligned;
  status = PLM_OK;
 ERROR:
  free(tb);
  free(rows);
  return status;
}
