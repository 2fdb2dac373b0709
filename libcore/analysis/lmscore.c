/* lmscore.c: masked and unmasked log-probabilities of a protein's residues, in blended windows
 * when it is longer than the model (see lmscore.h).
 *
 *   plm_lmscore_Limit() plm_lmscore_Windows()       the windows
 *   run_logits() add_logsoftmax() run_window()      one window's passes
 *   plm_lmscore_Run() plm_lmscore_Clear()           one protein
 *   plm_lmscore_PLL() plm_lmscore_Entropy() plm_lmscore_Amino()   what is read from them
 *   plm_lmscore_Landscape() plm_lmscore_Figure()                    single substitutions
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "error.h"
#include "lmscore.h"

int
plm_lmscore_Limit(const plm_lm *m, const plm_lmtokens *tk)
{
  int T = m->max_tokens ? m->max_tokens : m->trained_tokens;
  return T > tk->lead + tk->trail ? T - tk->lead - tk->trail : 0;
}

static double
sigmoid(double x)
{
  return 1.0 / (1.0 + exp(-x));
}

int
plm_lmscore_Windows(int L, int W, int O, double s, int **ret_start, float **ret_weight, int *ret_n, char *errbuf)
{
  int   *start = NULL, n = 0, status;
  float *wt = NULL;

  *ret_start = NULL; *ret_weight = NULL; *ret_n = 0;
  if (W < 1 || O < 0 || O >= W || !(s > 0.0))
    PLM_XFAIL(PLM_EINVAL, errbuf, "windows of %d residues overlapping by %d (scale %g): need 0 <= overlap < window, scale > 0", W, O, s);
  if ((start = malloc(sizeof *start * (size_t)(2 * (L / (W - O) + 2) + 1))) == NULL) PLM_XFAIL(PLM_EMEM, errbuf, "out of memory");
  if (L <= W) start[n++] = 0;
  else {
    /* from both ends inwards, W - O apart; a centred window where the innermost pair overlaps too little */
    int lo = 0, hi = L;
    while (hi - lo > W) { start[n++] = lo; start[n++] = hi - W; lo += W - O; hi -= W - O; }
    if (start[n - 2] + W - 1 - start[n - 1] < O) {
      int c = lo + (hi - lo) / 2 - W / 2;
      start[n++] = c < 0 ? 0 : c > L - W ? L - W : c;
    }
    for (int i = 1; i < n; i++)                   /* in order of start */
      for (int j = i; j > 0 && start[j - 1] > start[j]; j--) { int t = start[j]; start[j] = start[j - 1]; start[j - 1] = t; }
  }
  if ((wt = calloc((size_t)n * (size_t)L, sizeof *wt)) == NULL) PLM_XFAIL(PLM_EMEM, errbuf, "out of memory");
  if (n == 1) for (int i = 0; i < L; i++) wt[i] = 1.0f;
  else {
    int a = (int)nearbyint(O / 2.0);              /* numpy's round: half to even */
    for (int k = 0; k < n; k++)
      for (int t = 0; t < W; t++) {
        double f = 1.0;
        if (k > 0 && t < a)          f = sigmoid((t - a / 2.0) / s);
        if (k < n - 1 && t >= W - a) f = sigmoid(-((t - (W - a)) - a / 2.0) / s);
        wt[(size_t)k * L + start[k] + t] = (float)f;
      }
    for (int i = 0; i < L; i++) {
      double sum = 0.0;
      for (int k = 0; k < n; k++) sum += wt[(size_t)k * L + i];
      for (int k = 0; k < n; k++) wt[(size_t)k * L + i] = (float)(wt[(size_t)k * L + i] / sum);
    }
  }
  *ret_start = start; *ret_weight = wt; *ret_n = n;
  return PLM_OK;

ERROR:
  free(start);
  free(wt);
  return status;
}

/* logits of B proteins of T tokens each (ids B x T) into *buf, (B x T) x V: one batched pass where the
 * architecture has one, else one forward each */
static int
run_logits(plm_lm *m, const int32_t *ids, int B, int T, float **buf, size_t *cap, char *errbuf)
{
  plm_lm_request req = { .logits = 1 };
  plm_lm_output  out, *outs = NULL;
  int           *Ts = NULL, V = m->vocab, status;
  size_t         per = (size_t)T * V;

  memset(&out, 0, sizeof out);
  if (*cap < (size_t)B * per) {
    float *p = realloc(*buf, sizeof *p * (size_t)B * per);
    if (!p) PLM_XFAIL(PLM_EMEM, errbuf, "out of memory for %d x %d logits", B, T);
    *buf = p; *cap = (size_t)B * per;
  }
  if (m->forward_batch && B > 1) {
    PLM_XCHECK(m->forward_batch(m, ids, B, T, &out, errbuf));
    if (out.logits->shape[1] != V) PLM_XFAIL(PLM_EFORMAT, errbuf, "%s: %d logits per token, expected %d", m->name, (int)out.logits->shape[1], V);
    memcpy(*buf, out.logits->data, sizeof **buf * (size_t)B * per);
  } else if (m->forward_many && B > 1) {
    if ((Ts = malloc(sizeof *Ts * (size_t)B)) == NULL || (outs = calloc((size_t)B, sizeof *outs)) == NULL)
      PLM_XFAIL(PLM_EMEM, errbuf, "out of memory");
    for (int b = 0; b < B; b++) Ts[b] = T;
    PLM_XCHECK(m->forward_many(m, ids, B, Ts, &req, outs, errbuf));
    for (int b = 0; b < B; b++) memcpy(*buf + (size_t)b * per, outs[b].logits->data, sizeof **buf * per);
  } else
    for (int b = 0; b < B; b++) {
      PLM_XCHECK(m->forward(m, ids + (size_t)b * T, T, &req, &out, errbuf));
      memcpy(*buf + (size_t)b * per, out.logits->data, sizeof **buf * per);
      plm_lmout_Clear(&out);
    }
  status = PLM_OK;

ERROR:
  plm_lmout_Clear(&out);
  for (int b = 0; outs && b < B; b++) plm_lmout_Clear(&outs[b]);
  free(outs);
  free(Ts);
  return status;
}

/* dst += w * log_softmax(x), the softmax's sum in double */
static void
add_logsoftmax(const float *x, int V, double w, float *dst)
{
  double mx = x[0], sum = 0.0, lse;
  for (int v = 1; v < V; v++) if (x[v] > mx) mx = x[v];
  for (int v = 0; v < V; v++) sum += exp((double)x[v] - mx);
  lse = mx + log(sum);
  for (int v = 0; v < V; v++) dst[v] += (float)(w * ((double)x[v] - lse));
}

/* what one protein's windows share */
typedef struct pass {
  plm_lm             *m;
  const plm_lmtokens *tk;
  float              *logits;  size_t cap;
  int32_t            *ids;     /* B x Tw */
} pass;

/* window of residues [s, s + W) of the protein's tokens ids (T): its passes, weighted by weight (L) */
static int
run_window(pass *p, const int32_t *ids, int T, int s, int W, const float *weight, const plm_lmscore_opts *o,
           plm_lmscore *r, char *errbuf)
{
  int  lead = p->tk->lead, trail = p->tk->trail, Tw = lead + W + trail, V = r->V, status;
  long B = o->batch_tokens / Tw;
  int32_t *row;

  if (B < 1) B = 1;
  if (B > W) B = W;
  if ((row = realloc(p->ids, sizeof *row * (size_t)B * (size_t)Tw)) == NULL) PLM_XFAIL(PLM_EMEM, errbuf, "out of memory");
  p->ids = row;
  memcpy(row, ids, sizeof *row * (size_t)lead);
  memcpy(row + lead, ids + lead + s, sizeof *row * (size_t)W);
  memcpy(row + lead + W, ids + T - trail, sizeof *row * (size_t)trail);
  for (long b = 1; b < B; b++) memcpy(row + b * Tw, row, sizeof *row * (size_t)Tw);

  if (o->wt) {
    PLM_XCHECK(run_logits(p->m, row, 1, Tw, &p->logits, &p->cap, errbuf));
    for (int t = 0; t < W; t++)
      add_logsoftmax(p->logits + (size_t)(lead + t) * V, V, weight[s + t], r->wt + (size_t)(s + t) * V);
  }
  if (o->masked)
    for (int t0 = 0; t0 < W; t0 += (int)B) {
      int nb = W - t0 < B ? W - t0 : (int)B;
      for (int b = 0; b < nb; b++) p->ids[(size_t)b * Tw + lead + t0 + b] = p->tk->mask;
      PLM_XCHECK(run_logits(p->m, p->ids, nb, Tw, &p->logits, &p->cap, errbuf));
      for (int b = 0; b < nb; b++) {
        int t = t0 + b;
        add_logsoftmax(p->logits + ((size_t)b * Tw + lead + t) * V, V, weight[s + t], r->masked + (size_t)(s + t) * V);
        p->ids[(size_t)b * Tw + lead + t] = ids[lead + s + t];       /* unmask for the next round */
      }
    }
  return PLM_OK;

ERROR:
  return status;
}

int
plm_lmscore_Run(plm_lm *m, const plm_lmtokens *tk, const char *seq, const plm_lmscore_opts *o,
                plm_lmscore *r, char *errbuf)
{
  pass     p = { m, tk, NULL, 0, NULL };
  int32_t *ids = NULL;
  int     *start = NULL, T, L, W, O, n = 0, status;
  float   *weight = NULL;

  memset(r, 0, sizeof *r);
  if (strchr(seq, '<')) PLM_XFAIL(PLM_EUNSUP, errbuf, "inline special tokens (\"<mask>\", ...) are not scored: give plain residues");
  PLM_XCHECK(m->tokenize(m, seq, &ids, &T, errbuf));
  L = T - tk->lead - tk->trail;
  if (L < 1) PLM_XFAIL(PLM_EINVAL, errbuf, "no residues to score");
  W = o->window ? o->window : plm_lmscore_Limit(m, tk);
  if (W == 0 || W > L) W = L;
  if (m->max_tokens && W + tk->lead + tk->trail > m->max_tokens)
    PLM_XFAIL(PLM_EINVAL, errbuf, "windows of %d residues exceed %s's limit of %d", W, m->name, m->max_tokens - tk->lead - tk->trail);
  O = o->overlap ? o->overlap : W / 2;
  if (O >= W) O = W - 1;
  PLM_XCHECK(plm_lmscore_Windows(L, W, O, o->scale, &start, &weight, &n, errbuf));

  r->L = L; r->V = m->vocab; r->nwin = n;
  if ((r->tok = malloc(sizeof *r->tok * (size_t)L)) == NULL ||
      (o->masked && (r->masked = calloc((size_t)L * r->V, sizeof *r->masked)) == NULL) ||
      (o->wt && (r->wt = calloc((size_t)L * r->V, sizeof *r->wt)) == NULL))
    PLM_XFAIL(PLM_EMEM, errbuf, "out of memory for %d x %d log-probabilities", L, r->V);
  memcpy(r->tok, ids + tk->lead, sizeof *r->tok * (size_t)L);
  for (int k = 0; k < n; k++)
    PLM_XCHECK(run_window(&p, ids, T, start[k], W, weight + (size_t)k * L, o, r, errbuf));
  status = PLM_OK;

ERROR:
  if (status != PLM_OK) plm_lmscore_Clear(r);
  free(p.logits); free(p.ids); free(ids); free(start); free(weight);
  return status;
}

void
plm_lmscore_Clear(plm_lmscore *s)
{
  free(s->tok); free(s->masked); free(s->wt);
  memset(s, 0, sizeof *s);
}

double
plm_lmscore_PLL(const plm_lmscore *s)
{
  double pll = 0.0;
  for (int i = 0; i < s->L; i++) pll += s->masked[(size_t)i * s->V + s->tok[i]];
  return pll;
}

void
plm_lmscore_Entropy(const plm_lmscore *s, float *H)
{
  for (int i = 0; i < s->L; i++) {
    const float *lp = s->masked + (size_t)i * s->V;
    double       h = 0.0;
    for (int v = 0; v < s->V; v++) h -= exp((double)lp[v]) * lp[v];
    H[i] = (float)h;
  }
}

void
plm_lmscore_Amino(const float *lp, int L, int V, const plm_lmtokens *tk, float *out)
{
  for (int i = 0; i < L; i++)
    for (int a = 0; a < PLM_NAMINO; a++) out[(size_t)i * PLM_NAMINO + a] = lp[(size_t)i * V + tk->amino[a]];
}

void
plm_lmscore_Landscape(const plm_lmscore *s, const float *lp, const plm_lmtokens *tk, float *out)
{
  for (int i = 0; i < s->L; i++) {
    const float *row = lp + (size_t)i * s->V;
    for (int a = 0; a < PLM_NAMINO; a++)
      out[(size_t)i * PLM_NAMINO + a] = tk->amino[a] == s->tok[i] ? 0.0f : row[tk->amino[a]] - row[s->tok[i]];
  }
}

#define FIG_X0   40.0
#define FIG_Y0   56.0
#define FIG_PER  80       /* residues per panel: long proteins wrap into panels stacked downwards */
#define FIG_GAP  34.0     /* between panels: the next panel's residue numbers */

/* the panels' width in residues and the cell size: cells of 12 pixels (14 for small proteins), wider
 * panels only when 80 residues a panel would pass the figure's height limit */
static void
fig_Layout(int L, int *ret_per, double *ret_cell)
{
  double cell = L <= 60 ? 14.0 : 12.0, band = PLM_NAMINO * cell + FIG_GAP;
  int    maxpanels = (int)((PLM_FIG_MAXSIDE - FIG_Y0 - 80.0) / band), per = L < FIG_PER ? L : FIG_PER;
  if ((L + per - 1) / per > maxpanels) per = (L + maxpanels - 1) / maxpanels;
  while (per * cell + FIG_X0 + 20.0 > PLM_FIG_MAXSIDE && cell > 1.0) cell -= 1.0;
  *ret_per = per; *ret_cell = cell;
}

int
plm_lmscore_Figure(const float *land, const char *seq, int L, const char *title, plm_fig **ret_fig, char *errbuf)
{
  static const uint8_t dot[3] = { 60, 60, 60 };
  plm_fig     *fig = NULL;
  double      *v = NULL, vmax = 0.0, cell, band;
  char       (*collab)[16] = NULL, rows[PLM_NAMINO][2];
  const char **cl = NULL, *rl[PLM_NAMINO];
  int          per, npanel, status;

  *ret_fig = NULL;
  fig_Layout(L, &per, &cell);
  band   = PLM_NAMINO * cell + FIG_GAP;
  npanel = (L + per - 1) / per;
  if ((v = malloc(sizeof *v * (size_t)per * PLM_NAMINO)) == NULL || (collab = malloc(sizeof *collab * (size_t)L)) == NULL ||
      (cl = malloc(sizeof *cl * (size_t)L)) == NULL)
    PLM_XFAIL(PLM_EMEM, errbuf, "out of memory");
  for (int a = 0; a < PLM_NAMINO; a++) { rows[a][0] = PLM_AMINO[a]; rows[a][1] = '\0'; rl[a] = rows[a]; }
  for (size_t k = 0; k < (size_t)L * PLM_NAMINO; k++) vmax = fmax(vmax, fabs(land[k]));
  if (vmax == 0.0) vmax = 1.0;
  PLM_XCHECK(plm_fig_Create(FIG_X0 + per * cell + 20.0, FIG_Y0 + npanel * band + 40.0, &fig, errbuf));
  plm_fig_Text(fig, 10, 18, 's', 13, title);
  for (int p = 0; p < npanel; p++) {
    int    i0 = p * per, n = L - i0 < per ? L - i0 : per;
    int    g = n <= 40 ? 1 : (n + 39) / 40, want = per >= 40 ? 10 : 5, step = (want + g - 1) / g * g;
    double y0 = FIG_Y0 + p * band;
    /* residue numbers over every step-th column, step a multiple of the grid's own thinning */
    for (int c = 0; c < n; c++) {
      if (c % step == 0) snprintf(collab[i0 + c], sizeof collab[i0 + c], "%d", i0 + c + 1);
      else collab[i0 + c][0] = '\0';
      cl[i0 + c] = collab[i0 + c];
      for (int a = 0; a < PLM_NAMINO; a++) v[(size_t)a * n + c] = land[(size_t)(i0 + c) * PLM_NAMINO + a];
    }
    plm_fig_Grid(fig, FIG_X0, y0, cell, v, PLM_NAMINO, n, rl, cl + i0, -vmax, vmax, 1);
    for (int c = 0; c < n; c++) {                /* the wild type's cell of each column: a dot */
      const char *a = seq[i0 + c] ? strchr(PLM_AMINO, seq[i0 + c]) : NULL;
      if (a) plm_fig_Rect(fig, FIG_X0 + (c + 1.0 / 3) * cell, y0 + (a - PLM_AMINO + 1.0 / 3) * cell, cell / 3, cell / 3, dot);
    }
  }
  plm_fig_ColorBar(fig, FIG_X0, FIG_Y0 + npanel * band - FIG_GAP + 14.0, 150.0, -vmax, vmax, 1);
  plm_fig_Text(fig, FIG_X0 + 160.0, FIG_Y0 + npanel * band - FIG_GAP + 24.0, 's', 10, "score of the substitution (dots: the wild type, 0)");
  free(v); free(collab); free(cl);
  *ret_fig = fig;
  return PLM_OK;

ERROR:
  plm_fig_Destroy(fig);
  free(v); free(collab); free(cl);
  return status;
}
