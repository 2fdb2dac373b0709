/* test_npy.c: unit tests of the .npy reader and writer (formats/npy.c).
 *
 *   round trips of every dtype and rank 0..8, zero-sized shapes included;
 *   the golden files of ../shared: shapes as index.json gives them, token ids
 *   as our tokenizer makes them, and rewritten byte for byte as np.save wrote them;
 *   malformed headers and sizes, each refused with a message naming the file;
 *   the numpy oracle ($PYTHON): files we write load in numpy with identical
 *   bytes, and files numpy writes (versions 1.0-3.0, every dtype) load here.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "alphabet.h"
#include "error.h"
#include "npy.h"
#include "test.h"

static char tmpdir[] = "/tmp/test_npy.XXXXXX";

/* a path in tmpdir; four buffers in turn, so one call may use several */
static const char *
tmppath(const char *name)
{
  static char path[4][128];
  static int  k;
  k = (k + 1) % 4;
  snprintf(path[k], sizeof path[k], "%s/%s", tmpdir, name);
  return path[k];
}

static plm_tensor *
make_tensor(plm_dtype dt, int rank, const int64_t *shape, int seed)
{
  char        eb[PLM_ERRBUFSIZE];
  plm_tensor *t;
  if (plm_tensor_Create("x", dt, rank, shape, &t, eb) != PLM_OK) return NULL;
  unsigned char *b = t->data;
  for (size_t i = 0; i < plm_tensor_Nbytes(t); i++) b[i] = (unsigned char)(i * 31 + (size_t)seed);
  if (dt == PLM_BF16)   /* keep bf16 finite so its f32 image compares exactly */
    for (int64_t i = 0; i < plm_tensor_Numel(t); i++) ((uint16_t *)t->data)[i] &= 0xbf7f;
  return t;
}

static int
same_shape(const plm_tensor *a, const plm_tensor *b)
{
  if (a->rank != b->rank) return 0;
  for (int d = 0; d < a->rank; d++) if (a->shape[d] != b->shape[d]) return 0;
  return 1;
}

static int
read_file(const char *path, unsigned char **ret_buf, size_t *ret_len)
{
  FILE  *fp = fopen(path, "rb");
  size_t cap = 1 << 16, n = 0, k;
  unsigned char *buf = malloc(cap);
  if (!fp || !buf) { if (fp) fclose(fp); free(buf); return 0; }
  while ((k = fread(buf + n, 1, cap - n, fp)) > 0) {
    n += k;
    if (n == cap) buf = realloc(buf, cap *= 2);
  }
  fclose(fp);
  *ret_buf = buf;
  *ret_len = n;
  return 1;
}

static void
test_roundtrip(void)
{
  static const int64_t shapes[][8] = { {0}, {7}, {3, 5}, {2, 3, 4}, {2, 1, 3, 2}, {0, 5}, {1, 1, 1, 1, 1, 1, 1, 2} };
  static const int     ranks[]     = { 0, 1, 2, 3, 4, 2, 8 };
  char eb[PLM_ERRBUFSIZE];

  for (int dt = 0; dt <= PLM_I64; dt++)
    for (int s = 0; s < (int)(sizeof ranks / sizeof *ranks); s++) {
      plm_tensor *t = make_tensor((plm_dtype)dt, ranks[s], shapes[s], dt + s), *u = NULL, *want = t;
      int         ok;
      if (dt == PLM_BF16) plm_tensor_ToF32(t, "x", &want, eb);
      ok = plm_npy_Write(tmppath("rt.npy"), t, eb) == PLM_OK && plm_npy_Read(tmppath("rt.npy"), "y", &u, eb) == PLM_OK;
      TEST(ok && strcmp(u->name, "y") == 0 && u->dtype == want->dtype && same_shape(u, want)
           && memcmp(u->data, want->data, plm_tensor_Nbytes(want)) == 0,
           "round trip %s rank %d%s", plm_dtype_Name((plm_dtype)dt), ranks[s], dt == PLM_BF16 ? " (as f32)" : "");
      if (want != t) plm_tensor_Destroy(want);
      plm_tensor_Destroy(t);
      plm_tensor_Destroy(u);
    }
}

/* the six sequences of golden/esm2_t3_tiny_random/index.json: T tokens, L = T - 2 residues */
static const struct { const char *name, *seq; int T; } golden[] = {
  { "short1", "M", 3 }, { "pep7", "MKTAYIA", 9 },
  { "ubq", "MQIFVKTLTGKTITLEVEPSDTIENVKAKIQDKEGIPPDQQRLIFAGKQLEDGRTLSDYNIQKESTLHLVLRLRGG", 78 },
  { "ambig", "MKXBZUOLAGVSERTIDPKQNFYMHWCXXBZ", 33 },
  { "masked", "MKTAY<mask>AKQRQISFVK<mask><mask>HFSRQLEERLGLIEVQ", 36 },
  { "gfp_frag", NULL, 240 },
};

static int
golden_shape_ok(const plm_tensor *t, const char *kind, int T)
{
  int64_t want[4];
  int     rank;
  if      (strcmp(kind, "tokens") == 0)     { rank = 1; want[0] = T; }
  else if (strcmp(kind, "logits") == 0)     { rank = 2; want[0] = T; want[1] = 33; }
  else if (strcmp(kind, "attentions") == 0) { rank = 4; want[0] = 3; want[1] = 6; want[2] = T; want[3] = T; }
  else if (strcmp(kind, "contacts") == 0)   { rank = 2; want[0] = T - 2; want[1] = T - 2; }
  else                                      { rank = 2; want[0] = T; want[1] = 96; }
  if (t->dtype != PLM_F32 || t->rank != rank) return 0;
  for (int d = 0; d < rank; d++) if (t->shape[d] != want[d]) return 0;
  return 1;
}

static int
tokens_match(const plm_tensor *t, const char *seq)
{
  char     eb[PLM_ERRBUFSIZE];
  int32_t *ids;
  int      n, ok;
  if (plm_esm_Tokenize(seq, 1, 1, &ids, &n, eb) != PLM_OK) return 0;
  ok = n == t->shape[0];
  for (int i = 0; ok && i < n; i++) ok = ((float *)t->data)[i] == (float)ids[i];
  free(ids);
  return ok;
}

static void
test_golden(void)
{
  static const char *kinds[] = { "tokens", "logits", "attentions", "contacts", "repr0", "repr3" };
  char dir[4096], path[4200], eb[PLM_ERRBUFSIZE];

  snprintf(dir, sizeof dir, "%s/fixtures/golden/esm2_t3_tiny_random", test_shared());
  if (access(dir, R_OK) != 0) { test_skip("golden .npy files: %s absent", dir); return; }
  for (size_t g = 0; g < sizeof golden / sizeof *golden; g++)
    for (size_t k = 0; k < sizeof kinds / sizeof *kinds; k++) {
      plm_tensor    *t = NULL;
      unsigned char *orig = NULL, *mine = NULL;
      size_t         norig = 0, nmine = 0;
      snprintf(path, sizeof path, "%s/%s.%s.npy", dir, golden[g].name, kinds[k]);
      int st = plm_npy_Read(path, kinds[k], &t, eb);
      TEST(st == PLM_OK && golden_shape_ok(t, kinds[k], golden[g].T), "golden %s.%s: f32, shape as index.json%s%s",
           golden[g].name, kinds[k], st ? ": " : "", st ? eb : "");
      if (st == PLM_OK && strcmp(kinds[k], "tokens") == 0 && golden[g].seq)
        TEST(tokens_match(t, golden[g].seq), "golden %s.tokens = plm_esm_Tokenize(sequence)", golden[g].name);
      if (st == PLM_OK && plm_npy_Write(tmppath("golden.npy"), t, eb) == PLM_OK
          && read_file(path, &orig, &norig) && read_file(tmppath("golden.npy"), &mine, &nmine))
        TEST(norig == nmine && memcmp(orig, mine, norig) == 0, "golden %s.%s rewritten byte for byte", golden[g].name, kinds[k]);
      else TEST(0, "golden %s.%s rewritten: %s", golden[g].name, kinds[k], eb);
      free(orig);
      free(mine);
      plm_tensor_Destroy(t);
    }
}

/* a file of preamble + dict text (padded as numpy pads it) + ndata bytes */
static void
write_raw(const char *path, const char *magic, int major, const char *dict, size_t ndata)
{
  FILE  *fp = fopen(path, "wb");
  size_t len = strlen(dict), pre = major == 1 ? 10 : 12;
  fwrite(magic, 1, 6, fp);
  fputc(major, fp); fputc(0, fp);
  for (size_t i = 0; i < pre - 8; i++) fputc((int)((len >> (8 * i)) & 0xff), fp);
  fwrite(dict, 1, len, fp);
  for (size_t i = 0; i < ndata; i++) fputc((int)i, fp);
  fclose(fp);
}

static void
test_malformed(void)
{
  static const struct { const char *why, *dict; int major; size_t ndata; int status; const char *msg; } bad[] = {
    { "big-endian",        "{'descr': '>f4', 'fortran_order': False, 'shape': (2,), }", 1, 8, PLM_EUNSUP, "big-endian" },
    { "complex dtype",     "{'descr': '<c8', 'fortran_order': False, 'shape': (2,), }", 1, 16, PLM_EUNSUP, "not supported" },
    { "structured dtype",  "{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (2,), }", 1, 8, PLM_EFORMAT, "quoted string" },
    { "missing shape",     "{'descr': '<f4', 'fortran_order': False, }", 1, 4, PLM_EFORMAT, "lacks 'shape'" },
    { "duplicate key",     "{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (), }", 1, 4, PLM_EFORMAT, "twice" },
    { "unknown key",       "{'descr': '<f4', 'fortran_order': False, 'shape': (), 'x': 1}", 1, 4, PLM_EFORMAT, "unexpected key" },
    { "int, not tuple",    "{'descr': '<f4', 'fortran_order': False, 'shape': (2), }", 1, 8, PLM_EFORMAT, "not a tuple" },
    { "negative dim",      "{'descr': '<f4', 'fortran_order': False, 'shape': (-2,), }", 1, 8, PLM_EFORMAT, "non-negative" },
    { "huge dim",          "{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999,), }", 1, 8, PLM_EFORMAT, "too large" },
    { "overflowing shape", "{'descr': '<f4', 'fortran_order': False, 'shape': (4294967296, 4294967296), }", 1, 8, PLM_ELIMIT, "too large" },
    { "rank 9",            "{'descr': '|u1', 'fortran_order': False, 'shape': (1,1,1,1,1,1,1,1,1), }", 1, 1, PLM_ELIMIT, "8 dimensions" },
    { "truncated data",    "{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }", 1, 47, PLM_EFORMAT, "truncated" },
    { "trailing data",     "{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }", 1, 49, PLM_EFORMAT, "holds 49" },
    { "text after dict",   "{'descr': '<f4', 'fortran_order': False, 'shape': (), } x", 1, 4, PLM_EFORMAT, "after the dict" },
    { "unterminated",      "{'descr': '<f4", 1, 0, PLM_EFORMAT, "unterminated" },
    { "bad bool",          "{'descr': '<f4', 'fortran_order': 0, 'shape': (), }", 1, 4, PLM_EFORMAT, "True or False" },
    { "version 4",         "{'descr': '<f4', 'fortran_order': False, 'shape': (), }", 4, 4, PLM_EUNSUP, "version 4.0" },
  };
  char eb[PLM_ERRBUFSIZE];

  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    plm_tensor *t = NULL;
    write_raw(tmppath("bad.npy"), "\x93NUMPY", bad[i].major, bad[i].dict, bad[i].ndata);
    int st = plm_npy_Read(tmppath("bad.npy"), "x", &t, eb);
    TEST(st == bad[i].status && t == NULL && strstr(eb, bad[i].msg) && strstr(eb, tmppath("bad.npy")),
         "refuses %s: %s", bad[i].why, st ? eb : "accepted");
  }

  plm_tensor *t = NULL;
  write_raw(tmppath("bad.npy"), "\x93NUMPZ", 1, "{}", 0);
  TEST(plm_npy_Read(tmppath("bad.npy"), "x", &t, eb) == PLM_EFORMAT && strstr(eb, "magic"), "refuses a wrong magic");
  FILE *fp = fopen(tmppath("bad.npy"), "wb");
  fwrite("\x93NUMPY\x01\x00\xff\xff{}", 1, 12, fp);
  fclose(fp);
  TEST(plm_npy_Read(tmppath("bad.npy"), "x", &t, eb) == PLM_EFORMAT && strstr(eb, "exceeds the file"),
       "refuses a header length beyond the file");
  TEST(plm_npy_Read(tmppath("absent.npy"), "x", &t, eb) == PLM_EIO && strstr(eb, "absent.npy"), "names a missing file");
  TEST(plm_npy_Read(tmpdir, "x", &t, eb) == PLM_EINVAL, "refuses a directory");

  /* numpy accepts 1-d "Fortran order" (identical layout) and Python 2 long ints */
  write_raw(tmppath("ok.npy"), "\x93NUMPY", 2, "{\"descr\":\"<i4\",\"fortran_order\":True,\"shape\":(2L,)}\n", 8);
  int st = plm_npy_Read(tmppath("ok.npy"), "x", &t, eb);
  TEST(st == PLM_OK && t->dtype == PLM_I32 && t->rank == 1 && t->shape[0] == 2, "accepts v2.0, 1-d Fortran order, 2L%s%s",
       st ? ": " : "", st ? eb : "");
  plm_tensor_Destroy(t);

  /* 2-d and 3-d Fortran order come back in C order: bytes 0..n-1 column-major */
  write_raw(tmppath("f.npy"), "\x93NUMPY", 1, "{'descr': '|u1', 'fortran_order': True, 'shape': (2, 3), }", 6);
  st = plm_npy_Read(tmppath("f.npy"), "x", &t, eb);
  static const unsigned char want2[6] = { 0, 2, 4, 1, 3, 5 };
  TEST(st == PLM_OK && memcmp(t->data, want2, 6) == 0, "2-d Fortran order transposed to C order");
  plm_tensor_Destroy(t);
  write_raw(tmppath("f.npy"), "\x93NUMPY", 1, "{'descr': '|u1', 'fortran_order': True, 'shape': (2, 2, 2), }", 8);
  st = plm_npy_Read(tmppath("f.npy"), "x", &t, eb);
  static const unsigned char want3[8] = { 0, 4, 2, 6, 1, 5, 3, 7 };
  TEST(st == PLM_OK && memcmp(t->data, want3, 8) == 0, "3-d Fortran order transposed to C order");
  plm_tensor_Destroy(t);
}

/* files we write, checked by numpy: dtype string, shape and raw bytes */
static void
test_numpy_reads_ours(const char *python)
{
  static const char *want_descr[] = { "<f4", "<f2", "<f4", "<i4", "|u1", "<i8" };
  static const int64_t shape[] = { 3, 1, 5 };
  char  eb[PLM_ERRBUFSIZE], cmd[2048];

  for (int dt = 0; dt <= PLM_I64; dt++) {
    plm_tensor *t = make_tensor((plm_dtype)dt, 3, shape, dt), *want = t;
    const char *npy = tmppath("ours.npy"), *raw = tmppath("ours.raw");
    if (dt == PLM_BF16) plm_tensor_ToF32(t, "x", &want, eb);
    FILE *fp = fopen(raw, "wb");
    fwrite(want->data, 1, plm_tensor_Nbytes(want), fp);
    fclose(fp);
    int st = plm_npy_Write(npy, t, eb);
    snprintf(cmd, sizeof cmd,
             "%s -c \"import numpy as np, sys; a = np.load('%s'); "
             "sys.exit(0 if a.dtype.str == '%s' and a.shape == (3, 1, 5) and a.tobytes() == open('%s', 'rb').read() else 1)\"",
             python, npy, want_descr[dt], raw);
    TEST(st == PLM_OK && system(cmd) == 0, "numpy loads our %s file with identical bytes", plm_dtype_Name((plm_dtype)dt));
    if (want != t) plm_tensor_Destroy(want);
    plm_tensor_Destroy(t);
  }
}

/* files numpy writes, each with its raw bytes as we should read them */
static void
test_we_read_numpys(const char *python)
{
  static const struct { const char *expr, *what; plm_dtype dt; } cases[] = {
    { "np.arange(24, dtype='<f4').reshape(2, 3, 4) / 7",       "f4 rank 3",          PLM_F32 },
    { "(np.arange(12, dtype='<f2') - 5.5).reshape(3, 4)",      "f2",                 PLM_F16 },
    { "np.arange(10, dtype='<f8') / 3",                        "f8 (to f32)",        PLM_F32 },
    { "np.arange(-6, 6, dtype='<i4').reshape(2, 2, 3)",        "i4",                 PLM_I32 },
    { "np.arange(-6, 6, dtype='<i8') * 2**40",                 "i8",                 PLM_I64 },
    { "np.arange(250, dtype='|u1')",                           "u1",                 PLM_U8 },
    { "np.array([True, False, True])",                         "b1 (to u8)",         PLM_U8 },
    { "np.float32(3.5)",                                       "rank 0",             PLM_F32 },
    { "np.zeros((0, 7), dtype='<f4')",                         "empty",              PLM_F32 },
    { "np.asfortranarray(np.arange(4, dtype='<f4'))",          "1-d asfortranarray", PLM_F32 },
  };
  char eb[PLM_ERRBUFSIZE], cmd[2048];

  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
    for (int version = 1; version <= 3; version++) {
      plm_tensor    *t = NULL;
      unsigned char *raw = NULL;
      size_t         nraw = 0;
      snprintf(cmd, sizeof cmd,
               "%s -c \"import numpy as np; a = np.asarray(%s); f = open('%s', 'wb'); "
               "np.lib.format.write_array(f, a, version=(%d, 0)); f.close(); "
               "open('%s', 'wb').write((a.astype('<f4') if a.dtype == np.float64 else a).tobytes())\"",
               python, cases[i].expr, tmppath("theirs.npy"), version, tmppath("theirs.raw"));
      int st = system(cmd) == 0 ? plm_npy_Read(tmppath("theirs.npy"), "x", &t, eb) : -1;
      int ok = st == PLM_OK && read_file(tmppath("theirs.raw"), &raw, &nraw) && t->dtype == cases[i].dt
               && plm_tensor_Nbytes(t) == nraw && memcmp(t->data, raw, nraw) == 0;
      TEST(ok, "we read numpy's %s, format %d.0%s%s", cases[i].what, version, st > 0 ? ": " : "", st > 0 ? eb : "");
      free(raw);
      plm_tensor_Destroy(t);
    }
}

int
main(void)
{
  const char *python = getenv("PYTHON");

  if (!mkdtemp(tmpdir)) { perror("mkdtemp"); return 1; }
  test_roundtrip();
  test_golden();
  test_malformed();
  if (python && *python) {
    test_numpy_reads_ours(python);
    test_we_read_numpys(python);
  } else test_skip("numpy oracle: PYTHON not set");

  char cmd[256];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
  if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", tmpdir);
  return test_done();
}
