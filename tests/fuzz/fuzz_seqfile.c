/* fuzz_seqfile.c: arbitrary bytes through every sequence reader and plm_seq_ToRecord().
 *
 * The input goes into a memfd that is opened by its /proc path once per
 * format, so the real open/gzip/sniff path runs. Every record that converts
 * must keep the column map's promise: each residue of seq sits in its column
 * of the aligned row, columns increasing. Limits are lowered so that long
 * lines and big alignments are reached with small inputs.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include "error.h"
#include "seqfile.h"

/* start of each token of s ("<mask>" is one); returns the count */
static int64_t
tokens(const char *s, const char **tok)
{
  int64_t n = 0;
  while (*s) {
    tok[n++] = s;
    s += strncmp(s, "<mask>", 6) == 0 ? 6 : 1;
  }
  return n;
}

static int
same_token(const char *a, const char *b)
{
  size_t la = strncmp(a, "<mask>", 6) == 0 ? 6 : 1, lb = strncmp(b, "<mask>", 6) == 0 ? 6 : 1;
  return la == lb && memcmp(a, b, la) == 0;
}

static void
check_colmap(const plm_record *rec)
{
  const plm_tensor *t = plm_record_GetTensor(rec, "colmap");
  size_t            n = strlen(rec->seq) + strlen(rec->aligned) + 2;
  const char      **st = malloc(n * sizeof *st), **at = malloc(n * sizeof *at);
  int64_t           ns = tokens(rec->seq, st), na = tokens(rec->aligned, at), last = -1;
  const int32_t    *cm;

  if (!t || t->dtype != PLM_I32 || t->rank != 1 || t->shape[0] != ns) abort();
  cm = t->data;
  for (int64_t i = 0; i < ns; i++) {
    if (cm[i] < -1 || cm[i] >= na) abort();
    if (cm[i] >= 0 && (cm[i] <= last || !same_token(st[i], at[cm[i]]))) abort();
    if (cm[i] >= 0) last = cm[i];
  }
  free(st);
  free(at);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  static int     fd = -1;
  char           path[64], err[PLM_ERRBUFSIZE];
  plm_seqfile   *sf;
  const plm_seq *sq;
  plm_record    *rec;
  int64_t        len;

  if (fd < 0 && (fd = memfd_create("fuzz_seqfile", 0)) < 0) abort();
  if (ftruncate(fd, 0) != 0 || pwrite(fd, data, size, 0) != (ssize_t)size) abort();
  snprintf(path, sizeof path, "/proc/self/fd/%d", fd);

  for (int fmt = PLM_SEQFMT_AUTO; fmt <= PLM_SEQFMT_STOCKHOLM; fmt++) {
    if (plm_seqfile_Open(path, (plm_seqfmt)fmt, &sf, err) != PLM_OK) continue;
    plm_seqfile_SetLimits(sf, 512, 4096);
    for (int n = 0; n < 1000 && plm_seqfile_Read(sf, &sq, err) == PLM_OK; n++) {
      if (plm_seq_ToRecord(sq, n % 8, n % 3 ? 0 : 4, &rec, &len, err) != PLM_OK) continue;
      if (rec->aligned) check_colmap(rec);
      plm_record_Destroy(rec);
    }
    plm_seqfile_Close(sf);
  }
  return 0;
}
