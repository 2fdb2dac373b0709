/* gibbs.c: masking, drawing and restarting for pseudo-MSA chains (see gibbs.h).
 *
 *   plm_gibbs_Create() / plm_gibbs_Destroy() / plm_gibbs_ParsePositions()
 *   plm_gibbs_Mask() / plm_gibbs_Draw() / plm_gibbs_Step() / plm_gibbs_StepBatch() / plm_gibbs_Restart()
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "error.h"
#include "rng.h"
#include "gibbs.h"

/* uniform in [0, 1) from the top 53 bits */
static double
uniform(uint64_t *rng)
{
  return (double)(plm_rng_Next(rng) >> 11) / 9007199254740992.0;
}

int
plm_gibbs_Create(int L, const uint8_t *fixed, const int32_t *allowed, int nallowed,
                 const plm_gibbs_opts *o, plm_gibbs **ret_g, char *errbuf)
{
  plm_gibbs *g = NULL;
  int        status;

  *ret_g = NULL;
  if (L < 1) PLM_XFAIL(PLM_EINVAL, errbuf, "an empty sequence has nothing to sample");
  if (nallowed < 1) PLM_XFAIL(PLM_EINVAL, errbuf, "no tokens to draw from");
  if (!(o->fraction > 0.0 && o->fraction <= 1.0)) PLM_XFAIL(PLM_EINVAL, errbuf, "mask fraction %g is outside (0, 1]", o->fraction);
  if (!(o->restart >= 0.0 && o->restart <= 1.0)) PLM_XFAIL(PLM_EINVAL, errbuf, "restart probability %g is outside [0, 1]", o->restart);
  if (!(o->temperature >= 0.0)) PLM_XFAIL(PLM_EINVAL, errbuf, "temperature %g is negative", o->temperature);
  if (o->top_k < 0) PLM_XFAIL(PLM_EINVAL, errbuf, "top-k %d is negative", o->top_k);
  if ((g = calloc(1, sizeof *g)) == NULL) PLM_XFAIL(PLM_EMEM, errbuf, "out of memory");
  g->o = *o;
  g->L = L;
  g->nallowed = nallowed;
  if ((g->free_pos = malloc(sizeof *g->free_pos * (size_t)L)) == NULL ||
      (g->pos = malloc(sizeof *g->pos * (size_t)L)) == NULL ||
      (g->masked = malloc(sizeof *g->masked * (size_t)L)) == NULL ||
      (g->allowed = malloc(sizeof *g->allowed * (size_t)nallowed)) == NULL ||
      (g->p = malloc(sizeof *g->p * (size_t)nallowed)) == NULL)
    PLM_XFAIL(PLM_EMEM, errbuf, "out of memory");
  memcpy(g->allowed, allowed, sizeof *allowed * (size_t)nallowed);
  for (int i = 0; i < L; i++)
    if (!fixed || !fixed[i]) g->free_pos[g->nfree++] = i;
  g->nmask = (int)floor(o->fraction * g->nfree + 0.5);
  if (g->nmask < 1 && g->nfree > 0) g->nmask = 1;
  *ret_g = g;
  return PLM_OK;

ERROR:
  plm_gibbs_Destroy(g);
  return status;
}

void
plm_gibbs_Destroy(plm_gibbs *g)
{
  if (!g) return;
  free(g->free_pos);
  free(g->pos);
  free(g->masked);
  free(g->allowed);
  free(g->p);
  free(g->bpos);
  free(g->bmasked);
  free(g);
}

int
plm_gibbs_ParsePositions(const char *s, int L, uint8_t *fixed, char *errbuf)
{
  const char *p = s;

  while (*p) {
    char *end;
    long  a = strtol(p, &end, 10), b = a;
    if (end == p) break;
    if (*end == '-') { p = end + 1; b = strtol(p, &end, 10); if (end == p) break; }
    if (a < 1 || b > L || a > b) return plm_Fail(errbuf, PLM_EINVAL, "positions '%s': %ld-%ld is outside 1-%d", s, a, b, L);
    for (long i = a; i <= b; i++) fixed[i - 1] = 1;
    p = end;
    if (*p == ',') p++;
    else if (*p) break;
  }
  if (*p || p == s) return plm_Fail(errbuf, PLM_EINVAL, "cannot read the positions '%s' (e.g. 1,5-9)", s);
  return PLM_OK;
}

/* a partial Fisher-Yates shuffle of a fresh copy of the free positions (so a draw depends on
 * the rng alone, not on earlier steps): the first nmask are a uniform sample without
 * replacement; returns nmask, the positions in g->pos */
int
plm_gibbs_Mask(plm_gibbs *g, uint64_t *rng)
{
  memcpy(g->pos, g->free_pos, sizeof *g->pos * (size_t)g->nfree);
  for (int i = 0; i < g->nmask; i++) {
    int j = i + (int)(uniform(rng) * (g->nfree - i));
    int t = g->pos[i];
    g->pos[i] = g->pos[j];
    g->pos[j] = t;
  }
  return g->nmask;
}

/* is allowed token a among the top k of the row (ties go to the earlier allowed token)? */
static int
in_top_k(const plm_gibbs *g, const float *row, int a)
{
  int above = 0;
  if (g->o.top_k == 0 || g->o.top_k >= g->nallowed) return 1;
  for (int b = 0; b < g->nallowed && above < g->o.top_k; b++) {
    float x = row[g->allowed[b]], y = row[g->allowed[a]];
    above += x > y || (x == y && b < a);
  }
  return above < g->o.top_k;
}

int32_t
plm_gibbs_Draw(plm_gibbs *g, const float *row, uint64_t *rng)
{
  int    best = 0;
  double sum = 0.0, u;

  for (int a = 1; a < g->nallowed; a++)
    if (row[g->allowed[a]] > row[g->allowed[best]]) best = a;
  if (g->o.temperature == 0.0) return g->allowed[best];
  /* softmax relative to the maximum: a temperature near 0 leaves only the maxima */
  for (int a = 0; a < g->nallowed; a++) {
    g->p[a] = in_top_k(g, row, a) ? exp(((double)row[g->allowed[a]] - row[g->allowed[best]]) / g->o.temperature) : 0.0;
    sum += g->p[a];
  }
  u = uniform(rng) * sum;
  for (int a = 0; a < g->nallowed; a++) {
    if (g->p[a] > 0.0 && u < g->p[a]) return g->allowed[a];
    u -= g->p[a];
  }
  return g->allowed[best];   /* rounding left u at the end of the sum */
}

/* plm_gibbs_Step's model callback, seen as a batch of one */
typedef struct one_chain { plm_gibbs_logits_fn fn; void *ctx; } one_chain;

static int
one_chain_logits(void *ctx, const int32_t *chains, int B, int L, const float **ret_logits, int *ret_V, char *errbuf)
{
  const one_chain *o = ctx;
  (void)B;
  return o->fn(o->ctx, chains, L, ret_logits, ret_V, errbuf);
}

int
plm_gibbs_Step(plm_gibbs *g, int32_t *chain, int32_t mask_id, plm_gibbs_logits_fn fn, void *ctx,
               uint64_t *rng, char *errbuf)
{
  one_chain o = { fn, ctx };
  return plm_gibbs_StepBatch(g, chain, 1, mask_id, one_chain_logits, &o, rng, errbuf);
}

/* each chain masks with its own rng, the model sees them all at once, each chain redraws with
 * its own rng: a chain's draws do not depend on the others */
int
plm_gibbs_StepBatch(plm_gibbs *g, int32_t *chains, int B, int32_t mask_id, plm_gibbs_batch_fn fn,
                    void *ctx, uint64_t *rngs, char *errbuf)
{
  const float *logits;
  size_t       L = (size_t)g->L;
  int          V, n = g->nmask, status;

  if (n == 0 || B < 1) return PLM_OK;    /* every position is fixed */
  if (B > g->bcap) {
    int     *pos;
    int32_t *masked;
    if ((pos = realloc(g->bpos, sizeof *pos * (size_t)B * (size_t)n)) == NULL) PLM_XFAIL(PLM_EMEM, errbuf, "out of memory");
    g->bpos = pos;
    if ((masked = realloc(g->bmasked, sizeof *masked * (size_t)B * L)) == NULL) PLM_XFAIL(PLM_EMEM, errbuf, "out of memory");
    g->bmasked = masked;
    g->bcap = B;
  }
  for (int b = 0; b < B; b++) {
    int     *pos    = g->bpos + (size_t)b * n;
    int32_t *masked = g->bmasked + (size_t)b * L;
    plm_gibbs_Mask(g, &rngs[b]);
    memcpy(pos, g->pos, sizeof *pos * (size_t)n);
    memcpy(masked, chains + (size_t)b * L, sizeof *masked * L);
    for (int i = 0; i < n; i++) masked[pos[i]] = mask_id;
  }
  memcpy(g->masked, g->bmasked + (size_t)(B - 1) * L, sizeof *g->masked * L);   /* the last chain's, as before */
  PLM_XCHECK(fn(ctx, g->bmasked, B, g->L, &logits, &V, errbuf));
  for (int i = 0; i < g->nallowed; i++)
    if (g->allowed[i] < 0 || g->allowed[i] >= V)
      PLM_XFAIL(PLM_EINVAL, errbuf, "allowed token %d is outside the model's %d logits", (int)g->allowed[i], V);
  for (int b = 0; b < B; b++) {
    const int   *pos = g->bpos + (size_t)b * n;
    const float *lb  = logits + (size_t)b * L * V;
    for (int i = 0; i < n; i++) chains[(size_t)b * L + pos[i]] = plm_gibbs_Draw(g, lb + (size_t)pos[i] * V, &rngs[b]);
  }
  return PLM_OK;

ERROR:
  return status;
}

int
plm_gibbs_Restart(const plm_gibbs *g, uint64_t *rng)
{
  return uniform(rng) < g->o.restart;
}
