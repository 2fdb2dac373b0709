/* rng.h: a small seedable random generator for random models and tests: splitmix64, normal
 * deviates by Box-Muller. The same seed gives the same numbers on every machine.
 *
 *   plm_rng_Next()    the next 64 random bits
 *   plm_rng_Normal()  a standard normal deviate
 */
#ifndef PLM_RNG_H
#define PLM_RNG_H
#include <stdint.h>

uint64_t plm_rng_Next(uint64_t *state);
double   plm_rng_Normal(uint64_t *state);

#endif
