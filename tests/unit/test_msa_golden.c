/* test_msa_golden.c: the MSA Transformer (libcore/model/msa.c) against fair-esm's own outputs.
 *
 *   esm_msa1b_t2_tiny_random.pt on every alignment of its golden index.json (4 rows, one row,
 *   rows with <mask>, compared on its real columns: see compare_block): tokens exactly; logits and every representation to 1e-4 relative; row
 *   and column attentions and contacts to 1e-5 absolute; worst errors in the PASS lines;
 *   the same with column attention one column per block (a tiny attention budget);
 *   on OpenCL too where a device is present (pocl in CI);
 *   one sequence through plm_lm_Run equals the one-row alignment;
 *   rows of unequal length are refused naming the row; A3M insertions are dropped;
 *   the real published MSA-1b contact head reads right (f16 from a cuda:0 save), and applied to a
 *   random model of its 12 x 12 shape gives the contacts fair-esm's head computes from the maps.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "error.h"
#include "backend.h"
#include "checkpoint.h"
#include "jsonread.h"
#include "lm.h"
#include "msa.h"
#include "npy.h"
#include "golden.h"
#include "test.h"

static void
report(const char *label, const char *what, const golden_stat *st)
{
  TEST(st->bad == 0 && st->n > 0, "%s %s: %d files, max abs err %.2e, max rel err %.2e", label, what, st->n, st->abs, st->rel);
}

/* fair-esm's MSABatchConverter sizes the alignment by the rows' character counts, so a row with
 * "<mask>" (6 characters, 1 token) gets padding columns after its last token; fair-esm masks them
 * out of both attentions, so every output on the real columns equals the unpadded alignment's.
 * Compare got with the golden's leading block of got's shape; the contact head's APC sums run over
 * the padding too, so msa_masked's contacts are not comparable and not compared. */
static void
compare_block(const plm_tensor *got, const char *path, double abs_tol, double rel_tol, golden_stat *st)
{
  char        eb[PLM_ERRBUFSIZE];
  plm_tensor *want = NULL, *f = NULL, *blk = NULL;
  int64_t     n;

  if (!got || plm_npy_Read(path, "golden", &want, eb) != PLM_OK || plm_tensor_ToF32(want, "golden", &f, eb) != PLM_OK ||
      f->rank != got->rank || plm_tensor_Create("block", PLM_F32, got->rank, got->shape, &blk, eb) != PLM_OK) {
    st->bad++; printf("  %s: unreadable or wrong rank\n", path); goto DONE;
  }
  n = plm_tensor_Numel(blk);
  for (int64_t i = 0; i < n; i++) {                  /* element i of got's shape, at its place in the golden */
    int64_t rem = i, src = 0, stride = 1;
    for (int d = got->rank - 1; d >= 0; d--) {
      if (got->shape[d] > f->shape[d]) { st->bad++; printf("  %s: golden smaller than the output\n", path); goto DONE; }
      src += (rem % got->shape[d]) * stride;
      rem /= got->shape[d];
      stride *= f->shape[d];
    }
    ((float *)blk->data)[i] = ((const float *)f->data)[src];
  }
  {
    plm_tensor *g = NULL;
    double      e, r;
    if (plm_tensor_ToF32(got, "got", &g, eb) != PLM_OK || !golden_MaxErr(g, blk, &e, &r)) { st->bad++; plm_tensor_Destroy(g); goto DONE; }
    plm_tensor_Destroy(g);
    if (!(e <= st->abs)) st->abs = e;
    if (!(r <= st->rel)) st->rel = r;
    if (!(abs_tol > 0 ? e <= abs_tol : r <= rel_tol)) { st->bad++; printf("  %s: beyond tolerance\n", path); }
    st->n++;
  }
DONE:
  plm_tensor_Destroy(want);
  plm_tensor_Destroy(f);
  plm_tensor_Destroy(blk);
}

static int
run(plm_lm *m, const char *const *rows, int R, size_t attn_bytes, plm_msa_output *out, char *eb)
{
  uint8_t        repr[PLM_LM_MAXLAYERS + 1], layers[PLM_LM_MAXLAYERS];
  plm_lm_request req = { .logits = 1, .contacts = 1, .repr = repr, .attn_layers = layers, .attn_dtype = PLM_F32,
                         .attn_bytes = attn_bytes };
  memset(repr, 1, sizeof repr);
  memset(layers, 1, sizeof layers);
  return plm_msa_Run(m, rows, R, &req, 1, out, eb);
}

static void
golden_test(plm_backend *be, const char *what, size_t attn_bytes)
{
  char            eb[PLM_ERRBUFSIZE], path[1024], label[160];
  plm_lm         *m = NULL;
  plm_json       *index = NULL;
  const plm_json *msas;
  char           *text = NULL;
  size_t          len;
  golden_stat     tok = { 0 }, logits = { 0 }, repr = { 0 }, ratt = { 0 }, catt = { 0 }, con = { 0 };

  snprintf(label, sizeof label, "golden esm_msa1b_t2_tiny_random (%s)", what);
  snprintf(path, sizeof path, "%s/fixtures/golden/esm_msa1b_t2_tiny_random/index.json", test_shared());
  if ((text = golden_Slurp(path, &len)) == NULL) { test_skip("%s: %s absent", label, path); return; }
  if (plm_json_Parse(text, len, &index, eb) != PLM_OK || !(msas = plm_json_Get(index, "msas"))) { TEST(0, "%s: index.json: %s", label, eb); goto DONE; }
  snprintf(path, sizeof path, "%s/fixtures/models/esm_msa1b_t2_tiny_random.pt", test_shared());
  if (plm_lm_Open(path, be, &m, eb) != PLM_OK) { TEST(0, "%s: open: %s", label, eb); goto DONE; }
  TEST(strcmp(m->arch, "msa") == 0 && m->has_contacts && m->nlayers == 2 && m->nheads == 4 && m->dim == 48,
       "%s: opened as %s, %d layers x %d heads, dim %d, with its contact head", label, m->arch, m->nlayers, m->nheads, m->dim);

  for (int a = 0; a < msas->n; a++) {
    const plm_json *name = plm_json_Get(msas->kids[a], "name"), *rows = plm_json_Get(msas->kids[a], "rows");
    const char     *seqs[64];
    plm_msa_output  out;
    char            base[900];
    int             R = rows->n < 64 ? rows->n : 64;

    for (int r = 0; r < R; r++) seqs[r] = plm_json_Get(rows->kids[r], "aligned")->value;
    snprintf(base, sizeof base, "%s/fixtures/golden/esm_msa1b_t2_tiny_random/%s", test_shared(), name->value);
    if (run(m, seqs, R, attn_bytes, &out, eb) != PLM_OK) { TEST(0, "%s %s: %s", label, name->value, eb); continue; }
#define CMP(t, file, a, r, st) do { snprintf(path, sizeof path, "%s." file ".npy", base); compare_block(t, path, a, r, st); } while (0)
    CMP(out.tokens, "tokens", 1e-300, 0, &tok);
    CMP(out.logits, "logits", 0, 1e-4, &logits);
    for (int k = 0; k <= m->nlayers; k++) {
      snprintf(path, sizeof path, "%s.repr%d.npy", base, k);
      compare_block(out.repr[k], path, 0, 1e-4, &repr);
    }
    CMP(out.row_attentions, "row_attentions", 1e-5, 0, &ratt);
    CMP(out.col_attentions, "col_attentions", 1e-5, 0, &catt);
    if (strcmp(name->value, "msa_masked") != 0) CMP(out.contacts, "contacts", 1e-5, 0, &con);
#undef CMP
    plm_msa_OutputClear(&out);
  }
  report(label, "tokens", &tok);
  report(label, "logits", &logits);
  report(label, "representations", &repr);
  report(label, "row attentions", &ratt);
  report(label, "column attentions", &catt);
  report(label, "contacts", &con);

DONE:
  plm_lm_Close(m);
  plm_json_Free(index);
  free(text);
}

/* plm_lm_Run on one sequence is the one-row alignment; bad alignments are refused */
static void
interface_test(plm_backend *be)
{
  char            eb[PLM_ERRBUFSIZE], path[1024];
  plm_lm         *m = NULL;
  plm_lm_output   one;
  plm_msa_output  aln;
  uint8_t         layers[2] = { 1, 1 };
  plm_lm_request  req = { .logits = 1, .contacts = 1, .attn_layers = layers, .attn_dtype = PLM_F32 };
  plm_long        lp = { PLM_LONG_ERROR, 0, 0 };
  const char     *q[] = { "MKTAYIAKQR" }, *bad[] = { "MKTAYIAKQR", "MKTAY" }, *ins[] = { "MKTAYIAKQR", "MKaaTAYIAKQR" },
                 *plain[] = { "MKTAYIAKQR", "MKTAYIAKQR" };
  double          e1 = 1, e2 = 1;

  snprintf(path, sizeof path, "%s/fixtures/models/esm_msa1b_t2_tiny_random.pt", test_shared());
  if (plm_lm_Open(path, be, &m, eb) != PLM_OK) { test_skip("msa interface: %s", eb); return; }
  memset(&one, 0, sizeof one);
  {
    int ok = plm_lm_Run(m, q[0], &req, &lp, &one, eb) == PLM_OK && plm_msa_Run(m, q, 1, &req, 0, &aln, eb) == PLM_OK &&
             one.logits->rank == 2 && one.attentions->shape[2] == 11 &&
             golden_MaxErr(one.contacts, aln.contacts, &e1, &e2) && e1 == 0;
    TEST(ok, "msa: a sequence through plm_lm_Run is the one-row alignment (contacts max err %.1e)", e1);
  }
  plm_lmout_Clear(&one);
  plm_msa_OutputClear(&aln);
  TEST(plm_msa_Run(m, bad, 2, &req, 0, &aln, eb) != PLM_OK && strstr(eb, "row 2"), "msa: unequal rows refused: %s", eb);
  {
    plm_msa_output b;
    int ok = plm_msa_Run(m, ins, 2, &req, 0, &aln, eb) == PLM_OK && plm_msa_Run(m, plain, 2, &req, 0, &b, eb) == PLM_OK &&
             golden_MaxErr(aln.contacts, b.contacts, &e1, &e2) && e1 == 0;
    TEST(ok, "msa: A3M insertions (lowercase) dropped as fair-esm's read_msa does");
    plm_msa_OutputClear(&aln);
    plm_msa_OutputClear(&b);
  }
  {
    /* 4 rows of 120 columns: the FFN in blocks of 64 rows (a tiny budget) against one block, and
     * column attention one column at a time: the same numbers, bit for bit */
    static char    rows[4][121];
    const char    *rp[4] = { rows[0], rows[1], rows[2], rows[3] };
    const char    *aa = "ACDEFGHIKLMNPQRSTVWY";
    plm_msa_output big, small;
    uint8_t        all[3] = { 1, 1, 1 };
    plm_lm_request r1 = { .logits = 1, .contacts = 1, .repr = all, .attn_layers = layers, .attn_dtype = PLM_F32 }, r2 = r1;
    int            ok, same = 1;
    for (int r = 0; r < 4; r++) {
      for (int c = 0; c < 120; c++) rows[r][c] = (c * 7 + r * (c % 5)) % 23 == 0 && r ? '-' : aa[(c * 3 + r * c / 11) % 20];
      rows[r][120] = '\0';
    }
    r2.attn_bytes = 1;
    ok = plm_msa_Run(m, rp, 4, &r1, 1, &big, eb) == PLM_OK && plm_msa_Run(m, rp, 4, &r2, 1, &small, eb) == PLM_OK;
    {
      double e = 0, r, worst = 0;
      const plm_tensor *a[] = { big.repr[0], big.repr[1], big.repr[2], big.logits, big.contacts, big.col_attentions, big.row_attentions },
                       *b[] = { small.repr[0], small.repr[1], small.repr[2], small.logits, small.contacts, small.col_attentions, small.row_attentions };
      for (int i = 0; ok && i < 7; i++) { same &= golden_MaxErr(a[i], b[i], &e, &r) && r <= 1e-6; if (e > worst) worst = e; }
      /* the BLAS may round a GEMM of fewer rows differently; anything beyond that is a bug */
      TEST(ok && same, "msa: 4 x 120 alignment, FFN in blocks of 64 rows and columns one at a time = whole (max abs err %.1e)%s%s",
           worst, ok ? "" : ": ", ok ? "" : eb);
    }
    plm_msa_OutputClear(&big);
    plm_msa_OutputClear(&small);
  }
  plm_lm_Close(m);
}

/* the real published MSA-1b contact head (float16 tensors saved on cuda:0): read with its shape
 * and dtype, 12 layers x 12 heads of weights, finite; merged into the tiny 2 x 4 model it is
 * refused naming the shape, as a head of another model must be */
static void
real_head_test(plm_backend *be)
{
  char            eb[PLM_ERRBUFSIZE], path[1024];
  plm_checkpoint *ck = NULL;
  plm_tensor     *w, *b, *f = NULL;
  plm_lm         *m = NULL;
  int             finite = 1;

  snprintf(path, sizeof path, "%s/fixtures/regression_heads/esm_msa1b_t12_100M_UR50S-contact-regression.pt", test_shared());
  if (plm_checkpoint_Open(path, &ck, eb) != PLM_OK) { TEST(0, "real MSA-1b head: %s", eb); return; }
  w = plm_checkpoint_Get(ck, "contact_head.regression.weight");
  b = plm_checkpoint_Get(ck, "contact_head.regression.bias");
  if (w && plm_tensor_ToF32(w, "w", &f, eb) == PLM_OK)
    for (int64_t i = 0; i < plm_tensor_Numel(f); i++) finite &= isfinite(((float *)f->data)[i]) != 0;
  TEST(w && b && w->dtype == PLM_F16 && b->dtype == PLM_F16 && w->rank == 2 && w->shape[0] == 1 && w->shape[1] == 144 &&
       b->rank == 1 && b->shape[0] == 1 && f && finite,
       "real MSA-1b head: f16 weight [1, 144] (12 layers x 12 heads) and bias [1], finite, read from a cuda:0 save");
  plm_tensor_Destroy(f);
  plm_checkpoint_Close(ck);

  snprintf(path, sizeof path, "%s/fixtures/models/esm_msa1b_t2_tiny_random.pt", test_shared());
  if (plm_checkpoint_Open(path, &ck, eb) == PLM_OK) {
    char head[1024];
    snprintf(head, sizeof head, "%s/fixtures/regression_heads/esm_msa1b_t12_100M_UR50S-contact-regression.pt", test_shared());
    int ok = plm_checkpoint_MergeFile(ck, head, eb) == PLM_OK && plm_msa_Create(ck, be, &m, eb) != PLM_OK && strstr(eb, "regression");
    TEST(ok, "real MSA-1b head on the 2 x 4 tiny model refused: %s", eb);
    if (m) plm_lm_Close(m);
    else   plm_checkpoint_Close(ck);
  }
}

/* the real published MSA-1b head applied: a random model of its 12 layers x 12 heads (narrow, so
 * fast) with its own random head taken out and the published file merged in, as plm_lm_Open merges
 * it beside a downloaded .pt; its contacts must equal the head recomputed here from the returned row
 * attentions: per layer and head, BOS dropped, symmetrized, APC, weighted by the f16 weights, plus
 * the bias, sigmoid (fair-esm's ContactPredictionHead) */
static void
real_head_applied_test(plm_backend *be)
{
  char            eb[PLM_ERRBUFSIZE], dir[] = "/tmp/plm_msa12_XXXXXX", head[1024];
  const char     *rows[] = { "MKTAYIAKQRQISFVKSHFS", "MKTAY-AKQRQLSFVKSHFS", "MRTAYIAKQ-QISFVKAHFS" };
  uint8_t         layers[12];
  plm_checkpoint *ck = NULL, *hk = NULL;
  plm_tensor     *w = NULL, *b = NULL;
  plm_lm         *m = NULL;
  plm_msa_output  out;
  double          worst = 0.0;
  int             L = 20, C = 21, ok;

  memset(&out, 0, sizeof out);
  memset(layers, 1, sizeof layers);
  snprintf(head, sizeof head, "%s/fixtures/regression_heads/esm_msa1b_t12_100M_UR50S-contact-regression.pt", test_shared());
  if (!mkdtemp(dir) || plm_msa_WriteRandom(dir, 12, 96, 12, 5, eb) != PLM_OK || plm_checkpoint_Open(dir, &ck, eb) != PLM_OK) {
    TEST(0, "real MSA-1b head applied: a 12 x 12 random model: %s", eb); goto DONE;
  }
  for (int j = 0; j < ck->ntensors; )            /* the random head out, so the published one is merged in */
    if (strncmp(ck->tensors[j]->name, "contact_head.", 13) == 0) {
      plm_tensor_Destroy(ck->tensors[j]);
      ck->tensors[j] = ck->tensors[--ck->ntensors];
    } else j++;
  if (plm_checkpoint_MergeFile(ck, head, eb) != PLM_OK || plm_msa_Create(ck, be, &m, eb) != PLM_OK) {
    TEST(0, "real MSA-1b head applied: %s", eb); if (!m) plm_checkpoint_Close(ck); goto DONE;
  }
  ok = plm_msa_Run(m, rows, 3, &(plm_lm_request){ .contacts = 1, .attn_layers = layers, .attn_dtype = PLM_F32 }, 0, &out, eb) == PLM_OK;
  if (!ok || !out.contacts || !out.row_attentions || plm_checkpoint_Open(head, &hk, eb) != PLM_OK ||
      plm_tensor_ToF32(plm_checkpoint_Get(hk, "contact_head.regression.weight"), "w", &w, eb) != PLM_OK ||
      plm_tensor_ToF32(plm_checkpoint_Get(hk, "contact_head.regression.bias"), "b", &b, eb) != PLM_OK) {
    TEST(0, "real MSA-1b head applied: run: %s", eb); goto DONE;
  }
  {
    double *z = calloc((size_t)L * L, sizeof *z), *s = malloc(sizeof *s * (size_t)L * L), *r = malloc(sizeof *r * (size_t)L);
    const float *att = out.row_attentions->data;
    for (int k = 0; z && s && r && k < 144; k++) {
      const float *a = att + (size_t)k * C * C;
      double tot = 0.0;
      for (int i = 0; i < L; i++) for (int j = 0; j < L; j++) s[i * L + j] = (double)a[(i + 1) * C + j + 1] + a[(j + 1) * C + i + 1];
      for (int i = 0; i < L; i++) { r[i] = 0.0; for (int j = 0; j < L; j++) r[i] += s[i * L + j]; tot += r[i]; }
      for (int i = 0; i < L; i++) for (int j = 0; j < L; j++)
        z[i * L + j] += ((float *)w->data)[k] * (s[i * L + j] - r[i] * r[j] / tot);   /* s is symmetric: column sums = row sums */
    }
    for (int i = 0; z && i < L * L; i++)
      worst = fmax(worst, fabs(1.0 / (1.0 + exp(-(z[i] + ((float *)b->data)[0]))) - ((float *)out.contacts->data)[i]));
    TEST(z && s && r && out.contacts->shape[0] == L && worst < 1e-5,
         "real MSA-1b head applied to a 12 x 12 model: contacts [%lld, %lld] equal the head recomputed from the row attentions (max abs err %.2e)",
         (long long)out.contacts->shape[0], (long long)out.contacts->shape[1], worst);
    free(z); free(s); free(r);
  }
DONE:
  plm_msa_OutputClear(&out);
  plm_tensor_Destroy(w); plm_tensor_Destroy(b);
  if (hk) plm_checkpoint_Close(hk);
  if (m) plm_lm_Close(m);
  { char cmd[64]; snprintf(cmd, sizeof cmd, "rm -rf %s", dir); if (system(cmd) != 0) { /* a temporary folder left */ } }
}

int
main(void)
{
  char         eb[PLM_ERRBUFSIZE];
  plm_backend *be;

  if (plm_backend_Create("cpu", 2, &be, eb) != PLM_OK) { TEST(0, "cpu backend: %s", eb); return test_done(); }
  golden_test(be, "cpu", 0);
  golden_test(be, "cpu, one column per attention block", 1);
  interface_test(be);
  real_head_test(be);
  real_head_applied_test(be);
  plm_backend_Destroy(be);
  if (plm_backend_Create("opencl", 1, &be, eb) != PLM_OK) test_skip("msa on OpenCL: %s", eb);
  else { golden_test(be, "opencl", 0); plm_backend_Destroy(be); }
  return test_done();
}
