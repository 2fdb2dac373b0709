/* test_esm_golden.c: ESM-2, ESM-1b and ESM-1 (libcore/model/esm.c, lm.c) against fair-esm's own outputs.
 *
 *   every fixture ESM model (tiny ESM-2 as .pt and as HF folder, the 8M-shape ESM-2 with the
 *   real published contact head, tiny ESM-1b in the legacy torch format) on every sequence of
 *   its golden index.json: tokens exactly; logits and every representation layer to 1e-4
 *   relative; every attention map and the contacts to 1e-5 absolute; the worst errors are
 *   printed in the PASS lines;
 *   ESM-1 (null key/value, BOS only) too;
 *   the same with attention in blocks of query rows (one row per block; a few rows), as
 *   long proteins run within lm.h's attn_bytes budget;
 *   the .pt and .hf copies of the tiny ESM-2 give bit-identical outputs.
 * (test_esm.c has the rest: errors, long proteins, threads.)
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
#include "npy.h"
#include "golden.h"
#include "test.h"


static void
report(const char *model, const char *what, const golden_stat *st, const char *unit)
{
  TEST(st->bad == 0 && st->n > 0, "%s %s: %d files, max abs err %.2e, max rel err %.2e%s",
       model, what, st->n, st->abs, st->rel, unit);
}

/* full outputs of one protein; attn_bytes: the budget for one layer's maps (0: the default, whole
 * maps here; small: attention in blocks of query rows) */
static int
run_blocked(plm_lm *m, const char *seq, size_t attn_bytes, plm_lm_output *out, char *eb)
{
  uint8_t        repr[PLM_LM_MAXLAYERS + 1], layers[PLM_LM_MAXLAYERS];
  plm_lm_request req = { .logits = 1, .contacts = m->has_contacts, .repr = repr, .attn_layers = layers,
                         .attn_dtype = PLM_F32, .attn_bytes = attn_bytes };
  plm_long       lp = { PLM_LONG_ERROR, 0, 0 };
  memset(repr, 1, sizeof repr);
  memset(layers, 1, sizeof layers);
  return plm_lm_Run(m, seq, &req, &lp, out, eb);
}

static int
run_all(plm_lm *m, const char *seq, plm_lm_output *out, char *eb)
{
  return run_blocked(m, seq, 0, out, eb);
}

static int
identical(const plm_tensor *a, const plm_tensor *b)
{
  if (!a || !b) return a == b;
  return a->dtype == b->dtype && plm_tensor_Nbytes(a) == plm_tensor_Nbytes(b) &&
         memcmp(a->data, b->data, plm_tensor_Nbytes(a)) == 0;
}

static int
outputs_identical(const plm_lm_output *a, const plm_lm_output *b)
{
  int ok = identical(a->tokens, b->tokens) && identical(a->logits, b->logits) &&
           identical(a->attentions, b->attentions) && identical(a->contacts, b->contacts);
  for (int k = 0; k <= PLM_LM_MAXLAYERS; k++) ok = ok && identical(a->repr[k], b->repr[k]);
  return ok;
}

static void
golden_model_test(plm_backend *be, const char *const gm[2], size_t attn_bytes)
{
  char            eb[PLM_ERRBUFSIZE], path[1024], label[128];
  plm_lm         *m = NULL;
  plm_json       *index = NULL;
  const plm_json *seqs;
  char           *text = NULL;
  size_t          len;
  golden_stat         tok = { 0 }, logits = { 0 }, repr = { 0 }, att = { 0 }, con = { 0 };

  if (attn_bytes) snprintf(label, sizeof label, "golden %s, attention in blocks of query rows (%zu-byte budget)", gm[1], attn_bytes);
  else            snprintf(label, sizeof label, "golden %s", gm[1]);
  snprintf(path, sizeof path, "%s/fixtures/golden/%s/index.json", test_shared(), gm[0]);
  if ((text = golden_Slurp(path, &len)) == NULL) { test_skip("%s: %s absent", label, path); return; }
  if (plm_json_Parse(text, len, &index, eb) != PLM_OK || !(seqs = plm_json_Get(index, "sequences"))) {
    TEST(0, "%s: index.json: %s", label, eb); goto DONE;
  }
  snprintf(path, sizeof path, "%s/fixtures/models/%s", test_shared(), gm[1]);
  if (plm_lm_Open(path, be, &m, eb) != PLM_OK) { TEST(0, "%s: open: %s", label, eb); goto DONE; }
  TEST(m->has_contacts && m->has_lmhead, "%s: opened as %s, %d layers x %d heads, dim %d, LM head and contact head",
       label, m->arch, m->nlayers, m->nheads, m->dim);

  for (int s = 0; s < seqs->n; s++) {
    const plm_json *name = plm_json_Get(seqs->kids[s], "name"), *seq = plm_json_Get(seqs->kids[s], "sequence");
    plm_lm_output   out;
    char            base[900];

    snprintf(base, sizeof base, "%s/fixtures/golden/%s/%s", test_shared(), gm[0], name->value);
    if (run_blocked(m, seq->value, attn_bytes, &out, eb) != PLM_OK) { TEST(0, "%s %s: %s", label, name->value, eb); continue; }
    snprintf(path, sizeof path, "%s.tokens.npy", base);
    golden_CompareFile(out.tokens, path, 1e-300, 0, &tok);
    snprintf(path, sizeof path, "%s.logits.npy", base);
    golden_CompareFile(out.logits, path, 0, 1e-4, &logits);
    for (int k = 0; k <= m->nlayers; k++) {
      snprintf(path, sizeof path, "%s.repr%d.npy", base, k);
      golden_CompareFile(out.repr[k], path, 0, 1e-4, &repr);
    }
    snprintf(path, sizeof path, "%s.attentions.npy", base);
    if (access(path, R_OK) == 0) golden_CompareFile(out.attentions, path, 1e-5, 0, &att);
    snprintf(path, sizeof path, "%s.contacts.npy", base);
    golden_CompareFile(out.contacts, path, 1e-5, 0, &con);
    plm_lmout_Clear(&out);
  }
  report(label, "tokens", &tok, "");
  report(label, "logits", &logits, "");
  report(label, "representations", &repr, "");
  report(label, "attentions", &att, "");
  report(label, "contacts", &con, "");

DONE:
  plm_lm_Close(m);
  plm_json_Free(index);
  free(text);
}

/* the .pt and the HuggingFace copy of the same weights: bit-identical outputs on every sequence */
static void
pt_vs_hf(plm_backend *be)
{
  char            eb[PLM_ERRBUFSIZE], path[1024];
  plm_lm         *pt = NULL, *hf = NULL;
  plm_json       *index = NULL;
  const plm_json *seqs;
  char           *text = NULL;
  size_t          len;
  int             n = 0, same = 0;

  snprintf(path, sizeof path, "%s/fixtures/golden/esm2_t3_tiny_random/index.json", test_shared());
  if ((text = golden_Slurp(path, &len)) == NULL) { test_skip("esm2_t3_tiny_random .pt vs .hf: %s absent", path); return; }
  snprintf(path, sizeof path, "%s/fixtures/models/esm2_t3_tiny_random.pt", test_shared());
  if (plm_lm_Open(path, be, &pt, eb) != PLM_OK) { TEST(0, ".pt vs .hf: %s", eb); goto DONE; }
  snprintf(path, sizeof path, "%s/fixtures/models/esm2_t3_tiny_random.hf", test_shared());
  if (plm_lm_Open(path, be, &hf, eb) != PLM_OK) { TEST(0, ".pt vs .hf: %s", eb); goto DONE; }
  if (plm_json_Parse(text, len, &index, eb) != PLM_OK || !(seqs = plm_json_Get(index, "sequences"))) { TEST(0, "index.json: %s", eb); goto DONE; }
  for (int s = 0; s < seqs->n; s++) {
    const char   *seq = plm_json_Get(seqs->kids[s], "sequence")->value;
    plm_lm_output a, b;
    if (run_all(pt, seq, &a, eb) != PLM_OK || run_all(hf, seq, &b, eb) != PLM_OK) { TEST(0, ".pt vs .hf: %s", eb); goto DONE; }
    n++;
    same += outputs_identical(&a, &b);
    plm_lmout_Clear(&a);
    plm_lmout_Clear(&b);
  }
  TEST(n > 0 && same == n, "esm2_t3_tiny_random .pt and .hf: identical tokens, logits, representations, attentions, contacts on %d/%d sequences", same, n);
DONE:
  plm_lm_Close(pt);
  plm_lm_Close(hf);
  plm_json_Free(index);
  free(text);
}

int
main(void)
{
  char         eb[PLM_ERRBUFSIZE];
  plm_backend *be;

  if (plm_backend_Create("cpu", 2, &be, eb) != PLM_OK) { TEST(0, "cpu backend: %s", eb); return test_done(); }
  for (int i = 0; i < GOLDEN_NESM; i++) golden_model_test(be, golden_esm_models[i], 0);
  /* one query row per block, and a budget of a few rows per block with a short last one */
  golden_model_test(be, golden_esm_models[0], 1);
  golden_model_test(be, golden_esm_models[2], 20 * 7 * 4 * 100);
  golden_model_test(be, golden_esm_models[3], 1);
  golden_model_test(be, golden_esm_models[4], 1);     /* ESM-1: T + 1 keys, the null column dropped per block */
  pt_vs_hf(be);
  plm_backend_Destroy(be);
  return test_done();
}
