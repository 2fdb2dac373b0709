/* variant.c: substitution variants and the tables that list them (see variant.h).
 *
 *   plm_variant_Parse() plm_variant_Apply()
 *   split_field() plm_vtable_Read() plm_vtable_Destroy()
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "error.h"
#include "variant.h"

#define AMINO20 "ACDEFGHIKLMNPQRSTVWY"

int
plm_variant_Parse(const char *s, const char *seq, int offset, plm_subst **ret_sub, int *ret_n, char *errbuf)
{
  plm_subst *sub = NULL;
  int        L = (int)strlen(seq), n = 0, cap = 1, status;

  *ret_sub = NULL; *ret_n = 0;
  while (isspace((unsigned char)*s)) s++;
  if (*s == '\0' || strcmp(s, "_wt") == 0 || strcmp(s, "WT") == 0 || strcmp(s, "wt") == 0) return PLM_OK;
  for (const char *p = s; *p; p++) cap += *p == ':';
  if ((sub = malloc(sizeof *sub * (size_t)cap)) == NULL) PLM_XFAIL(PLM_EMEM, errbuf, "out of memory");
  for (const char *p = s; ; ) {
    const char *end = strchr(p, ':');
    char        wt, mt, *q;
    long        num;
    size_t      len = end ? (size_t)(end - p) : strlen(p);

    while (len > 0 && isspace((unsigned char)p[len - 1])) len--;
    wt  = p[0];
    num = len >= 3 ? strtol(p + 1, &q, 10) : 0;
    if (len < 3 || !isalpha((unsigned char)wt) || q != p + len - 1 || !isalpha((unsigned char)p[len - 1]))
      PLM_XFAIL(PLM_EFORMAT, errbuf, "variant '%s': '%.*s' is not a substitution like A25G", s, (int)len, p);
    mt = p[len - 1];
    if (num - offset < 0 || num - offset >= L)
      PLM_XFAIL(PLM_EINVAL, errbuf, "variant '%s': residue %ld is outside the sequence (%d-%d with offset %d)", s, num, offset, offset + L - 1, offset);
    if (seq[num - offset] != wt)
      PLM_XFAIL(PLM_EINVAL, errbuf, "variant '%s': wild type %c%ld does not match the sequence, which has %c there", s, wt, num, seq[num - offset]);
    if (!strchr(AMINO20, mt)) PLM_XFAIL(PLM_EINVAL, errbuf, "variant '%s': mutant '%c' is not one of the 20 amino acids %s", s, mt, AMINO20);
    for (int k = 0; k < n; k++)
      if (sub[k].pos == (int)(num - offset)) PLM_XFAIL(PLM_EINVAL, errbuf, "variant '%s': residue %ld is substituted twice", s, num);
    sub[n++] = (plm_subst){ (int)(num - offset), wt, mt };
    if (!end) break;
    p = end + 1;
  }
  *ret_sub = sub; *ret_n = n;
  return PLM_OK;

ERROR:
  free(sub);
  return status;
}

char *
plm_variant_Apply(const char *seq, const plm_subst *sub, int n)
{
  char *s = strdup(seq);
  for (int k = 0; s && k < n; k++) s[sub[k].pos] = sub[k].mt;
  return s;
}

/* field number col of line (sep-separated, CSV quotes honoured) into a new string; NULL when the line
 * has fewer fields (*ret_nf: how many it has) */
static char *
split_field(const char *line, char sep, int col, int *ret_nf)
{
  char *out = NULL;
  int   f = 0;

  for (const char *p = line; ; f++) {
    size_t n = 0;
    char  *buf = malloc(strlen(p) + 1);
    if (!buf) { free(out); return NULL; }
    if (sep == ',' && *p == '"') {
      for (p++; *p && !(*p == '"' && p[1] != '"'); p++) {
        if (*p == '"') p++;
        buf[n++] = *p;
      }
      if (*p == '"') p++;
      while (*p && *p != sep) buf[n++] = *p++;
    } else
      while (*p && *p != sep) buf[n++] = *p++;
    buf[n] = '\0';
    if (f == col) out = buf; else free(buf);
    if (*p != sep) break;
    p++;
  }
  *ret_nf = f + 1;
  return out;
}

int
plm_vtable_Read(const char *path, const char *column, plm_vtable **ret_t, char *errbuf)
{
  FILE       *fp = NULL;
  plm_vtable *t = NULL;
  char       *line = NULL, *name = NULL;
  size_t      cap = 0;
  ssize_t     len;
  int         col = -1, nf, alloc = 0, status;

  *ret_t = NULL;
  if ((fp = fopen(path, "r")) == NULL) PLM_XFAIL(PLM_EIO, errbuf, "%s: %s", path, strerror(errno));
  if ((t = calloc(1, sizeof *t)) == NULL) PLM_XFAIL(PLM_EMEM, errbuf, "out of memory");
  for (long lineno = 1; (len = getline(&line, &cap, fp)) != -1; lineno++) {
    while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r')) line[--len] = '\0';
    if (!t->header) {
      t->sep = strchr(line, '\t') ? '\t' : ',';
      if ((t->header = strdup(line)) == NULL) PLM_XFAIL(PLM_EMEM, errbuf, "out of memory");
      for (int c = 0; ; c++) {
        free(name);
        if ((name = split_field(line, t->sep, c, &nf)) == NULL) break;
        if (strcmp(name, column) == 0) { col = c; break; }
      }
      if (col < 0) PLM_XFAIL(PLM_EFORMAT, errbuf, "%s: the header has no column '%s'", path, column);
      continue;
    }
    if (len == 0) continue;
    if (t->n == alloc) {
      int    na = alloc ? 2 * alloc : 256;
      char **l = realloc(t->line, sizeof *l * (size_t)na), **f;
      if (l) t->line = l;
      if (!l || (f = realloc(t->field, sizeof *f * (size_t)na)) == NULL) PLM_XFAIL(PLM_EMEM, errbuf, "out of memory");
      t->field = f;
      alloc = na;
    }
    if ((t->line[t->n] = strdup(line)) == NULL) PLM_XFAIL(PLM_EMEM, errbuf, "out of memory");
    if ((t->field[t->n] = split_field(line, t->sep, col, &nf)) == NULL) {
      free(t->line[t->n]);
      PLM_XFAIL(PLM_EFORMAT, errbuf, "%s: line %ld has %d fields, no column %d ('%s')", path, lineno, nf, col + 1, column);
    }
    t->n++;
  }
  if (ferror(fp)) PLM_XFAIL(PLM_EIO, errbuf, "%s: read error", path);
  if (!t->header) PLM_XFAIL(PLM_EFORMAT, errbuf, "%s: empty: no header line", path);
  fclose(fp);
  free(line); free(name);
  *ret_t = t;
  return PLM_OK;

ERROR:
  if (fp) fclose(fp);
  free(line); free(name);
  plm_vtable_Destroy(t);
  return status;
}

void
plm_vtable_Destroy(plm_vtable *t)
{
  if (!t) return;
  for (int i = 0; i < t->n; i++) { free(t->line[i]); free(t->field[i]); }
  free(t->line); free(t->field); free(t->header);
  free(t);
}
