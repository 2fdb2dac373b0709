/* aapair.h: attention between amino-acid types per head, against BLOSUM62
 * (Vig et al., "BERTology Meets Biology", §4.3 / Fig. 7, per head).
 *
 * For each head, M[a][b] = the attention mass from residues of type a to
 * residues of type b (the 20 standard amino acids; others are left out),
 * summed over records. Its log2 enrichment over what the marginals predict,
 *   e[a][b] = log2( M[a][b] * total / (row_a * col_b) ),
 * symmetrized ((e[a][b] + e[b][a]) / 2; NaN where either cell has no mass),
 * is a 20 x 20 matrix shaped like a substitution matrix; its Pearson
 * correlation with BLOSUM62 over the 210 pairs a <= b says how much the head
 * attends between substitutable residues.
 *
 *   plm_aapair_Create() / plm_aapair_Destroy()
 *   plm_aapair_Add()          one record's attention [nl, nh, T, T] over residues lead .. lead + L - 1
 *   plm_aapair_Enrichment()   the symmetrized log2 enrichment of one head, or pooled over all (head -1)
 *   plm_aapair_Blosum()       Pearson of a 20 x 20 matrix with BLOSUM62 over the 210 pairs a <= b
 *   PLM_AAPAIR_ORDER          the amino acids in row order
 */
#ifndef PLM_AAPAIR_H
#define PLM_AAPAIR_H
#include <stdint.h>

#define PLM_AAPAIR_ORDER "ACDEFGHIKLMNPQRSTVWY"

typedef struct plm_aapair {
  int     nl, nh;
  double *mass;      /* [nl * nh][20][20] */
  int64_t nrecords;
} plm_aapair;

int  plm_aapair_Create(int nl, int nh, plm_aapair **ret_ap, char *errbuf);
void plm_aapair_Destroy(plm_aapair *ap);
int  plm_aapair_Add(plm_aapair *ap, const float *attn, int T, int lead, int L, const char *seq, char *errbuf);
void plm_aapair_Enrichment(const plm_aapair *ap, int head, double enr[400]);
double plm_aapair_Blosum(const double enr[400], int *ret_npairs);

#endif
