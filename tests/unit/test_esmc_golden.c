/* test_esmc_golden.c: ESM C (libcore/model/esmc.c) against EvolutionaryScale's own layer code.
 *
 *   the tiny random ESM C, as the bare torch state dict (.pth) and as .safetensors, on every
 *   sequence of golden/esmc_t3_tiny_random (one with a '|' chain break): tokens exactly; logits
 *   (the first 33 of the golden's 64 columns), repr0 .. repr3 (the blocks' outputs) and the final
 *   normed embeddings to 1e-4 relative; every attention map to 1e-5 absolute; worst errors in the
 *   PASS lines; on the CPU and, where an OpenCL device is (pocl in CI), on OpenCL;
 *   the same with attention in blocks of one query row;
 *   all six proteins in one forward_many pass (plm_lm_RunBatch) equal to their own runs (1e-5
 *   relative to each tensor's largest magnitude);
 *   forward_batch (same-length proteins, logits only) equal to single runs;
 *   f16 weights (--precision f16) within half precision's rounding of f32;
 *   the .pth and .safetensors copies give bit-identical outputs;
 *   the shape inferred from the tensors (3 blocks, 2 heads = 128 / 64, 33 logits), no contact
 *   head, and a random ESM C from plm_esmc_WriteRandom() that opens with the shape asked.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "error.h"
#include "backend.h"
#include "jsonread.h"
#include "lm.h"
#include "esmc.h"
#include "npy.h"
#include "golden.h"
#include "test.h"

#define GOLD "esmc_t3_tiny_random"

typedef struct golden_set { plm_json *index; const plm_json *seqs; char *text; } golden_set;

static int
golden_open(golden_set *g)
{
  char   path[1024], eb[PLM_ERRBUFSIZE];
  size_t len;
  memset(g, 0, sizeof *g);
  snprintf(path, sizeof path, "%s/fixtures/golden/%s/index.json", test_shared(), GOLD);
  if ((g->text = golden_Slurp(path, &len)) == NULL) { test_skip("esmc golden: %s absent", path); return 0; }
  if (plm_json_Parse(g->text, len, &g->index, eb) != PLM_OK || !(g->seqs = plm_json_Get(g->index, "sequences"))) {
    TEST(0, "esmc golden index.json: %s", eb);
    return 0;
  }
  return 1;
}

static void
golden_close(golden_set *g) { plm_json_Free(g->index); free(g->text); }

static const char *seq_of(const golden_set *g, int s) { return plm_json_Get(g->seqs->kids[s], "sequence")->value; }
static const char *name_of(const golden_set *g, int s) { return plm_json_Get(g->seqs->kids[s], "name")->value; }

static plm_lm_request
full_request(uint8_t *repr, uint8_t *layers, size_t attn_bytes)
{
  memset(repr, 1, PLM_LM_MAXLAYERS + 1);
  memset(layers, 1, PLM_LM_MAXLAYERS);
  return (plm_lm_request){ .logits = 1, .embeddings = 1, .repr = repr, .attn_layers = layers,
                           .attn_dtype = PLM_F32, .attn_bytes = attn_bytes };
}

/* the golden's T x 64 logits cut to their first 33 columns, then compared */
static void
compare_logits(const plm_tensor *got, const char *path, golden_stat *st)
{
  char        eb[PLM_ERRBUFSIZE];
  plm_tensor *want = NULL, *cut = NULL;
  double      e, r;

  if (plm_npy_Read(path, "golden", &want, eb) != PLM_OK || want->rank != 2) { st->bad++; printf("  cannot read %s\n", path); goto DONE; }
  int64_t shape[2] = { want->shape[0], 33 };
  if (plm_tensor_Create("want", PLM_F32, 2, shape, &cut, eb) != PLM_OK) { st->bad++; goto DONE; }
  for (int64_t t = 0; t < shape[0]; t++)
    memcpy((float *)cut->data + t * 33, (const float *)want->data + t * want->shape[1], 33 * sizeof(float));
  if (!golden_MaxErr(got, cut, &e, &r)) { st->bad++; printf("  %s: missing or wrong shape\n", path); goto DONE; }
  if (!(e <= st->abs)) st->abs = e;
  if (!(r <= st->rel)) st->rel = r;
  if (!(r <= 1e-4)) { st->bad++; printf("  %s: beyond tolerance\n", path); }
  st->n++;
DONE:
  plm_tensor_Destroy(want);
  plm_tensor_Destroy(cut);
}

static void
report(const char *label, const char *what, const golden_stat *st)
{
  TEST(st->bad == 0 && st->n > 0, "%s %s: %d files, max abs err %.2e, max rel err %.2e", label, what, st->n, st->abs, st->rel);
}

static void
golden_test(plm_backend *be, const golden_set *g, const char *file, size_t attn_bytes)
{
  char          eb[PLM_ERRBUFSIZE], path[1300], label[256], base[1100];
  uint8_t       repr[PLM_LM_MAXLAYERS + 1], layers[PLM_LM_MAXLAYERS];
  plm_lm       *m = NULL;
  plm_long      lp = { PLM_LONG_ERROR, 0, 0 };
  golden_stat   tok = { 0 }, logits = { 0 }, rep = { 0 }, emb = { 0 }, att = { 0 };
  plm_lm_request req = full_request(repr, layers, attn_bytes);

  snprintf(label, sizeof label, "esmc %s %s%s", be->ops->name, file, attn_bytes ? ", attention one query row per block" : "");
  snprintf(path, sizeof path, "%s/fixtures/models/%s", test_shared(), file);
  if (plm_lm_Open(path, be, &m, eb) != PLM_OK) { TEST(0, "%s: open: %s", label, eb); return; }
  if (!attn_bytes)
    TEST(strcmp(m->arch, "esmc") == 0 && m->nlayers == 3 && m->nheads == 2 && m->dim == 128 && m->vocab == 33 &&
         m->has_lmhead && !m->has_contacts && m->has_embeddings,
         "%s: opened as %s, %d blocks x %d heads (width / 64), width %d, %d logits, no contact head",
         label, m->arch, m->nlayers, m->nheads, m->dim, m->vocab);
  for (int s = 0; s < g->seqs->n; s++) {
    plm_lm_output out;
    snprintf(base, sizeof base, "%s/fixtures/golden/%s/%s", test_shared(), GOLD, name_of(g, s));
    if (plm_lm_Run(m, seq_of(g, s), &req, &lp, &out, eb) != PLM_OK) { TEST(0, "%s %s: %s", label, name_of(g, s), eb); continue; }
    snprintf(path, sizeof path, "%s.tokens.npy", base);
    golden_CompareFile(out.tokens, path, 1e-300, 0, &tok);
    snprintf(path, sizeof path, "%s.logits.npy", base);
    compare_logits(out.logits, path, &logits);
    for (int k = 0; k <= m->nlayers; k++) {
      snprintf(path, sizeof path, "%s.repr%d.npy", base, k);
      golden_CompareFile(out.repr[k], path, 0, 1e-4, &rep);
    }
    snprintf(path, sizeof path, "%s.embeddings.npy", base);
    golden_CompareFile(out.embeddings, path, 0, 1e-4, &emb);
    snprintf(path, sizeof path, "%s.attentions.npy", base);
    golden_CompareFile(out.attentions, path, 1e-5, 0, &att);
    plm_lmout_Clear(&out);
  }
  report(label, "tokens", &tok);
  report(label, "logits (33 of 64 columns)", &logits);
  report(label, "repr0..3 (block outputs)", &rep);
  report(label, "embeddings (final LayerNorm)", &emb);
  report(label, "attentions", &att);
  plm_lm_Close(m);
}

/* all proteins in one forward_many pass against each one's own run */
static void
batch_test(plm_backend *be, const golden_set *g)
{
  char          eb[PLM_ERRBUFSIZE], path[1024];
  uint8_t       repr[PLM_LM_MAXLAYERS + 1], layers[PLM_LM_MAXLAYERS];
  plm_lm       *m = NULL;
  plm_long      lp = { PLM_LONG_ERROR, 0, 0 };
  plm_lm_request req = full_request(repr, layers, 0);
  plm_lm_output outs[16], one;
  const char   *seqs[16];
  int           B = g->seqs->n < 16 ? g->seqs->n : 16, bad = -1, n = 0;
  double        worst = 0, e, r;

  snprintf(path, sizeof path, "%s/fixtures/models/%s.pth", test_shared(), GOLD);
  if (plm_lm_Open(path, be, &m, eb) != PLM_OK) { TEST(0, "esmc batch: open: %s", eb); return; }
  for (int s = 0; s < B; s++) seqs[s] = seq_of(g, s);
  if (plm_lm_RunBatch(m, seqs, B, &req, &lp, outs, &bad, eb) != PLM_OK) { TEST(0, "esmc batch: %s", eb); plm_lm_Close(m); return; }
  for (int s = 0; s < B; s++) {
    if (plm_lm_Run(m, seqs[s], &req, &lp, &one, eb) != PLM_OK) { TEST(0, "esmc batch: %s", eb); break; }
    const plm_tensor *a[] = { outs[s].logits, outs[s].attentions, outs[s].embeddings, outs[s].repr[0], outs[s].repr[3] };
    const plm_tensor *b[] = { one.logits, one.attentions, one.embeddings, one.repr[0], one.repr[3] };
    for (int i = 0; i < 5; i++) {
      if (!golden_MaxErr(a[i], b[i], &e, &r)) { worst = INFINITY; continue; }
      if (!(r <= worst)) worst = r;
      n++;
    }
    plm_lmout_Clear(&one);
  }
  for (int s = 0; s < B; s++) plm_lmout_Clear(&outs[s]);
  /* forward_batch: two copies of one protein, logits only, in one tensor */
  {
    int32_t      *ids = NULL, *two = NULL;
    int           T, ok = 0;
    plm_lm_output all = { 0 };
    plm_lm_request lreq = { .logits = 1 };
    if (m->tokenize(m, seqs[1], &ids, &T, eb) == PLM_OK && (two = malloc(sizeof *two * 2 * (size_t)T)) != NULL) {
      memcpy(two, ids, sizeof *ids * (size_t)T);
      memcpy(two + T, ids, sizeof *ids * (size_t)T);
      if (m->forward_batch(m, two, 2, T, &all, eb) == PLM_OK && plm_lm_Run(m, seqs[1], &lreq, &lp, &one, eb) == PLM_OK) {
        const float *a = all.logits->data, *b = one.logits->data;
        ok = all.logits->shape[0] == 2 * T && all.logits->shape[1] == 33;
        for (int i = 0; ok && i < T * 33; i++) ok = fabsf(a[i] - b[i]) <= 1e-5f * (1 + fabsf(b[i])) && fabsf(a[T * 33 + i] - b[i]) <= 1e-5f * (1 + fabsf(b[i]));
        plm_lmout_Clear(&one);
      }
    }
    TEST(ok, "esmc %s: forward_batch of two copies gives each one's logits", be->ops->name);
    plm_lmout_Clear(&all);
    free(ids);
    free(two);
  }
  TEST(n == 5 * B && worst <= 1e-5, "esmc %s: %d proteins in one forward_many pass equal their own runs (%d tensors, max rel err %.2e)",
       be->ops->name, B, n, worst);
  plm_lm_Close(m);
}

/* --precision f16: matrices kept as halves, arithmetic in float32; logits within half precision's
 * rounding of the f32 run (the f16 tests of ESM-2 allow the same) */
static void
f16_test(const golden_set *g)
{
  char           eb[PLM_ERRBUFSIZE], path[1024];
  uint8_t        repr[PLM_LM_MAXLAYERS + 1], layers[PLM_LM_MAXLAYERS];
  plm_backend   *be32 = NULL, *be16 = NULL;
  plm_lm        *a = NULL, *b = NULL;
  plm_long       lp = { PLM_LONG_ERROR, 0, 0 };
  plm_lm_request req = full_request(repr, layers, 0);
  double         worst = 0, e, r;
  int            n = 0;

  snprintf(path, sizeof path, "%s/fixtures/models/%s.pth", test_shared(), GOLD);
  if (plm_backend_Create("cpu", 2, &be32, eb) != PLM_OK || plm_backend_Create("cpu", 2, &be16, eb) != PLM_OK ||
      plm_backend_SetWeights(be16, PLM_F16, eb) != PLM_OK || plm_lm_Open(path, be32, &a, eb) != PLM_OK ||
      plm_lm_Open(path, be16, &b, eb) != PLM_OK) { TEST(0, "esmc f16: %s", eb); goto DONE; }
  for (int s = 0; s < g->seqs->n; s++) {
    plm_lm_output x, y;
    if (plm_lm_Run(a, seq_of(g, s), &req, &lp, &x, eb) != PLM_OK || plm_lm_Run(b, seq_of(g, s), &req, &lp, &y, eb) != PLM_OK) {
      TEST(0, "esmc f16: %s", eb); goto DONE;
    }
    if (golden_MaxErr(y.logits, x.logits, &e, &r)) { n++; if (!(r <= worst)) worst = r; }
    plm_lmout_Clear(&x);
    plm_lmout_Clear(&y);
  }
  TEST(n == g->seqs->n && worst <= 1e-2, "esmc f16 weights: logits of %d sequences within %.2e of f32 (relative to the largest)", n, worst);
DONE:
  plm_lm_Close(a);
  plm_lm_Close(b);
  plm_backend_Destroy(be32);
  plm_backend_Destroy(be16);
}

/* the .pth and the .safetensors of the same weights: bit-identical logits and maps */
static void
pth_vs_safetensors(plm_backend *be, const golden_set *g)
{
  char          eb[PLM_ERRBUFSIZE], path[1024];
  uint8_t       repr[PLM_LM_MAXLAYERS + 1], layers[PLM_LM_MAXLAYERS];
  plm_lm       *a = NULL, *b = NULL;
  plm_long      lp = { PLM_LONG_ERROR, 0, 0 };
  plm_lm_request req = full_request(repr, layers, 0);
  int           same = 0;

  snprintf(path, sizeof path, "%s/fixtures/models/%s.pth", test_shared(), GOLD);
  if (plm_lm_Open(path, be, &a, eb) != PLM_OK) { TEST(0, "esmc .pth: %s", eb); goto DONE; }
  snprintf(path, sizeof path, "%s/fixtures/models/%s.safetensors", test_shared(), GOLD);
  if (plm_lm_Open(path, be, &b, eb) != PLM_OK) { TEST(0, "esmc .safetensors: %s", eb); goto DONE; }
  for (int s = 0; s < g->seqs->n; s++) {
    plm_lm_output x, y;
    if (plm_lm_Run(a, seq_of(g, s), &req, &lp, &x, eb) != PLM_OK || plm_lm_Run(b, seq_of(g, s), &req, &lp, &y, eb) != PLM_OK) {
      TEST(0, "esmc .pth vs .safetensors: %s", eb); goto DONE;
    }
    same += plm_tensor_Nbytes(x.logits) == plm_tensor_Nbytes(y.logits) &&
            memcmp(x.logits->data, y.logits->data, plm_tensor_Nbytes(x.logits)) == 0 &&
            memcmp(x.attentions->data, y.attentions->data, plm_tensor_Nbytes(x.attentions)) == 0 &&
            memcmp(x.embeddings->data, y.embeddings->data, plm_tensor_Nbytes(x.embeddings)) == 0;
    plm_lmout_Clear(&x);
    plm_lmout_Clear(&y);
  }
  TEST(same == g->seqs->n, "esmc .pth and .safetensors: identical logits, attentions, embeddings on %d/%d sequences", same, g->seqs->n);
DONE:
  plm_lm_Close(a);
  plm_lm_Close(b);
}

/* contacts refused with a pointer to lrfit; a bad residue named; a random ESM C of a given shape */
static void
misc_test(plm_backend *be)
{
  char           eb[PLM_ERRBUFSIZE], path[1024];
  plm_lm        *m = NULL;
  plm_lm_request req = { .contacts = 1 };
  plm_long       lp = { PLM_LONG_ERROR, 0, 0 };
  plm_lm_output  out;
  int            status;

  snprintf(path, sizeof path, "%s/fixtures/models/%s.pth", test_shared(), GOLD);
  if (plm_lm_Open(path, be, &m, eb) != PLM_OK) { TEST(0, "esmc open: %s", eb); return; }
  status = plm_lm_Run(m, "MKT", &req, &lp, &out, eb);
  TEST(status == PLM_EUNSUP && strstr(eb, "lrfit"), "esmc contacts refused, pointing at lrfit: %s", eb);
  req = (plm_lm_request){ .logits = 1 };
  status = plm_lm_Run(m, "MK|J", &req, &lp, &out, eb);
  TEST(status == PLM_EFORMAT && strstr(eb, "'J'"), "esmc: a bad residue after a chain break is named: %s", eb);
  plm_lm_Close(m);

  snprintf(path, sizeof path, "/tmp/test_esmc_random_%d.safetensors", (int)getpid());
  status = plm_esmc_WriteRandom(path, 2, 192, 7, eb);
  if (status == PLM_OK && plm_lm_Open(path, be, &m, eb) == PLM_OK) {
    req = (plm_lm_request){ .logits = 1 };
    status = plm_lm_Run(m, "MKTAYIAKQR", &req, &lp, &out, eb);
    TEST(status == PLM_OK && m->nlayers == 2 && m->nheads == 3 && m->dim == 192 && out.logits && out.logits->shape[1] == 33,
         "random ESM C (2 blocks, width 192) opens as %d blocks x %d heads and runs", m->nlayers, m->nheads);
    if (status == PLM_OK) plm_lmout_Clear(&out);
    plm_lm_Close(m);
  } else TEST(0, "random ESM C: %s", eb);
  unlink(path);
}

int
main(void)
{
  char         eb[PLM_ERRBUFSIZE];
  plm_backend *cpu = NULL, *gpu = NULL;
  golden_set   g;
  int          status;

  if (!golden_open(&g)) { golden_close(&g); return test_done(); }
  if (plm_backend_Create("cpu", 2, &cpu, eb) != PLM_OK) { TEST(0, "cpu backend: %s", eb); golden_close(&g); return test_done(); }
  golden_test(cpu, &g, GOLD ".pth", 0);
  golden_test(cpu, &g, GOLD ".safetensors", 0);
  golden_test(cpu, &g, GOLD ".pth", 1);
  f16_test(&g);
  batch_test(cpu, &g);
  pth_vs_safetensors(cpu, &g);
  misc_test(cpu);
  if ((status = plm_backend_Create("opencl", 1, &gpu, eb)) != PLM_OK) {
    if (status == PLM_EUNSUP || status == PLM_ENOTFOUND) test_skip("esmc opencl: %s", eb);
    else TEST(0, "opencl backend: %s", eb);
  } else {
    golden_test(gpu, &g, GOLD ".pth", 0);
    golden_test(gpu, &g, GOLD ".pth", 1);
    batch_test(gpu, &g);
  }
  plm_backend_Destroy(gpu);
  plm_backend_Destroy(cpu);
  golden_close(&g);
  return test_done();
}
