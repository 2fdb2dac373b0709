/* resume.c: keep the whole units of a cut output and go on (resume.h).
 *
 *   create(), keep_key(), destroy()      the kept units' keys
 *   salvage_stream(), salvage_text()     the whole units of FILE -> FILE.resume
 *   plm_resume_Open*(), _Skip(), _Finish(), _Abort(), _Replace()
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "error.h"
#include "resume.h"

static int
create(const char *tool, const char *path, int resume, plm_resume **ret_rs, char *errbuf)
{
  plm_resume *rs = calloc(1, sizeof *rs);
  int         status;

  *ret_rs = NULL;
  if (!rs) return plm_Fail(errbuf, PLM_EMEM, "out of memory");
  rs->tool = tool;
  if (path && strcmp(path, "-") != 0) {
    if (!(rs->path = strdup(path))) PLM_XFAIL(PLM_EMEM, errbuf, "out of memory");
    if (resume && access(path, F_OK) == 0) {
      if (!(rs->tmp = malloc(strlen(path) + 8))) PLM_XFAIL(PLM_EMEM, errbuf, "out of memory");
      sprintf(rs->tmp, "%s.resume", path);
    }
  } else if (resume) PLM_XFAIL(PLM_EINVAL, errbuf, "--resume needs -o FILE, the output a cut run left");
  *ret_rs = rs;
  return PLM_OK;

ERROR:
  free(rs->path);
  free(rs);
  return status;
}

static void
destroy(plm_resume *rs)
{
  if (!rs) return;
  for (long long i = 0; i < rs->nkeys; i++) free(rs->key[i]);
  free(rs->key);
  free(rs->path);
  free(rs->tmp);
  free(rs);
}

static int
keep_key(plm_resume *rs, const char *key, size_t n, char *errbuf)
{
  if (rs->nkeys == rs->cap) {
    long long cap = rs->cap ? 2 * rs->cap : 1024;
    char    **p = realloc(rs->key, sizeof *p * (size_t)cap);
    if (!p) return plm_Fail(errbuf, PLM_EMEM, "out of memory");
    rs->key = p; rs->cap = cap;
  }
  if ((rs->key[rs->nkeys] = strndup(key, n)) == NULL) return plm_Fail(errbuf, PLM_EMEM, "out of memory");
  rs->nkeys++;
  return PLM_OK;
}

/* the whole units of the stream at rs->path onto w; a unit's records wait in unit[] until its end */
static int
salvage_stream(plm_resume *rs, plm_streamwriter *w, plm_resume_unitend_f unit_end, void *arg, char *errbuf)
{
  plm_streamreader *r;
  plm_record      **unit = NULL, *rec;
  int               n = 0, cap = 0, status;
  char              why[PLM_ERRBUFSIZE];
  struct stat       st;

  if (plm_stream_OpenRead(rs->path, &r, why) != PLM_OK) {
    /* a file cut inside its 16-byte header holds nothing to keep; anything else is not a stream */
    if (stat(rs->path, &st) == 0 && st.st_size < 16) return PLM_OK;
    return plm_Fail(errbuf, PLM_EFORMAT, "--resume: %s", why);
  }
  while ((status = plm_stream_Read(r, &rec, why)) == PLM_OK) {
    if (n == cap) {
      plm_record **p = realloc(unit, sizeof *p * (size_t)(cap = cap ? 2 * cap : 16));
      if (!p) { plm_record_Destroy(rec); PLM_XFAIL(PLM_EMEM, errbuf, "out of memory"); }
      unit = p;
    }
    unit[n++] = rec;
    if (unit_end && !unit_end(rec, arg)) continue;
    PLM_XCHECK(keep_key(rs, unit[0]->id, strlen(unit[0]->id), errbuf));
    for (int i = 0; i < n; i++) {
      if (status == PLM_OK) status = plm_stream_Write(w, unit[i], errbuf);
      plm_record_Destroy(unit[i]);
    }
    n = 0;
    if (status != PLM_OK) goto ERROR;
  }
  rs->whole = status == PLM_EOF && n == 0;
  status = PLM_OK;                        /* damage after the prefix is what this is for */

ERROR:
  for (int i = 0; i < n; i++) plm_record_Destroy(unit[i]);
  free(unit);
  plm_stream_CloseRead(r);
  return status;
}

/* the whole units (lines_per_unit complete lines each) of the text at rs->path onto fp; a unit's
 * key is its first line without a leading '>' */
static int
salvage_text(plm_resume *rs, FILE *fp, long long lines_per_unit, char *errbuf)
{
  FILE     *in = fopen(rs->path, "r");
  char     *line = NULL, *unit = NULL;
  size_t    lcap = 0, ulen = 0, ucap = 0, klen = 0;
  ssize_t   n;
  long long k = 0;
  int       status = PLM_OK;

  if (!in) return plm_Fail(errbuf, PLM_EIO, "--resume: %s: %s", rs->path, strerror(errno));
  while ((n = getline(&line, &lcap, in)) > 0 && line[n - 1] == '\n') {
    if (ulen + (size_t)n > ucap) {
      char *p = realloc(unit, ucap = 2 * (ulen + (size_t)n));
      if (!p) PLM_XFAIL(PLM_EMEM, errbuf, "out of memory");
      unit = p;
    }
    if (k == 0) klen = (size_t)n - 1;
    memcpy(unit + ulen, line, (size_t)n);
    ulen += (size_t)n;
    if (++k < lines_per_unit) continue;
    PLM_XCHECK(keep_key(rs, unit + (unit[0] == '>'), klen - (unit[0] == '>'), errbuf));
    if (fwrite(unit, 1, ulen, fp) != ulen || fflush(fp) != 0) PLM_XFAIL(PLM_EIO, errbuf, "%s: write failed: %s", rs->tmp, strerror(errno));
    ulen = 0;
    k = 0;
  }
  if (ferror(in)) PLM_XFAIL(PLM_EIO, errbuf, "%s: read failed", rs->path);
  /* rs->whole stays 0: a text has no end mark, so a cut between units looks like a whole one */

ERROR:
  free(line);
  free(unit);
  fclose(in);
  return status;
}

static void
note(const plm_resume *rs, const char *unit)
{
  fprintf(stderr, "%s: resuming %s: %lld intact %s kept%s\n", rs->tool, rs->path, rs->nkeys, unit,
          rs->whole ? " (it was complete)" : "");
}

int
plm_resume_OpenStream(const char *tool, const char *path, int zlevel, int resume, plm_resume_unitend_f unit_end,
                      void *arg, plm_resume **ret_rs, plm_streamwriter **ret_w, char *errbuf)
{
  plm_resume *rs = NULL;
  int         status;

  *ret_w = NULL;
  PLM_XCHECK(create(tool, path, resume, &rs, errbuf));
  PLM_XCHECK(plm_stream_OpenWrite(rs->tmp ? rs->tmp : rs->path ? rs->path : "-", zlevel, ret_w, errbuf));
  if (rs->tmp) {
    PLM_XCHECK(salvage_stream(rs, *ret_w, unit_end, arg, errbuf));
    note(rs, unit_end ? "units" : "records");
  }
  *ret_rs = rs;
  return PLM_OK;

ERROR:
  if (*ret_w) plm_stream_AbortWrite(*ret_w);
  *ret_w = NULL;
  plm_resume_Abort(rs);
  *ret_rs = NULL;
  return status;
}

int
plm_resume_OpenText(const char *tool, const char *path, int resume, long long lines_per_unit,
                    plm_resume **ret_rs, FILE **ret_fp, char *errbuf)
{
  plm_resume *rs = NULL;
  const char *out;
  int         status;

  *ret_fp = NULL;
  PLM_XCHECK(create(tool, path, resume, &rs, errbuf));
  out = rs->tmp ? rs->tmp : rs->path;
  if (!out) *ret_fp = stdout;
  else if (!(*ret_fp = fopen(out, "w"))) PLM_XFAIL(PLM_EIO, errbuf, "%s: %s", out, strerror(errno));
  if (rs->tmp) {
    PLM_XCHECK(salvage_text(rs, *ret_fp, lines_per_unit, errbuf));
    note(rs, "units");
  }
  *ret_rs = rs;
  return PLM_OK;

ERROR:
  if (*ret_fp && *ret_fp != stdout) fclose(*ret_fp);
  *ret_fp = NULL;
  plm_resume_Abort(rs);
  *ret_rs = NULL;
  return status;
}

int
plm_resume_Replace(const char *tmp, const char *path, char *errbuf)
{
  int fd = open(tmp, O_RDONLY);
  if (fd < 0 || fsync(fd) != 0) {               /* the data on disk before the name points at it */
    if (fd >= 0) close(fd);
    return plm_Fail(errbuf, PLM_EIO, "%s: %s", tmp, strerror(errno));
  }
  close(fd);
  if (rename(tmp, path) != 0) return plm_Fail(errbuf, PLM_EIO, "%s -> %s: %s", tmp, path, strerror(errno));
  return PLM_OK;
}

/* FILE.resume becomes FILE (the writer, open on it, goes on appending) */
static int
replace(plm_resume *rs, char *errbuf)
{
  int status;
  if (!rs->tmp) return PLM_OK;
  status = plm_resume_Replace(rs->tmp, rs->path, errbuf);
  free(rs->tmp);
  rs->tmp = NULL;
  return status;
}

int
plm_resume_Skip(plm_resume *rs, const char *input, long long item, const char *key, int *ret_skip, char *errbuf)
{
  *ret_skip = 0;
  if (rs->next < rs->nkeys) {
    if (strcmp(key, rs->key[rs->next]) != 0)
      return plm_Fail(errbuf, PLM_EINVAL, "--resume: %.200s: record %lld is \"%.60s\", but unit %lld of %.200s is \"%.60s\": not the same input",
                      input, item, key, rs->next + 1, rs->path, rs->key[rs->next]);
    rs->next++;
    *ret_skip = 1;
    return PLM_OK;
  }
  return replace(rs, errbuf);                /* the first new unit: from now on FILE grows */
}

int
plm_resume_Finish(plm_resume *rs, char *errbuf)
{
  int status = PLM_OK;
  if (!rs) return PLM_OK;
  if (rs->next < rs->nkeys) {
    status = plm_Fail(errbuf, PLM_EINVAL, "--resume: %s holds %lld units, the input only %lld: not the same input",
                      rs->path, rs->nkeys, rs->next);
    plm_resume_Abort(rs);
    return status;
  }
  status = replace(rs, errbuf);
  destroy(rs);
  return status;
}

void
plm_resume_Abort(plm_resume *rs)
{
  if (!rs) return;
  if (rs->tmp) unlink(rs->tmp);
  destroy(rs);
}
