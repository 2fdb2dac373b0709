/* test_headstat.c: unit tests of libcore/analysis/headstat.c and the annotation plugins
 * (aa, ss, binding_site, ptm; libcore/analysis/annot.c).
 *
 *   statistics on random peaked attention and random token + pair labels
 *   (with unknowns) against tests/unit/headstat_oracle.py (numpy);
 *   the normal quantile at known points;
 *   two shards merged, and a state written and read back, equal the single run exactly;
 *   the null model is reproducible by seed, changes with it, and its
 *   high-confidence share is within 4 standard errors of the background;
 *   planted signal: 3 x 4 heads over 300 records of uniform attention with one
 *   peak of 0.5 per row; in head (2,3) the peak falls on a binding site (token)
 *   with probability 0.6, in head (3,1) on a contact partner (pair), else on a
 *   random residue. Found: n_arcs = residues, prop_highconf within 4 SE of
 *   0.6 + 0.4 background for the planted heads and of the background for the
 *   others, significant only for the planted heads; under the null model every
 *   head within 4 SE of the background and none significant. Model layer and
 *   head numbers survive a state round trip; other numbers refuse to merge;
 *   plm_headstat_ParseIds() takes "2,5,6" and refuses bad lists;
 *   the plugins on the real annotation files: labelled residues counted over
 *   every record equal the oracle's counts; unknown ids are PLM_ENOTFOUND; a
 *   sequence that differs from the annotation's is an error.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "annot.h"
#include "error.h"
#include "headstat.h"
#include "plugin.h"
#include "test.h"

#define ORACLE "tests/unit/headstat_oracle.py"
#define NL 2
#define NH 3
#define NREC 12

typedef struct rec { int L, T; float *a; uint8_t *tok, *pair; char id[16]; } rec;

static uint64_t rng = 88172645463325252ULL;
static double   unif(void) { rng ^= rng << 13; rng ^= rng >> 7; rng ^= rng << 17; return (rng >> 11) * 0x1.0p-53; }

/* peaked rows, so that some weights pass theta; BOS and EOS around the residues */
static void
make_rec(rec *r, int i)
{
  r->L = 5 + (int)(unif() * 25);
  r->T = r->L + 2;
  snprintf(r->id, sizeof r->id, "p%d", i);
  r->a = malloc(sizeof(float) * NL * NH * r->T * r->T);
  r->tok = malloc((size_t)r->L);
  r->pair = malloc((size_t)r->L * r->L);
  for (int row = 0; row < NL * NH * r->T; row++) {
    double s = 0.0;
    float *x = r->a + (size_t)row * r->T;
    for (int j = 0; j < r->T; j++) s += (x[j] = (float)exp(4.0 * unif() * unif() * 3.0));
    for (int j = 0; j < r->T; j++) x[j] = (float)(x[j] / s);
  }
  for (int j = 0; j < r->L; j++) r->tok[j] = unif() < 0.05 ? 255 : unif() < 0.3;
  for (int j = 0; j < r->L * r->L; j++) r->pair[j] = unif() < 0.05 ? 255 : unif() < 0.2;
}

static int
add_recs(plm_headstat *hs, rec *r, int from, int to, char *eb)
{
  for (int i = from; i < to; i++) {
    const uint8_t *lab[2] = { r[i].tok, r[i].pair };
    if (plm_headstat_Add(hs, r[i].id, r[i].a, r[i].T, 1, r[i].L, lab, eb) != PLM_OK) return 1;
  }
  return 0;
}

static int
same_state(const plm_headstat *a, const plm_headstat *b)
{
  size_t n = (size_t)a->nprops * a->nlayers * a->nheads * sizeof(int64_t), p = (size_t)a->nprops * sizeof(int64_t);
  return a->nrecords == b->nrecords && !memcmp(a->n_arcs, b->n_arcs, n) && !memcmp(a->n_pos, b->n_pos, n) &&
         !memcmp(a->w_sum, b->w_sum, n) && !memcmp(a->w_pos, b->w_pos, n) && !memcmp(a->bg_known, b->bg_known, p) &&
         !memcmp(a->bg_true, b->bg_true, p) && !memcmp(a->nannotated, b->nannotated, p);
}

static const char *
python(void)
{
  const char *p = getenv("PYTHON");
  return p && *p && access(ORACLE, R_OK) == 0 ? p : NULL;
}

static void
test_oracle(plm_headstat *hs, rec *r)
{
  char             path[] = "/tmp/headstat_testXXXXXX", cmd[512], line[1024];
  plm_headstat_row rows[NL * NH];
  int              fd = mkstemp(path), bad = 0, nlines = 0;
  FILE            *fp = fd >= 0 ? fdopen(fd, "w") : NULL, *pp;

  if (!python()) { test_skip("headstat against the oracle: no PYTHON"); if (fp) fclose(fp); unlink(path); return; }
  for (int i = 0; fp && i < NREC; i++) {
    int32_t hdr[3] = { r[i].L, r[i].T, 1 };
    fwrite(hdr, sizeof hdr, 1, fp);
    fwrite(r[i].a, sizeof(float), (size_t)NL * NH * r[i].T * r[i].T, fp);
    fwrite(r[i].tok, 1, (size_t)r[i].L, fp);
    fwrite(r[i].pair, 1, (size_t)r[i].L * r[i].L, fp);
  }
  if (fp) fclose(fp);
  snprintf(cmd, sizeof cmd, "%s %s stats %s 0.3 20 0.05", python(), ORACLE, path);
  pp = popen(cmd, "r");
  for (int k = 0; pp && k < 2; k++) {
    plm_headstat_Report(hs, k, 20, 0.05, rows);
    for (int x = 0; x < NL * NH && fgets(line, sizeof line, pp); x++, nlines++) {
      long long n, np;
      double    v[7], got[7] = { rows[x].prop_highconf, rows[x].prop_weighted, rows[x].background, rows[x].z,
                                 rows[x].p_bonferroni, rows[x].ci_lo, rows[x].ci_hi };
      if (sscanf(line, "%lld %lld %lf %lf %lf %lf %lf %lf %lf", &n, &np, &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6]) != 9) { bad++; continue; }
      if (n != rows[x].n_arcs || np != hs->n_pos[k * NL * NH + x]) bad++;
      for (int c = 0; c < 7; c++)
        if (!(fabs(got[c] - v[c]) <= 1e-7 * fmax(1.0, fabs(v[c])))) { bad++; printf("# prop %d head %d col %d: %.12g vs %.12g\n", k, x, c, got[c], v[c]); }
    }
  }
  if (pp) pclose(pp);
  unlink(path);
  TEST(nlines == 2 * NL * NH && bad == 0, "%d property x head rows agree with the oracle (counts exact, statistics 1e-7), %d differ", nlines, bad);
  TEST(rows[0].scored && isfinite(rows[0].z), "pair property head 1-1 scored (%lld arcs)", (long long)rows[0].n_arcs);
}

static void
test_quantile(void)
{
  double q1 = plm_headstat_NormalQuantile(0.975), q2 = plm_headstat_NormalQuantile(1e-10), q3 = plm_headstat_NormalQuantile(0.5);
  TEST(fabs(q1 - 1.959963984540054) < 1e-12 && fabs(q2 + 6.361340902404056) < 1e-9 && fabs(q3) < 1e-15,
       "normal quantile: %.15g %.15g %.3g", q1, q2, q3);
}

static void
test_merge(const plm_headstat *single, rec *r, const char *const *names, const int *pair)
{
  char          eb[PLM_ERRBUFSIZE], path[] = "/tmp/headstat_stateXXXXXX";
  plm_headstat *a = NULL, *b = NULL, *c = NULL, *d = NULL;
  int           fd = mkstemp(path), ok;
  FILE         *fp;

  ok = plm_headstat_Create(NL, NH, NULL, NULL, 2, names, pair, 0.3, 0, 1, &a, eb) == PLM_OK &&
       plm_headstat_Create(NL, NH, NULL, NULL, 2, names, pair, 0.3, 0, 1, &b, eb) == PLM_OK &&
       !add_recs(a, r, 0, 5, eb) && !add_recs(b, r, 5, NREC, eb) && plm_headstat_Merge(b, a, eb) == PLM_OK;
  TEST(ok && same_state(single, b), "records 6-12 merged with 1-5 equal the single run exactly");
  fp = fd >= 0 ? fdopen(fd, "w") : NULL;
  ok = fp && plm_headstat_Write(single, fp, eb) == PLM_OK;
  if (fp) fclose(fp);
  ok = ok && plm_headstat_Read(path, &c, eb) == PLM_OK;
  TEST(ok && same_state(single, c) && c->theta == single->theta, "partial state written and read back unchanged (%s)", ok ? "ok" : eb);
  ok = plm_headstat_Create(NL, NH, NULL, NULL, 2, names, pair, 0.25, 0, 1, &d, eb) == PLM_OK;
  TEST(ok && plm_headstat_Merge(d, a, eb) == PLM_EINVAL && strstr(eb, "theta"), "merging a state with another theta refused (%s)", eb);
  unlink(path);
  plm_headstat_Destroy(a); plm_headstat_Destroy(b); plm_headstat_Destroy(c); plm_headstat_Destroy(d);
}

static void
test_null(rec *r, const char *const *names, const int *pair)
{
  char             eb[PLM_ERRBUFSIZE];
  plm_headstat    *a = NULL, *b = NULL, *c = NULL, *big = NULL;
  plm_headstat_row rows[NL * NH];
  int              ok, close_ = 1;
  double           worst = 0.0;

  ok = plm_headstat_Create(NL, NH, NULL, NULL, 2, names, pair, 0.3, 1, 7, &a, eb) == PLM_OK && plm_headstat_Create(NL, NH, NULL, NULL, 2, names, pair, 0.3, 1, 7, &b, eb) == PLM_OK &&
       plm_headstat_Create(NL, NH, NULL, NULL, 2, names, pair, 0.3, 1, 8, &c, eb) == PLM_OK &&
       !add_recs(a, r, 0, NREC, eb) && !add_recs(b, r, 0, NREC, eb) && !add_recs(c, r, 0, NREC, eb);
  TEST(ok && same_state(a, b), "null model: the same seed gives the same state");
  TEST(ok && !same_state(a, c), "null model: another seed gives another state");
  /* many distinct records (the permutation follows the id) for a tight comparison with the background */
  ok = plm_headstat_Create(NL, NH, NULL, NULL, 2, names, pair, 0.3, 1, 7, &big, eb) == PLM_OK;
  for (int i = 0; ok && i < 400; i++) {
    rec x;
    make_rec(&x, 1000 + i);
    ok = !add_recs(big, &x, 0, 1, eb);
    free(x.a); free(x.tok); free(x.pair);
  }
  for (int k = 0; ok && k < 2; k++) {
    plm_headstat_Report(big, k, 100, 0.05, rows);
    for (int x = 0; x < NL * NH; x++) {
      double se = sqrt(rows[x].background * (1 - rows[x].background) / rows[x].n_arcs), d = fabs(rows[x].prop_highconf - rows[x].background) / se;
      if (d > worst) worst = d;
      close_ &= d < 4.0;
    }
  }
  TEST(ok && close_, "null model high-confidence share within 4 SE of the background (worst %.2f SE)", worst);
  plm_headstat_Destroy(a); plm_headstat_Destroy(b); plm_headstat_Destroy(c); plm_headstat_Destroy(big);
}

/* ---------------------------------------------------------- planted signal */

#define PL_NL   3
#define PL_NH   4
#define PL_NREC 300
#define PL_Q    0.6

/* one record of the planted stream: L residues between BOS and EOS, token
 * labels ~15% sites, pair labels (a + 2b) % 7 == 0. The pair background weighs
 * a record by L^2 and a head's arcs by L (one a row), so the pair density must
 * not depend on L: L is a multiple of 7, and every row has exactly L/7 partners. */
static void
planted_rec(rec *r, int i)
{
  r->L = 7 * (3 + (int)(unif() * 6));
  r->T = r->L + 2;
  snprintf(r->id, sizeof r->id, "q%d", i);
  r->a = malloc(sizeof(float) * PL_NL * PL_NH * r->T * r->T);
  r->tok = malloc((size_t)r->L);
  r->pair = malloc((size_t)r->L * r->L);
  for (int j = 0; j < r->L; j++) r->tok[j] = j == 0 || unif() < 0.15;
  for (int a = 0; a < r->L; a++)
    for (int b = 0; b < r->L; b++) r->pair[a * r->L + b] = (a + 2 * b) % 7 == 0;
  for (int l = 0; l < PL_NL; l++)
    for (int h = 0; h < PL_NH; h++)
      for (int row = 0; row < r->T; row++) {
        float         *x = r->a + (((size_t)l * PL_NH + h) * r->T + row) * r->T;
        const uint8_t *lab = (l == 1 && h == 2) ? r->tok : (l == 2 && h == 0 && row >= 1 && row <= r->L) ? r->pair + (size_t)(row - 1) * r->L : NULL;
        int            j = (int)(unif() * r->L);
        if (lab && unif() < PL_Q) while (!lab[j]) j = (int)(unif() * r->L);
        for (int c = 0; c < r->T; c++) x[c] = 0.5f / r->T;
        x[1 + j] += 0.5f;
      }
}

/* every head: right n_arcs, prop_highconf within 4 SE of its expected share, significant iff planted */
static void
check_planted(const plm_headstat *hs, int planted, int64_t nres, const char *what)
{
  plm_headstat_row rows[PL_NL * PL_NH];
  int              arcs = 1, near = 1, sig = 1;
  double           worst = 0.0;

  for (int k = 0; k < 2; k++) {
    plm_headstat_Report(hs, k, 100, 0.05, rows);
    for (int x = 0; x < PL_NL * PL_NH; x++) {
      int    is = planted && x == (k == 0 ? 1 * PL_NH + 2 : 2 * PL_NH + 0);
      double bg = rows[x].background, want = is ? PL_Q + (1 - PL_Q) * bg : bg;
      double d = fabs(rows[x].prop_highconf - want) / sqrt(want * (1 - want) / (double)rows[x].n_arcs);
      if (d > worst) worst = d;
      arcs &= rows[x].n_arcs == nres;
      near &= d < 4.0;
      sig  &= rows[x].significant == is && (!is || rows[x].prop_weighted > bg + 0.2);
    }
  }
  TEST(arcs, "%s: every head has one arc above theta per residue (%lld)", what, (long long)nres);
  TEST(near, "%s: prop_highconf within 4 SE of %s (worst %.2f SE)", what, planted ? "0.6 + 0.4 bg (planted) or bg" : "bg", worst);
  TEST(sig, "%s: significant %s", what, planted ? "exactly for heads (2,3) binding and (3,1) contact" : "for no head");
}

static void
test_planted(void)
{
  char             eb[PLM_ERRBUFSIZE], path[] = "/tmp/headstat_plantXXXXXX";
  const char      *names[2] = { "binding", "contact" };
  const int        pair[2] = { 0, 1 }, lid[PL_NL] = { 2, 5, 9 }, hid[PL_NH] = { 1, 2, 4, 8 }, other[PL_NL] = { 2, 5, 10 };
  plm_headstat    *hs = NULL, *nul = NULL, *back = NULL, *diff = NULL;
  int64_t          nres = 0;
  int              ok, fd = mkstemp(path);
  FILE            *fp;

  ok = plm_headstat_Create(PL_NL, PL_NH, lid, hid, 2, names, pair, 0.3, 0, 1, &hs, eb) == PLM_OK &&
       plm_headstat_Create(PL_NL, PL_NH, lid, hid, 2, names, pair, 0.3, 1, 3, &nul, eb) == PLM_OK;
  for (int i = 0; ok && i < PL_NREC; i++) {
    rec x;
    planted_rec(&x, i);
    ok = !add_recs(hs, &x, 0, 1, eb) && !add_recs(nul, &x, 0, 1, eb);
    nres += x.L;
    free(x.a); free(x.tok); free(x.pair);
  }
  TEST(ok, "planted: %d records added (%s)", PL_NREC, ok ? "ok" : eb);
  if (ok) check_planted(hs, 1, nres, "planted");
  if (ok) check_planted(nul, 0, nres, "planted, null model");
  fp = fd >= 0 ? fdopen(fd, "w") : NULL;
  ok = ok && fp && plm_headstat_Write(hs, fp, eb) == PLM_OK;
  if (fp) fclose(fp);
  ok = ok && plm_headstat_Read(path, &back, eb) == PLM_OK;
  TEST(ok && same_state(hs, back) && !memcmp(back->layer_id, lid, sizeof lid) && !memcmp(back->head_id, hid, sizeof hid),
       "layer numbers 2,5,9 and head numbers 1,2,4,8 survive the partial state (%s)", ok ? "ok" : eb);
  ok = plm_headstat_Create(PL_NL, PL_NH, other, hid, 2, names, pair, 0.3, 0, 1, &diff, eb) == PLM_OK;
  TEST(ok && plm_headstat_Merge(diff, hs, eb) == PLM_EINVAL && strstr(eb, "layers"), "merging other layer numbers refused (%s)", eb);
  unlink(path);
  plm_headstat_Destroy(hs); plm_headstat_Destroy(nul); plm_headstat_Destroy(back); plm_headstat_Destroy(diff);
}

static void
test_ids(void)
{
  char eb[PLM_ERRBUFSIZE];
  int  ids[3];
  TEST(plm_headstat_ParseIds("2,5,6", 3, ids, eb) == PLM_OK && ids[0] == 2 && ids[1] == 5 && ids[2] == 6, "ParseIds 2,5,6");
  TEST(plm_headstat_ParseIds("2,5", 3, ids, eb) != PLM_OK && plm_headstat_ParseIds("2,5,6,7", 3, ids, eb) != PLM_OK &&
       plm_headstat_ParseIds("5,2,6", 3, ids, eb) != PLM_OK && plm_headstat_ParseIds("0,1,2", 3, ids, eb) != PLM_OK &&
       plm_headstat_ParseIds("1,2,3,", 3, ids, eb) != PLM_OK && plm_headstat_ParseIds("1,x,3", 3, ids, eb) != PLM_OK,
       "ParseIds refuses too few, too many, unordered, zero, trailing comma, non-numbers");
}

/* ---------------------------------------------------------------- plugins */

/* every record of a provis JSONL through the plugin: labelled residues, residues, records */
static void
count_sites(const char *plugin, const char *field, const char *file)
{
  char             eb[PLM_ERRBUFSIZE], opt[4200], cmd[4400], line[256];
  const char      *o[1] = { opt };
  plm_plugin      *p = NULL;
  plm_annot_sites *t = NULL;
  plm_record      *rec = NULL;
  plm_tensor      *lab;
  long long        nlab = 0, nres = 0, want[4] = { -1, -1, -1, -1 };
  int              st, nrec = 0, noutside = 0;
  FILE            *pp;

  snprintf(opt, sizeof opt, "file=%s/%s", test_shared(), file);
  if (access(opt + 5, R_OK) != 0) { test_skip("%s: %s absent", plugin, opt + 5); return; }
  st = plm_plugin_Load(plugin, NULL, 0, &p, eb);
  if (st == PLM_OK) st = plm_plugin_Open(p, o, 1, eb);
  if (st == PLM_OK) st = plm_annot_SitesRead(opt + 5, field, plugin, &t, eb);
  TEST(st == PLM_OK, "%s plugin opens %s (%s)", plugin, file, st ? eb : "ok");
  if (st != PLM_OK) { plm_plugin_Unload(p); plm_annot_SitesFree(t); return; }
  for (int i = 0; i < t->n && st == PLM_OK; i++, nrec++) {
    if ((st = plm_record_Create(t->e[i].id, t->e[i].primary, &rec, eb)) != PLM_OK) break;
    if ((st = plm_plugin_Annotate(p, rec, "l", &lab, eb)) == PLM_OK) {
      for (int j = 0; j < t->e[i].L; j++) nlab += ((uint8_t *)lab->data)[j] == 1;
      nres += t->e[i].L;
      plm_tensor_Destroy(lab);
    } else if (t->e[i].outside && st == PLM_EFORMAT && strstr(eb, "outside the sequence")) {
      noutside++;                  /* a site that is no residue's position: refused */
      st = PLM_OK;
    }
    plm_record_Destroy(rec);
  }
  if (python()) {
    snprintf(cmd, sizeof cmd, "%s %s sites '%s' %s", python(), ORACLE, opt + 5, field);
    if ((pp = popen(cmd, "r")) != NULL) {
      if (fgets(line, sizeof line, pp)) sscanf(line, "%lld %lld %lld %lld", &want[0], &want[1], &want[2], &want[3]);
      pclose(pp);
    }
    TEST(st == PLM_OK && nlab == want[0] && nres == want[1] && nrec == want[2] && noutside == want[3],
         "%s: %lld labelled of %lld residues in %d records, %d refused for a site outside (oracle %lld %lld %lld %lld)",
         plugin, nlab, nres, nrec, noutside, want[0], want[1], want[2], want[3]);
  } else test_skip("%s counts against the oracle: no PYTHON", plugin);
  plm_record_Create("no_such_id", "MKV", &rec, eb);
  st = plm_plugin_Annotate(p, rec, "l", &lab, eb);
  TEST(st == PLM_ENOTFOUND, "%s: unknown id is ENOTFOUND (%s)", plugin, eb);
  plm_record_Destroy(rec);
  plm_record_Create(t->e[0].id, "MKV", &rec, eb);
  st = plm_plugin_Annotate(p, rec, "l", &lab, eb);
  TEST(st == PLM_EFORMAT && strstr(eb, "residues"), "%s: a different sequence under a known id is an error (%s)", plugin, eb);
  plm_record_Destroy(rec);
  plm_annot_SitesFree(t);
  plm_plugin_Unload(p);
}

/* every distinct CSV sequence through the ss plugin, counting each class */
static void
count_ss(void)
{
  char        eb[PLM_ERRBUFSIZE], opt[4200], cmd[4400], *buf = NULL, *seq;
  const char *o[1] = { opt };
  plm_plugin *p = NULL;
  plm_record *rec;
  plm_tensor *lab;
  long long   got[4] = { 0 }, want[5] = { -1, -1, -1, -1, -1 };
  size_t      cap = 0;
  int         st, nrec = 0, lineno = 0, L;
  FILE       *fp, *pp;

  snprintf(opt, sizeof opt, "file=%s/data/annotations/secondary_structure/netsurfp_cb513_ts115/cb513/CB513_HHblits.csv", test_shared());
  if (access(opt + 5, R_OK) != 0 || !python()) { test_skip("ss counts: CSV or PYTHON absent"); return; }
  st = plm_plugin_Load("ss", NULL, 0, &p, eb);
  if (st == PLM_OK) st = plm_plugin_Open(p, o, 1, eb);
  TEST(st == PLM_OK, "ss plugin opens CB513 (%s)", st ? eb : "ok");
  if (st != PLM_OK || !(fp = fopen(opt + 5, "r"))) { plm_plugin_Unload(p); return; }
  /* every CSV row, repeats included, as the oracle counts */
  snprintf(cmd, sizeof cmd, "%s %s ss '%s'", python(), ORACLE, opt + 5);
  while (getline(&buf, &cap, fp) != -1) {
    if (lineno++ == 0) continue;
    seq = strndup(buf, strcspn(buf, ","));
    for (char *s = seq, *d = seq; ; s++) { if (*s != ' ') *d++ = *s; if (!*s) break; }
    if (plm_record_Create("r", seq, &rec, eb) == PLM_OK && plm_plugin_Annotate(p, rec, "l", &lab, eb) == PLM_OK) {
      L = (int)lab->shape[1];
      for (int k = 0; k < 3; k++) for (int j = 0; j < L; j++) got[k] += ((uint8_t *)lab->data)[k * L + j] == 1;
      got[3] += L;
      nrec++;
      plm_tensor_Destroy(lab);
      plm_record_Destroy(rec);
    } else { st = 1; plm_record_Destroy(rec); }
    free(seq);
  }
  fclose(fp);
  free(buf);
  if ((pp = popen(cmd, "r")) != NULL) {
    if (fscanf(pp, "%lld %lld %lld %lld %lld", &want[0], &want[1], &want[2], &want[3], &want[4]) != 5) want[0] = -1;
    pclose(pp);
  }
  TEST(st == 0 && nrec == want[4] && got[0] == want[0] && got[1] == want[1] && got[2] == want[2] && got[3] == want[3],
       "ss on CB513, %d rows: helix %lld strand %lld turn_bend %lld of %lld residues (oracle %lld %lld %lld of %lld, %lld rows)",
       nrec, got[0], got[1], got[2], got[3], want[0], want[1], want[2], want[3], want[4]);
  plm_record_Create("none", "MKVLAAGIVGLLLAAG", &rec, eb);
  TEST(plm_plugin_Annotate(p, rec, "l", &lab, eb) == PLM_ENOTFOUND, "ss: a sequence not in the CSV is ENOTFOUND");
  plm_record_Destroy(rec);
  plm_plugin_Unload(p);
}

static void
test_aa(void)
{
  char        eb[PLM_ERRBUFSIZE];
  plm_plugin *p = NULL;
  plm_record *rec = NULL;
  plm_tensor *t = NULL;
  int         st = plm_plugin_Load("aa", NULL, 0, &p, eb);
  if (st == PLM_OK) st = plm_plugin_Open(p, NULL, 0, eb);
  if (st == PLM_OK) st = plm_record_Create("x", "ACX<mask>A", &rec, eb);
  if (st == PLM_OK) st = plm_plugin_Annotate(p, rec, "l", &t, eb);
  /* property 0 is A: residues A C X <mask> A */
  TEST(st == PLM_OK && t->shape[0] == 20 && t->shape[1] == 5 && !memcmp(t->data, "\1\0\0\377\1", 5) &&
       ((uint8_t *)t->data)[5 + 1] == 1 && !strcmp(p->propname(p->state, 19), "Y"),
       "aa: 20 properties, A at 0 and 4, <mask> unknown, C is property 1 (%s)", st ? eb : "ok");
  plm_tensor_Destroy(t);
  plm_record_Destroy(rec);
  plm_plugin_Unload(p);
}

int
main(void)
{
  char          eb[PLM_ERRBUFSIZE];
  const char   *names[2] = { "tok", "pair" };
  int           pair[2] = { 0, 1 };
  rec           r[NREC];
  plm_headstat *hs = NULL;

  for (int i = 0; i < NREC; i++) make_rec(&r[i], i);
  TEST(plm_headstat_Create(NL, NH, NULL, NULL, 2, names, pair, 0.3, 0, 1, &hs, eb) == PLM_OK && !add_recs(hs, r, 0, NREC, eb),
       "12 records added");
  test_quantile();
  test_oracle(hs, r);
  test_merge(hs, r, names, pair);
  test_null(r, names, pair);
  test_planted();
  test_ids();
  plm_headstat_Destroy(hs);
  for (int i = 0; i < NREC; i++) { free(r[i].a); free(r[i].tok); free(r[i].pair); }
  count_sites("binding_site", "sites", "data/annotations/binding_ptm_provis/binding_site_valid.jsonl");
  count_sites("ptm", "modifications", "data/annotations/binding_ptm_provis/protein_modification_valid.jsonl");
  count_ss();
  test_aa();
  return test_done();
}
