/* lmscore.h: what a masked language model thinks of each residue of a protein: log-probabilities
 * with the residue masked and unmasked, pseudo-log-likelihood, entropy, and the blended windows
 * that cover a protein longer than the model.
 *
 * For a protein of L residues (token ids tok[i]) and a vocabulary of V tokens:
 *
 *   masked[i]  log_softmax over V of the logits at residue i when residue i alone is the mask
 *              token: L masked copies of the protein, run in batches of copies (forward_batch,
 *              else forward_many, else one forward each) of about batch_tokens tokens
 *   wt[i]      log_softmax over V of the logits at residue i of the unmasked protein (one pass)
 *
 * (fair-esm's predict.py: "masked-marginals" and "wt-marginals" read these; the log-softmax is over
 * the whole vocabulary, not renormalized over the 20 amino acids.) From them:
 *
 *   PLL        sum_i masked[i][tok[i]]          pseudo-log-likelihood (Salazar et al. 2020)
 *   PPPL       exp(-PLL / L)                    pseudo-perplexity
 *   H[i]       -sum_v p log p, p = exp(masked[i])  the masked position's entropy (nats, over V)
 *
 * None of the models plmscope runs defines an exact perplexity in the way it is run: ESM, BERT and
 * ALBERT are masked LMs, and XLNet's autoregressive factorization needs its query stream
 * (two-stream attention), which the bidirectional XLNet forward here does not have. So the
 * pseudo-perplexity is the perplexity every tool reports.
 *
 * Proteins longer than a window (by default the model's own limit: max_tokens, else the length it
 * was trained on, less its special tokens) run as overlapping windows, each with the model's
 * special tokens, blended as esm-variants (Brandes et al. 2023) does: windows of W residues from
 * both ends inwards every W - O residues (O the least overlap), a centred one when the innermost
 * pair overlaps by less than O; each window weighs its residues 1 except a sigmoid ramp
 * 1 / (1 + exp(-(t - a/2) / s)) over its first a = round(O/2) residues (not the first window) and
 * the mirror ramp over its last a (not the last window); the weights of a residue are normalized to
 * sum to 1 over the windows holding it and its log-probabilities are the weighted sum.
 *
 *   plm_lmscore_Limit()     residues per window by default for a model (0: no limit)
 *   plm_lmscore_Windows()   the windows' starts and their normalized weights (n x L)
 *   plm_lmscore_Run()       one protein -> masked and/or wt log-probabilities
 *   plm_lmscore_Clear()
 *   plm_lmscore_PLL()       pseudo-log-likelihood
 *   plm_lmscore_Entropy()   H[i]
 *   plm_lmscore_Amino()     an L x V matrix -> L x 20, columns PLM_AMINO (lmtokens.h)
 *   plm_lmscore_Landscape() every single substitution's score, L x 20: lp[i][a] - lp[i][tok[i]]
 *                           (0 for the wild type), lp the masked (masked-marginals) or the
 *                           unmasked (wt-marginals) log-probabilities
 *   plm_lmscore_Figure()    a landscape as a heatmap: 20 amino-acid rows x L residue columns (in
 *                           panels of 80 residues stacked downwards),
 *                           red below 0 (worse than the wild type), blue above, a colour bar
 */
#ifndef PLM_LMSCORE_H
#define PLM_LMSCORE_H
#include <stdint.h>
#include "figure.h"
#include "lm.h"
#include "lmtokens.h"

typedef struct plm_lmscore_opts {
  int    window;        /* residues per window; 0: plm_lmscore_Limit() (0 there: one pass) */
  int    overlap;       /* least overlap of windows, < window; 0: window / 2 */
  double scale;         /* the sigmoid's s (esm-variants: 16) */
  long   batch_tokens;  /* tokens of masked copies per forward pass; 1: one copy at a time */
  int    masked, wt;    /* which log-probabilities to compute */
} plm_lmscore_opts;

typedef struct plm_lmscore {
  int      L, V;
  int32_t *tok;         /* L residue tokens */
  float   *masked;      /* L x V, or NULL */
  float   *wt;          /* L x V, or NULL */
  int      nwin;        /* windows run (1: the whole protein) */
} plm_lmscore;

int    plm_lmscore_Limit(const plm_lm *m, const plm_lmtokens *tk);
int    plm_lmscore_Windows(int L, int W, int O, double s, int **ret_start, float **ret_weight, int *ret_n, char *errbuf);
int    plm_lmscore_Run(plm_lm *m, const plm_lmtokens *tk, const char *seq, const plm_lmscore_opts *o,
                       plm_lmscore *ret, char *errbuf);
void   plm_lmscore_Clear(plm_lmscore *s);
double plm_lmscore_PLL(const plm_lmscore *s);
void   plm_lmscore_Entropy(const plm_lmscore *s, float *H);
void   plm_lmscore_Amino(const float *lp, int L, int V, const plm_lmtokens *tk, float *out);
void   plm_lmscore_Landscape(const plm_lmscore *s, const float *lp, const plm_lmtokens *tk, float *out);
int    plm_lmscore_Figure(const float *land, const char *seq, int L, const char *title, plm_fig **ret_fig, char *errbuf);

#endif
