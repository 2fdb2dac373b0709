/* test_bert_golden.c: TAPE BERT, ProtBert, ProtAlbert and ProtXLNet (libcore/model/bert.c, xlnet.c, vocab.c)
 * against their reference implementations' outputs.
 *
 *   every fixture model on every sequence of its golden index.json: tokens exactly; logits and every
 *   representation layer to 1e-4 relative; every attention map to 1e-5 absolute; the worst errors are
 *   printed in the PASS lines;
 *   the same in one batch per model (forward_many) with a one-residue protein added, each protein
 *   also equal to its own run;
 *   TAPE BERT and its ProtBert-layout copy (the same weights, another vocabulary order) give
 *   bit-identical attention maps and representations;
 *   the vocabularies: special-token layouts, inline special tokens, refused characters, no contact head.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "error.h"
#include "backend.h"
#include "jsonread.h"
#include "lm.h"
#include "npy.h"
#include "vocab.h"
#include "golden.h"
#include "test.h"

typedef struct golden_model { const char *golden, *file, *arch, *special; } golden_model;
static const golden_model models[] = {
  { "tape_bert_t3_tiny_random",  "tape_bert_t3_tiny_random",    "bert",   "cls,sep" },
  { "protbert_t3_tiny_random",   "protbert_t3_tiny_random.hf",  "bert",   "cls,sep" },
  { "protalbert_t3_tiny_random", "protalbert_t3_tiny_random",   "albert", "cls,sep" },
  { "protxlnet_t3_tiny_random",  "protxlnet_t3_tiny_random",    "xlnet",  "sep,cls" },
};
#define NMODELS (int)(sizeof models / sizeof models[0])

static void
report(const char *model, const char *what, const golden_stat *st)
{
  TEST(st->bad == 0 && st->n > 0, "%s %s: %d files, max abs err %.2e, max rel err %.2e", model, what, st->n, st->abs, st->rel);
}

static int
run_all(plm_lm *m, const char *seq, plm_lm_output *out, char *eb)
{
  uint8_t        repr[PLM_LM_MAXLAYERS + 1], layers[PLM_LM_MAXLAYERS];
  plm_lm_request req = { .logits = 1, .repr = repr, .attn_layers = layers, .attn_dtype = PLM_F32 };
  plm_long       lp = { PLM_LONG_ERROR, 0, 0 };
  memset(repr, 1, sizeof repr);
  memset(layers, 1, sizeof layers);
  return plm_lm_Run(m, seq, &req, &lp, out, eb);
}

static plm_json *
read_index(const char *golden, char *eb)
{
  char      path[1024];
  char     *text;
  size_t    len;
  plm_json *index = NULL;

  snprintf(path, sizeof path, "%s/fixtures/golden/%s/index.json", test_shared(), golden);
  if ((text = golden_Slurp(path, &len)) == NULL) return NULL;
  if (plm_json_Parse(text, len, &index, eb) != PLM_OK || !plm_json_Get(index, "sequences")) { plm_json_Free(index); index = NULL; }
  free(text);
  return index;
}

static int
open_model(plm_backend *be, const char *file, plm_lm **ret_m, char *eb)
{
  char path[1024];
  snprintf(path, sizeof path, "%s/fixtures/models/%s", test_shared(), file);
  return plm_lm_Open(path, be, ret_m, eb);
}

static void
golden_model_test(plm_backend *be, const golden_model *gm)
{
  char            eb[PLM_ERRBUFSIZE] = "", path[1024], label[128];
  plm_lm         *m = NULL;
  plm_json       *index;
  const plm_json *seqs;
  golden_stat         tok = { 0 }, logits = { 0 }, repr = { 0 }, att = { 0 };

  snprintf(label, sizeof label, "golden %s", gm->file);
  if ((index = read_index(gm->golden, eb)) == NULL) { test_skip("%s: no readable golden index.json %s", label, eb); return; }
  seqs = plm_json_Get(index, "sequences");
  if (open_model(be, gm->file, &m, eb) != PLM_OK) { TEST(0, "%s: open: %s", label, eb); goto DONE; }
  TEST(strcmp(m->arch, gm->arch) == 0 && strcmp(m->special_tokens, gm->special) == 0 && m->has_lmhead && !m->has_contacts,
       "%s: opened as %s, %d layers x %d heads, dim %d, special tokens %s, LM head, no contact head",
       label, m->arch, m->nlayers, m->nheads, m->dim, m->special_tokens);

  for (int s = 0; s < seqs->n; s++) {
    const char   *name = plm_json_Get(seqs->kids[s], "name")->value, *seq = plm_json_Get(seqs->kids[s], "sequence")->value;
    plm_lm_output out;
    char          base[900];

    snprintf(base, sizeof base, "%s/fixtures/golden/%s/%s", test_shared(), gm->golden, name);
    if (run_all(m, seq, &out, eb) != PLM_OK) { TEST(0, "%s %s: %s", label, name, eb); continue; }
    snprintf(path, sizeof path, "%s.tokens.npy", base);
    golden_CompareFile(out.tokens, path, 1e-300, 0, &tok);
    snprintf(path, sizeof path, "%s.logits.npy", base);
    golden_CompareFile(out.logits, path, 0, 1e-4, &logits);
    for (int k = 0; k <= m->nlayers; k++) {
      snprintf(path, sizeof path, "%s.repr%d.npy", base, k);
      golden_CompareFile(out.repr[k], path, 0, 1e-4, &repr);
    }
    snprintf(path, sizeof path, "%s.attentions.npy", base);
    golden_CompareFile(out.attentions, path, 1e-5, 0, &att);
    plm_lmout_Clear(&out);
  }
  report(label, "tokens", &tok);
  report(label, "logits", &logits);
  report(label, "representations", &repr);
  report(label, "attentions", &att);

DONE:
  plm_lm_Close(m);
  plm_json_Free(index);
}

/* the worst of got against want over tokens' logits, representations and attentions, relative to
 * each tensor's largest magnitude */
static double
outputs_diff(const plm_lm_output *got, const plm_lm_output *want)
{
  double worst = 0, e, r;
  const plm_tensor *const g[] = { got->logits, got->attentions }, *const w[] = { want->logits, want->attentions };
  for (int i = 0; i < 2; i++) worst = !golden_MaxErr(g[i], w[i], &e, &r) ? INFINITY : fmax(worst, r);
  for (int k = 0; k <= PLM_LM_MAXLAYERS; k++)
    if (got->repr[k] || want->repr[k]) worst = !golden_MaxErr(got->repr[k], want->repr[k], &e, &r) ? INFINITY : fmax(worst, r);
  return worst;
}

/* every golden sequence and a one-residue protein in one batch (plm_lm_RunBatch: the model's
 * forward_many, mixed lengths packed without padding): each against the golden files, and each
 * equal to its own run to float32 rounding (a batch's GEMMs have more rows and round by shape) */
static void
batch_golden(plm_backend *be, const golden_model *gm)
{
  char            eb[PLM_ERRBUFSIZE] = "", path[1024], label[128], base[900];
  plm_lm         *m = NULL;
  plm_json       *index;
  const plm_json *seqs;
  const char     *texts[16];
  plm_lm_output   outs[16], one;
  uint8_t         repr[PLM_LM_MAXLAYERS + 1], layers[PLM_LM_MAXLAYERS];
  plm_lm_request  req = { .logits = 1, .repr = repr, .attn_layers = layers, .attn_dtype = PLM_F32 };
  plm_long        lp = { PLM_LONG_ERROR, 0, 0 };
  golden_stat     tok = { 0 }, logits = { 0 }, rep = { 0 }, att = { 0 };
  double          worst = 0;
  int             n, bad = -1;

  memset(repr, 1, sizeof repr);
  memset(layers, 1, sizeof layers);
  memset(outs, 0, sizeof outs);
  snprintf(label, sizeof label, "golden %s batched", gm->file);
  if ((index = read_index(gm->golden, eb)) == NULL) { test_skip("%s: no readable golden index.json %s", label, eb); return; }
  seqs = plm_json_Get(index, "sequences");
  if (open_model(be, gm->file, &m, eb) != PLM_OK) { TEST(0, "%s: open: %s", label, eb); goto DONE; }
  for (n = 0; n < seqs->n && n < 15; n++) texts[n] = plm_json_Get(seqs->kids[n], "sequence")->value;
  texts[n++] = "M";
  TEST(m->forward_many != NULL, "%s: %s has forward_many", label, m->arch);
  if (plm_lm_RunBatch(m, texts, n, &req, &lp, outs, &bad, eb) != PLM_OK) { TEST(0, "%s: protein %d: %s", label, bad, eb); goto DONE; }
  for (int s = 0; s < n; s++) {
    if (s < n - 1) {
      snprintf(base, sizeof base, "%s/fixtures/golden/%s/%s", test_shared(), gm->golden, plm_json_Get(seqs->kids[s], "name")->value);
      snprintf(path, sizeof path, "%s.tokens.npy", base);     golden_CompareFile(outs[s].tokens, path, 1e-300, 0, &tok);
      snprintf(path, sizeof path, "%s.logits.npy", base);     golden_CompareFile(outs[s].logits, path, 0, 1e-4, &logits);
      snprintf(path, sizeof path, "%s.attentions.npy", base); golden_CompareFile(outs[s].attentions, path, 1e-5, 0, &att);
      for (int k = 0; k <= m->nlayers; k++) {
        snprintf(path, sizeof path, "%s.repr%d.npy", base, k);
        golden_CompareFile(outs[s].repr[k], path, 0, 1e-4, &rep);
      }
    }
    if (plm_lm_Run(m, texts[s], &req, &lp, &one, eb) != PLM_OK) { TEST(0, "%s: %s", label, eb); goto DONE; }
    worst = fmax(worst, outputs_diff(&outs[s], &one));
    plm_lmout_Clear(&one);
  }
  report(label, "tokens", &tok);
  report(label, "logits", &logits);
  report(label, "representations", &rep);
  report(label, "attentions", &att);
  TEST(worst <= 5e-5, "%s: %d proteins (a one-residue one among them) each equal to its own run: max rel diff %.1e",
       label, n, worst);

DONE:
  for (int s = 0; s < 16; s++) plm_lmout_Clear(&outs[s]);
  plm_lm_Close(m);
  plm_json_Free(index);
}

static int
identical(const plm_tensor *a, const plm_tensor *b)
{
  return a && b && a->dtype == b->dtype && plm_tensor_Nbytes(a) == plm_tensor_Nbytes(b) &&
         memcmp(a->data, b->data, plm_tensor_Nbytes(a)) == 0;
}

/* worst relative difference between TAPE's logits and ProtBert's, column by column through the two
 * vocabularies: every letter (J, in neither, as the unknown token) and [CLS], [SEP] */
static double
logit_columns_diff(plm_lm *tape, plm_lm *pb, const plm_tensor *a, const plm_tensor *b, int *ret_ncol)
{
  char     eb[PLM_ERRBUFSIZE], letter[2] = "A";
  int32_t *ia = NULL, *ib = NULL;
  int      Ta, Tb, T = (int)a->shape[0], ncol = 0;
  double   e = 0, scale = 0;

  for (char c = 'A'; c <= 'Z'; c++) {
    letter[0] = c;
    if (tape->tokenize(tape, letter, &ia, &Ta, eb) == PLM_OK && pb->tokenize(pb, letter, &ib, &Tb, eb) == PLM_OK) {
      int cols[3][2] = { { ia[0], ib[0] }, { ia[1], ib[1] }, { ia[2], ib[2] } };   /* cls, the letter, sep */
      for (int k = c == 'A' ? 0 : 1; k < (c == 'A' ? 3 : 2); k++, ncol++)
        for (int t = 0; t < T; t++) {
          double x = ((float *)a->data)[(size_t)t * a->shape[1] + cols[k][0]], y = ((float *)b->data)[(size_t)t * b->shape[1] + cols[k][1]];
          e = fmax(e, fabs(x - y));
          scale = fmax(scale, fabs(x));
        }
    }
    free(ia); free(ib); ia = ib = NULL;
  }
  *ret_ncol = ncol;
  return scale > 0 ? e / scale : e;
}

/* the TAPE folder and the ProtBert folder hold the same weights in two vocabulary orders */
static void
tape_vs_protbert(plm_backend *be)
{
  char            eb[PLM_ERRBUFSIZE] = "";
  plm_lm         *tape = NULL, *pb = NULL;
  plm_json       *index;
  const plm_json *seqs;
  int             n = 0, same = 0, ncol = 0;
  double          lerr = 0;

  if ((index = read_index("tape_bert_t3_tiny_random", eb)) == NULL) { test_skip("TAPE vs ProtBert: no golden index.json"); return; }
  seqs = plm_json_Get(index, "sequences");
  if (open_model(be, "tape_bert_t3_tiny_random", &tape, eb) != PLM_OK ||
      open_model(be, "protbert_t3_tiny_random.hf", &pb, eb) != PLM_OK) { TEST(0, "TAPE vs ProtBert: %s", eb); goto DONE; }
  for (int s = 0; s < seqs->n; s++) {
    const char   *seq = plm_json_Get(seqs->kids[s], "sequence")->value;
    plm_lm_output a, b;
    int           ok;
    if (run_all(tape, seq, &a, eb) != PLM_OK || run_all(pb, seq, &b, eb) != PLM_OK) { TEST(0, "TAPE vs ProtBert: %s", eb); goto DONE; }
    ok = identical(a.attentions, b.attentions);
    for (int k = 0; k <= tape->nlayers; k++) ok = ok && identical(a.repr[k], b.repr[k]);
    same += ok;
    n++;
    lerr = fmax(lerr, logit_columns_diff(tape, pb, a.logits, b.logits, &ncol));
    plm_lmout_Clear(&a);
    plm_lmout_Clear(&b);
  }
  TEST(n > 0 && same == n, "TAPE BERT and ProtBert copies of the same weights: identical attentions and representations on %d/%d sequences", same, n);
  TEST(n > 0 && ncol == 28 && lerr < 1e-6, "TAPE BERT and ProtBert: the same logits through the two vocabularies (%d columns, max rel diff %.1e)", ncol, lerr);
DONE:
  plm_lm_Close(tape);
  plm_lm_Close(pb);
  plm_json_Free(index);
}

static void
vocab_tests(plm_backend *be)
{
  char          eb[PLM_ERRBUFSIZE] = "";
  plm_vocab    *v = NULL;
  plm_lm       *m = NULL;
  int32_t      *ids = NULL;
  int           T, lead, trail;
  plm_lm_output out;
  plm_long      lp = { PLM_LONG_ERROR, 0, 0 };

  TEST(plm_vocab_SpecialSpan("cls,sep", &lead, &trail, eb) == PLM_OK && lead == 1 && trail == 1, "special span cls,sep: 1 lead, 1 trail");
  TEST(plm_vocab_SpecialSpan("sep,cls", &lead, &trail, eb) == PLM_OK && lead == 0 && trail == 2, "special span sep,cls: 0 lead, 2 trail");
  TEST(plm_vocab_SpecialSpan("bos,eos", &lead, &trail, eb) == PLM_OK && lead == 1 && trail == 1, "special span bos,eos: 1 lead, 1 trail");
  TEST(plm_vocab_SpecialSpan("none", &lead, &trail, eb) == PLM_OK && lead == 0 && trail == 0, "special span none");
  TEST(plm_vocab_SpecialSpan("cls,pad", &lead, &trail, eb) == PLM_EINVAL, "special span cls,pad refused: %s", eb);

  if (plm_vocab_Iupac(&v, eb) != PLM_OK) { TEST(0, "iupac: %s", eb); return; }
  TEST(plm_vocab_Tokenize(v, "M K<mask>\tU", &ids, &T, eb) == PLM_OK && T == 6 && ids[0] == 2 && ids[1] == 16 && ids[2] == 14 &&
       ids[3] == 1 && ids[4] == 24 && ids[5] == 3, "iupac: whitespace skipped, inline <mask>, U its own token, <cls> ... <sep>");
  free(ids); ids = NULL;
  TEST(plm_vocab_Tokenize(v, "MKa", &ids, &T, eb) == PLM_EFORMAT && strstr(eb, "position 2"), "lowercase refused: %s", eb);
  TEST(plm_vocab_Tokenize(v, "MK<foo>", &ids, &T, eb) == PLM_EFORMAT, "unknown special token refused: %s", eb);
  TEST(plm_vocab_Tokenize(v, "MK<pad>A", &ids, &T, eb) == PLM_EFORMAT, "inline <pad> refused: %s", eb);
  plm_vocab_Destroy(v);

  if (open_model(be, "protbert_t3_tiny_random.hf", &m, eb) != PLM_OK) { test_skip("protbert fixture: %s", eb); return; }
  TEST(m->tokenize(m, "[MASK]M<mask>", &ids, &T, eb) == PLM_OK && T == 5 && ids[1] == 4 && ids[2] == 21 && ids[3] == 4,
       "ProtBert vocab.txt: [MASK] and <mask> inline");
  free(ids);
  TEST(plm_lm_Run(m, "MKT", &(plm_lm_request){ .contacts = 1 }, &lp, &out, eb) == PLM_EUNSUP, "contacts refused: %s", eb);
  plm_lm_Close(m);
}

int
main(void)
{
  char         eb[PLM_ERRBUFSIZE];
  plm_backend *be;

  if (plm_backend_Create("cpu", 2, &be, eb) != PLM_OK) { TEST(0, "cpu backend: %s", eb); return test_done(); }
  for (int i = 0; i < NMODELS; i++) golden_model_test(be, &models[i]);
  for (int i = 0; i < NMODELS; i++) batch_golden(be, &models[i]);
  tape_vs_protbert(be);
  vocab_tests(be);
  plm_backend_Destroy(be);
  return test_done();
}
