/* scoremat.h: square score matrices as text, the output of CCMpred, GREMLIN
 * and plmc-style couplings tools: L lines of L whitespace-separated numbers
 * (row i, column j, 0-based = residues i + 1 and j + 1); lines starting with
 * '#' (CCMpred's #>META> line) and blank lines are skipped.
 *
 *   plm_scoremat_Read()   the L x L matrix, row-major f32
 */
#ifndef PLM_SCOREMAT_H
#define PLM_SCOREMAT_H
#include <stdint.h>

#define PLM_SCOREMAT_MAXL 65536

int plm_scoremat_Read(const char *path, float **ret_m, int64_t *ret_L, char *errbuf);

#endif
