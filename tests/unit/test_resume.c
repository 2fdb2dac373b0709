/* test_resume.c: libcore/app/resume.h on outputs cut at every byte.
 *
 * A stream of 3 units of 2 records ("u0" "u0b", ...) and a text of 3 units of 4 lines are cut
 * at every byte; each cut is resumed and the rest written as a tool would: the result must be
 * the whole output, byte for byte, and the units kept must be exactly the whole ones before the
 * cut. Also: a key that does not match is refused and leaves FILE as it was; an input shorter
 * than the kept units is refused; no FILE is a fresh start; no -o with --resume is an error.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "error.h"
#include "record.h"
#include "resume.h"
#include "stream.h"
#include "test.h"

#define NUNIT 3

static char dir[] = "/tmp/test_resume.XXXXXX";

static int
second_record(const plm_record *rec, void *arg)
{
  (void)arg;
  return strchr(rec->id, 'b') != NULL;
}

/* unit k's records onto w */
static int
write_unit(plm_streamwriter *w, int k, char *errbuf)
{
  char        id[8];
  plm_record *rec;
  int         status = PLM_OK;
  for (int r = 0; r < 2 && status == PLM_OK; r++) {
    snprintf(id, sizeof id, "u%d%s", k, r ? "b" : "");
    if ((status = plm_record_Create(id, r ? "ACDEFGHIK" : "MKV", &rec, errbuf)) != PLM_OK) return status;
    status = plm_stream_Write(w, rec, errbuf);
    plm_record_Destroy(rec);
  }
  return status;
}

static long
file_bytes(const char *path, char **ret)
{
  FILE *fp = fopen(path, "rb");
  long  n;
  if (!fp) { *ret = NULL; return -1; }
  fseek(fp, 0, SEEK_END); n = ftell(fp); rewind(fp);
  *ret = malloc((size_t)n + 1);
  if (fread(*ret, 1, (size_t)n, fp) != (size_t)n) n = -1;
  fclose(fp);
  return n;
}

static void
put_bytes(const char *path, const char *b, long n)
{
  FILE *fp = fopen(path, "wb");
  fwrite(b, 1, (size_t)n, fp);
  fclose(fp);
}

/* the whole run, resumed from FILE when resume: 0 ok, else the failing step */
static int
run_stream(const char *path, int resume, long long *ret_kept)
{
  char              eb[PLM_ERRBUFSIZE], key[8];
  plm_resume       *rs;
  plm_streamwriter *w;
  int               skip;

  if (plm_resume_OpenStream("test", path, 0, resume, second_record, NULL, &rs, &w, eb) != PLM_OK) return 1;
  *ret_kept = rs->nkeys;
  for (int k = 0; k < NUNIT; k++) {
    snprintf(key, sizeof key, "u%d", k);
    if (plm_resume_Skip(rs, "input", k + 1, key, &skip, eb) != PLM_OK) return 2;
    if (!skip && write_unit(w, k, eb) != PLM_OK) return 3;
  }
  if (plm_resume_Finish(rs, eb) != PLM_OK) return 4;
  return plm_stream_CloseWrite(w, eb) == PLM_OK ? 0 : 5;
}

static int
run_text(const char *path, int resume, long long *ret_kept)
{
  char        eb[PLM_ERRBUFSIZE], key[8];
  plm_resume *rs;
  FILE       *fp;
  int         skip;

  if (plm_resume_OpenText("test", path, resume, 4, &rs, &fp, eb) != PLM_OK) return 1;
  *ret_kept = rs->nkeys;
  for (int k = 0; k < NUNIT; k++) {
    snprintf(key, sizeof key, "t%d", k);
    if (plm_resume_Skip(rs, "input", k + 1, key, &skip, eb) != PLM_OK) return 2;
    if (!skip) fprintf(fp, ">t%d\nAC\n>t%d_x\nGH\n", k, k);
  }
  if (plm_resume_Finish(rs, eb) != PLM_OK) return 4;
  return fclose(fp) == 0 ? 0 : 5;
}

/* every cut of the whole output at path, resumed: bytes and kept units right */
static void
every_cut(const char *what, const char *path, int (*run)(const char *, int, long long *), const long *unit_end)
{
  char     *whole, *got;
  long      n = file_bytes(path, &whole), bad_bytes = 0, bad_kept = 0, m;
  long long kept;

  for (long cut = 0; cut <= n; cut++) {
    long long want = 0;
    put_bytes(path, whole, cut);
    if (run(path, 1, &kept) != 0) { bad_bytes++; continue; }
    m = file_bytes(path, &got);
    if (m != n || memcmp(got, whole, (size_t)n)) bad_bytes++;
    free(got);
    for (int k = 0; k < NUNIT; k++) want += unit_end[k] <= cut;
    if (kept != want) bad_kept++;
  }
  TEST(bad_bytes == 0, "%s: each of the %ld cuts resumed gives the whole output (%ld differ)", what, n + 1, bad_bytes);
  TEST(bad_kept == 0, "%s: a cut keeps exactly the whole units before it (%ld cuts wrong)", what, bad_kept);
  put_bytes(path, whole, n);
  free(whole);
}

int
main(void)
{
  char              path[256], tpath[256], eb[PLM_ERRBUFSIZE], *whole, *got;
  long              ends[NUNIT], n, m;
  long long         kept;
  plm_resume       *rs;
  plm_streamwriter *w;
  int               skip;

  if (!mkdtemp(dir)) { TEST(0, "mkdtemp"); return test_done(); }
  if (!freopen("/dev/null", "w", stderr)) return 1;     /* one "resuming" note per cut: hundreds */
  snprintf(path, sizeof path, "%s/out.tsr", dir);
  snprintf(tpath, sizeof tpath, "%s/out.a3m", dir);

  /* the whole stream, and where each unit ends in it */
  TEST(run_stream(path, 0, &kept) == 0, "a stream of %d units of 2 records written through plm_resume", NUNIT);
  {
    char       *b; long total = file_bytes(path, &b);
    long long   k = 0;
    /* a unit ends where the next unit's first frame starts (its id, 2 bytes, at byte 32 of the
     * frame), the last where the end frame starts */
    for (long i = 0; i + 2 < total && k < NUNIT - 1; i++)
      if (!memcmp(b + i, "REC\1", 4) && b[i + 28] == 2 && b[i + 32] == 'u' && b[i + 33] == '1' + k) ends[k++] = i;
    for (long i = total - 1; i >= 0; i--) if (!memcmp(b + i, "END\1", 4)) { ends[NUNIT - 1] = i; break; }
    TEST(k == NUNIT - 1, "unit boundaries found in the stream");
    free(b);
  }
  every_cut("stream", path, run_stream, ends);

  TEST(run_text(tpath, 0, &kept) == 0, "a text of %d units of 4 lines written through plm_resume", NUNIT);
  n = file_bytes(tpath, &whole);
  for (int k = 0; k < NUNIT; k++) ends[k] = (n / NUNIT) * (k + 1);   /* equal units */
  free(whole);
  every_cut("text", tpath, run_text, ends);

  /* a key that does not match: refused, FILE as it was */
  n = file_bytes(path, &whole);
  put_bytes(path, whole, n / 2);
  TEST(plm_resume_OpenStream("test", path, 0, 1, second_record, NULL, &rs, &w, eb) == PLM_OK && rs->nkeys == 1,
       "half the stream keeps 1 unit");
  TEST(plm_resume_Skip(rs, "in.tsr", 1, "other", &skip, eb) == PLM_EINVAL && strstr(eb, "not the same input") &&
       strstr(eb, "in.tsr: record 1 is \"other\""), "a key that does not match is refused: %s", eb);
  plm_stream_AbortWrite(w);
  plm_resume_Abort(rs);
  m = file_bytes(path, &got);
  TEST(m == n / 2 && !memcmp(got, whole, (size_t)m), "a refused resume leaves FILE as it was");
  snprintf(eb, sizeof eb, "%s.resume", path);
  TEST(access(eb, F_OK) != 0, "and removes FILE.resume");
  free(got);

  /* fewer input items than kept units */
  put_bytes(path, whole, n);
  TEST(plm_resume_OpenStream("test", path, 0, 1, second_record, NULL, &rs, &w, eb) == PLM_OK && rs->nkeys == NUNIT && rs->whole,
       "a whole stream keeps every unit and says it was whole");
  TEST(plm_resume_Skip(rs, "in", 1, "u0", &skip, eb) == PLM_OK && skip, "its first unit is skipped");
  TEST(plm_resume_Finish(rs, eb) == PLM_EINVAL && strstr(eb, "holds 3 units, the input only 1"), "an input with fewer items is refused: %s", eb);
  plm_stream_AbortWrite(w);
  m = file_bytes(path, &got);
  TEST(m == n && !memcmp(got, whole, (size_t)m), "and FILE stays whole");
  free(got);
  free(whole);

  /* no FILE: a fresh start; no -o: --resume is an error */
  unlink(path);
  TEST(run_stream(path, 1, &kept) == 0 && kept == 0, "--resume without FILE starts afresh");
  TEST(plm_resume_OpenStream("test", NULL, 0, 1, NULL, NULL, &rs, &w, eb) == PLM_EINVAL && strstr(eb, "needs -o FILE"),
       "--resume without -o is an error: %s", eb);

  unlink(path); unlink(tpath);
  rmdir(dir);
  return test_done();
}
