/* test_esm.c: the ESM model and the language-model layer around it (libcore/model/esm.c, lm.c), beyond
 * the golden numbers of test_esm_golden.c.
 *
 *   broken checkpoints, each refused with one message naming the file and the tensor: a missing
 *   tensor, a mis-shaped tensor, an unknown architecture (crafted from a plm_esm_WriteRandom
 *   model rewritten as safetensors + config.json in a temp dir);
 *   a fair-esm .pt without its contact-regression file: a warning at open, contacts refused; an
 *   ESM-1v file (published without a head) says so instead;
 *   proteins: an invalid residue and an inline <pad> refused naming the position;
 *   long proteins on ESM-1b: refused by default, truncation equal to running the truncated
 *   protein, windows averaging exactly what the single windows give where only one covers;
 *   1 and 2 threads agree to rounding, one thread count is deterministic; random models are
 *   reproducible from their seed; forward_batch over 3 differently masked proteins (ESM-2,
 *   ESM-1b, ESM-1) gives each one's own forward logits to rounding; a random ESM-1 (mkmodel's)
 *   opens and runs with the ESM-1 alphabet.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "alphabet.h"
#include "backend.h"
#include "checkpoint.h"
#include "error.h"
#include "esm.h"
#include "lm.h"
#include "stwrite.h"
#include "test.h"

static char tmpdir[] = "/tmp/test_esm.XXXXXX";

static const char *
tmppath(const char *name)
{
  static char path[4][256];
  static int  k;
  k = (k + 1) % 4;
  snprintf(path[k], sizeof path[k], "%s/%s", tmpdir, name);
  return path[k];
}

static int
copy_file(const char *from, const char *to)
{
  FILE  *in = fopen(from, "rb"), *out = in ? fopen(to, "wb") : NULL;
  char   buf[65536];
  size_t n;
  int    ok = in && out;
  while (ok && (n = fread(buf, 1, sizeof buf, in)) > 0) ok = fwrite(buf, 1, n, out) == n;
  if (in) fclose(in);
  if (out && fclose(out) != 0) ok = 0;
  return ok;
}

static int
write_text(const char *path, const char *text)
{
  FILE *fp = fopen(path, "w");
  int   ok = fp && fputs(text, fp) >= 0;
  if (fp && fclose(fp) != 0) ok = 0;
  return ok;
}

/* the random model in dir "good", rewritten into dir `name` without tensor `drop`, with tensor
 * `reshape` given one column less, and with config.json from `config` (NULL: the original) */
static int
rewrite(const char *name, const char *drop, const char *reshape, const char *config)
{
  char            eb[PLM_ERRBUFSIZE], dir[256], path[300];
  plm_checkpoint *ck = NULL;
  plm_tensor    **keep = NULL;
  int             n = 0, ok = 0;

  snprintf(dir, sizeof dir, "%s", tmppath(name));
  if (mkdir(dir, 0777) != 0 || plm_checkpoint_Open(tmppath("good/model.safetensors"), &ck, eb) != PLM_OK) goto DONE;
  if ((keep = calloc((size_t)ck->ntensors, sizeof *keep)) == NULL) goto DONE;
  for (int i = 0; i < ck->ntensors; i++) {
    plm_tensor *t = ck->tensors[i];
    if (drop && strcmp(t->name, drop) == 0) continue;
    if (reshape && strcmp(t->name, reshape) == 0) t->shape[t->rank - 1]--;
    keep[n++] = t;
  }
  snprintf(path, sizeof path, "%s/model.safetensors", dir);
  if (plm_stwrite_File(path, keep, n, eb) != PLM_OK) goto DONE;
  snprintf(path, sizeof path, "%s/config.json", dir);
  ok = config ? write_text(path, config) : copy_file(tmppath("good/config.json"), path);
DONE:
  free(keep);
  plm_checkpoint_Close(ck);
  return ok;
}

/* opening `name` fails with `code`, and the message holds each of the two strings */
static void
open_fails(plm_backend *be, const char *what, const char *name, int code, const char *s1, const char *s2)
{
  char    eb[PLM_ERRBUFSIZE] = "";
  plm_lm *m = NULL;
  int     status = plm_lm_Open(tmppath(name), be, &m, eb);
  TEST(status == code && strstr(eb, s1) && strstr(eb, s2), "%s refused: %s", what, eb);
  plm_lm_Close(m);
}

static void
broken_checkpoints(plm_backend *be)
{
  char    eb[PLM_ERRBUFSIZE];
  plm_lm *m = NULL;

  if (plm_esm_WriteRandom(tmppath("good"), 2, 32, 4, 7, eb) != PLM_OK) { TEST(0, "write a random model: %s", eb); return; }
  TEST(plm_lm_Open(tmppath("good"), be, &m, eb) == PLM_OK && m->nlayers == 2 && m->dim == 32 && m->has_contacts,
       "a random 2-layer model opens, with its contact head");
  plm_lm_Close(m);
  if (!rewrite("missing", "esm.encoder.layer.1.intermediate.dense.weight", NULL, NULL) ||
      !rewrite("misshaped", NULL, "esm.encoder.layer.0.attention.self.key.weight", NULL) ||
      !rewrite("unknown", NULL, NULL, "{\"model_type\": \"gpt2\", \"hidden_size\": 32}") ||
      !rewrite("noarch", NULL, NULL, "{\"hidden_size\": 32}")) { TEST(0, "rewrite the random model"); return; }
  open_fails(be, "a missing tensor", "missing", PLM_ENOTFOUND, "esm.encoder.layer.1.intermediate.dense.weight", "missing");
  open_fails(be, "a mis-shaped tensor", "misshaped", PLM_EFORMAT, "esm.encoder.layer.0.attention.self.key.weight", "[32, 31], expected [32, 32]");
  open_fails(be, "an unknown architecture", "unknown", PLM_EUNSUP, "unknown architecture", "model_type 'gpt2'");
  open_fails(be, "a config without architecture", "noarch", PLM_EUNSUP, "unknown architecture", tmppath("noarch"));
}

static void
missing_regression(plm_backend *be)
{
  char          eb[PLM_ERRBUFSIZE], src[1024];
  plm_lm       *m = NULL;
  plm_lm_output out;

  snprintf(src, sizeof src, "%s/fixtures/models/esm2_t3_tiny_random.pt", test_shared());
  if (access(src, R_OK) != 0) { test_skip("missing regression file: %s absent", src); return; }
  if (!copy_file(src, tmppath("alone.pt"))) { TEST(0, "copy %s", src); return; }
  if (plm_lm_Open(tmppath("alone.pt"), be, &m, eb) != PLM_OK) { TEST(0, "open a .pt without its regression file: %s", eb); return; }
  TEST(!m->has_contacts && strstr(m->note, "alone-contact-regression.pt"), "a .pt without its regression file opens with a note: %s", m->note);
  TEST(plm_lm_Run(m, "MKTAYIAK", &(plm_lm_request){ .contacts = 1 }, &(plm_long){ 0 }, &out, eb) == PLM_EUNSUP &&
       strstr(eb, "contact"), "then contacts are refused: %s", eb);
  plm_lm_Close(m);

  /* ESM-1v (ESM-1b's architecture) is published without a head: its note says so, not that a file is missing */
  snprintf(src, sizeof src, "%s/fixtures/models/esm1b_t2_tiny_random.pt", test_shared());
  if (!copy_file(src, tmppath("esm1v_t2_tiny_1.pt"))) { TEST(0, "copy %s", src); return; }
  if (plm_lm_Open(tmppath("esm1v_t2_tiny_1.pt"), be, &m, eb) != PLM_OK) { TEST(0, "open an ESM-1v file: %s", eb); return; }
  TEST(!m->has_contacts && strstr(m->note, "by design") && !strstr(m->note, "beside"),
       "an ESM-1v file opens with no missing-file note: %s", m->note);
  TEST(plm_lm_Run(m, "MKTAYIAK", &(plm_lm_request){ .logits = 1 }, &(plm_long){ 0 }, &out, eb) == PLM_OK &&
       out.logits && out.logits->shape[0] == 10, "and runs as ESM-1b (%s)", m->arch);
  plm_lmout_Clear(&out);
  plm_lm_Close(m);
}

static void
bad_sequences(plm_backend *be)
{
  char          eb[PLM_ERRBUFSIZE], path[1024];
  plm_lm       *m = NULL;
  plm_lm_output out;

  snprintf(path, sizeof path, "%s/fixtures/models/esm2_t3_tiny_random.hf", test_shared());
  if (plm_lm_Open(path, be, &m, eb) != PLM_OK) { test_skip("bad sequences: %s", eb); return; }
  TEST(plm_lm_Run(m, "MKTJAY", &(plm_lm_request){ .logits = 1 }, &(plm_long){ 0 }, &out, eb) == PLM_EFORMAT &&
       strstr(eb, "'J'") && strstr(eb, "position 4"), "an invalid residue is refused: %s", eb);
  TEST(plm_lm_Run(m, "MK<pad>AY", &(plm_lm_request){ .logits = 1 }, &(plm_long){ 0 }, &out, eb) == PLM_EFORMAT &&
       strstr(eb, "<pad>"), "an inline <pad> is refused: %s", eb);
  TEST(plm_lm_Run(m, "", &(plm_lm_request){ .logits = 1, .contacts = 1 }, &(plm_long){ 0 }, &out, eb) == PLM_OK &&
       out.tokens->shape[0] == 2 && out.contacts->shape[0] == 0, "an empty protein gives BOS, EOS and a 0 x 0 contact map");
  plm_lmout_Clear(&out);
  plm_lm_Close(m);
}

static char *
random_protein(int L, unsigned seed)
{
  static const char aa[] = "ACDEFGHIKLMNPQRSTVWY";
  char *s = malloc((size_t)L + 1);
  for (int i = 0; i < L; i++) { seed = seed * 1103515245u + 12345u; s[i] = aa[(seed >> 16) % 20]; }
  s[L] = '\0';
  return s;
}

static float
at2(const plm_tensor *t, int64_t i, int64_t j) { return ((float *)t->data)[i * t->shape[1] + j]; }

static void
long_proteins(plm_backend *be)
{
  char           eb[PLM_ERRBUFSIZE], path[1024];
  plm_lm        *m = NULL;
  plm_lm_output  full, part;
  plm_long       lp;
  char          *seq = random_protein(1500, 3), *head = NULL;
  plm_lm_request req = { .logits = 1, .contacts = 1 };
  int            ok;

  snprintf(path, sizeof path, "%s/fixtures/models/esm1b_t2_tiny_random.pt", test_shared());
  if (plm_lm_Open(path, be, &m, eb) != PLM_OK) { test_skip("long proteins: %s", eb); free(seq); return; }
  TEST(m->max_tokens == 1024, "ESM-1b takes at most 1024 tokens (%d)", m->max_tokens);
  plm_lm_ParseLong("error", &lp, eb);
  TEST(plm_lm_Run(m, seq, &req, &lp, &full, eb) == PLM_ELIMIT && strstr(eb, "1500 residues") && strstr(eb, "1022"),
       "1500 residues are refused by default: %s", eb);

  /* truncation: the first 1022 residues, exactly as if they were the protein */
  head = strndup(seq, 1022);
  plm_lm_ParseLong("truncate", &lp, eb);
  ok = plm_lm_Run(m, seq, &req, &lp, &full, eb) == PLM_OK && plm_lm_Run(m, head, &req, &(plm_long){ 0 }, &part, eb) == PLM_OK;
  TEST(ok && full.tokens->shape[0] == 1024 && strstr(full.note, "truncated") &&
       memcmp(full.logits->data, part.logits->data, plm_tensor_Nbytes(part.logits)) == 0 &&
       memcmp(full.contacts->data, part.contacts->data, plm_tensor_Nbytes(part.contacts)) == 0,
       "--long truncate equals running the first 1022 residues: %s", ok ? full.note : eb);
  plm_lmout_Clear(&full);
  plm_lmout_Clear(&part);

  /* windows of 1000 every 500: [0, 1000) and [500, 1500); residues below 500 only in the first */
  TEST(plm_lm_ParseLong("window:1000:500", &lp, eb) == PLM_OK, "window:1000:500 parses");
  head[1000] = '\0';
  ok = plm_lm_Run(m, seq, &req, &lp, &full, eb) == PLM_OK && plm_lm_Run(m, head, &req, &(plm_long){ 0 }, &part, eb) == PLM_OK;
  TEST(ok && full.tokens->shape[0] == 1502 && full.contacts->shape[0] == 1500 && full.logits->shape[0] == 1502,
       "windows give the whole protein's shapes: %s", ok ? full.note : eb);
  if (ok) {
    int same = 1, far = 1;
    for (int i = 0; i < 500; i++)
      for (int j = 0; j < 500; j++) same &= at2(full.contacts, i, j) == at2(part.contacts, i, j);
    for (int i = 1; i <= 500; i++)
      for (int c = 0; c < 33; c++) same &= at2(full.logits, i, c) == at2(part.logits, i, c);
    for (int i = 0; i < 400; i++)
      for (int j = 1100; j < 1500; j++) far &= at2(full.contacts, i, j) == 0.0f;
    TEST(same, "where only the first window covers, windows equal that window run alone");
    TEST(far, "pairs no window covers are 0");
  }
  plm_lmout_Clear(&full);
  plm_lmout_Clear(&part);
  TEST(plm_lm_ParseLong("window:10:20", &lp, eb) == PLM_EINVAL && plm_lm_ParseLong("window:5", &lp, eb) == PLM_EINVAL &&
       plm_lm_ParseLong("clip", &lp, eb) == PLM_EINVAL, "bad policies refused: %s", eb);
  free(seq);
  free(head);
  plm_lm_Close(m);
}

static int
same_tensor(const plm_tensor *a, const plm_tensor *b)
{
  return a && b && plm_tensor_Nbytes(a) == plm_tensor_Nbytes(b) && memcmp(a->data, b->data, plm_tensor_Nbytes(a)) == 0;
}

/* max |a - b| relative to max |b|; 1 when the shapes differ */
static double
rel_diff(const plm_tensor *a, const plm_tensor *b)
{
  double e = 0, scale = 0;
  if (!a || !b || plm_tensor_Nbytes(a) != plm_tensor_Nbytes(b)) return 1;
  for (int64_t i = 0; i < plm_tensor_Numel(b); i++) {
    double d = fabs((double)((float *)a->data)[i] - ((float *)b->data)[i]);
    e = d > e ? d : e;
    scale = fabs(((float *)b->data)[i]) > scale ? fabs(((float *)b->data)[i]) : scale;
  }
  return scale > 0 ? e / scale : e;
}

static void
threads_agree(void)
{
  char           eb[PLM_ERRBUFSIZE], path[1024];
  plm_backend   *be1 = NULL, *be2 = NULL;
  plm_lm        *m1 = NULL, *m2 = NULL;
  plm_lm_output  a, b;
  uint8_t        all[PLM_LM_MAXLAYERS + 1];
  plm_lm_request req = { .logits = 1, .contacts = 1, .repr = all, .attn_layers = all };
  char          *seq = random_protein(300, 11);

  memset(all, 1, sizeof all);
  snprintf(path, sizeof path, "%s/fixtures/models/esm2_t6_8M_shape_random.pt", test_shared());
  if (plm_backend_Create("cpu", 1, &be1, eb) != PLM_OK || plm_backend_Create("cpu", 2, &be2, eb) != PLM_OK ||
      plm_lm_Open(path, be1, &m1, eb) != PLM_OK || plm_lm_Open(path, be2, &m2, eb) != PLM_OK) { test_skip("threads: %s", eb); goto DONE; }
  if (plm_lm_Run(m1, seq, &req, &(plm_long){ 0 }, &a, eb) != PLM_OK || plm_lm_Run(m2, seq, &req, &(plm_long){ 0 }, &b, eb) != PLM_OK) {
    TEST(0, "threads: %s", eb); goto DONE;
  }
  {
    double e = rel_diff(a.logits, b.logits);
    e = fmax(e, rel_diff(a.attentions, b.attentions));
    e = fmax(e, rel_diff(a.contacts, b.contacts));
    for (int k = 0; k <= m1->nlayers; k++) e = fmax(e, rel_diff(a.repr[k], b.repr[k]));
    TEST(e < 1e-5, "1 and 2 threads agree to float rounding (8M shape, 300 residues): max rel diff %.1e", e);
  }
  plm_lmout_Clear(&a);
  plm_lmout_Clear(&b);
  if (plm_lm_Run(m2, seq, &req, &(plm_long){ 0 }, &b, eb) == PLM_OK)
    TEST(plm_lm_Run(m2, seq, &req, &(plm_long){ 0 }, &a, eb) == PLM_OK && same_tensor(a.logits, b.logits) &&
         same_tensor(a.attentions, b.attentions) && same_tensor(a.contacts, b.contacts), "two runs on 2 threads are bit-identical");
  plm_lmout_Clear(&a);
  plm_lmout_Clear(&b);
DONE:
  plm_lm_Close(m1); plm_lm_Close(m2);
  plm_backend_Destroy(be1); plm_backend_Destroy(be2);
  free(seq);
}

/* three proteins of one length, masked differently (so token dropout scales each its own way),
 * batched vs one at a time */
static void
batch_agrees(plm_backend *be, const char *model)
{
  char           eb[PLM_ERRBUFSIZE], path[1024];
  plm_lm        *m = NULL;
  plm_lm_output  one, all;
  plm_lm_request req = { .logits = 1 };
  int32_t       *ids = NULL, *tk = NULL;
  int            B = 3, T = 0;
  double         e = 0;

  memset(&all, 0, sizeof all);
  snprintf(path, sizeof path, "%s/fixtures/models/%s", test_shared(), model);
  if (plm_lm_Open(path, be, &m, eb) != PLM_OK) { test_skip("batch: %s", eb); return; }
  for (int b = 0; b < B; b++) {
    char *seq = random_protein(120, 21);   /* one protein, masked three ways */
    if (m->tokenize(m, seq, &tk, &T, eb) != PLM_OK) { free(seq); TEST(0, "batch: %s", eb); goto DONE; }
    free(seq);
    if (!ids && (ids = malloc(sizeof *ids * (size_t)B * T)) == NULL) { free(tk); TEST(0, "batch: out of memory"); goto DONE; }
    for (int t = 1; t < T - 1; t++) if ((t * 7 + b * 13) % (5 + 4 * b) == 0) tk[t] = PLM_ESM_MASK;
    memcpy(ids + (size_t)b * T, tk, sizeof *ids * (size_t)T);
    free(tk); tk = NULL;
  }
  if (!m->forward_batch) { TEST(0, "batch: %s has no forward_batch", model); goto DONE; }
  if (m->forward_batch(m, ids, B, T, &all, eb) != PLM_OK) { TEST(0, "batch: %s", eb); goto DONE; }
  TEST(all.logits && all.logits->rank == 2 && all.logits->shape[0] == (int64_t)B * T && all.logits->shape[1] == m->vocab,
       "batch (%s): logits (B x T) x V", model);
  for (int b = 0; b < B && all.logits; b++) {
    plm_tensor view;
    memset(&one, 0, sizeof one);
    if (m->forward(m, ids + (size_t)b * T, T, &req, &one, eb) != PLM_OK) { TEST(0, "batch: %s", eb); goto DONE; }
    view = *one.logits;
    view.data = (float *)all.logits->data + (size_t)b * T * m->vocab;
    e = fmax(e, rel_diff(&view, one.logits));
    plm_lmout_Clear(&one);
  }
  TEST(e < 1e-5, "batch (%s): 3 masked proteins batched equal each alone: max rel diff %.1e", model, e);
DONE:
  plm_lmout_Clear(&all);
  free(ids);
  plm_lm_Close(m);
}

static void
random_reproducible(void)
{
  char  eb[PLM_ERRBUFSIZE], cmd[1024];
  int   ok = plm_esm_WriteRandom(tmppath("again"), 2, 32, 4, 7, eb) == PLM_OK;
  snprintf(cmd, sizeof cmd, "cmp -s %s %s", tmppath("good/model.safetensors"), tmppath("again/model.safetensors"));
  TEST(ok && system(cmd) == 0, "the same seed writes the same model bytes");
  TEST(plm_esm_WriteRandom(tmppath("bad"), 2, 30, 4, 7, eb) == PLM_EINVAL, "a width the heads do not divide is refused: %s", eb);
}

/* mkmodel's ESM-1: fair-esm's keys and args in a folder, opened as ESM-1 with its head; BOS-only tokens */
static void
random_esm1(plm_backend *be)
{
  char          eb[PLM_ERRBUFSIZE];
  plm_lm       *m = NULL;
  plm_lm_output out;

  if (plm_esm1_WriteRandom(tmppath("esm1"), 2, 48, 4, 7, eb) != PLM_OK) { TEST(0, "write a random ESM-1: %s", eb); return; }
  if (plm_lm_Open(tmppath("esm1"), be, &m, eb) != PLM_OK) { TEST(0, "open the random ESM-1: %s", eb); return; }
  TEST(strcmp(m->arch, "esm1") == 0 && m->nlayers == 2 && m->dim == 48 && m->vocab == 35 && m->has_contacts &&
       m->has_lmhead && strcmp(m->special_tokens, "bos") == 0, "a random ESM-1 opens as %s, %d tokens, special tokens %s",
       m->arch, m->vocab, m->special_tokens);
  TEST(plm_lm_Run(m, "MK<mask>AY", &(plm_lm_request){ .logits = 1, .contacts = 1 }, &(plm_long){ 0 }, &out, eb) == PLM_OK &&
       out.tokens->shape[0] == 6 && ((int32_t *)out.tokens->data)[0] == 32 && ((int32_t *)out.tokens->data)[3] == 33 &&
       out.logits->shape[1] == 35 && out.contacts->shape[0] == 5,
       "it runs: <cls> 32 first, <mask> 33, no EOS, 5 x 5 contacts (%s)", eb);
  plm_lmout_Clear(&out);
  plm_lm_Close(m);
}

int
main(void)
{
  char         eb[PLM_ERRBUFSIZE], cmd[300];
  plm_backend *be;

  if (!mkdtemp(tmpdir)) { TEST(0, "mkdtemp"); return test_done(); }
  if (plm_backend_Create("cpu", 2, &be, eb) != PLM_OK) { TEST(0, "cpu backend: %s", eb); return test_done(); }
  broken_checkpoints(be);
  missing_regression(be);
  bad_sequences(be);
  long_proteins(be);
  batch_agrees(be, "esm2_t6_8M_shape_random.pt");
  batch_agrees(be, "esm1b_t2_tiny_random.pt");
  batch_agrees(be, "esm1_t3_tiny_random.pt");
  random_esm1(be);
  plm_backend_Destroy(be);
  threads_agree();
  random_reproducible();
  snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
  if (system(cmd) != 0) printf("note: could not remove %s\n", tmpdir);
  return test_done();
}
