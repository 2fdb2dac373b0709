/* toplabel.h: binary contact labels from a score map, its top pairs taken as contacts.
 *
 * Rao et al. fit the contact head on structures; supervised instead by a
 * Potts model (no structure needed), the labels are the Potts model's top
 * couplings. This turns any f32 [L, L] score map into lrfit's label layout.
 *
 *   plm_toplabel_Make()   the top ceil(x * L) pairs i < j with j - i >= minsep -> 1, other such pairs 0,
 *                         pairs closer than minsep and NaN scores 255 (unknown); the map is read above the diagonal
 */
#ifndef PLM_TOPLABEL_H
#define PLM_TOPLABEL_H
#include <stdint.h>

int plm_toplabel_Make(const float *score, int64_t L, int minsep, double x, uint8_t *label, char *errbuf);

#endif
