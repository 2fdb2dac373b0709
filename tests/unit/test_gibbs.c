/* test_gibbs.c: unit tests of libcore/gibbs (the pseudo-MSA sampler), with a fake model.
 *
 *   masking: exact count, distinct free positions, uniform over positions
 *   fixed positions never change; the model sees exactly the masked positions as <mask>
 *   restart frequency; draws only allowed tokens, only the top k; temperature -> 0 is argmax;
 *   sampling follows the softmax; same seed, same chain
 */
#include <math.h>
#include <string.h>
#include "error.h"
#include "gibbs.h"
#include "rng.h"
#include "test.h"

#define V    33
#define MASK 32
#define L    100

static const int32_t allowed[20] = { 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23 };

static plm_gibbs *
make(const uint8_t *fixed, double fraction, double temperature, int top_k, double restart)
{
  plm_gibbs_opts o = { fraction, temperature, top_k, restart };
  plm_gibbs     *g;
  char           errbuf[PLM_ERRBUFSIZE];
  if (plm_gibbs_Create(L, fixed, allowed, 20, &o, &g, errbuf) != PLM_OK) { printf("FAIL create: %s\n", errbuf); exit(1); }
  return g;
}

static void
random_row(float *row, uint64_t *rng)
{
  for (int v = 0; v < V; v++) row[v] = (float)plm_rng_Normal(rng);
}

/* a fake model: random logits, and a count of what it saw */
typedef struct fake {
  uint64_t rng;
  float    logits[L * V];
  int      nmasked, calls;
} fake;

static int
fake_logits(void *ctx, const int32_t *chain, int n, const float **ret_logits, int *ret_V, char *errbuf)
{
  fake *f = ctx;
  f->calls++;
  f->nmasked = 0;
  for (int i = 0; i < n; i++) f->nmasked += chain[i] == MASK;
  for (int i = 0; i < n; i++) random_row(f->logits + i * V, &f->rng);
  *ret_logits = f->logits;
  *ret_V = V;
  return PLM_OK;
}

static void
test_mask(void)
{
  uint8_t   fixed[L] = { 0 };
  uint64_t  rng = 7;
  int       count[L] = { 0 }, ok = 1, n;
  plm_gibbs *g = make(NULL, 0.2, 1.0, 0, 0.1);

  for (int t = 0; t < 20000; t++) {
    uint8_t seen[L] = { 0 };
    n = plm_gibbs_Mask(g, &rng);
    ok &= n == 20;
    for (int i = 0; i < n; i++) { ok &= !seen[g->pos[i]]; seen[g->pos[i]] = 1; count[g->pos[i]]++; }
  }
  TEST(ok, "mask: 20 distinct positions of 100 at fraction 0.2, every time");
  /* each position is masked 4000 times in expectation, sd ~ 57 */
  ok = 1;
  for (int i = 0; i < L; i++) ok &= count[i] > 3700 && count[i] < 4300;
  TEST(ok, "mask: every position is masked about as often (within 5 sd of 4000)");
  plm_gibbs_Destroy(g);

  for (int i = 0; i < 10; i++) fixed[3 * i] = 1;
  g = make(fixed, 0.2, 1.0, 0, 0.1);
  n = plm_gibbs_Mask(g, &rng);
  ok = n == 18;
  for (int i = 0; i < n; i++) ok &= !fixed[g->pos[i]];
  TEST(ok, "mask: 18 of the 90 free positions with 10 fixed, none of them fixed");
  plm_gibbs_Destroy(g);

  g = make(NULL, 0.001, 1.0, 0, 0.1);
  TEST(plm_gibbs_Mask(g, &rng) == 1, "mask: a tiny fraction still masks one position");
  plm_gibbs_Destroy(g);
  g = make(NULL, 1.0, 1.0, 0, 0.1);
  TEST(plm_gibbs_Mask(g, &rng) == L, "mask: fraction 1 masks every position");
  plm_gibbs_Destroy(g);
}

static void
test_step(void)
{
  uint8_t  fixed[L] = { 0 };
  int32_t  query[L], chain[L], again[L];
  uint64_t rng = 11, rng2 = 11;
  fake     f = { .rng = 3 };
  char     errbuf[PLM_ERRBUFSIZE];
  int      ok = 1, changed = 0;
  plm_gibbs *g;

  for (int i = 0; i < L; i++) query[i] = allowed[i % 20];
  for (int i = 40; i < 60; i++) fixed[i] = 1;
  g = make(fixed, 0.2, 1.0, 0, 0.0);
  memcpy(chain, query, sizeof chain);
  for (int t = 0; t < 500; t++) {
    ok &= plm_gibbs_Step(g, chain, MASK, fake_logits, &f, &rng, errbuf) == PLM_OK;
    ok &= f.nmasked == 16;
    for (int i = 40; i < 60; i++) ok &= chain[i] == query[i];
  }
  for (int i = 0; i < L; i++) changed += chain[i] != query[i];
  TEST(ok && f.calls == 500, "step: the model sees 16 masks of 80 free positions, fixed positions never change");
  TEST(changed > 40, "step: free positions do change (%d of 80)", changed);

  f.rng = 3;
  memcpy(again, query, sizeof again);
  for (int t = 0; t < 500; t++) plm_gibbs_Step(g, again, MASK, fake_logits, &f, &rng2, errbuf);
  TEST(memcmp(chain, again, sizeof chain) == 0, "step: the same seed gives the same chain");
  plm_gibbs_Destroy(g);
}

static void
test_restart(void)
{
  uint64_t   rng = 5;
  long       n = 0, N = 200000;
  plm_gibbs *g = make(NULL, 0.2, 1.0, 0, 0.1);

  for (long t = 0; t < N; t++) n += plm_gibbs_Restart(g, &rng);
  /* sd of the frequency: sqrt(0.09 / N) ~ 0.00067 */
  TEST(fabs((double)n / N - 0.1) < 0.0035, "restart: frequency %.4f at probability 0.1 (seed 5)", (double)n / N);
  plm_gibbs_Destroy(g);
  g = make(NULL, 0.2, 1.0, 0, 0.0);
  n = 0;
  for (long t = 0; t < 1000; t++) n += plm_gibbs_Restart(g, &rng);
  TEST(n == 0, "restart: never at probability 0");
  plm_gibbs_Destroy(g);
  g = make(NULL, 0.2, 1.0, 0, 1.0);
  n = 0;
  for (long t = 0; t < 1000; t++) n += plm_gibbs_Restart(g, &rng);
  TEST(n == 1000, "restart: always at probability 1");
  plm_gibbs_Destroy(g);
}

static int
is_allowed(int32_t t)
{
  for (int a = 0; a < 20; a++) if (allowed[a] == t) return 1;
  return 0;
}

static void
test_draw(void)
{
  float      row[V];
  uint64_t   rng = 9, rr = 1;
  int        ok = 1, ok_top = 1, ok_argmax = 1;
  plm_gibbs *g = make(NULL, 0.2, 1.0, 0, 0.1), *gk = make(NULL, 0.2, 1.0, 3, 0.1);
  plm_gibbs *g0 = make(NULL, 0.2, 0.0, 0, 0.1), *gcold = make(NULL, 0.2, 1e-6, 0, 0.1);

  for (int t = 0; t < 5000; t++) {
    int32_t d, best = allowed[0];
    random_row(row, &rr);
    row[0] = row[1] = row[2] = row[3] = row[24] = row[30] = row[MASK] = 100.0f;   /* specials, X, gap: huge */
    d = plm_gibbs_Draw(g, row, &rng);
    ok &= is_allowed(d);
    for (int a = 1; a < 20; a++) if (row[allowed[a]] > row[best]) best = allowed[a];
    ok_argmax &= plm_gibbs_Draw(g0, row, &rng) == best && plm_gibbs_Draw(gcold, row, &rng) == best;
    d = plm_gibbs_Draw(gk, row, &rng);
    int above = 0;
    for (int a = 0; a < 20; a++) above += row[allowed[a]] > row[d];
    ok_top &= is_allowed(d) && above < 3;
  }
  TEST(ok, "draw: only allowed tokens, even when the others have the largest logits");
  TEST(ok_argmax, "draw: temperature 0 is the argmax, and temperature 1e-6 gives the same tokens");
  TEST(ok_top, "draw: top-k 3 draws only among the 3 largest allowed logits");
  plm_gibbs_Destroy(g); plm_gibbs_Destroy(gk); plm_gibbs_Destroy(g0); plm_gibbs_Destroy(gcold);
}

/* frequencies of 100000 draws at temperature 2 against softmax(row / 2) */
static void
test_softmax(void)
{
  float      row[V] = { 0 };
  double     p[20], z = 0.0, worst = 0.0;
  long       count[V] = { 0 }, N = 100000;
  uint64_t   rng = 13, rr = 2;
  plm_gibbs *g = make(NULL, 0.2, 2.0, 0, 0.1);

  random_row(row, &rr);
  for (int a = 0; a < 20; a++) z += p[a] = exp(row[allowed[a]] / 2.0);
  for (long t = 0; t < N; t++) count[plm_gibbs_Draw(g, row, &rng)]++;
  for (int a = 0; a < 20; a++) {
    double q = p[a] / z, sd = sqrt(q * (1 - q) / N), dev = fabs((double)count[allowed[a]] / N - q) / sd;
    if (dev > worst) worst = dev;
  }
  TEST(worst < 5.0, "draw: frequencies follow softmax(logits / T) (worst %.1f sd)", worst);
  plm_gibbs_Destroy(g);
}

static void
test_errors(void)
{
  uint8_t        fixed[L] = { 0 };
  char           errbuf[PLM_ERRBUFSIZE];
  plm_gibbs     *g;
  plm_gibbs_opts bad = { 0.0, 1.0, 0, 0.1 };

  TEST(plm_gibbs_ParsePositions("1,5-9,100", L, fixed, errbuf) == PLM_OK && fixed[0] && fixed[4] && fixed[8] &&
       !fixed[9] && fixed[99] && !fixed[1], "positions: '1,5-9,100' is 1-based and inclusive");
  TEST(plm_gibbs_ParsePositions("0", L, fixed, errbuf) == PLM_EINVAL, "positions: 0 is refused");
  TEST(plm_gibbs_ParsePositions("101", L, fixed, errbuf) == PLM_EINVAL, "positions: past L is refused: %s", errbuf);
  TEST(plm_gibbs_ParsePositions("3-x", L, fixed, errbuf) == PLM_EINVAL, "positions: '3-x' is refused");
  TEST(plm_gibbs_Create(L, NULL, allowed, 20, &bad, &g, errbuf) == PLM_EINVAL && g == NULL,
       "create: fraction 0 is refused: %s", errbuf);
}

int
main(void)
{
  test_mask();
  test_step();
  test_restart();
  test_draw();
  test_softmax();
  test_errors();
  return test_done();
}
