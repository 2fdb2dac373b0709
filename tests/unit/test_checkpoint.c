/* test_checkpoint.c: unit tests for formats/checkpoint and, through it, the torch
 * zip and legacy readers, safetensors and HuggingFace folders.
 *
 *   test_fixtures()     every file and folder in ../shared/fixtures/{models,regression_heads}
 *                       opens, and matches tests/unit/ckpt_oracle.py (an independent
 *                       stdlib-only Python reader) tensor by tensor, byte by byte
 *   test_known()        facts about the fixtures that need no oracle
 *   test_pt_vs_hf()     the fair-esm .pt and its HuggingFace copy hold the same bytes
 *   test_merge()        the co-located contact-regression file
 *   test_deflated()     a torch archive rewritten with DEFLATE entries (needs Python)
 *   test_legacy_made()  legacy files built here: views, tied storages, strides, short storages, os.system
 *   test_truncated()    fixture copies cut at many offsets all fail, naming the file
 *   test_bad_paths()    folders without config.json or weights, empty and foreign files
 *   test_release()      tensors read the same after plm_checkpoint_Release drops their pages
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#include "checkpoint.h"
#include "error.h"
#include "test.h"

#define ORACLE "tests/unit/ckpt_oracle.py"

static char tmpdir[] = "/tmp/plm_test_checkpoint.XXXXXX";

static const char *
fixture(char *buf, const char *rel)
{
  snprintf(buf, 1024, "%s/fixtures/%s", test_shared(), rel);
  return buf;
}

static const char *
tmpfile_path(char *buf, const char *name)
{
  snprintf(buf, 1024, "%s/%s", tmpdir, name);
  return buf;
}

static int
write_file(const char *path, const void *data, size_t len)
{
  FILE *f = fopen(path, "wb");
  int   ok = f && fwrite(data, 1, len, f) == len;
  if (f) ok = (fclose(f) == 0) && ok;
  return ok;
}

static uint8_t *
slurp(const char *path, size_t *ret_len)
{
  FILE    *f = fopen(path, "rb");
  uint8_t *buf = NULL;
  long     n;

  if (!f) return NULL;
  if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) > 0 && fseek(f, 0, SEEK_SET) == 0 && (buf = malloc((size_t)n)) &&
      fread(buf, 1, (size_t)n, f) == (size_t)n)
    *ret_len = (size_t)n;
  else { free(buf); buf = NULL; }
  fclose(f);
  return buf;
}

static const char *
python(void)
{
  const char *p = getenv("PYTHON");
  return p && *p && access(ORACLE, R_OK) == 0 ? p : NULL;
}

/* "name dtype d0,d1,... crc32" against the loaded tensor; a reason in bad if not */
static void
tensor_matches(const plm_checkpoint *ck, char *line, char *bad, size_t nbad)
{
  char          *name = line, *dtype, *dims, *crc;
  plm_tensor    *t;
  int            rank = 0;
  unsigned long  want;

  if (!(dtype = strchr(name, ' ')) || !(dims = strchr(dtype + 1, ' ')) || !(crc = strchr(dims + 1, ' ')))
    { snprintf(bad, nbad, "oracle line unreadable"); return; }
  *dtype++ = *dims++ = *crc++ = '\0';
  want = strtoul(crc, NULL, 10);
  if (!(t = plm_checkpoint_Get(ck, name)))             { snprintf(bad, nbad, "%.200s missing", name); return; }
  if (strcmp(plm_dtype_Name(t->dtype), dtype) != 0)     { snprintf(bad, nbad, "%.200s is %s", name, plm_dtype_Name(t->dtype)); return; }
  for (char *d = dims; *d; rank++) {
    if (rank >= t->rank || strtoll(d, &d, 10) != t->shape[rank]) { snprintf(bad, nbad, "%.200s: shape differs", name); return; }
    if (*d == ',') d++;
  }
  if (rank != t->rank)                                   { snprintf(bad, nbad, "%.200s: rank differs", name); return; }
  if (crc32(0, t->data, (uInt)plm_tensor_Nbytes(t)) != want) snprintf(bad, nbad, "%.200s: bytes differ", name);
}

/* "key value": equal as text, or as numbers (Python writes 1e-05 where JSON had 1e-05, 0.1 for 0.1) */
static void
config_matches(const plm_checkpoint *ck, char *line, char *bad, size_t nbad)
{
  char       *value = strchr(line, ' '), *e1, *e2;
  const char *have;

  if (!value) { snprintf(bad, nbad, "oracle line unreadable"); return; }
  *value++ = '\0';
  if (!(have = plm_checkpoint_Config(ck, line))) { snprintf(bad, nbad, "%.200s missing", line); return; }
  if (strcmp(have, value) == 0) return;
  if (strtod(have, &e1) == strtod(value, &e2) && !*e1 && !*e2 && e1 != have) return;
  snprintf(bad, nbad, "%.100s is '%.100s', oracle says '%.100s'", line, have, value);
}

static void
check_oracle(const plm_checkpoint *ck, const char *path, const char *label)
{
  char  cmd[4096], line[8192], tbad[512] = "", cbad[512] = "";
  int   nt = 0, nc = 0, rc;
  FILE *p;

  snprintf(cmd, sizeof cmd, "%s %s '%s'", python(), ORACLE, path);
  if ((p = popen(cmd, "r")) == NULL) { TEST(0, "%s: cannot run the oracle", label); return; }
  while (fgets(line, sizeof line, p)) {
    line[strcspn(line, "\n")] = '\0';
    if (line[0] == 'T' && ++nt && !*tbad) tensor_matches(ck, line + 2, tbad, sizeof tbad);
    if (line[0] == 'C' && ++nc && !*cbad) config_matches(ck, line + 2, cbad, sizeof cbad);
  }
  rc = pclose(p);
  TEST(rc == 0 && nt > 0 && nt == ck->ntensors && !*tbad, "%s: %d tensors match the oracle (%d loaded)%s%s", label, nt,
       ck->ntensors, *tbad ? ": " : "", tbad);
  TEST(rc == 0 && nc == ck->nconfig && !*cbad, "%s: %d config values match the oracle (%d loaded)%s%s", label, nc,
       ck->nconfig, *cbad ? ": " : "", cbad);
}

static void
test_fixtures(void)
{
  static const char *dirs[] = { "models", "regression_heads" };
  char               dir[1024], path[2048], err[PLM_ERRBUFSIZE];

  if (!python()) test_skip("fixtures against the oracle: no PYTHON or %s (loading is still checked)", ORACLE);
  for (size_t d = 0; d < 2; d++) {
    DIR           *dp = opendir(fixture(dir, dirs[d]));
    struct dirent *e;
    int            n = 0;
    if (!dp) { test_skip("fixtures: %s absent", dir); continue; }
    while ((e = readdir(dp)) != NULL) {
      plm_checkpoint *ck = NULL;
      int             status;
      if (e->d_name[0] == '.') continue;
      snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
      status = plm_checkpoint_Open(path, &ck, err);
      TEST(status == PLM_OK, "open %s/%s (%s)", dirs[d], e->d_name, status ? err : "ok");
      if (status == PLM_OK && python()) check_oracle(ck, path, e->d_name);
      plm_checkpoint_Close(ck);
      n++;
    }
    closedir(dp);
    TEST(n > 0, "fixtures/%s holds checkpoints", dirs[d]);
  }
}

static int
has_tensor(const plm_checkpoint *ck, const char *name, plm_dtype dt, int rank, int64_t d0, int64_t d1)
{
  const plm_tensor *t = plm_checkpoint_Get(ck, name);
  return t && t->dtype == dt && t->rank == rank && t->shape[0] == d0 && (rank < 2 || t->shape[1] == d1);
}

static int
config_is(const plm_checkpoint *ck, const char *key, const char *want)
{
  const char *v = plm_checkpoint_Config(ck, key);
  return v && strcmp(v, want) == 0;
}

static plm_checkpoint *
open_fixture(const char *rel)
{
  char            path[1024], err[PLM_ERRBUFSIZE];
  plm_checkpoint *ck = NULL;
  if (plm_checkpoint_Open(fixture(path, rel), &ck, err) != PLM_OK) test_skip("%s: %s", rel, err);
  return ck;
}

static void
test_known(void)
{
  plm_checkpoint *ck;

  if ((ck = open_fixture("models/esm2_t3_tiny_random.pt"))) {
    TEST(ck->ntensors == 60 && config_is(ck, "_layout", "torch-zip"), "esm2_t3: 60 tensors, torch-zip");
    TEST(config_is(ck, "encoder_layers", "3") && config_is(ck, "encoder_embed_dim", "96") &&
         config_is(ck, "encoder_attention_heads", "6") && config_is(ck, "token_dropout", "true") &&
         config_is(ck, "arch", "esm2"), "esm2_t3: cfg['model'] Namespace as config");
    TEST(has_tensor(ck, "encoder.sentence_encoder.embed_tokens.weight", PLM_F32, 2, 33, 96) &&
         !plm_checkpoint_Get(ck, "encoder.sentence_encoder.embed_tokens.weight")->data_owned,
         "esm2_t3: embed_tokens [33,96] f32, a view of the file");
    TEST(has_tensor(ck, "encoder.sentence_encoder.layers.2.fc1.weight", PLM_F32, 2, 384, 96) &&
         !plm_checkpoint_Get(ck, "encoder.sentence_encoder.layers.3.fc1.weight"), "esm2_t3: layers 0-2, no layer 3");
    plm_checkpoint_Close(ck);
  }
  if ((ck = open_fixture("models/esm1b_t2_tiny_random.pt"))) {
    TEST(config_is(ck, "_layout", "torch-legacy") && config_is(ck, "arch", "roberta_large") &&
         config_is(ck, "dropout", "0.1") && config_is(ck, "activation_dropout", "0.0"), "esm1b legacy: args Namespace");
    TEST(has_tensor(ck, "encoder.sentence_encoder.embed_tokens.weight", PLM_F32, 2, 33, 64) && ck->ntensors == 44,
         "esm1b legacy: 44 tensors, embed_tokens [33,64]");
    plm_checkpoint_Close(ck);
  }
  if ((ck = open_fixture("regression_heads/esm2_t6_8M_UR50D-contact-regression.pt"))) {
    TEST(has_tensor(ck, "contact_head.regression.weight", PLM_F32, 2, 1, 120) &&
         has_tensor(ck, "contact_head.regression.bias", PLM_F32, 1, 1, 0), "8M regression head: weight [1,120], bias [1]");
    plm_checkpoint_Close(ck);
  }
  if ((ck = open_fixture("regression_heads/esm_msa1b_t12_100M_UR50S-contact-regression.pt"))) {
    TEST(has_tensor(ck, "contact_head.regression.weight", PLM_F16, 2, 1, 144), "MSA-1b head saved on cuda:0: f16 [1,144]");
    plm_checkpoint_Close(ck);
  }
  if ((ck = open_fixture("regression_heads/esm1b_t33_650M_UR50S-contact-regression.pt"))) {
    TEST(has_tensor(ck, "contact_head.regression.weight", PLM_F32, 2, 1, 660) && config_is(ck, "_layout", "torch-legacy"),
         "ESM-1b head (legacy): weight [1,660]");
    plm_checkpoint_Close(ck);
  }
  if ((ck = open_fixture("models/tape_bert_t3_tiny_random"))) {
    TEST(config_is(ck, "_layout", "hf-dir+torch-zip") && config_is(ck, "finetuning_task", "none") &&
         config_is(ck, "hidden_size", "96"), "TAPE folder: config.json, none for null");
    plm_checkpoint_Close(ck);
  }
}

static int
same_bytes(const plm_checkpoint *a, const char *na, const plm_checkpoint *b, const char *nb)
{
  const plm_tensor *ta = plm_checkpoint_Get(a, na), *tb = plm_checkpoint_Get(b, nb);
  return ta && tb && ta->dtype == tb->dtype && plm_tensor_Nbytes(ta) == plm_tensor_Nbytes(tb) &&
         memcmp(ta->data, tb->data, plm_tensor_Nbytes(ta)) == 0;
}

static void
test_pt_vs_hf(void)
{
  static const char *pairs[][2] = {
    { "encoder.sentence_encoder.embed_tokens.weight",              "esm.embeddings.word_embeddings.weight" },
    { "encoder.sentence_encoder.layers.0.self_attn.k_proj.weight", "esm.encoder.layer.0.attention.self.key.weight" },
    { "encoder.sentence_encoder.layers.2.fc2.bias",                "esm.encoder.layer.2.output.dense.bias" },
    { "encoder.sentence_encoder.emb_layer_norm_after.weight",      "esm.encoder.emb_layer_norm_after.weight" },
    { "encoder.lm_head.dense.weight",                              "lm_head.dense.weight" },
  };
  plm_checkpoint *pt = open_fixture("models/esm2_t3_tiny_random.pt"), *hf = open_fixture("models/esm2_t3_tiny_random.hf");

  if (pt && hf) {
    TEST(config_is(hf, "_layout", "hf-dir+safetensors") && config_is(hf, "num_hidden_layers", "3"), "esm2_t3.hf: folder config");
    for (size_t k = 0; k < sizeof pairs / sizeof pairs[0]; k++)
      TEST(same_bytes(pt, pairs[k][0], hf, pairs[k][1]), ".pt %s == .hf %s", pairs[k][0], pairs[k][1]);
  }
  plm_checkpoint_Close(pt);
  plm_checkpoint_Close(hf);
}

static void
test_merge(void)
{
  char            path[1024], err[PLM_ERRBUFSIZE] = "";
  plm_checkpoint *ck = open_fixture("models/esm2_t3_tiny_random.pt"), *hf = open_fixture("models/esm2_t3_tiny_random.hf");
  int             status, n;

  if (ck && hf) {
    n = ck->ntensors;
    status = plm_checkpoint_MergeFile(ck, fixture(path, "models/esm2_t3_tiny_random-contact-regression.pt"), err);
    TEST(status == PLM_OK && ck->ntensors == n + 2 && has_tensor(ck, "contact_head.regression.weight", PLM_F32, 2, 1, 18),
         "merge the contact-regression file: +2 tensors (%s)", status ? err : "ok");
    TEST(same_bytes(ck, "contact_head.regression.weight", hf, "esm.contact_head.regression.weight"),
         "merged head equals the HF copy's contact head");
    status = plm_checkpoint_MergeFile(ck, path, err);
    TEST(status == PLM_OK && ck->ntensors == n + 2, "merging again keeps the existing tensors");
    status = plm_checkpoint_MergeFile(ck, fixture(path, "models/no-such-file.pt"), err);
    TEST(status != PLM_OK && ck->ntensors == n + 2 && strstr(err, "no-such-file.pt"), "a failed merge leaves it as it was (%s)", err);
  }
  plm_checkpoint_Close(ck);
  plm_checkpoint_Close(hf);
}

static void
test_deflated(void)
{
  char            cmd[4096], src[1024], dst[1024], err[PLM_ERRBUFSIZE] = "";
  plm_checkpoint *a = NULL, *b = NULL;
  int             status;

  if (!python()) { test_skip("deflated torch archive: no PYTHON"); return; }
  fixture(src, "models/esm2_t3_tiny_random-contact-regression.pt");
  tmpfile_path(dst, "deflated.pt");
  snprintf(cmd, sizeof cmd, "%s -c \"import sys, zipfile; i = zipfile.ZipFile(sys.argv[1]); "
           "o = zipfile.ZipFile(sys.argv[2], 'w', zipfile.ZIP_DEFLATED); [o.writestr(n, i.read(n)) for n in i.namelist()]; "
           "o.close()\" '%s' '%s'", python(), src, dst);
  if (system(cmd) != 0 || access(dst, R_OK) != 0) { test_skip("deflated torch archive: could not write it"); return; }
  status = plm_checkpoint_Open(dst, &a, err);
  TEST(status == PLM_OK, "torch archive with DEFLATE entries opens (%s)", status ? err : "ok");
  if (status == PLM_OK && plm_checkpoint_Open(src, &b, err) == PLM_OK)
    TEST(same_bytes(a, "contact_head.regression.weight", b, "contact_head.regression.weight"), "inflated tensor equals the stored one");
  plm_checkpoint_Close(a);
  plm_checkpoint_Close(b);
}

/* A legacy torch file: magic, protocol 1001 and sys_info pickles, then obj (the object
 * pickle), the key list ['0'], and storage '0' as a count and that many floats. */
static size_t
put(uint8_t *buf, size_t n, const void *p, size_t len)
{
  memcpy(buf + n, p, len);
  return n + len;
}

static size_t
legacy_file(uint8_t *buf, const char *obj, size_t objlen, uint64_t count)
{
  static const char head[] = "\x80\x02\x8a\x0a\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19." "\x80\x02M\xe9\x03." "\x80\x02}.";
  static const char keys[] = "\x80\x02]X\x01\x00\x00\x00" "0a.";
  size_t            n = 0;

  n = put(buf, n, head, sizeof head - 1);
  n = put(buf, n, obj, objlen);
  n = put(buf, n, keys, sizeof keys - 1);
  n = put(buf, n, &count, 8);
  for (uint64_t k = 0; k < count; k++) {
    float v = (float)k + 1;
    n = put(buf, n, &v, 4);
  }
  return n;
}

/* a tensor over storage '0' (FloatStorage, 4 elements) at an element offset, with a size and stride */
#define LEGACY_TENSOR(offset, size, stride) \
  "ctorch._utils\n_rebuild_tensor_v2\n" \
  "((X\x07\x00\x00\x00storage" "ctorch\nFloatStorage\n" "X\x01\x00\x00\x00" "0" "X\x03\x00\x00\x00" "cpu" "K\x04N" "tQ" \
  offset size stride "\x89" "ccollections\nOrderedDict\n)R" "tR"

/* {'w': the whole storage as size (2, 2) with the given stride} */
#define LEGACY_OBJ(stride) "\x80\x02}X\x01\x00\x00\x00w" LEGACY_TENSOR("K\x00", "K\x02K\x02\x86", stride) "s."

/* {'a': the storage as (2, 2), 'b': its last three elements}: two tensors on one storage,
 * as the ESM-1b file ties embed_tokens and lm_head */
#define LEGACY_TIED \
  "\x80\x02}(X\x01\x00\x00\x00" "a" LEGACY_TENSOR("K\x00", "K\x02K\x02\x86", "K\x02K\x01\x86") \
  "X\x01\x00\x00\x00" "b" LEGACY_TENSOR("K\x01", "K\x03\x85", "K\x01\x85") "u."

static int
open_made(const char *name, const char *obj, size_t objlen, uint64_t count, plm_checkpoint **ret_ck, char *err)
{
  static uint8_t buf[4096];
  char           path[1024];
  size_t         len = legacy_file(buf, obj, objlen, count);

  *ret_ck = NULL;
  if (!write_file(tmpfile_path(path, name), buf, len)) return plm_Fail(err, PLM_EIO, "cannot write %s", path);
  return plm_checkpoint_Open(path, ret_ck, err);
}

static void
test_legacy_made(void)
{
  static const char good[] = LEGACY_OBJ("K\x02K\x01\x86"), transposed[] = LEGACY_OBJ("K\x01K\x02\x86");
  static const char evil[] = "\x80\x02" "cos\nsystem\nX\x02\x00\x00\x00ls\x85R.";
  static const char tied[] = LEGACY_TIED;
  static const float want[4] = { 1, 2, 3, 4 };
  char              err[PLM_ERRBUFSIZE] = "";
  plm_checkpoint   *ck;
  plm_tensor       *t, *a;
  int               status;

  status = open_made("good.pt", good, sizeof good - 1, 4, &ck, err);
  t = status == PLM_OK ? plm_checkpoint_Get(ck, "w") : NULL;
  TEST(t && t->rank == 2 && t->shape[0] == 2 && memcmp(t->data, want, 16) == 0 && (uintptr_t)t->data % 4 == 0,
       "legacy file built here: values, aligned (%s)", status ? err : "ok");
  plm_checkpoint_Close(ck);
  status = open_made("tied.pt", tied, sizeof tied - 1, 4, &ck, err);
  a = status == PLM_OK ? plm_checkpoint_Get(ck, "a") : NULL;
  t = status == PLM_OK ? plm_checkpoint_Get(ck, "b") : NULL;
  TEST(a && t && t->rank == 1 && t->shape[0] == 3 && (float *)t->data == (float *)a->data + 1 &&
       memcmp(t->data, want + 1, 12) == 0 && memcmp(a->data, want, 16) == 0 && (uintptr_t)a->data % 4 == 0,
       "legacy tensors on one storage view one aligned copy (%s)", status ? err : "ok");
  plm_checkpoint_Close(ck);
  status = open_made("transposed.pt", transposed, sizeof transposed - 1, 4, &ck, err);
  TEST(status == PLM_EUNSUP && strstr(err, "tensor w: not contiguous"), "transposed tensor refused (%s)", err);
  status = open_made("short.pt", good, sizeof good - 1, 3, &ck, err);
  TEST(status == PLM_EFORMAT && strstr(err, "short.pt: tensor w: storage 0 holds 3 elements; the view of 4"), "short storage: FILE: tensor X: storage K ... (%s)", err);
  status = open_made("evil.pt", evil, sizeof evil - 1, 0, &ck, err);
  TEST(status == PLM_EUNSUP && strstr(err, "evil.pt: ") && strstr(err, "refusing to load global os.system"),
       "legacy file with os.system refused (%s)", err);
}

/* every cut must fail with the file named, never crash */
static void
truncate_at(const char *rel, int ncuts)
{
  char            src[1024], dst[1024], err[PLM_ERRBUFSIZE];
  size_t          len = 0, bad = 0, cut;
  uint8_t        *buf = slurp(fixture(src, rel), &len);
  plm_checkpoint *ck;
  size_t          fixed[] = { 1, 8, 9, 14, 22, 100 };

  if (!buf) { test_skip("truncated %s: cannot read it", rel); return; }
  tmpfile_path(dst, "cut.bin");
  for (int k = 0; k < ncuts + 8; k++) {
    cut = k < 6 ? fixed[k] : k == 6 ? len - 1 : k == 7 ? len - 22 : len * (size_t)(k - 7) / (size_t)(ncuts + 1);
    if (cut >= len || !write_file(dst, buf, cut)) continue;
    if (plm_checkpoint_Open(dst, &ck, err) == PLM_OK) { plm_checkpoint_Close(ck); bad++; }
    else if (strncmp(err, dst, strlen(dst)) != 0) bad++;
  }
  TEST(bad == 0, "%s cut at %d offsets: all fail, naming the file (%zu did not)", rel, ncuts + 8, bad);
  free(buf);
}

static void
test_truncated(void)
{
  truncate_at("models/esm2_t3_tiny_random.pt", 40);
  truncate_at("models/esm1b_t2_tiny_random.pt", 40);
  truncate_at("models/esm2_t3_tiny_random.hf/model.safetensors", 40);
  truncate_at("regression_heads/esm1b_t33_650M_UR50S-contact-regression.pt", 40);
  truncate_at("regression_heads/esm_msa1b_t12_100M_UR50S-contact-regression.pt", 40);
}

static void
expect_open_fails(const char *what, const char *path, const char *msg)
{
  char            err[PLM_ERRBUFSIZE] = "";
  plm_checkpoint *ck = NULL;
  int             status = plm_checkpoint_Open(path, &ck, err);

  TEST(status != PLM_OK && ck == NULL && strstr(err, msg), "%s: %s (%s)", what, plm_StatusName(status), err);
  plm_checkpoint_Close(ck);
}

static void
test_bad_paths(void)
{
  char dir[1024], link[2048], target[4096], file[2048];

  mkdir(tmpfile_path(dir, "noconfig"), 0700);
  snprintf(link, sizeof link, "%s/model.safetensors", dir);
  if (realpath(fixture(file, "models/esm2_t3_tiny_random.hf/model.safetensors"), target) && symlink(target, link) == 0)
    expect_open_fails("folder without config.json", dir, "no config.json");
  mkdir(tmpfile_path(dir, "noweights"), 0700);
  snprintf(file, sizeof file, "%s/config.json", dir);
  write_file(file, "{\"hidden_size\": 4}", 18);
  expect_open_fails("folder without weights", dir, "neither model.safetensors nor pytorch_model.bin");
  write_file(tmpfile_path(file, "empty.pt"), "", 0);
  expect_open_fails("empty file", file, "empty file");
  write_file(tmpfile_path(file, "text.pt"), "hello, world\n", 13);
  expect_open_fails("a text file", file, "not a torch checkpoint or safetensors file");
  expect_open_fails("no such path", tmpfile_path(file, "absent.pt"), "absent.pt");
  snprintf(file, sizeof file, "%s/config.json", dir);
  write_file(file, "{\"hidden_size\": [4", 18);
  expect_open_fails("broken config.json", dir, "config.json: JSON syntax error");
}

/* released pages come back from the file: every tensor of a mapped checkpoint reads the same
 * after plm_checkpoint_Release as before */
static void
test_release(void)
{
  static const char *rels[] = { "models/esm2_t6_8M_shape_random.pt", "models/esm2_t3_tiny_random.hf" };
  for (size_t r = 0; r < sizeof rels / sizeof rels[0]; r++) {
    plm_checkpoint *ck = open_fixture(rels[r]);
    size_t          total = 0, same = 0, n = 0;
    if (!ck) continue;
    for (int i = 0; i < ck->ntensors; i++) {
      const plm_tensor *t = ck->tensors[i];
      size_t            nb = plm_tensor_Nbytes(t);
      char             *copy = malloc(nb ? nb : 1);
      memcpy(copy, t->data, nb);
      plm_checkpoint_Release(ck, t->data, nb);
      same += memcmp(copy, t->data, nb) == 0;
      total += nb;
      n++;
      free(copy);
    }
    TEST(n > 0 && same == n, "%s: all %zu tensors (%zu bytes) read the same after their pages are released", rels[r], n, total);
    plm_checkpoint_Close(ck);
  }
}

int
main(void)
{
  char cmd[1100];

  if (!mkdtemp(tmpdir)) { TEST(0, "mkdtemp"); return test_done(); }
  test_fixtures();
  test_known();
  test_pt_vs_hf();
  test_merge();
  test_deflated();
  test_legacy_made();
  test_truncated();
  test_bad_paths();
  test_release();
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
  if (system(cmd) != 0) fprintf(stderr, "note: could not remove %s\n", tmpdir);
  return test_done();
}
