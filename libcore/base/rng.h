/* rng.h: a small seedable random generator for random models and tests: splitmix64, normal
 * deviates by Box-Muller. The same seed gives the same numbers on every machine.
 *
 *   plm_rng_Next()    the next 64 random bits
 *   plm_rng_Normal()  a standard normal deviate
 *   plm_rng_Hash()    FNV-1a of n bytes, continuing from h (start from PLM_RNG_HASH0): what keys a
 *                     record's draws to its id, and tells one input's ids from another's
 */
#ifndef PLM_RNG_H
#define PLM_RNG_H
#include <stddef.h>
#include <stdint.h>

uint64_t plm_rng_Next(uint64_t *state);
double   plm_rng_Normal(uint64_t *state);

#define PLM_RNG_HASH0 UINT64_C(0xcbf29ce484222325)
uint64_t plm_rng_Hash(uint64_t h, const void *p, size_t n);

#endif
