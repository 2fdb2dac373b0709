/* ss.c: the `ss` token properties helix, strand and turn_bend: residue j is
 * in that secondary structure, from NetSurfP-2.0 CSV (columns input, dssp3,
 * dssp8, ..., each space-separated per residue; CB513, TS115).
 *
 * The classes are Vig et al.'s (provis ss4, from TAPE): DSSP H G I = helix,
 * E B = strand, T S = turn_bend; C (coil) is none of them. The CSV carries no
 * ids, so records are matched by sequence; a record whose sequence the file
 * lacks gets PLM_ENOTFOUND. Option: file=PATH.
 *
 *   ss_class() ss_field() ss_header() ss_line() ss_dedup() ss_read(): the CSV
 *   ss_open() ss_nprops() ss_propname() ss_annotate() ss_close(): the plugin
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "annot.h"
#include "error.h"
#include "plugin.h"

#define SS_NPROPS 3
#define SS_NONE   3

static const char *const ss_names[SS_NPROPS] = { "helix", "strand", "turn_bend" };

static const plm_plugin_option ss_options[] = {
  { "file", "NetSurfP-2.0 CSV with columns input and dssp8 (e.g. CB513_HHblits.csv)" },
};

typedef struct ss_entry { char *seq; uint8_t *cls; int L; } ss_entry;
typedef struct ss_state { ss_entry *e; int n; } ss_state;

static int
ss_class(char d8)
{
  return strchr("HGI", d8) ? 0 : strchr("EB", d8) ? 1 : strchr("TS", d8) ? 2 : d8 == 'C' ? SS_NONE : PLM_PLUGIN_UNKNOWN;
}

static void
ss_close(void *state)
{
  ss_state *st = state;
  if (!st) return;
  for (int i = 0; i < st->n; i++) { free(st->e[i].seq); free(st->e[i].cls); }
  free(st->e);
  free(st);
}

/* field icol of a comma-separated line, its spaces removed: one letter a residue */
static int
ss_field(const char *line, int icol, char **ret, char *errbuf)
{
  const char *p = line;
  char       *s;
  size_t      n = 0;

  for (int c = 0; c < icol && p; c++) if ((p = strchr(p, ',')) != NULL) p++;
  if (!p) return PLM_EFORMAT;
  if ((s = malloc(strcspn(p, ",\r\n") + 1)) == NULL) return plm_Fail(errbuf, PLM_EMEM, "out of memory");
  for (; *p && !strchr(",\r\n", *p); p++) if (*p != ' ') s[n++] = *p;
  s[n] = '\0';
  *ret = s;
  return PLM_OK;
}

/* the column numbers of input and dssp8 from the header */
static int
ss_header(const char *line, int *ret_in, int *ret_d8)
{
  int c = 0;
  *ret_in = *ret_d8 = -1;
  for (const char *p = line; p; p = strchr(p, ','), p = p ? p + 1 : NULL, c++) {
    p += strspn(p, " ");
    if (strncmp(p, "input", 5) == 0 && strchr(", \r\n", p[5])) *ret_in = c;
    if (strncmp(p, "dssp8", 5) == 0 && strchr(", \r\n", p[5])) *ret_d8 = c;
  }
  return *ret_in >= 0 && *ret_d8 >= 0 ? PLM_OK : PLM_EFORMAT;
}

/* one data line -> entry */
static int
ss_line(const char *line, int cin, int cd8, const char *path, long lineno, ss_entry *e, char *errbuf)
{
  char *d8 = NULL;
  int   status;

  if (ss_field(line, cin, &e->seq, errbuf) != PLM_OK || ss_field(line, cd8, &d8, errbuf) != PLM_OK)
    PLM_XFAIL(PLM_EFORMAT, errbuf, "%s:%ld: missing the input or dssp8 column", path, lineno);
  if (strlen(d8) != strlen(e->seq))
    PLM_XFAIL(PLM_EFORMAT, errbuf, "%s:%ld: %zu residues but %zu dssp8 labels", path, lineno, strlen(e->seq), strlen(d8));
  e->L = (int)strlen(e->seq);
  if ((e->cls = malloc((size_t)e->L + 1)) == NULL) PLM_XFAIL(PLM_EMEM, errbuf, "out of memory");
  for (int j = 0; j < e->L; j++) e->cls[j] = (uint8_t)ss_class(d8[j]);
  free(d8);
  return PLM_OK;
 ERROR:
  free(d8);
  return status;
}

static int
cmp_entry(const void *a, const void *b)
{
  return strcmp(((const ss_entry *)a)->seq, ((const ss_entry *)b)->seq);
}

/* A sequence listed twice keeps the residues whose labels agree; the others become unknown. */
static void
ss_dedup(ss_state *st)
{
  int i, j, k = 0;
  qsort(st->e, (size_t)st->n, sizeof *st->e, cmp_entry);
  for (i = 0; i < st->n; i++) {
    if (k > 0 && strcmp(st->e[k - 1].seq, st->e[i].seq) == 0) {
      for (j = 0; j < st->e[i].L; j++)
        if (st->e[k - 1].cls[j] != st->e[i].cls[j]) st->e[k - 1].cls[j] = PLM_PLUGIN_UNKNOWN;
      free(st->e[i].seq);
      free(st->e[i].cls);
    } else st->e[k++] = st->e[i];
  }
  st->n = k;
}

static int
ss_read(const char *path, ss_state *st, char *errbuf)
{
  FILE   *fp = fopen(path, "r");
  char   *line = NULL;
  size_t  cap = 0, nalloc = 0;
  long    lineno = 0;
  int     cin = -1, cd8 = -1, status;

  if (!fp) return plm_Fail(errbuf, PLM_EIO, "ss: cannot open %s: %s", path, strerror(errno));
  while (getline(&line, &cap, fp) != -1) {
    if (++lineno == 1) {
      if (ss_header(line, &cin, &cd8) != PLM_OK) PLM_XFAIL(PLM_EFORMAT, errbuf, "%s: header lacks input or dssp8", path);
      continue;
    }
    if (strspn(line, " \r\n") == strlen(line)) continue;
    if ((size_t)st->n == nalloc) {
      ss_entry *e = realloc(st->e, (nalloc = nalloc ? 2 * nalloc : 256) * sizeof *e);
      if (!e) PLM_XFAIL(PLM_EMEM, errbuf, "out of memory");
      st->e = e;
    }
    memset(&st->e[st->n], 0, sizeof *st->e);
    PLM_XCHECK(ss_line(line, cin, cd8, path, lineno, &st->e[st->n++], errbuf));
  }
  if (lineno == 0) PLM_XFAIL(PLM_EFORMAT, errbuf, "%s: empty file", path);
  ss_dedup(st);
  status = PLM_OK;
 ERROR:
  fclose(fp);
  free(line);
  return status;
}

static int
ss_open(const plm_kv *opts, int nopts, void **ret_state, char *errbuf)
{
  ss_state   *st = calloc(1, sizeof *st);
  const char *file = NULL;
  int         status;

  *ret_state = NULL;
  if (!st) return plm_Fail(errbuf, PLM_EMEM, "out of memory");
  for (int i = 0; i < nopts; i++) if (strcmp(opts[i].key, "file") == 0) file = opts[i].value;
  if (!file) PLM_XFAIL(PLM_EINVAL, errbuf, "ss: needs file=PATH (NetSurfP-2.0 CSV)");
  PLM_XCHECK(ss_read(file, st, errbuf));
  *ret_state = st;
  return PLM_OK;
 ERROR:
  ss_close(st);
  return status;
}

static int         ss_nprops(const void *state) { return SS_NPROPS; }
static const char *ss_propname(const void *state, int k) { return ss_names[k]; }

static int
ss_annotate(void *state, const plm_record *rec, int L, uint8_t *out, char *errbuf)
{
  ss_state *st = state;
  ss_entry  key, *e;
  char     *res;
  int       n, status, j, k;

  if ((status = plm_annot_Residues(rec->seq, &res, &n, errbuf)) != PLM_OK) return status;
  key.seq = res;
  e = st->n ? bsearch(&key, st->e, (size_t)st->n, sizeof *st->e, cmp_entry) : NULL;
  free(res);
  if (!e) return plm_Fail(errbuf, PLM_ENOTFOUND, "ss: no annotation for the sequence of %s", rec->id);
  if (n != L || e->L != L) return plm_Fail(errbuf, PLM_EINVAL, "ss: record %s: %d residues, host says %d", rec->id, n, L);
  for (k = 0; k < SS_NPROPS; k++)
    for (j = 0; j < L; j++)
      out[(size_t)k * L + j] = e->cls[j] == PLM_PLUGIN_UNKNOWN ? PLM_PLUGIN_UNKNOWN : e->cls[j] == k;
  return PLM_OK;
}

int
plmscope_plugin_init(plm_plugin *p)
{
  p->api_version = PLM_PLUGIN_API_VERSION;
  p->name        = "ss";
  p->description = "residue is in a helix (DSSP H G I), strand (E B) or turn/bend (T S); NetSurfP-2.0 CSV";
  p->kind        = PLM_PLUGIN_TOKEN;
  p->options     = ss_options;
  p->noptions    = (int)(sizeof ss_options / sizeof *ss_options);
  p->open        = ss_open;
  p->nprops      = ss_nprops;
  p->propname    = ss_propname;
  p->annotate    = ss_annotate;
  p->close       = ss_close;
  return PLM_OK;
}
