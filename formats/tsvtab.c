/* tsvtab.c: a TSV table with a header, read whole (see tsvtab.h).
 *
 *   tsv_Fields()  cut one line into fields in place
 *   plm_tsv_Read() plm_tsv_Destroy() plm_tsv_Column() plm_tsv_Numbers()
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "error.h"
#include "growbuf.h"
#include "tsvtab.h"

/* the fields of line s (its '\r' dropped), cut at tabs into f[0..max-1]; returns their count
 * (with f NULL only counts, leaving s whole) */
static int
tsv_Fields(char *s, char **f, int max)
{
  int n = 0;
  size_t len = strlen(s);
  if (len && s[len - 1] == '\r') s[len - 1] = '\0';
  for (;;) {
    char *t = strchr(s, '\t');
    if (n < max) f[n] = s;
    n++;
    if (!t) break;
    if (f) *t = '\0';
    s = t + 1;
  }
  return n;
}

int
plm_tsv_Read(const char *path, plm_tsv **ret_tab, char *errbuf)
{
  FILE    *fp = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
  plm_tsv *t = NULL;
  size_t   len = 0, cap = 0, rowcap = 0, linecap = 0;
  char     chunk[65536], *s, *next;
  long     lineno = 0;
  int      status;
  size_t   k;

  *ret_tab = NULL;
  if (!fp) return plm_Fail(errbuf, PLM_EIO, "%s: %s", path, strerror(errno));
  if ((t = calloc(1, sizeof *t)) == NULL || (t->path = strdup(path)) == NULL) PLM_XFAIL(PLM_EMEM, errbuf, "out of memory");
  while ((k = fread(chunk, 1, sizeof chunk, fp)) > 0) {
    if (plm_grow((void **)&t->buf, &cap, len + k + 1, 1) != PLM_OK) PLM_XFAIL(PLM_EMEM, errbuf, "out of memory");
    memcpy(t->buf + len, chunk, k);
    len += k;
  }
  if (ferror(fp)) PLM_XFAIL(PLM_EIO, errbuf, "%s: read failed", path);
  if (!t->buf && (t->buf = calloc(1, 1)) == NULL) PLM_XFAIL(PLM_EMEM, errbuf, "out of memory");
  t->buf[len] = '\0';
  if (memchr(t->buf, '\0', len)) PLM_XFAIL(PLM_EFORMAT, errbuf, "%s: a NUL byte: not a text file", path);

  for (s = t->buf; s && *s; s = next) {
    if ((next = strchr(s, '\n')) != NULL) *next++ = '\0';
    lineno++;
    if (s[0] == '#' || s[0] == '\0' || strcmp(s, "\r") == 0) continue;
    if (!t->head) {
      t->ncol = tsv_Fields(s, NULL, 0);
      if ((t->head = malloc(sizeof *t->head * t->ncol)) == NULL) PLM_XFAIL(PLM_EMEM, errbuf, "out of memory");
      tsv_Fields(s, t->head, t->ncol);
      continue;
    }
    if (plm_grow((void **)&t->cell, &rowcap, (t->nrow + 1) * t->ncol, sizeof *t->cell) != PLM_OK ||
        plm_grow((void **)&t->line, &linecap, t->nrow + 1, sizeof *t->line) != PLM_OK)
      PLM_XFAIL(PLM_EMEM, errbuf, "out of memory");
    k = (size_t)tsv_Fields(s, t->cell + t->nrow * t->ncol, t->ncol);
    if ((int)k != t->ncol) PLM_XFAIL(PLM_EFORMAT, errbuf, "%s line %ld: %zu fields, the header has %d", path, lineno, k, t->ncol);
    t->line[t->nrow++] = lineno;
  }
  if (!t->head) PLM_XFAIL(PLM_EFORMAT, errbuf, "%s: no header line", path);
  *ret_tab = t;
  t = NULL;
  status = PLM_OK;
 ERROR:
  if (fp != stdin) fclose(fp);
  plm_tsv_Destroy(t);
  return status;
}

void
plm_tsv_Destroy(plm_tsv *t)
{
  if (!t) return;
  free(t->path); free(t->head); free(t->cell); free(t->line); free(t->buf);
  free(t);
}

int
plm_tsv_Column(const plm_tsv *t, const char *name, int *ret_col, char *errbuf)
{
  for (int c = 0; c < t->ncol; c++)
    if (strcmp(t->head[c], name) == 0) { *ret_col = c; return PLM_OK; }
  *ret_col = -1;
  return plm_Fail(errbuf, PLM_ENOTFOUND, "%s: no column '%s' in the header", t->path, name);
}

int
plm_tsv_Numbers(const plm_tsv *t, int col, double *out, char *errbuf)
{
  for (size_t r = 0; r < t->nrow; r++) {
    const char *s = t->cell[r * t->ncol + col];
    char       *end;
    if (s[0] == '\0' || strcasecmp(s, "NA") == 0 || strcasecmp(s, "nan") == 0) { out[r] = NAN; continue; }
    errno  = 0;
    out[r] = strtod(s, &end);
    if (end == s || *end || errno == ERANGE)
      return plm_Fail(errbuf, PLM_EFORMAT, "%s line %ld, column '%s': '%s' is not a number", t->path, t->line[r], t->head[col], s);
  }
  return PLM_OK;
}
