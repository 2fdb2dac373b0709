/* annot.c: residues of a record and JSONL site tables for annotation plugins (see annot.h).
 *
 *   helpers:  json_Int(), entry_Build(), entry_Clear(), cmp_entry(), cmp_long()
 *   public:   plm_annot_Residues(), plm_annot_Compare(), plm_annot_SitesRead(),
 *             plm_annot_SitesFind(), plm_annot_SitesFree(), plm_annot_SitesOpen(),
 *             plm_annot_SitesAnnotate(), plm_annot_LoadSpec(), plm_annot_ResidueSpan()
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "alphabet.h"
#include "annot.h"
#include "error.h"
#include "jsonread.h"
#include "vocab.h"

/* one JSONL line may hold a long chain and its numbering; more is not an annotation */
#define ANNOT_MAXLINE ((size_t)64 << 20)

int
plm_annot_Residues(const char *seq, char **ret_res, int *ret_L, char *errbuf)
{
  int32_t *ids = NULL;
  char    *res = NULL;
  int      n = 0, i, status;

  *ret_res = NULL;
  PLM_XCHECK(plm_esm_Tokenize(seq, 0, 0, &ids, &n, errbuf));
  if ((res = malloc((size_t)n + 1)) == NULL) PLM_XFAIL(PLM_EMEM, errbuf, "out of memory");
  for (i = 0; i < n; i++) {
    const char *tok = plm_esm_Token(ids[i]);
    res[i] = strlen(tok) == 1 ? tok[0] : '?';
  }
  res[n] = '\0';
  free(ids);
  *ret_res = res;
  *ret_L = n;
  return PLM_OK;
 ERROR:
  free(ids);
  free(res);
  return status;
}

/* A masked residue ('?') is still the annotated protein, so it matches any letter. */
int
plm_annot_Compare(const char *plugin, const plm_record *rec, const char *ref, char *errbuf)
{
  char *res = NULL;
  int   L, i, status;

  PLM_XCHECK(plm_annot_Residues(rec->seq, &res, &L, errbuf));
  if ((size_t)L != strlen(ref))
    PLM_XFAIL(PLM_EFORMAT, errbuf, "%s: record %s: %d residues, the annotation's sequence has %zu", plugin, rec->id, L, strlen(ref));
  for (i = 0; i < L; i++)
    if (res[i] != '?' && res[i] != ref[i])
      PLM_XFAIL(PLM_EFORMAT, errbuf, "%s: record %s: residue %d is %c, the annotation's sequence has %c", plugin, rec->id, i + 1, res[i], ref[i]);
  free(res);
  return PLM_OK;
 ERROR:
  free(res);
  return status;
}

static int
json_Int(const plm_json *j, long *ret)
{
  char *end;
  if (!j || j->kind != PLM_JSON_SCALAR || j->quoted) return PLM_EFORMAT;
  errno = 0;
  *ret = strtol(j->value, &end, 10);
  return (errno || end == j->value || *end) ? PLM_EFORMAT : PLM_OK;
}

static int
cmp_long(const void *a, const void *b)
{
  long x = *(const long *)a, y = *(const long *)b;
  return (x > y) - (x < y);
}

/* one parsed line -> entry; lineno and path only for messages */
static int
entry_Build(const plm_json *root, const char *field, const char *path, long lineno, plm_annot_entry *e, char *errbuf)
{
  const plm_json *id = plm_json_Get(root, "id"), *prim = plm_json_Get(root, "primary");
  const plm_json *pos = plm_json_Get(root, "positions"), *list = plm_json_Get(root, field);
  long           *sites = NULL, *posv = NULL, p;
  int             i, status;

  if (!id || id->kind != PLM_JSON_SCALAR || !prim || prim->kind != PLM_JSON_SCALAR)
    PLM_XFAIL(PLM_EFORMAT, errbuf, "%s:%ld: needs string fields id and primary", path, lineno);
  if (!pos || pos->kind != PLM_JSON_SEQ || !list || list->kind != PLM_JSON_SEQ)
    PLM_XFAIL(PLM_EFORMAT, errbuf, "%s:%ld: needs lists positions and %s", path, lineno, field);
  if ((size_t)pos->n != strlen(prim->value))
    PLM_XFAIL(PLM_EFORMAT, errbuf, "%s:%ld: %d positions for %zu residues", path, lineno, pos->n, strlen(prim->value));
  if ((sites = malloc(((size_t)list->n + 1) * sizeof *sites)) == NULL) PLM_XFAIL(PLM_EMEM, errbuf, "out of memory");
  for (i = 0; i < list->n; i++)
    if (json_Int(list->kids[i], &sites[i]) != PLM_OK) PLM_XFAIL(PLM_EFORMAT, errbuf, "%s:%ld: %s[%d] is not an integer", path, lineno, field, i);
  qsort(sites, (size_t)list->n, sizeof *sites, cmp_long);
  e->L = pos->n;
  if (!(e->id = strdup(id->value)) || !(e->primary = strdup(prim->value)) || !(e->label = malloc((size_t)e->L + 1)))
    PLM_XFAIL(PLM_EMEM, errbuf, "out of memory");
  if ((posv = malloc(((size_t)e->L + 1) * sizeof *posv)) == NULL) PLM_XFAIL(PLM_EMEM, errbuf, "out of memory");
  for (i = 0; i < e->L; i++) {
    if (json_Int(pos->kids[i], &p) != PLM_OK) PLM_XFAIL(PLM_EFORMAT, errbuf, "%s:%ld: positions[%d] is not an integer", path, lineno, i);
    e->label[i] = bsearch(&p, sites, (size_t)list->n, sizeof *sites, cmp_long) != NULL;
    posv[i] = p;
  }
  /* positions are the structure's residue numbers (negative ones are real: 87 chains of ProVis'
   * file start below 1), so only a site that names no residue lies outside the sequence */
  qsort(posv, (size_t)e->L, sizeof *posv, cmp_long);
  for (i = 0; i < list->n && !e->outside; i++)
    if (!bsearch(&sites[i], posv, (size_t)e->L, sizeof *posv, cmp_long)) {
      char msg[PLM_ERRBUFSIZE];
      snprintf(msg, sizeof msg, "%.200s:%ld: %s %ld of %.60s is no residue's position (%s run %ld..%ld): an annotation outside the sequence",
               path, lineno, field, sites[i], id->value, "positions", e->L ? posv[0] : 0, e->L ? posv[e->L - 1] : 0);
      if ((e->outside = strdup(msg)) == NULL) PLM_XFAIL(PLM_EMEM, errbuf, "out of memory");
    }
  free(sites);
  free(posv);
  return PLM_OK;
 ERROR:
  free(sites);
  free(posv);
  return status;
}

static void
entry_Clear(plm_annot_entry *e)
{
  free(e->id);
  free(e->primary);
  free(e->label);
  free(e->outside);
}

static int
cmp_entry(const void *a, const void *b)
{
  return strcmp(((const plm_annot_entry *)a)->id, ((const plm_annot_entry *)b)->id);
}

void
plm_annot_SitesFree(plm_annot_sites *t)
{
  if (!t) return;
  for (int i = 0; i < t->n; i++) entry_Clear(&t->e[i]);
  free(t->e);
  free(t->plugin);
  free(t);
}

/* one line at a time: the file is a dataset's annotations, the table what the plugin must keep anyway */
int
plm_annot_SitesRead(const char *path, const char *field, const char *plugin, plm_annot_sites **ret_t, char *errbuf)
{
  plm_annot_sites *t = calloc(1, sizeof *t);
  plm_json        *root = NULL;
  FILE            *fp = NULL;
  char            *line = NULL;
  size_t           cap = 0, nalloc = 0;
  ssize_t          len;
  long             lineno = 0;
  int              i, status;

  *ret_t = NULL;
  if (!t || !(t->plugin = strdup(plugin))) PLM_XFAIL(PLM_EMEM, errbuf, "out of memory");
  if ((fp = fopen(path, "r")) == NULL) PLM_XFAIL(PLM_EIO, errbuf, "%s: cannot open %s: %s", plugin, path, strerror(errno));
  while ((len = getline(&line, &cap, fp)) != -1) {
    lineno++;
    if ((size_t)len > ANNOT_MAXLINE) PLM_XFAIL(PLM_ELIMIT, errbuf, "%s:%ld: line longer than %zu bytes", path, lineno, ANNOT_MAXLINE);
    if (strspn(line, " \t\r\n") == (size_t)len) continue;
    if ((size_t)t->n == nalloc) {
      plm_annot_entry *e = realloc(t->e, (nalloc = nalloc ? 2 * nalloc : 256) * sizeof *e);
      if (!e) PLM_XFAIL(PLM_EMEM, errbuf, "out of memory");
      t->e = e;
    }
    memset(&t->e[t->n], 0, sizeof *t->e);
    if (plm_json_Parse(line, (size_t)len, &root, errbuf) != PLM_OK || root->kind != PLM_JSON_MAP)
      PLM_XFAIL(PLM_EFORMAT, errbuf, "%s:%ld: not a JSON object", path, lineno);
    status = entry_Build(root, field, path, lineno, &t->e[t->n++], errbuf);
    plm_json_Free(root);
    root = NULL;
    if (status != PLM_OK) goto ERROR;
  }
  if (ferror(fp)) PLM_XFAIL(PLM_EIO, errbuf, "%s: read error", path);
  qsort(t->e, (size_t)t->n, sizeof *t->e, cmp_entry);
  for (i = 1; i < t->n; i++)
    if (strcmp(t->e[i - 1].id, t->e[i].id) == 0) PLM_XFAIL(PLM_EFORMAT, errbuf, "%s: id %s appears twice", path, t->e[i].id);
  fclose(fp);
  free(line);
  *ret_t = t;
  return PLM_OK;
 ERROR:
  plm_json_Free(root);
  if (fp) fclose(fp);
  free(line);
  plm_annot_SitesFree(t);
  return status;
}

plm_annot_entry *
plm_annot_SitesFind(const plm_annot_sites *t, const char *id)
{
  plm_annot_entry key = { .id = (char *)id };
  return t->n ? bsearch(&key, t->e, (size_t)t->n, sizeof *t->e, cmp_entry) : NULL;
}

int
plm_annot_SitesOpen(const plm_kv *opts, int nopts, const char *field, const char *plugin, void **ret_state, char *errbuf)
{
  const char      *file = NULL;
  plm_annot_sites *t;
  int              status;

  *ret_state = NULL;
  for (int i = 0; i < nopts; i++)
    if (strcmp(opts[i].key, "file") == 0) file = opts[i].value;
  if (!file) return plm_Fail(errbuf, PLM_EINVAL, "%s: needs file=PATH (JSONL with id, primary, positions, %s)", plugin, field);
  if ((status = plm_annot_SitesRead(file, field, plugin, &t, errbuf)) != PLM_OK) return status;
  *ret_state = t;
  return PLM_OK;
}

/* a record the table does not name has no annotation; one it names must be the same protein */
int
plm_annot_SitesAnnotate(void *state, const plm_record *rec, int L, uint8_t *out, char *errbuf)
{
  const plm_annot_sites *t = state;
  const plm_annot_entry *e = plm_annot_SitesFind(t, rec->id);
  int                    status;

  if (!e) return plm_Fail(errbuf, PLM_ENOTFOUND, "%s: no annotation for %s", t->plugin, rec->id);
  if ((status = plm_annot_Compare(t->plugin, rec, e->primary, errbuf)) != PLM_OK) return status;
  if (e->L != L) return plm_Fail(errbuf, PLM_EINVAL, "%s: record %s: %d residues, host says %d", t->plugin, rec->id, e->L, L);
  if (e->outside) return plm_Fail(errbuf, PLM_EFORMAT, "%s: %s", t->plugin, e->outside);
  memcpy(out, e->label, (size_t)L);
  return PLM_OK;
}

/* NAME[:k=v,k=v] -> loaded and opened plugin */
int
plm_annot_LoadSpec(const char *spec, const char *const *dirs, int ndirs, plm_plugin **ret_p, char *errbuf)
{
  char       *name = strdup(spec), *kv[64], *colon, *tok, *save = NULL;
  int         nkv = 0, status;
  plm_plugin *p = NULL;

  *ret_p = NULL;
  if (!name) return plm_Fail(errbuf, PLM_EMEM, "out of memory");
  if ((colon = strchr(name, ':')) != NULL) {
    *colon = '\0';
    for (tok = strtok_r(colon + 1, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
      if (nkv == 64) PLM_XFAIL(PLM_EINVAL, errbuf, "-p %s: too many options", spec);
      kv[nkv++] = tok;
    }
  }
  PLM_XCHECK(plm_plugin_Load(name, dirs, ndirs, &p, errbuf));
  PLM_XCHECK(plm_plugin_Open(p, (const char *const *)kv, nkv, errbuf));
  free(name);
  *ret_p = p;
  return PLM_OK;
 ERROR:
  plm_plugin_Unload(p);
  free(name);
  return status;
}

/* where the residues sit on the token axis: the leading bos/cls run before them, the rest after (vocab.h) */
int
plm_annot_ResidueSpan(const plm_record *rec, const char *special, int T, int *ret_lead, int *ret_L, char *errbuf)
{
  const char *meta = plm_record_GetMeta(rec, "special_tokens");
  int         L = plm_esm_ResidueCount(rec->seq), lead, trail;
  char        why[PLM_ERRBUFSIZE];

  if (!meta) meta = special;
  if (L < 0) return plm_Fail(errbuf, PLM_EFORMAT, "record %s: sequence has invalid characters", rec->id);
  if (!meta) {
    if (T != L) return plm_Fail(errbuf, PLM_EINVAL, "record %s: %d tokens for %d residues and no special_tokens metadata (give --special)", rec->id, T, L);
    meta = "none";
  }
  if (plm_vocab_SpecialSpan(meta, &lead, &trail, why) != PLM_OK) return plm_Fail(errbuf, PLM_EINVAL, "record %s: %s", rec->id, why);
  if (lead + L + trail != T)
    return plm_Fail(errbuf, PLM_EINVAL, "record %s: %d tokens, but %d residues + %d special (%s)", rec->id, T, L, lead + trail, meta);
  *ret_lead = lead;
  *ret_L = L;
  return PLM_OK;
}
