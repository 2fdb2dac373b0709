/* test_esm_opencl.c: the ESM models on the OpenCL backend, against the CPU backend and fair-esm.
 *
 *   every fixture ESM model on every sequence of its golden index.json, all outputs asked for:
 *   logits, every representation, every attention map and the contacts, compared with the CPU
 *   backend's run (1e-4 relative to the tensor's largest magnitude for logits and
 *   representations, 1e-5 absolute for attentions and contacts) and with fair-esm's golden
 *   files (the tolerances of test_esm_golden.c); worst errors in the PASS lines;
 *   the f16 attention path (plm_buf_Map) agrees with the f32 one; attention in blocks of 3 query
 *   rows (lm.h's attn_bytes) gives the golden attentions and contacts.
 * Without an OpenCL device, one SKIP line says so. Under ASan: ASAN_OPTIONS=detect_leaks=0.
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


/* the outputs, and f16 attentions against f32 ones: half precision keeps 11 bits */
enum { O_LOGITS, O_REPR, O_ATT, O_CONTACTS, NOUT, O_F16 = NOUT };
static const char  *out_name[NOUT + 1] = { "logits", "representations", "attentions", "contacts", "f16 attentions" };
static const double out_tol[NOUT + 1]  = { 1e-4, 1e-4, 1e-5, 1e-5, 5e-4 };
static const int    out_rel[NOUT + 1]  = { 1, 1, 0, 0, 0 };

/* worst errors of one output kind over a model's sequences */
typedef struct errstat { double e; int n, bad; } errstat;

/* error of got against want: absolute, or relative to want's largest magnitude */
static void
compare(const plm_tensor *got, const plm_tensor *want, int k, errstat *st)
{
  double abs, rel, e = 0.0;
  int    ok = golden_MaxErr(got, want, &abs, &rel);
  if (ok) { e = out_rel[k] ? rel : abs; ok = e <= out_tol[k]; }
  if (!(e <= st->e)) st->e = e;
  st->bad += !ok;
  st->n++;
}

static void
compare_golden(const plm_tensor *got, const char *path, int k, errstat *st)
{
  char        eb[PLM_ERRBUFSIZE];
  plm_tensor *want = NULL;
  if (access(path, R_OK) != 0) return;
  if (plm_npy_Read(path, "golden", &want, eb) != PLM_OK) { st->bad++; printf("  %s\n", eb); return; }
  compare(got, want, k, st);
  plm_tensor_Destroy(want);
}

static int
run_all(plm_lm *m, const char *seq, plm_dtype attn_dtype, size_t attn_bytes, plm_lm_output *out, char *eb)
{
  uint8_t        repr[PLM_LM_MAXLAYERS + 1], layers[PLM_LM_MAXLAYERS];
  plm_lm_request req = { .logits = 1, .contacts = m->has_contacts, .repr = repr, .attn_layers = layers,
                         .attn_dtype = attn_dtype, .attn_bytes = attn_bytes };
  memset(repr, 1, sizeof repr);
  memset(layers, 1, sizeof layers);
  memset(out, 0, sizeof *out);
  return plm_lm_Run(m, seq, &req, &(plm_long){ PLM_LONG_ERROR, 0, 0 }, out, eb);
}

/* one protein on both backends: every output against the CPU's and the golden files */
static void
protein_test(plm_lm *mc, plm_lm *mg, const char *seq, const char *base, errstat *vs_cpu, errstat *vs_gold, errstat *f16,
             errstat *blocked)
{
  char          eb[PLM_ERRBUFSIZE], path[1100];
  plm_lm_output oc, og, oh, ob;

  if (run_all(mc, seq, PLM_F32, 0, &oc, eb) != PLM_OK) { printf("  cpu: %s\n", eb); vs_cpu[0].bad++; return; }
  if (run_all(mg, seq, PLM_F32, 0, &og, eb) != PLM_OK) { printf("  opencl: %s\n", eb); vs_cpu[0].bad++; plm_lmout_Clear(&oc); return; }
  compare(og.logits, oc.logits, O_LOGITS, &vs_cpu[O_LOGITS]);
  compare(og.attentions, oc.attentions, O_ATT, &vs_cpu[O_ATT]);
  compare(og.contacts, oc.contacts, O_CONTACTS, &vs_cpu[O_CONTACTS]);
  snprintf(path, sizeof path, "%s.logits.npy", base);     compare_golden(og.logits, path, O_LOGITS, &vs_gold[O_LOGITS]);
  snprintf(path, sizeof path, "%s.attentions.npy", base); compare_golden(og.attentions, path, O_ATT, &vs_gold[O_ATT]);
  snprintf(path, sizeof path, "%s.contacts.npy", base);   compare_golden(og.contacts, path, O_CONTACTS, &vs_gold[O_CONTACTS]);
  for (int k = 0; k <= mg->nlayers; k++) {
    compare(og.repr[k], oc.repr[k], O_REPR, &vs_cpu[O_REPR]);
    snprintf(path, sizeof path, "%s.repr%d.npy", base, k);
    compare_golden(og.repr[k], path, O_REPR, &vs_gold[O_REPR]);
  }
  if (run_all(mg, seq, PLM_F16, 0, &oh, eb) == PLM_OK) compare(oh.attentions, og.attentions, O_F16, f16);
  else { printf("  opencl f16: %s\n", eb); f16->bad++; }
  /* attention in blocks of 3 query rows (the budget of a long protein, lm.h) */
  if (run_all(mg, seq, PLM_F32, (size_t)mg->nheads * 3 * (strlen(seq) + 2) * sizeof(float), &ob, eb) == PLM_OK) {
    snprintf(path, sizeof path, "%s.attentions.npy", base); compare_golden(ob.attentions, path, O_ATT, &blocked[O_ATT]);
    snprintf(path, sizeof path, "%s.contacts.npy", base);   compare_golden(ob.contacts, path, O_CONTACTS, &blocked[O_CONTACTS]);
  } else { printf("  opencl blocked: %s\n", eb); blocked[O_ATT].bad++; }
  plm_lmout_Clear(&ob);
  plm_lmout_Clear(&oh);
  plm_lmout_Clear(&og);
  plm_lmout_Clear(&oc);
}

static void
model_test(plm_backend *cpu, plm_backend *gpu, const char *golden, const char *file)
{
  char            eb[PLM_ERRBUFSIZE], path[1024], base[1024];
  plm_lm         *mc = NULL, *mg = NULL;
  plm_json       *index = NULL;
  const plm_json *seqs;
  char           *text = NULL;
  size_t          len;
  errstat         vs_cpu[NOUT] = { { 0 } }, vs_gold[NOUT] = { { 0 } }, f16 = { 0 }, blocked[NOUT] = { { 0 } };

  snprintf(path, sizeof path, "%s/fixtures/golden/%s/index.json", test_shared(), golden);
  if ((text = golden_Slurp(path, &len)) == NULL) { test_skip("opencl esm %s: %s absent", file, path); return; }
  if (plm_json_Parse(text, len, &index, eb) != PLM_OK || !(seqs = plm_json_Get(index, "sequences"))) {
    TEST(0, "opencl esm %s: index.json: %s", file, eb); goto DONE;
  }
  snprintf(path, sizeof path, "%s/fixtures/models/%s", test_shared(), file);
  if (plm_lm_Open(path, cpu, &mc, eb) != PLM_OK || plm_lm_Open(path, gpu, &mg, eb) != PLM_OK) {
    TEST(0, "opencl esm %s: open: %s", file, eb); goto DONE;
  }
  for (int s = 0; s < seqs->n; s++) {
    const plm_json *name = plm_json_Get(seqs->kids[s], "name"), *seq = plm_json_Get(seqs->kids[s], "sequence");
    snprintf(base, sizeof base, "%s/fixtures/golden/%s/%s", test_shared(), golden, name->value);
    protein_test(mc, mg, seq->value, base, vs_cpu, vs_gold, &f16, blocked);
  }
  for (int k = 0; k < NOUT; k++) {
    TEST(vs_cpu[k].bad == 0 && vs_cpu[k].n > 0, "opencl esm %s %s vs cpu: %d tensors, max %s err %.2e (tol %.0e)",
         file, out_name[k], vs_cpu[k].n, out_rel[k] ? "rel" : "abs", vs_cpu[k].e, out_tol[k]);
    TEST(vs_gold[k].bad == 0 && vs_gold[k].n > 0, "opencl esm %s %s vs fair-esm: %d files, max %s err %.2e (tol %.0e)",
         file, out_name[k], vs_gold[k].n, out_rel[k] ? "rel" : "abs", vs_gold[k].e, out_tol[k]);
  }
  for (int k = O_ATT; k <= O_CONTACTS; k++)
    TEST(blocked[k].bad == 0 && blocked[k].n > 0, "opencl esm %s %s in 3-row query blocks vs fair-esm: %d files, max abs err %.2e (tol %.0e)",
         file, out_name[k], blocked[k].n, blocked[k].e, out_tol[k]);
  TEST(f16.bad == 0 && f16.n > 0, "opencl esm %s %s vs f32: max abs err %.2e (tol %.0e)", file, out_name[O_F16], f16.e,
       out_tol[O_F16]);

DONE:
  plm_lm_Close(mg);
  plm_lm_Close(mc);
  plm_json_Free(index);
  free(text);
}

int
main(void)
{
  char         eb[PLM_ERRBUFSIZE];
  plm_backend *cpu = NULL, *gpu = NULL;
  int          status;

  if ((status = plm_backend_Create("opencl", 1, &gpu, eb)) != PLM_OK) {
    if (status == PLM_EUNSUP || status == PLM_ENOTFOUND) test_skip("opencl esm: %s", eb);
    else TEST(0, "opencl backend: %s", eb);
    return test_done();
  }
  if (plm_backend_Create("cpu", 2, &cpu, eb) != PLM_OK) TEST(0, "cpu backend: %s", eb);
  else for (int i = 0; i < GOLDEN_NESM; i++) model_test(cpu, gpu, golden_esm_models[i][0], golden_esm_models[i][1]);
  plm_backend_Destroy(cpu);
  plm_backend_Destroy(gpu);
  return test_done();
}
