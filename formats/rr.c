/* rr.c: CASP RR contact predictions (see rr.h).
 *
 *   plm_rr_Write()    sort the qualifying pairs by score and print them
 *   plm_rr_Read()     rr_ParseLine() per line: header, sequence or pair
 *   plm_rr_ToMatrix()
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include "error.h"
#include "rr.h"

#define RR_LINE 50   /* residues per sequence line, as CASP writes them */

typedef struct { int64_t i, j; float p; } rr_pair;

/* best first; equal scores by position, so output never depends on qsort's order */
static int
cmp_pair(const void *va, const void *vb)
{
  const rr_pair *a = va, *b = vb;
  if (a->p != b->p) return a->p > b->p ? -1 : 1;
  if (a->i != b->i) return a->i < b->i ? -1 : 1;
  return (a->j > b->j) - (a->j < b->j);
}

/* the pairs i < j with j - i >= minsep, sorted; every score must be a number */
static int
collect_pairs(const float *scores, int64_t L, int64_t minsep, rr_pair **ret_pairs, int64_t *ret_n, char *errbuf)
{
  rr_pair *pairs = NULL;
  int64_t  n = 0;
  int64_t  sep = minsep > 1 ? minsep : 1;
  int64_t  max = L > sep ? (L - sep) * (L - sep + 1) / 2 : 0;

  *ret_pairs = NULL;
  if ((pairs = malloc((size_t)(max ? max : 1) * sizeof *pairs)) == NULL) return plm_Fail(errbuf, PLM_EMEM, "out of memory");
  for (int64_t i = 0; i < L; i++)
    for (int64_t j = i + sep; j < L; j++) {
      float p = scores[i * L + j];
      if (!isfinite(p)) { free(pairs); return plm_Fail(errbuf, PLM_EFORMAT, "contact score (%lld, %lld) is %g", (long long)i + 1, (long long)j + 1, p); }
      pairs[n++] = (rr_pair){ i, j, p };
    }
  qsort(pairs, (size_t)n, sizeof *pairs, cmp_pair);
  *ret_pairs = pairs;
  *ret_n     = n;
  return PLM_OK;
}

int
plm_rr_Write(FILE *fp, const char *target, const char *residues, const float *scores, int64_t L,
             int64_t minsep, int64_t top, char *errbuf)
{
  rr_pair *pairs = NULL;
  int64_t  n = 0;
  int      status;

  if ((int64_t)strlen(residues) != L)
    return plm_Fail(errbuf, PLM_EINVAL, "sequence has %zu residues but the contact map is %lld x %lld",
                    strlen(residues), (long long)L, (long long)L);
  PLM_XCHECK(collect_pairs(scores, L, minsep, &pairs, &n, errbuf));
  if (top >= 0 && top < n) n = top;

  fprintf(fp, "PFRMAT RR\nTARGET %s\nMODEL 1\n", target);
  for (int64_t k = 0; k < L; k += RR_LINE) fprintf(fp, "%.*s\n", RR_LINE, residues + k);
  for (int64_t k = 0; k < n; k++)
    fprintf(fp, "%lld %lld 0 8 %.6f\n", (long long)pairs[k].i + 1, (long long)pairs[k].j + 1, pairs[k].p);
  fprintf(fp, "END\n");
  if (ferror(fp)) PLM_XFAIL(PLM_EIO, errbuf, "write failed: %s", strerror(errno));
  free(pairs);
  return PLM_OK;

ERROR:
  free(pairs);
  return status;
}

/* ------------------------------------------------------------------ reading */

#define RR_MAXLINE  (1 << 20)
#define RR_MAXPAIRS (INT64_C(1) << 31)

typedef struct rr_reader {
  char           *seq, *target;
  size_t          seqlen;
  plm_rr_contact *c;
  int64_t         n, cap;
} rr_reader;

static int
rr_AppendSeq(rr_reader *r, const char *s, size_t n)
{
  char *p = realloc(r->seq, r->seqlen + n + 1);
  if (!p) return PLM_EMEM;
  memcpy(p + r->seqlen, s, n);
  r->seqlen += n;
  p[r->seqlen] = '\0';
  r->seq = p;
  return PLM_OK;
}

static int
rr_AddPair(rr_reader *r, int64_t i, int64_t j, float p)
{
  if (r->n == r->cap) {
    int64_t         cap = r->cap ? 2 * r->cap : 1024;
    plm_rr_contact *c = cap > RR_MAXPAIRS ? NULL : realloc(r->c, sizeof *c * (size_t)cap);
    if (!c) return PLM_EMEM;
    r->c = c; r->cap = cap;
  }
  r->c[r->n++] = (plm_rr_contact){ i < j ? i : j, i < j ? j : i, p };
  return PLM_OK;
}

static int
is_header(const char *w, size_t n)
{
  static const char *kw[] = { "PFRMAT", "TARGET", "AUTHOR", "METHOD", "REMARK", "MODEL", "RMSD", NULL };
  for (int k = 0; kw[k]; k++) if (strlen(kw[k]) == n && !strncmp(kw[k], w, n)) return 1;
  return 0;
}

/* FreeContact's own layout, "i A j B raw corrected": 1 if the line is one, with the
 * corrected (last) column as the score, which is what its CASP RR output ranks by */
static int
rr_FreeContactLine(const char *s, int64_t *ret_i, int64_t *ret_j, float *ret_p)
{
  long long i, j;
  char      a, b;
  double    raw, cn;
  int       used = 0;

  if (sscanf(s, "%lld %c %lld %c %lf %lf %n", &i, &a, &j, &b, &raw, &cn, &used) != 6 || s[used] != '\0') return 0;
  if (!isalpha((unsigned char)a) || !isalpha((unsigned char)b) || i < 1 || j < 1 || i > 10000000 || j > 10000000 ||
      i == j || !isfinite(cn)) return 0;
  *ret_i = i - 1; *ret_j = j - 1; *ret_p = (float)cn;
  return 1;
}

/* one line, trailing newline removed; *ret_end set at END */
static int
rr_ParseLine(rr_reader *r, char *line, int64_t lineno, const char *path, int *ret_end, char *errbuf)
{
  char  *s = line + strspn(line, " \t\r"), *e;
  size_t w = strcspn(s, " \t\r");
  double f[5];
  int    nf = 0;

  if (*s == '\0') return PLM_OK;
  if (w == 3 && !strncmp(s, "END", 3)) { *ret_end = 1; return PLM_OK; }
  if (is_header(s, w)) {
    if (w == 6 && !strncmp(s, "TARGET", 6) && !r->target) {
      char *t = s + w + strspn(s + w, " \t");
      if (!(r->target = strndup(t, strcspn(t, " \t\r")))) return plm_Fail(errbuf, PLM_EMEM, "out of memory");
    }
    return PLM_OK;
  }
  if (isalpha((unsigned char)*s)) {
    size_t n = strcspn(s, " \t\r");
    for (size_t k = 0; k < n; k++)
      if (!isalpha((unsigned char)s[k])) return plm_Fail(errbuf, PLM_EFORMAT, "%s: line %lld: not a sequence line", path, (long long)lineno);
    return rr_AppendSeq(r, s, n) == PLM_OK ? PLM_OK : plm_Fail(errbuf, PLM_EMEM, "out of memory");
  }
  int64_t fi, fj;
  float   fp;
  if (rr_FreeContactLine(s, &fi, &fj, &fp))
    return rr_AddPair(r, fi, fj, fp) == PLM_OK ? PLM_OK : plm_Fail(errbuf, PLM_EMEM, "%s: out of memory for the pairs", path);
  for (e = s; nf < 5 && *(e += strspn(e, " \t\r")); nf++) {
    char *end;
    f[nf] = strtod(e, &end);
    if (end == e || (*end && !strchr(" \t\r", *end))) break;
    e = end;
  }
  e += strspn(e, " \t\r");
  if ((nf != 3 && nf != 5) || *e || f[0] != (int64_t)f[0] || f[1] != (int64_t)f[1] || f[0] < 1 || f[1] < 1 ||
      f[0] > 1e7 || f[1] > 1e7 || f[0] == f[1] || !isfinite(f[nf - 1]))
    return plm_Fail(errbuf, PLM_EFORMAT, "%s: line %lld: expected \"i j p\", \"i j dmin dmax p\" or FreeContact's \"i A j B raw score\" (1-based, i != j)",
                    path, (long long)lineno);
  if (rr_AddPair(r, (int64_t)f[0] - 1, (int64_t)f[1] - 1, (float)f[nf - 1]) != PLM_OK)
    return plm_Fail(errbuf, PLM_EMEM, "%s: out of memory for the pairs", path);
  return PLM_OK;
}

int
plm_rr_Read(const char *path, char **ret_seq, char **ret_target, plm_rr_contact **ret_c, int64_t *ret_n, char *errbuf)
{
  FILE     *fp = fopen(path, "r");
  rr_reader r = { NULL, NULL, 0, NULL, 0, 0 };
  char     *line = NULL;
  size_t    cap = 0;
  ssize_t   len;
  int64_t   lineno = 0;
  int       end = 0, status;

  if (!fp) return plm_Fail(errbuf, PLM_EIO, "%s: cannot open: %s", path, strerror(errno));
  while (!end && (len = getline(&line, &cap, fp)) >= 0) {
    lineno++;
    if (len > RR_MAXLINE) PLM_XFAIL(PLM_ELIMIT, errbuf, "%s: line %lld is over %d bytes", path, (long long)lineno, RR_MAXLINE);
    if (len > 0 && line[len - 1] == '\n') line[len - 1] = '\0';
    PLM_XCHECK(rr_ParseLine(&r, line, lineno, path, &end, errbuf));
  }
  if (ferror(fp)) PLM_XFAIL(PLM_EIO, errbuf, "%s: read error", path);
  if (!r.seq && !(r.seq = strdup("")))       PLM_XFAIL(PLM_EMEM, errbuf, "out of memory");
  if (!r.target && !(r.target = strdup(""))) PLM_XFAIL(PLM_EMEM, errbuf, "out of memory");
  *ret_seq = r.seq; *ret_target = r.target; *ret_c = r.c; *ret_n = r.n;
  free(line);
  fclose(fp);
  return PLM_OK;

ERROR:
  free(line); free(r.seq); free(r.target); free(r.c);
  fclose(fp);
  return status;
}

int
plm_rr_ToMatrix(const plm_rr_contact *c, int64_t n, int64_t L, float *scores, char *errbuf)
{
  for (int64_t k = 0; k < L * L; k++) scores[k] = NAN;
  for (int64_t k = 0; k < n; k++) {
    if (c[k].j >= L)
      return plm_Fail(errbuf, PLM_EFORMAT, "pair (%lld, %lld) is outside a sequence of %lld residues",
                      (long long)c[k].i + 1, (long long)c[k].j + 1, (long long)L);
    if (isnan(scores[c[k].i * L + c[k].j])) scores[c[k].i * L + c[k].j] = scores[c[k].j * L + c[k].i] = c[k].p;
  }
  return PLM_OK;
}
