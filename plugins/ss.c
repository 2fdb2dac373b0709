/* ss.c: the `ss` token properties helix, strand and turn_bend: residue j is
 * in that secondary structure, from NetSurfP-2.0 CSV (columns input, dssp3,
 * dssp8, ..., each space-separated per residue; CB513, TS115) or from the
 * record's structure through DSSP (mkdssp, Debian package dssp).
 *
 * The classes are Vig et al.'s (provis ss4, from TAPE): DSSP H G I = helix,
 * E B = strand, T S = turn_bend; C (coil, DSSP blank, and DSSP 4's P) is none
 * of them. The CSV carries no ids, so records are matched by sequence; a
 * record whose sequence the file lacks gets PLM_ENOTFOUND. Structures are
 * found as the contact plugin finds them (plm_structure_Find); mkdssp runs on
 * a copy in a temporary directory (PDB text gets the HEADER line mkdssp 4
 * insists on), its classic output is read for the chain, and the DSSP
 * residues are aligned to the record's (libcore/analysis/align.h), so residues the
 * structure lacks stay unknown. Options: file=PATH, or pdb-dir=DIR / pdb=FILE
 * with chain=C and dssp=PROGRAM.
 *
 *   ss_class() ss_field() ss_header() ss_line() ss_dedup() ss_read(): the CSV
 *   dssp_find() dssp_copy() dssp_run() dssp_parse() dssp_label(): DSSP
 *   ss_open() ss_nprops() ss_propname() ss_annotate() ss_close(): the plugin
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>
#include "align.h"
#include "annot.h"
#include "error.h"
#include "plugin.h"
#include "structure.h"

#define SS_NPROPS 3
#define SS_NONE   3

#define DSSP_LINE 1024   /* classic DSSP lines are about 170 characters */

extern char **environ;

static const char *const ss_names[SS_NPROPS] = { "helix", "strand", "turn_bend" };

static const plm_plugin_option ss_options[] = {
  { "file",    "NetSurfP-2.0 CSV with columns input and dssp8 (e.g. CB513_HHblits.csv)" },
  { "pdb-dir", "run DSSP on the record's structure in DIR (ID.pdb[.gz], ID.cif[.gz]; XXXX_C = file XXXX, chain C)" },
  { "pdb",     "run DSSP on this one structure file for every record" },
  { "chain",   "chain id (default: from the record id, else the first amino-acid chain)" },
  { "dssp",    "the DSSP program (default: mkdssp on PATH; Debian package dssp)" },
};

typedef struct ss_entry { char *seq; uint8_t *cls; int L; } ss_entry;
typedef struct ss_state {
  ss_entry *e;                         /* the CSV, sorted by sequence */
  int       n;
  char     *dir, *pdb, *chain, *dssp;  /* structures: dssp is the program's path */
} ss_state;

/* a DSSP letter's class; blank (coil) and DSSP 4's P (polyproline) are none */
static int
ss_class(char d8)
{
  if (d8 && strchr("HGI", d8)) return 0;
  if (d8 && strchr("EB", d8))  return 1;
  if (d8 && strchr("TS", d8))  return 2;
  return d8 && strchr("C P", d8) ? SS_NONE : PLM_PLUGIN_UNKNOWN;
}

static void
ss_close(void *state)
{
  ss_state *st = state;
  if (!st) return;
  for (int i = 0; i < st->n; i++) { free(st->e[i].seq); free(st->e[i].cls); }
  free(st->e);
  free(st->dir); free(st->pdb); free(st->chain); free(st->dssp);
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

/* ------------------------------------------------------------------ DSSP */

/* prog if it names a file, else the first executable prog on PATH */
static int
dssp_find(const char *prog, char **ret_path, char *errbuf)
{
  const char *path = getenv("PATH"), *p, *end;
  char        cand[PATH_MAX];

  *ret_path = NULL;
  if (strchr(prog, '/')) {
    if (access(prog, X_OK) != 0) return plm_Fail(errbuf, PLM_ENOTFOUND, "ss: dssp=%s: not an executable file", prog);
    return (*ret_path = strdup(prog)) ? PLM_OK : plm_Fail(errbuf, PLM_EMEM, "out of memory");
  }
  for (p = path ? path : ""; *p; p = *end ? end + 1 : end) {
    end = p + strcspn(p, ":");
    if ((size_t)snprintf(cand, sizeof cand, "%.*s/%s", (int)(end - p), p, prog) >= sizeof cand) continue;
    if (end > p && access(cand, X_OK) == 0) return (*ret_path = strdup(cand)) ? PLM_OK : plm_Fail(errbuf, PLM_EMEM, "out of memory");
  }
  return plm_Fail(errbuf, PLM_ENOTFOUND, "ss: %s not found on PATH: install DSSP (Debian/Ubuntu package dssp) or give dssp=PROGRAM", prog);
}

/* the structure, gunzipped, as tmp/in.cif or tmp/in.pdb; PDB text without a
 * HEADER record gets one, since mkdssp 4 takes such text for mmCIF */
static int
dssp_copy(const char *src, const char *tmp, char *in, size_t nin, char *errbuf)
{
  gzFile      gz = gzopen(src, "rb");
  FILE       *fp = NULL;
  char        buf[65536];
  const char *t;
  size_t      total = 0;
  int         got, status;

  if (!gz) return plm_Fail(errbuf, PLM_EIO, "ss: cannot open %s", src);
  if ((got = gzread(gz, buf, sizeof buf - 1)) < 0) PLM_XFAIL(PLM_EIO, errbuf, "ss: %s: read failed", src);
  buf[got] = '\0';
  for (t = buf + strspn(buf, " \t\r\n"); *t == '#'; t += strspn(t, " \t\r\n")) t += strcspn(t, "\n");
  snprintf(in, nin, "%s/in.%s", tmp, strncasecmp(t, "data_", 5) == 0 ? "cif" : "pdb");
  if ((fp = fopen(in, "w")) == NULL) PLM_XFAIL(PLM_EIO, errbuf, "ss: %s: %s", in, strerror(errno));
  if (strstr(in, ".pdb") && strncmp(buf, "HEADER", 6) != 0)
    fprintf(fp, "HEADER    %-40s01-JAN-00   XXXX              \n", "PLMSCOPE");
  while (got > 0) {
    if ((total += (size_t)got) > PLM_STRUCTURE_MAXBYTES) PLM_XFAIL(PLM_ELIMIT, errbuf, "ss: %s: more than %zu bytes", src, PLM_STRUCTURE_MAXBYTES);
    fwrite(buf, 1, (size_t)got, fp);
    if ((got = gzread(gz, buf, sizeof buf)) < 0) PLM_XFAIL(PLM_EIO, errbuf, "ss: %s: read failed", src);
  }
  status = PLM_OK;
 ERROR:
  gzclose(gz);
  if (fp && fclose(fp) != 0 && status == PLM_OK) status = plm_Fail(errbuf, PLM_EIO, "ss: %s: write failed", in);
  return status;
}

/* dssp IN OUT, no shell, its stdout and stderr to LOG; on failure the log's first line says why */
static int
dssp_run(const char *dssp, const char *in, const char *out, const char *log, char *errbuf)
{
  posix_spawn_file_actions_t fa;
  char *const argv[] = { (char *)dssp, (char *)in, (char *)out, NULL };
  char        why[256] = "";
  FILE       *fp;
  pid_t       pid;
  int         ws, rc;

  if (posix_spawn_file_actions_init(&fa) != 0) return plm_Fail(errbuf, PLM_EMEM, "out of memory");
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 1, log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_adddup2(&fa, 1, 2);
  rc = posix_spawn(&pid, dssp, &fa, NULL, argv, environ);
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0) return plm_Fail(errbuf, PLM_EIO, "ss: cannot run %s: %s", dssp, strerror(rc));
  while (waitpid(pid, &ws, 0) < 0) if (errno != EINTR) return plm_Fail(errbuf, PLM_EIO, "ss: waiting for %s: %s", dssp, strerror(errno));
  if (WIFEXITED(ws) && WEXITSTATUS(ws) == 0) return PLM_OK;
  if ((fp = fopen(log, "r")) != NULL) {
    if (fgets(why, sizeof why, fp)) why[strcspn(why, "\r\n")] = '\0';
    fclose(fp);
  }
  return plm_Fail(errbuf, PLM_EFORMAT, "ss: %s failed on %s (%s %d): %s", dssp, in,
                  WIFEXITED(ws) ? "exit status" : "signal", WIFEXITED(ws) ? WEXITSTATUS(ws) : WTERMSIG(ws), why);
}

/* classic DSSP output -> the chain's residues (lowercase, a bonded Cys, read as C) and classes;
 * columns: 12 chain, 14 amino acid ('!' a break), 17 structure */
static int
dssp_parse(const char *path, const char *chain, char **ret_aa, uint8_t **ret_cls, int *ret_n, char *errbuf)
{
  FILE    *fp = fopen(path, "r");
  char     line[DSSP_LINE], *aa = NULL;
  uint8_t *cls = NULL;
  int      n = 0, body = 0, status;
  size_t   len;

  *ret_aa = NULL; *ret_cls = NULL; *ret_n = 0;
  if (!fp) return plm_Fail(errbuf, PLM_EIO, "ss: %s: %s", path, strerror(errno));
  while (fgets(line, sizeof line, fp)) {
    if ((len = strlen(line)) == sizeof line - 1 && line[len - 1] != '\n')
      PLM_XFAIL(PLM_EFORMAT, errbuf, "ss: %s: a line longer than %d characters", path, DSSP_LINE - 2);
    if (!body) { body = strncmp(line, "  #  RESIDUE", 12) == 0; continue; }
    if (len < 17 || line[13] == '!' || line[11] != (chain[0] ? chain[0] : ' ')) continue;
    if (n == PLM_STRUCTURE_MAXRES) PLM_XFAIL(PLM_ELIMIT, errbuf, "ss: %s: more than %d residues", path, PLM_STRUCTURE_MAXRES);
    if (n % 1024 == 0) {
      char    *a = realloc(aa, (size_t)n + 1025);
      uint8_t *c = a ? realloc(cls, (size_t)n + 1024) : NULL;
      if (a) aa = a;
      if (!c) PLM_XFAIL(PLM_EMEM, errbuf, "out of memory");
      cls = c;
    }
    aa[n]    = islower((unsigned char)line[13]) ? 'C' : line[13];
    cls[n++] = (uint8_t)ss_class(line[16]);
  }
  if (!body) PLM_XFAIL(PLM_EFORMAT, errbuf, "ss: %s: not classic DSSP output (no '  #  RESIDUE' line)", path);
  if (n == 0) PLM_XFAIL(PLM_ENOTFOUND, errbuf, "ss: DSSP gave no residues for chain '%s'", chain);
  aa[n] = '\0';
  fclose(fp);
  *ret_aa = aa; *ret_cls = cls; *ret_n = n;
  return PLM_OK;
 ERROR:
  fclose(fp);
  free(aa);
  free(cls);
  return status;
}

/* the record's structure through DSSP, aligned to its residues; unaligned residues unknown */
static int
dssp_label(const ss_state *st, const plm_record *rec, int L, uint8_t *out, char *errbuf)
{
  plm_structure *s = NULL;
  char           chain[PLM_CHAINLEN] = "", *path = NULL, *aa = NULL, *res = NULL, tmp[PATH_MAX], in[PATH_MAX + 16],
                 dsspout[PATH_MAX + 16], log[PATH_MAX + 16];
  const char    *tdir = getenv("TMPDIR");
  uint8_t       *cls = NULL;
  int           *map = NULL, n, nres, nident, naligned, status, j, k;

  tmp[0] = '\0';
  if (st->dir) PLM_XCHECK(plm_structure_Find(st->dir, rec->id, &path, chain, errbuf));
  else if ((path = strdup(st->pdb)) == NULL) PLM_XFAIL(PLM_EMEM, errbuf, "out of memory");
  if (st->chain) snprintf(chain, sizeof chain, "%s", st->chain);
  PLM_XCHECK(plm_structure_Read(path, chain[0] ? chain : NULL, &s, errbuf));
  if (strlen(s->chain) > 1) PLM_XFAIL(PLM_EINVAL, errbuf, "ss: %s chain %s: classic DSSP output holds one-letter chain ids only", path, s->chain);
  snprintf(tmp, sizeof tmp, "%s/plmscope-ss-XXXXXX", tdir && *tdir ? tdir : "/tmp");
  if (!mkdtemp(tmp)) { tmp[0] = '\0'; PLM_XFAIL(PLM_EIO, errbuf, "ss: cannot make a temporary directory: %s", strerror(errno)); }
  snprintf(dsspout, sizeof dsspout, "%s/out.dssp", tmp);
  snprintf(log, sizeof log, "%s/dssp.log", tmp);
  in[0] = '\0';
  PLM_XCHECK(dssp_copy(path, tmp, in, sizeof in, errbuf));
  PLM_XCHECK(dssp_run(st->dssp, in, dsspout, log, errbuf));
  PLM_XCHECK(dssp_parse(dsspout, s->chain, &aa, &cls, &n, errbuf));
  PLM_XCHECK(plm_annot_Residues(rec->seq, &res, &nres, errbuf));
  if (nres != L) PLM_XFAIL(PLM_EINVAL, errbuf, "ss: record %s: %d residues, host says %d", rec->id, nres, L);
  if ((map = malloc(sizeof *map * (size_t)L)) == NULL) PLM_XFAIL(PLM_EMEM, errbuf, "out of memory");
  PLM_XCHECK(plm_align_Map(res, aa, map, &nident, &naligned, errbuf));
  for (k = 0; k < SS_NPROPS; k++)
    for (j = 0; j < L; j++)
      out[(size_t)k * L + j] = map[j] < 0 || cls[map[j]] == PLM_PLUGIN_UNKNOWN ? PLM_PLUGIN_UNKNOWN : cls[map[j]] == k;
  status = PLM_OK;
 ERROR:
  if (tmp[0]) {
    if (in[0]) unlink(in);
    unlink(dsspout);
    unlink(log);
    rmdir(tmp);
  }
  plm_structure_Destroy(s);
  free(path); free(aa); free(cls); free(res); free(map);
  return status;
}

/* ---------------------------------------------------------------- plugin */

static int
ss_set(ss_state *st, const char *key, const char *val, char *errbuf)
{
  char **slot = strcmp(key, "pdb-dir") == 0 ? &st->dir : strcmp(key, "pdb") == 0 ? &st->pdb :
                strcmp(key, "chain") == 0 ? &st->chain : strcmp(key, "dssp") == 0 ? &st->dssp : NULL;
  if (!slot) return PLM_OK;
  free(*slot);
  return (*slot = strdup(val)) ? PLM_OK : plm_Fail(errbuf, PLM_EMEM, "out of memory");
}

static int
ss_open(const plm_kv *opts, int nopts, void **ret_state, char *errbuf)
{
  ss_state   *st = calloc(1, sizeof *st);
  const char *file = NULL;
  char       *prog;
  int         status;

  *ret_state = NULL;
  if (!st) return plm_Fail(errbuf, PLM_EMEM, "out of memory");
  for (int i = 0; i < nopts; i++) {
    if (strcmp(opts[i].key, "file") == 0) file = opts[i].value;
    PLM_XCHECK(ss_set(st, opts[i].key, opts[i].value, errbuf));
  }
  if (!file + !st->dir + !st->pdb != 2)
    PLM_XFAIL(PLM_EINVAL, errbuf, "ss: give one of file=PATH (NetSurfP-2.0 CSV), pdb-dir=DIR and pdb=FILE (structures, through DSSP)");
  if (file && (st->chain || st->dssp)) PLM_XFAIL(PLM_EINVAL, errbuf, "ss: chain= and dssp= go with pdb-dir= or pdb=, not file=");
  if (file) PLM_XCHECK(ss_read(file, st, errbuf));
  else {
    PLM_XCHECK(dssp_find(st->dssp ? st->dssp : "mkdssp", &prog, errbuf));
    free(st->dssp);
    st->dssp = prog;
  }
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

  if (st->dssp) return dssp_label(st, rec, L, out, errbuf);
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
  p->description = "residue is in a helix (DSSP H G I), strand (E B) or turn/bend (T S); NetSurfP-2.0 CSV or DSSP on a structure";
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
