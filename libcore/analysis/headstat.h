/* headstat.h: what each attention head attends to (Vig et al., "BERTology
 * Meets Biology", ICLR 2021), accumulated in one pass over a stream.
 *
 * For property k (token: residue j has it; pair: (i, j) has it) and head
 * (layer l, head h), over all records and residue pairs i -> j with a known
 * label (special tokens already dropped):
 *   Eq. 1  prop_highconf = #{alpha_ij > theta, f = 1} / #{alpha_ij > theta}
 *   Eq. 3  prop_weighted = sum alpha_ij f(i,j) / sum alpha_ij
 *   background           = fraction of known residues (token) or residue
 *                          pairs, diagonal included (pair) having the property,
 *                          over the same records, as provis counts it.
 * Memory is a few counters per property x head, whatever the dataset size.
 * Attention mass is summed per record in double and added in fixed point
 * (units of 2^-32), so the totals do not depend on how records are split into
 * shards: merging partial states gives exactly the single-run numbers.
 *
 * The null model permutes each attention row (one head, one query residue)
 * before counting, with a generator seeded by (seed, record id, layer, head,
 * row): reproducible, and the same in a shard as in a single run.
 *
 * Layers and heads are labelled by the model's numbers (from 1), not by their
 * place in the tensor: attn --layers/--heads keeps a subset and says which in
 * the record metadata attention_layers / attention_heads ("2,5,6").
 *
 * Statistics (plm_headstat_Report) for heads with at least min_arcs arcs
 * above theta ("scored"; m of them for the property): pooled two-proportion
 * z-test of prop_highconf against the background (statsmodels'
 * proportions_ztest, as provis uses), two-sided p times m (Bonferroni, capped
 * at 1), and the normal-approximation interval at level alpha / m
 * (statsmodels' proportion_confint 'normal', clipped to [0, 1]).
 *
 *   plm_headstat_Create() / plm_headstat_Destroy()
 *   plm_headstat_ParseIds()     "2,5,6" -> model numbers of the kept layers or heads
 *   plm_headstat_Add()          one record's attention [layers, heads, T, T] and labels
 *   plm_headstat_Merge()        add another state with the same settings
 *   plm_headstat_Write() / plm_headstat_Read()   the partial state as text
 *   plm_headstat_ReadFILE()     the same from an open file, left after the state's last line
 *   plm_headstat_Report()       per-head rows of one property
 *   plm_headstat_Layers()       per-layer mean of prop_weighted and the center of gravity
 *   plm_headstat_AaCorr()       Pearson correlations between amino acids' attention profiles over heads
 *   plm_headstat_Blosum()       Pearson of those correlations (distinct pairs) with BLOSUM62
 *   plm_headstat_NormalQuantile()  the standard normal quantile (exposed for tests)
 */
#ifndef PLM_HEADSTAT_H
#define PLM_HEADSTAT_H
#include <stdint.h>
#include <stdio.h>

#define PLM_HEADSTAT_MAXDIM   100000         /* sanity bound on layers, heads, properties */
#define PLM_HEADSTAT_MAXCELLS ((int64_t)1 << 27)

typedef struct plm_headstat {
  int       nlayers, nheads, nprops;
  int      *layer_id, *head_id;     /* [nlayers], [nheads]: the model's numbers, from 1 */
  char    **names;                  /* [nprops] */
  int      *pair;                   /* [nprops]: 1 pair property, 0 token */
  double    theta;
  int       null_model;
  uint64_t  seed;
  int64_t   nrecords;
  int64_t  *nannotated, *nskipped;  /* [nprops] records with / without an annotation */
  int64_t  *bg_known, *bg_true;     /* [nprops] residues or pairs for the background */
  int64_t  *n_arcs, *n_pos;         /* [nprops][nlayers][nheads] known arcs above theta, with the property */
  int64_t  *w_sum, *w_pos;          /* same cells, attention mass in units of 2^-32 */
  double   *rw_sum, *rw_pos;        /* scratch: one record's mass */
  float    *row;                    /* scratch: one permuted row */
  int       rowcap;
} plm_headstat;

typedef struct plm_headstat_row {
  int64_t n_arcs;
  double  prop_highconf, prop_weighted, background;
  double  z, p_bonferroni, ci_lo, ci_hi;   /* NaN for heads not scored */
  int     scored, significant;
} plm_headstat_row;

int    plm_headstat_Create(int nlayers, int nheads, const int *layer_id, const int *head_id, int nprops,
                           const char *const *names, const int *pair, double theta, int null_model, uint64_t seed,
                           plm_headstat **ret_hs, char *errbuf);
int    plm_headstat_ParseIds(const char *list, int n, int *ids, char *errbuf);
void   plm_headstat_Destroy(plm_headstat *hs);
int    plm_headstat_Add(plm_headstat *hs, const char *id, const float *attn, int T, int lead, int L,
                        const uint8_t *const *labels, char *errbuf);
int    plm_headstat_Merge(plm_headstat *into, const plm_headstat *from, char *errbuf);
int    plm_headstat_Write(const plm_headstat *hs, FILE *fp, char *errbuf);
int    plm_headstat_Read(const char *path, plm_headstat **ret_hs, char *errbuf);
int    plm_headstat_ReadFILE(FILE *fp, const char *path, plm_headstat **ret_hs, char *errbuf);
int    plm_headstat_Report(const plm_headstat *hs, int k, int64_t min_arcs, double alpha, plm_headstat_row *rows);
void   plm_headstat_Layers(const plm_headstat *hs, int k, double *layer_mean, double *ret_center);
int    plm_headstat_AaCorr(const plm_headstat *hs, const int *aa_prop, int naa, double *corr, int *ret_nheads, char *errbuf);
double plm_headstat_Blosum(const double *corr, const char *aa, int naa);
double plm_headstat_NormalQuantile(double p);

#endif
