/* plmstream.c: look into, cut, join and export record streams.
 *
 *   plmstream CMD [options] [FILE...]     FILEs are read in order, stdin when none
 *
 *   ls        one TSV line per record          select    keep records and tensors
 *   npy       tensors -> DIR/ID.NAME.npy       tsv       one tensor as TSV
 *   cat       validate, re-frame, recompress   merge     add B's tensors to A's records
 *   rr        contacts -> CASP RR              fasta     records -> FASTA
 *   from-npy  .npy files -> a one-record stream
 *
 * All subcommands share one option table; each names the options it takes.
 * Errors read "plmstream: FILE: record N ("ID"): cause". A writing subcommand
 * that fails leaves its output without the end frame, so downstream readers
 * see it as truncated while every record written before the failure stays valid.
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "alphabet.h"
#include "cli.h"
#include "error.h"
#include "idmap.h"
#include "npy.h"
#include "record.h"
#include "rr.h"
#include "stream.h"

#define TOOL     "plmstream"
#define COMMANDS "ls select npy tsv cat repair unshard merge rr fasta from-npy"

typedef struct {
  const char **ids;     int nids;       /* --id, repeatable */
  const char  *idsfile;
  int64_t      first;                   /* --first; -1: no limit */
  int64_t      from, to;                /* --index, 1-based inclusive; to 0: open */
  const char  *keep, *drop, *tensor;    /* comma-separated lists */
  int          matrix, aligned, longls;
  int64_t      minsep, top, width;      /* top -1: all */
  double       topl;                    /* --top-l; < 0: not given */
  const char  *seq, *outdir;     /* outdir: -o, a DIR for npy and rr, else the output stream */
  int64_t      zlevel;
  char       **files;   int nfiles;
} opts;

/* ------------------------------------------------------------------ input */

/* the files of the command line read as one stream of records */
typedef struct {
  char            **paths;
  int               npaths, next;
  plm_streamreader *r;
  const char       *name;     /* current file, for messages */
  int64_t           nfile;    /* records read from it */
  int64_t           nall;     /* records read from all files */
} input;

static char *stdin_only[] = { "-" };

static void
input_Init(input *in, char **paths, int npaths)
{
  memset(in, 0, sizeof *in);
  in->paths  = npaths ? paths : stdin_only;
  in->npaths = npaths ? npaths : 1;
}

static int
input_Next(input *in, plm_record **ret_rec, char *errbuf)
{
  int status;

  for (;;) {
    if (!in->r) {
      if (in->next == in->npaths) return PLM_EOF;
      in->name  = plm_cli_InputName(in->paths[in->next]);
      in->nfile = 0;
      if ((status = plm_stream_OpenRead(in->paths[in->next++], &in->r, errbuf)) != PLM_OK) return status;
    }
    if ((status = plm_stream_Read(in->r, ret_rec, errbuf)) != PLM_EOF) {
      if (status == PLM_OK) { in->nfile++; in->nall++; }
      return status;
    }
    plm_stream_CloseRead(in->r);
    in->r = NULL;
  }
}

static void input_Close(input *in) { if (in->r) plm_stream_CloseRead(in->r); in->r = NULL; }

/* an error about the record just read, in the stream reader's words */
static int __attribute__((format(printf, 5, 6)))
rec_fail(const input *in, const plm_record *rec, char *errbuf, int status, const char *fmt, ...)
{
  char    cause[PLM_ERRBUFSIZE];
  va_list ap;
  va_start(ap, fmt); vsnprintf(cause, sizeof cause, fmt, ap); va_end(ap);
  return plm_Fail(errbuf, status, "%s: record %lld (\"%.120s\"): %s", in->name, (long long)in->nfile, rec->id, cause);
}

/* rec_fail, then goto ERROR: PLM_XFAIL for errors about a record */
#define REC_XFAIL(in, rec, code, ...) \
  do { status = rec_fail((in), (rec), errbuf, (code), __VA_ARGS__); goto ERROR; } while (0)

static int
stdout_Check(char *errbuf)
{
  if (fflush(stdout) != 0 || ferror(stdout)) return plm_Fail(errbuf, PLM_EIO, "standard output: %s", strerror(errno));
  return PLM_OK;
}

/* ---------------------------------------------------------------- helpers */

/* the item after p in a comma-separated list, or NULL */
static const char *
next_item(const char *p)
{
  p = strchr(p, ',');
  return p ? p + 1 : NULL;
}

/* is name one of the comma-separated list? */
static int
in_list(const char *list, const char *name)
{
  size_t n = strlen(name);
  for (const char *p = list; p; p = next_item(p))
    if (strncmp(p, name, n) == 0 && (p[n] == ',' || p[n] == '\0')) return 1;
  return 0;
}

/* a file name from an id or tensor name: bytes outside [A-Za-z0-9._+-] and a
 * leading '.' become '_', so names cannot climb out of DIR or hide in it */
static char *
sanitize(const char *s)
{
  char *f = malloc(strlen(s) + 2);
  if (!f) return NULL;
  for (size_t i = 0; (f[i] = s[i]) != '\0'; i++)
    if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._+-", s[i]) || (i == 0 && s[i] == '.'))
      f[i] = '_';
  if (f[0] == '\0') strcpy(f, "_");
  return f;
}

/* reserve the file-name stem of a record, so two ids that sanitize alike cannot overwrite each other */
static int
claim_stem(plm_idmap *stems, const input *in, const plm_record *rec, const char *stem, char *errbuf)
{
  int64_t first;
  if (plm_idmap_Get(stems, stem, &first) == PLM_OK)
    return rec_fail(in, rec, errbuf, PLM_EINVAL, "its file names '%s.*' are taken by record %lld of the input "
                    "(a repeated id, or ids that differ only in unsafe characters)", stem, (long long)first);
  return plm_idmap_Put(stems, stem, in->nall, errbuf);
}

static int
make_dir(const char *dir, char *errbuf)
{
  struct stat st;
  if (mkdir(dir, 0777) != 0 && (errno != EEXIST || stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)))
    return plm_Fail(errbuf, PLM_EIO, "%s: cannot make directory: %s", dir, strerror(errno));
  return PLM_OK;
}

/* a string with tab, newline, CR and backslash escaped, so a TSV field stays one field */
static void
put_escaped(FILE *fp, const char *s)
{
  for (; *s; s++)
    switch (*s) {
    case '\t': fputs("\\t", fp);  break;
    case '\n': fputs("\\n", fp);  break;
    case '\r': fputs("\\r", fp);  break;
    case '\\': fputs("\\\\", fp); break;
    default:   fputc(*s, fp);
    }
}

static void
put_value(FILE *fp, const plm_tensor *t, int64_t i)
{
  switch (t->dtype) {
  case PLM_F32:  fprintf(fp, "%.9g", ((const float *)t->data)[i]);                       break;
  case PLM_F16:  fprintf(fp, "%.9g", plm_f16_to_f32(((const uint16_t *)t->data)[i]));     break;
  case PLM_BF16: fprintf(fp, "%.9g", plm_bf16_to_f32(((const uint16_t *)t->data)[i]));    break;
  case PLM_I32:  fprintf(fp, "%d", (int)((const int32_t *)t->data)[i]);                   break;
  case PLM_U8:   fprintf(fp, "%u", (unsigned)((const uint8_t *)t->data)[i]);              break;
  case PLM_I64:  fprintf(fp, "%lld", (long long)((const int64_t *)t->data)[i]);           break;
  }
}

/* ------------------------------------------------ read-only commands */

/* what ls, npy, tsv, rr and fasta do with one record; stems holds the file
 * names given out so far, for those that write one file per record */
typedef int (*record_fn)(const opts *o, const input *in, const plm_record *rec, plm_idmap *stems, char *errbuf);

static int
each_record(const opts *o, record_fn fn, char *errbuf)
{
  plm_idmap  *stems = NULL;
  plm_record *rec   = NULL;
  input       in;
  int         status;

  input_Init(&in, o->files, o->nfiles);
  if (o->outdir) PLM_XCHECK(make_dir(o->outdir, errbuf));
  PLM_XCHECK(plm_idmap_Create(&stems, errbuf));
  while ((status = input_Next(&in, &rec, errbuf)) == PLM_OK) {
    PLM_XCHECK(fn(o, &in, rec, stems, errbuf));
    plm_record_Destroy(rec);
    rec = NULL;
  }
  if (status != PLM_EOF) goto ERROR;
  input_Close(&in);
  plm_idmap_Destroy(stems);
  return stdout_Check(errbuf);

ERROR:
  plm_record_Destroy(rec);
  input_Close(&in);
  plm_idmap_Destroy(stems);
  return status;
}

/* --------------------------------------------------------------------- ls */

static int
ls_record(const opts *o, const input *in, const plm_record *rec, plm_idmap *stems, char *errbuf)
{
  int len = plm_esm_ResidueCount(rec->seq);

  printf("%lld\t", (long long)in->nall);
  put_escaped(stdout, rec->id);
  printf("\t%d", len >= 0 ? len : (int)strlen(rec->seq));
  for (int k = 0; k < rec->ntensors; k++) {
    const plm_tensor *t = rec->tensors[k];
    putchar('\t');
    put_escaped(stdout, t->name);
    printf(":%s[", plm_dtype_Name(t->dtype));
    for (int d = 0; d < t->rank; d++) printf("%s%lld", d ? "," : "", (long long)t->shape[d]);
    putchar(']');
  }
  for (int k = 0; o->longls && k < rec->nmeta; k++) {
    putchar('\t');
    put_escaped(stdout, rec->meta[k].key);
    putchar('=');
    put_escaped(stdout, rec->meta[k].value);
  }
  putchar('\n');
  return PLM_OK;
}

/* ----------------------------------------------------------------- select */

/* the ids of --id and --ids FILE (one a line; surrounding blanks, empty lines and #-lines ignored) */
static int
load_ids(const opts *o, plm_idmap **ret_ids, char *errbuf)
{
  plm_idmap *ids  = NULL;
  FILE      *fp   = NULL;
  char      *line = NULL;
  size_t     cap  = 0;
  ssize_t    n;
  int        status;

  *ret_ids = NULL;
  PLM_XCHECK(plm_idmap_Create(&ids, errbuf));
  for (int k = 0; k < o->nids; k++) PLM_XCHECK(plm_idmap_Put(ids, o->ids[k], 0, errbuf));
  if (o->idsfile) {
    if ((fp = fopen(o->idsfile, "r")) == NULL) PLM_XFAIL(PLM_EIO, errbuf, "%s: %s", o->idsfile, strerror(errno));
    while ((n = getline(&line, &cap, fp)) > 0) {
      char *s = line + strspn(line, " \t");
      while (n > 0 && strchr(" \t\r\n", line[n - 1])) line[--n] = '\0';
      if (*s && *s != '#') PLM_XCHECK(plm_idmap_Put(ids, s, 0, errbuf));
    }
    if (ferror(fp)) PLM_XFAIL(PLM_EIO, errbuf, "%s: read failed: %s", o->idsfile, strerror(errno));
    fclose(fp);
  }
  free(line);
  *ret_ids = ids;
  return PLM_OK;

ERROR:
  if (fp) fclose(fp);
  free(line);
  plm_idmap_Destroy(ids);
  return status;
}

/* apply --keep-tensor / --drop-tensor */
static void
filter_tensors(plm_record *rec, const char *keep, const char *drop)
{
  for (int k = rec->ntensors - 1; k >= 0; k--) {
    const char *name = rec->tensors[k]->name;
    if ((keep && !in_list(keep, name)) || (drop && in_list(drop, name))) plm_record_RemoveTensor(rec, name);
  }
}

static int
selected(const opts *o, const plm_idmap *ids, const input *in, const plm_record *rec)
{
  int64_t v;
  if (in->nall < o->from || (o->to && in->nall > o->to)) return 0;
  return plm_idmap_Count(ids) == 0 || plm_idmap_Get(ids, rec->id, &v) == PLM_OK;
}

/* select, and cat: select without filters */
static int
run_select(const opts *o, char *errbuf)
{
  plm_idmap        *ids = NULL, *found = NULL;
  plm_streamwriter *w   = NULL;
  plm_record       *rec = NULL;
  input             in;
  int64_t           nout = 0, v;
  int               status = PLM_OK;

  input_Init(&in, o->files, o->nfiles);
  PLM_XCHECK(load_ids(o, &ids, errbuf));
  PLM_XCHECK(plm_idmap_Create(&found, errbuf));
  PLM_XCHECK(plm_stream_OpenWrite(o->outdir ? o->outdir : "-", (int)o->zlevel, &w, errbuf));
  while ((o->first < 0 || nout < o->first) && (!o->to || in.nall < o->to)
         && (status = input_Next(&in, &rec, errbuf)) == PLM_OK) {
    if (selected(o, ids, &in, rec)) {
      if (plm_idmap_Count(ids)) PLM_XCHECK(plm_idmap_Put(found, rec->id, 1, errbuf));
      filter_tensors(rec, o->keep, o->drop);
      PLM_XCHECK(plm_stream_Write(w, rec, errbuf));
      nout++;
    }
    plm_record_Destroy(rec);
    rec = NULL;
  }
  if (status != PLM_OK && status != PLM_EOF) goto ERROR;
  int read_all = status == PLM_EOF;
  PLM_XCHECK(plm_stream_CloseWrite(w, errbuf));
  /* a requested id that matched nothing is usually a typo or the wrong file: say so */
  if (read_all && plm_idmap_Count(found) < plm_idmap_Count(ids)) {
    for (int k = 0; k < o->nids; k++)
      if (plm_idmap_Get(found, o->ids[k], &v) != PLM_OK)
        fprintf(stderr, "plmstream select: warning: --id %s matched no record\n", o->ids[k]);
    if (o->idsfile)
      fprintf(stderr, "plmstream select: warning: %lld of the %lld ids requested matched no record\n",
              (long long)(plm_idmap_Count(ids) - plm_idmap_Count(found)), (long long)plm_idmap_Count(ids));
  }
  input_Close(&in);
  plm_idmap_Destroy(ids);
  plm_idmap_Destroy(found);
  return PLM_OK;

ERROR:
  if (w) plm_stream_AbortWrite(w);
  plm_record_Destroy(rec);
  input_Close(&in);
  plm_idmap_Destroy(ids);
  plm_idmap_Destroy(found);
  return status;
}

/* -------------------------------------------------------------------- npy */

/* the first name in a comma-separated list that the record lacks, copied to name; 0 if none */
static int
missing_tensor(const plm_record *rec, const char *list, char name[PLM_MAXNAME + 1])
{
  for (const char *p = list; p; p = next_item(p)) {
    size_t n = strcspn(p, ",");
    snprintf(name, PLM_MAXNAME + 1, "%.*s", (int)(n < PLM_MAXNAME ? n : PLM_MAXNAME), p);
    if (!plm_record_GetTensor(rec, name)) return 1;
  }
  return 0;
}

static int
npy_record(const opts *o, const input *in, const plm_record *rec, plm_idmap *stems, char *errbuf)
{
  char *stem = sanitize(rec->id), *name = NULL, *path = NULL;
  char  want[PLM_MAXNAME + 1];
  int   status;

  if (!stem) return plm_Fail(errbuf, PLM_EMEM, "out of memory");
  PLM_XCHECK(claim_stem(stems, in, rec, stem, errbuf));
  if (o->tensor && missing_tensor(rec, o->tensor, want)) REC_XFAIL(in, rec, PLM_ENOTFOUND, "no tensor '%s'", want);
  for (int k = 0; k < rec->ntensors; k++) {
    const plm_tensor *t = rec->tensors[k];
    if (o->tensor && !in_list(o->tensor, t->name)) continue;
    if ((name = sanitize(t->name)) == NULL || asprintf(&path, "%s/%s.%s.npy", o->outdir, stem, name) < 0)
      PLM_XFAIL(PLM_EMEM, errbuf, "out of memory");
    PLM_XCHECK(plm_npy_Write(path, t, errbuf));
    free(name); name = NULL;
    free(path); path = NULL;
  }
  free(stem);
  return PLM_OK;

ERROR:
  free(stem);
  free(name);
  free(path);
  return status;
}

/* -------------------------------------------------------------------- tsv */

/* rows "ID i [j ...] value", the last index running fastest */
static void
tsv_long(const plm_record *rec, const plm_tensor *t)
{
  int64_t n = plm_tensor_Numel(t), idx[8] = { 0 };

  for (int64_t i = 0; i < n; i++) {
    put_escaped(stdout, rec->id);
    for (int d = 0; d < t->rank; d++) printf("\t%lld", (long long)idx[d]);
    putchar('\t');
    put_value(stdout, t, i);
    putchar('\n');
    for (int d = t->rank - 1; d >= 0 && ++idx[d] == t->shape[d]; d--) idx[d] = 0;
  }
}

/* "# ID", then the rows of a matrix: np.loadtxt reads it as is */
static void
tsv_matrix(const plm_record *rec, const plm_tensor *t)
{
  fputs("# ", stdout);
  put_escaped(stdout, rec->id);
  putchar('\n');
  for (int64_t i = 0; i < t->shape[0]; i++)
    for (int64_t j = 0; j < t->shape[1]; j++) {
      put_value(stdout, t, i * t->shape[1] + j);
      putchar(j + 1 < t->shape[1] ? '\t' : '\n');
    }
}

static int
tsv_record(const opts *o, const input *in, const plm_record *rec, plm_idmap *stems, char *errbuf)
{
  const plm_tensor *t = plm_record_GetTensor(rec, o->tensor);

  if (!t) return rec_fail(in, rec, errbuf, PLM_ENOTFOUND, "no tensor '%s'", o->tensor);
  if (o->matrix && t->rank != 2)
    return rec_fail(in, rec, errbuf, PLM_EINVAL, "--matrix needs a rank-2 tensor; '%s' has rank %d", t->name, t->rank);
  if (o->matrix) tsv_matrix(rec, t); else tsv_long(rec, t);
  return PLM_OK;
}

/* ------------------------------------------------------------------ merge */

/* B's tensors, metadata and aligned row into A, B's winning where names clash */
static int
merge_into(plm_record *a, plm_record *b, char *errbuf)
{
  int status;
  while (b->ntensors > 0)
    if ((status = plm_record_AddTensor(a, plm_record_TakeTensor(b, b->tensors[0]->name), errbuf)) != PLM_OK) return status;
  for (int k = 0; k < b->nmeta; k++)
    if ((status = plm_record_SetMeta(a, b->meta[k].key, b->meta[k].value, errbuf)) != PLM_OK) return status;
  return b->aligned && !a->aligned ? plm_record_SetAligned(a, b->aligned, errbuf) : PLM_OK;
}

/* both streams at the same record: same id and sequence, or both ended */
static int
merge_check(const input *ia, const plm_record *a, int sa, const input *ib, const plm_record *b, int sb, char *errbuf)
{
  if (sa == PLM_EOF && sb == PLM_EOF) return PLM_OK;
  if (sa == PLM_EOF) return rec_fail(ib, b, errbuf, PLM_EFORMAT, "%s ends before it (after %lld records)", plm_cli_InputName(ia->paths[0]), (long long)ia->nall);
  if (sb == PLM_EOF) return rec_fail(ia, a, errbuf, PLM_EFORMAT, "%s ends before it (after %lld records)", plm_cli_InputName(ib->paths[0]), (long long)ib->nall);
  if (strcmp(a->id, b->id) != 0)
    return rec_fail(ia, a, errbuf, PLM_EINVAL, "its id differs from %s: record %lld (\"%.120s\")", ib->name, (long long)ib->nfile, b->id);
  if (strcmp(a->seq, b->seq) != 0)
    return rec_fail(ia, a, errbuf, PLM_EINVAL, "its sequence differs from %s: record %lld (\"%.120s\")", ib->name, (long long)ib->nfile, b->id);
  return PLM_OK;
}

static int
run_merge(const opts *o, char *errbuf)
{
  plm_streamwriter *w = NULL;
  plm_record       *a = NULL, *b = NULL;
  input             ia, ib;
  int               sa, sb, status;

  input_Init(&ia, o->files, 1);
  input_Init(&ib, o->files + 1, 1);
  PLM_XCHECK(plm_stream_OpenWrite(o->outdir ? o->outdir : "-", (int)o->zlevel, &w, errbuf));
  for (;;) {
    if ((sa = input_Next(&ia, &a, errbuf)) != PLM_OK && sa != PLM_EOF) { status = sa; goto ERROR; }
    if ((sb = input_Next(&ib, &b, errbuf)) != PLM_OK && sb != PLM_EOF) { status = sb; goto ERROR; }
    PLM_XCHECK(merge_check(&ia, a, sa, &ib, b, sb, errbuf));
    if (sa == PLM_EOF) break;
    PLM_XCHECK(merge_into(a, b, errbuf));
    PLM_XCHECK(plm_stream_Write(w, a, errbuf));
    plm_record_Destroy(a); a = NULL;
    plm_record_Destroy(b); b = NULL;
  }
  PLM_XCHECK(plm_stream_CloseWrite(w, errbuf));
  input_Close(&ia);
  input_Close(&ib);
  return PLM_OK;

ERROR:
  if (w) plm_stream_AbortWrite(w);
  plm_record_Destroy(a);
  plm_record_Destroy(b);
  input_Close(&ia);
  input_Close(&ib);
  return status;
}

/* ---------------------------------------------------------------- unshard */

/* The inverse of seqread --shard K/N: shard k holds records k, k+N, k+2N, ..., so reading
 * one record from each shard in turn restores the input order exactly. In the round where
 * the first shard runs out, every later shard must have run out too. */
static int
run_unshard(const opts *o, char *errbuf)
{
  plm_streamwriter *w   = NULL;
  plm_record       *rec = NULL;
  input            *in  = NULL;
  int               n   = o->nfiles, status, ended = -1;

  if ((in = calloc((size_t)n, sizeof *in)) == NULL) return plm_Fail(errbuf, PLM_EMEM, "out of memory");
  for (int k = 0; k < n; k++) input_Init(&in[k], o->files + k, 1);
  PLM_XCHECK(plm_stream_OpenWrite(o->outdir ? o->outdir : "-", (int)o->zlevel, &w, errbuf));
  for (int64_t round = 0; ended < 0; round++)
    for (int k = 0; k < n; k++) {
      status = input_Next(&in[k], &rec, errbuf);
      if (status != PLM_OK && status != PLM_EOF) goto ERROR;
      if (status == PLM_EOF && ended < 0) { ended = k; continue; }
      if (status == PLM_EOF) continue;
      if (ended >= 0)
        REC_XFAIL(&in[k], rec, PLM_EINVAL, "shard %d has more records than shard %d (%s): not one seqread --shard K/%d dealing",
                  k + 1, ended + 1, o->files[ended], n);
      PLM_XCHECK(plm_stream_Write(w, rec, errbuf));
      plm_record_Destroy(rec); rec = NULL;
    }
  PLM_XCHECK(plm_stream_CloseWrite(w, errbuf));
  for (int k = 0; k < n; k++) input_Close(&in[k]);
  free(in);
  return PLM_OK;

ERROR:
  if (w) plm_stream_AbortWrite(w);
  plm_record_Destroy(rec);
  for (int k = 0; k < n; k++) input_Close(&in[k]);
  free(in);
  return status;
}

/* --------------------------------------------------------------------- rr */

/* one letter per residue as RR wants it: inline special tokens such as <mask> become X */
static int
rr_residues(const char *seq, char **ret_res, char *errbuf)
{
  int32_t *ids = NULL;
  char    *res;
  int      n, status;

  *ret_res = NULL;
  if ((status = plm_esm_Tokenize(seq, 0, 0, &ids, &n, errbuf)) != PLM_OK) return status;
  if ((res = malloc((size_t)n + 1)) == NULL) { free(ids); return plm_Fail(errbuf, PLM_EMEM, "out of memory"); }
  for (int i = 0; i < n; i++) {
    const char *tok = plm_esm_Token(ids[i]);
    res[i] = tok[1] == '\0' ? tok[0] : 'X';
  }
  res[n] = '\0';
  free(ids);
  *ret_res = res;
  return PLM_OK;
}

/* DIR/ID.rr, opened for writing */
static int
rr_open(const opts *o, plm_idmap *stems, const input *in, const plm_record *rec, FILE **ret_fp, char *errbuf)
{
  char *stem = sanitize(rec->id), *path = NULL;
  int   status;

  if (!stem || asprintf(&path, "%s/%s.rr", o->outdir, stem) < 0) { path = NULL; PLM_XFAIL(PLM_EMEM, errbuf, "out of memory"); }
  PLM_XCHECK(claim_stem(stems, in, rec, stem, errbuf));
  if ((*ret_fp = fopen(path, "w")) == NULL) PLM_XFAIL(PLM_EIO, errbuf, "%s: %s", path, strerror(errno));
  free(stem);
  free(path);
  return PLM_OK;

ERROR:
  free(stem);
  free(path);
  return status;
}

static int
rr_record(const opts *o, const input *in, const plm_record *rec, plm_idmap *stems, char *errbuf)
{
  const plm_tensor *t   = plm_record_GetTensor(rec, o->tensor);
  plm_tensor       *f   = NULL;
  char             *res = NULL;
  FILE             *fp  = stdout;
  int64_t           L, top;
  int               status, closed;

  if (!t) return rec_fail(in, rec, errbuf, PLM_ENOTFOUND, "no tensor '%s'", o->tensor);
  if (t->rank != 2 || t->shape[0] != t->shape[1])
    return rec_fail(in, rec, errbuf, PLM_EINVAL, "tensor '%s' is not a square matrix", t->name);
  L   = t->shape[0];
  top = o->topl >= 0 ? (int64_t)(o->topl * (double)L) : o->top;
  PLM_XCHECK(plm_tensor_ToF32(t, NULL, &f, errbuf));
  if ((status = rr_residues(rec->seq, &res, errbuf)) != PLM_OK) REC_XFAIL(in, rec, status, "%s", errbuf);
  if (o->outdir) PLM_XCHECK(rr_open(o, stems, in, rec, &fp, errbuf));
  if ((status = plm_rr_Write(fp, rec->id, res, f->data, L, o->minsep, top, errbuf)) != PLM_OK)
    REC_XFAIL(in, rec, status, "%s", errbuf);
  closed = fp == stdout || fclose(fp) == 0;
  fp     = stdout;
  if (!closed) REC_XFAIL(in, rec, PLM_EIO, "closing its .rr file: %s", strerror(errno));
  plm_tensor_Destroy(f);
  free(res);
  return PLM_OK;

ERROR:
  if (fp != stdout) fclose(fp);
  plm_tensor_Destroy(f);
  free(res);
  return status;
}

/* ------------------------------------------------------------------ fasta */

/* s in lines of width residues (0: one line); an inline <token> counts as one and is never split */
static void
put_wrapped(const char *s, int64_t width)
{
  int64_t col = 0;
  while (*s) {
    size_t n = 1;
    if (*s == '<' && strchr(s, '>')) n = (size_t)(strchr(s, '>') - s) + 1;
    if (width > 0 && col == width) { putchar('\n'); col = 0; }
    fwrite(s, 1, n, stdout);
    s += n;
    col++;
  }
  putchar('\n');
}

static int
fasta_record(const opts *o, const input *in, const plm_record *rec, plm_idmap *stems, char *errbuf)
{
  const char *desc = plm_record_GetMeta(rec, "description");
  printf(">%s%s%s\n", rec->id, desc ? " " : "", desc ? desc : "");
  put_wrapped(o->aligned && rec->aligned ? rec->aligned : rec->seq, o->width);
  return PLM_OK;
}

/* --------------------------------------------------------------- from-npy */

/* a stream holds no i64: token ids and the like come in as i32, if they fit */
static int
narrow_i64(plm_tensor **pt, const char *path, char *errbuf)
{
  plm_tensor *t = *pt, *n = NULL;
  int64_t     numel = plm_tensor_Numel(t);
  int         status;

  if (t->dtype != PLM_I64) return PLM_OK;
  PLM_XCHECK(plm_tensor_Create(t->name, PLM_I32, t->rank, t->shape, &n, errbuf));
  for (int64_t i = 0; i < numel; i++) {
    int64_t v = ((const int64_t *)t->data)[i];
    if (v < INT32_MIN || v > INT32_MAX) PLM_XFAIL(PLM_ELIMIT, errbuf, "%s: value %lld does not fit i32", path, (long long)v);
    ((int32_t *)n->data)[i] = (int32_t)v;
  }
  plm_tensor_Destroy(t);
  *pt = n;
  return PLM_OK;

ERROR:
  plm_tensor_Destroy(n);
  return status;
}

/* NAME=FILE.npy -> a tensor named NAME */
static int
tensor_from_arg(const char *arg, plm_tensor **ret_t, char *errbuf)
{
  const char *eq = strchr(arg, '=');
  char        name[PLM_MAXNAME + 1];
  int         status;

  *ret_t = NULL;
  if (!eq || eq == arg || eq - arg > PLM_MAXNAME)
    return plm_Fail(errbuf, PLM_EINVAL, "'%s' is not NAME=FILE.npy (NAME of 1 to %d bytes)", arg, PLM_MAXNAME);
  snprintf(name, sizeof name, "%.*s", (int)(eq - arg), arg);
  if ((status = plm_npy_Read(eq + 1, name, ret_t, errbuf)) != PLM_OK) return status;
  if ((*ret_t)->rank > PLM_MAXRANK) {
    status = plm_Fail(errbuf, PLM_EUNSUP, "%s: rank %d; a stream tensor has at most %d dimensions", eq + 1, (*ret_t)->rank, PLM_MAXRANK);
    plm_tensor_Destroy(*ret_t);
    *ret_t = NULL;
    return status;
  }
  return narrow_i64(ret_t, eq + 1, errbuf);
}

static int
run_from_npy(const opts *o, char *errbuf)
{
  plm_streamwriter *w   = NULL;
  plm_record       *rec = NULL;
  plm_tensor       *t   = NULL;
  int               status;

  PLM_XCHECK(plm_record_Create(o->ids[0], o->seq, &rec, errbuf));
  for (int k = 0; k < o->nfiles; k++) {
    PLM_XCHECK(tensor_from_arg(o->files[k], &t, errbuf));
    if (plm_record_GetTensor(rec, t->name)) PLM_XFAIL(PLM_EINVAL, errbuf, "tensor '%s' given twice", t->name);
    status = plm_record_AddTensor(rec, t, errbuf);
    t = NULL;
    if (status != PLM_OK) goto ERROR;
  }
  PLM_XCHECK(plm_stream_OpenWrite(o->outdir ? o->outdir : "-", (int)o->zlevel, &w, errbuf));
  PLM_XCHECK(plm_stream_Write(w, rec, errbuf));
  PLM_XCHECK(plm_stream_CloseWrite(w, errbuf));
  plm_record_Destroy(rec);
  return PLM_OK;

ERROR:
  if (w) plm_stream_AbortWrite(w);
  plm_tensor_Destroy(t);
  plm_record_Destroy(rec);
  return status;
}

/* ----------------------------------------------------------------- repair */

/* the intact records of a stream a killed producer cut, closed with an end frame (stream.h:
 * plm_stream_Salvage, which attn --resume uses too) */
static int
run_repair(const opts *o, char *errbuf)
{
  plm_streamwriter *w = NULL;
  char              cause[PLM_ERRBUFSIZE];
  long long         kept;
  int               whole, status;

  const char       *path = o->nfiles ? o->files[0] : "-", *name = plm_cli_InputName(path);

  PLM_XCHECK(plm_stream_OpenWrite(o->outdir ? o->outdir : "-", (int)o->zlevel, &w, errbuf));
  PLM_XCHECK(plm_stream_Salvage(path, w, NULL, NULL, &kept, &whole, cause, errbuf));
  PLM_XCHECK(plm_stream_CloseWrite(w, errbuf));
  if (whole) fprintf(stderr, "%s repair: %s is intact: kept all %lld records\n", TOOL, name, kept);
  else       fprintf(stderr, "%s repair: kept %lld intact record%s of %s; dropped the rest (%s)\n", TOOL, kept,
                     kept == 1 ? "" : "s", name, cause);
  return PLM_OK;

ERROR:
  if (w) plm_stream_AbortWrite(w);
  return status;
}

/* --------------------------------------------------------- command table */

typedef struct {
  const char *name;
  const char *options;    /* the long names of the options it takes, comma-separated */
  int         minfiles, maxfiles;
  int       (*run)(const opts *, char *);   /* commands that write a stream */
  record_fn   each;                         /* the others: what to do with each record */
  const char *usage;
} command;

static const command commands[] = {
  { "ls", "long", 0, -1, NULL, ls_record,
    "Usage: plmstream ls [-l] [FILE...]\n"
    "One TSV line per record: index (from 1), id, residues, then NAME:DTYPE[SHAPE] per tensor.\n"
    "  -l, --long          also the metadata, as KEY=VALUE columns\n" },
  { "select", "id,ids,first,index,keep-tensor,drop-tensor,compress,output", 0, -1, run_select, NULL,
    "Usage: plmstream select [options] [FILE...] > out.tsr\n"
    "Keep the records that pass every filter given; write them as a stream.\n"
    "      --id ID         keep this id (repeatable)\n"
    "      --ids FILE      keep the ids listed in FILE, one a line\n"
    "      --index N[-M]   keep input records N to M (from 1; 'N-' to the end)\n"
    "      --first N       stop after writing N records\n"
    "      --keep-tensor NAME,...   keep only these tensors\n"
    "      --drop-tensor NAME,...   remove these tensors\n"
    "  -o, --output FILE     write the stream to FILE (default: stdout, never a terminal)\n"
    "  -z, --compress N      zlib level of the output, 0 (stored, default) to 9\n" },
  { "npy", "output,tensor", 0, -1, NULL, npy_record,
    "Usage: plmstream npy -o DIR [--tensor NAME,...] [FILE...]\n"
    "Write each tensor of each record to DIR/ID.NAME.npy (DIR is made if missing).\n"
    "Bytes of ID and NAME outside [A-Za-z0-9._+-], and a leading '.', become '_'.\n"
    "  -o, --output DIR    the directory (required)\n"
    "  -t, --tensor LIST   only these tensors; a record lacking one is an error\n" },
  { "tsv", "tensor,matrix", 0, -1, NULL, tsv_record,
    "Usage: plmstream tsv --tensor NAME [--matrix] [FILE...]\n"
    "Print one tensor of each record as TSV: ID, the 0-based indices, the value\n"
    "(floats with %.9g: the exact value). The last index runs fastest.\n"
    "  -t, --tensor NAME   the tensor (required)\n"
    "      --matrix        rank 2 only: a line '# ID', then the matrix rows\n" },
  { "cat", "compress,output", 0, -1, run_select, NULL,
    "Usage: plmstream cat [-z N] [FILE...] > out.tsr\n"
    "Concatenate streams into one, checking every record and framing it anew.\n"
    "  -o, --output FILE     write the stream to FILE (default: stdout, never a terminal)\n"
    "  -z, --compress N      zlib level of the output, 0 (stored, default) to 9\n" },
  { "repair", "compress,output", 0, 1, run_repair, NULL,
    "Usage: plmstream repair [-z N] [-o FIXED.tsr] [CUT.tsr] > FIXED.tsr\n"
    "Keep the intact records of a cut or damaged stream (a killed run's output) and\n"
    "close the copy properly; say on stderr how many records were kept and why the\n"
    "rest was dropped. An intact stream is copied whole.\n"
    "  -o, --output FILE     write the stream to FILE (default: stdout, never a terminal)\n"
    "  -z, --compress N      zlib level of the output, 0 (stored, default) to 9\n" },
  { "unshard", "compress,output", 1, -1, run_unshard, NULL,
    "Usage: plmstream unshard [-z N] SHARD1 ... SHARDN > out.tsr\n"
    "Put the outputs of N shards made by seqread --shard 1/N ... N/N back into the\n"
    "input order: record 1 of each shard in turn, then record 2, and so on. The result\n"
    "equals one unsharded run record for record.\n"
    "  -o, --output FILE     write the stream to FILE (default: stdout, never a terminal)\n"
    "  -z, --compress N      zlib level of the output, 0 (stored, default) to 9\n" },
  { "merge", "compress,output", 2, 2, run_merge, NULL,
    "Usage: plmstream merge [-z N] A B > out.tsr\n"
    "Add the tensors, metadata (and aligned row, if A lacks one) of each record of B\n"
    "to the record of A at the same position; B's win where names clash. The two\n"
    "records must have the same id and sequence, and the streams the same length.\n"
    "  -o, --output FILE     write the stream to FILE (default: stdout, never a terminal)\n"
    "  -z, --compress N      zlib level of the output, 0 (stored, default) to 9\n" },
  { "rr", "tensor,min-sep,top,top-l,output", 0, -1, NULL, rr_record,
    "Usage: plmstream rr [-t contacts] [-s 6] [--top N | --top-l F] [-o DIR] [FILE...]\n"
    "Print a square tensor as CASP RR: pairs i < j (from 1), j - i >= min-sep,\n"
    "highest score first, lines 'i j 0 8 p'.\n"
    "  -t, --tensor NAME   the contact map (default contacts)\n"
    "      --min-sep N     least sequence separation (default 6, as potts --rr)\n"
    "      --top N         only the N best pairs (default: all)\n"
    "      --top-l F       only the floor(F x L) best pairs\n"
    "  -o, --output DIR    one file DIR/ID.rr per record, not stdout\n" },
  { "fasta", "aligned,width", 0, -1, NULL, fasta_record,
    "Usage: plmstream fasta [--aligned] [-w N] [FILE...]\n"
    "Print records as FASTA; inline tokens such as <mask> are kept and never split.\n"
    "      --aligned       the aligned row, where the record has one\n"
    "      --width N       residues per line (default 60; 0: one line)\n" },
  { "from-npy", "id,seq,compress,output", 1, -1, run_from_npy, NULL,
    "Usage: plmstream from-npy --id ID --seq SEQ NAME=FILE.npy... > out.tsr\n"
    "Make a one-record stream of .npy files (i64 becomes i32, f64 becomes f32).\n"
    "      --id ID         the record id (required)\n"
    "      --seq SEQ       the sequence (required)\n"
    "  -o, --output FILE     write the stream to FILE (default: stdout, never a terminal)\n"
    "  -z, --compress N      zlib level of the output, 0 (stored, default) to 9\n" },
};
#define NCOMMANDS (int)(sizeof commands / sizeof commands[0])

/* options with a short form use its letter; the others, codes from 256 */
enum { OPT_ID = 256, OPT_IDS, OPT_FIRST, OPT_INDEX, OPT_KEEP, OPT_DROP, OPT_TOP, OPT_TOPL, OPT_SEQ };
static const char short_opts[] = ":lz:o:t:";
static const struct option long_opts[] = {
  { "id",          required_argument, 0, OPT_ID },    { "ids",         required_argument, 0, OPT_IDS },
  { "first",       required_argument, 0, OPT_FIRST }, { "index",       required_argument, 0, OPT_INDEX },
  { "keep-tensor", required_argument, 0, OPT_KEEP },  { "drop-tensor", required_argument, 0, OPT_DROP },
  { "top",         required_argument, 0, OPT_TOP },   { "top-l",       required_argument, 0, OPT_TOPL },
  { "seq",         required_argument, 0, OPT_SEQ },   { "long",        no_argument,       0, 'l' },
  { "compress",      required_argument, 0, 'z' },       { "output",      required_argument, 0, 'o' },
  { "tensor",      required_argument, 0, 't' },       { "matrix",      no_argument,       0, 'm' },
  { "min-sep",     required_argument, 0, 's' },       { "aligned",     no_argument,       0, 'a' },
  { "width",       required_argument, 0, 'w' },
  { 0, 0, 0, 0 }
};

static const char *
option_name(int c)
{
  for (const struct option *lo = long_opts; lo->name; lo++) if (lo->val == c) return lo->name;
  return "?";
}

static int
parse_int(const char *s, const char *what, int64_t lo, int64_t hi, int64_t *ret_v, char *errbuf)
{
  char     *end;
  long long v;
  errno = 0;
  v = strtoll(s, &end, 10);
  if (errno || end == s || *end || v < lo || v > hi)
    return plm_Fail(errbuf, PLM_EINVAL, "%s '%s' is not an integer in %lld..%lld", what, s, (long long)lo, (long long)hi);
  *ret_v = v;
  return PLM_OK;
}

/* --index N, N-M or N- */
static int
parse_range(const char *s, opts *o, char *errbuf)
{
  char buf[64];
  const char *dash = strchr(s, '-');
  int  status;

  snprintf(buf, sizeof buf, "%.*s", dash ? (int)(dash - s) : (int)strlen(s), s);
  if ((status = parse_int(buf, "--index start", 1, INT64_MAX, &o->from, errbuf)) != PLM_OK) return status;
  if (!dash)         o->to = o->from;
  else if (dash[1])  status = parse_int(dash + 1, "--index end", o->from, INT64_MAX, &o->to, errbuf);
  return status;
}

static int
parse_option(int c, const char *arg, opts *o, char *errbuf)
{
  char *end;
  switch (c) {
  case OPT_ID:    o->ids[o->nids++] = arg; return PLM_OK;
  case OPT_IDS:   o->idsfile = arg;        return PLM_OK;
  case OPT_FIRST: return parse_int(arg, "--first", 0, INT64_MAX, &o->first, errbuf);
  case OPT_INDEX: return parse_range(arg, o, errbuf);
  case OPT_KEEP:  o->keep = arg;           return PLM_OK;
  case OPT_DROP:  o->drop = arg;           return PLM_OK;
  case OPT_SEQ:   o->seq  = arg;           return PLM_OK;
  case OPT_TOP:   return parse_int(arg, "--top", 0, INT64_MAX, &o->top, errbuf);
  case 't': o->tensor = arg;          return PLM_OK;
  case 'm': o->matrix = 1;            return PLM_OK;
  case 'a': o->aligned = 1;           return PLM_OK;
  case 'l': o->longls = 1;            return PLM_OK;
  case 'o': o->outdir = arg;          return PLM_OK;
  case 's': return parse_int(arg, "--min-sep", 1, INT64_MAX, &o->minsep, errbuf);
  case 'w': return parse_int(arg, "--width", 0, INT64_MAX, &o->width, errbuf);
  case 'z': return parse_int(arg, "--compress", 0, 9, &o->zlevel, errbuf);
  case OPT_TOPL:
    o->topl = strtod(arg, &end);
    if (end == arg || *end || !(o->topl >= 0 && o->topl < 1e6)) return plm_Fail(errbuf, PLM_EINVAL, "--top-l '%s' is not a number >= 0", arg);
    return PLM_OK;
  }
  return plm_Fail(errbuf, PLM_EINVAL, "unknown option");
}

/* what each command requires beyond its options' own syntax */
static int
check_opts(const command *cmd, opts *o, char *errbuf)
{
  const char *c = cmd->name;
  if (o->nfiles < cmd->minfiles || (cmd->maxfiles >= 0 && o->nfiles > cmd->maxfiles))
    return plm_Fail(errbuf, PLM_EINVAL, "%s takes %s", c, cmd->maxfiles == 2 ? "two streams, A and B"
                    : !strcmp(c, "unshard") ? "the shards' streams as files"
                    : !strcmp(c, "repair") ? "one stream (a file, or stdin)" : "NAME=FILE.npy arguments");
  if (!strcmp(c, "select") && o->keep && o->drop) return plm_Fail(errbuf, PLM_EINVAL, "give --keep-tensor or --drop-tensor, not both");
  if (!strcmp(c, "npy") && !o->outdir)            return plm_Fail(errbuf, PLM_EINVAL, "npy needs -o DIR");
  if (!strcmp(c, "tsv") && !o->tensor)            return plm_Fail(errbuf, PLM_EINVAL, "tsv needs --tensor NAME");
  if (!strcmp(c, "rr") && o->top >= 0 && o->topl >= 0) return plm_Fail(errbuf, PLM_EINVAL, "give --top or --top-l, not both");
  if (!strcmp(c, "from-npy") && (o->nids != 1 || !o->seq)) return plm_Fail(errbuf, PLM_EINVAL, "from-npy needs one --id and a --seq");
  if (!strcmp(c, "rr") && !o->tensor) o->tensor = "contacts";
  return PLM_OK;
}

static int
parse_args(const command *cmd, int argc, char **argv, opts *o, char *errbuf)
{
  int c, status;

  memset(o, 0, sizeof *o);
  o->first  = -1;
  o->top    = -1;
  o->topl   = -1;
  o->minsep = PLM_RR_MINSEP;
  o->width  = 60;
  if ((o->ids = calloc((size_t)argc, sizeof *o->ids)) == NULL) return plm_Fail(errbuf, PLM_EMEM, "out of memory");
  optind = 1;
  opterr = 0;
  while ((c = getopt_long(argc, argv, short_opts, long_opts, NULL)) != -1) {
    if (c == '?') return plm_Fail(errbuf, PLM_EINVAL, "unknown option '%s'", argv[optind - 1]);
    if (c == ':') return plm_Fail(errbuf, PLM_EINVAL, "option '%s' needs a value", argv[optind - 1]);
    if (!in_list(cmd->options, option_name(c)))
      return plm_Fail(errbuf, PLM_EINVAL, "option --%s does not apply to %s", option_name(c), cmd->name);
    if ((status = parse_option(c, optarg, o, errbuf)) != PLM_OK) return status;
  }
  o->files  = argv + optind;
  o->nfiles = argc - optind;
  return check_opts(cmd, o, errbuf);
}

static void
print_commands(FILE *fp)
{
  fputs("Usage: plmstream CMD [options] [FILE...]   (stdin when no FILE)\n"
        "       plmstream CMD --help | plmstream -V, --version\n"
        "Commands: " COMMANDS "\n", fp);
}

/* --help anywhere before "--" */
static int
wants_help(int argc, char **argv)
{
  for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
    if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) return 1;
  return 0;
}

int
main(int argc, char **argv)
{
  char           errbuf[PLM_ERRBUFSIZE], who[64];
  const command *cmd = NULL;
  opts           o;

  plm_cli_Init();
  if (argc < 2) plm_cli_Usage(TOOL, "no command given (" COMMANDS ")");
  if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V")) plm_cli_Version(TOOL);
  if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) { print_commands(stdout); return 0; }
  for (int k = 0; k < NCOMMANDS; k++) if (!strcmp(argv[1], commands[k].name)) cmd = &commands[k];
  if (!cmd) plm_cli_Usage(TOOL, "unknown command '%s' (" COMMANDS ")", argv[1]);

  snprintf(who, sizeof who, "%s %s", TOOL, cmd->name);
  if (wants_help(argc - 1, argv + 1)) { fputs(cmd->usage, stdout); return 0; }
  if (parse_args(cmd, argc - 1, argv + 1, &o, errbuf) != PLM_OK) plm_cli_Usage(who, "%s", errbuf);
  if ((cmd->run ? cmd->run(&o, errbuf) : each_record(&o, cmd->each, errbuf)) != PLM_OK) plm_cli_Die(TOOL, "%s", errbuf);
  free(o.ids);
  return 0;
}
