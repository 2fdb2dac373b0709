/* rng.c: splitmix64 and Box-Muller normal deviates (see rng.h).
 *
 *   plm_rng_Next() / plm_rng_Normal() / plm_rng_Hash()
 */
#include <math.h>
#include <stdint.h>
#include "rng.h"

uint64_t
plm_rng_Next(uint64_t *s)
{
  uint64_t z = (*s += UINT64_C(0x9e3779b97f4a7c15));
  z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
  z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
  return z ^ (z >> 31);
}

double
plm_rng_Normal(uint64_t *s)
{
  double u = ((double)(plm_rng_Next(s) >> 11) + 0.5) / 9007199254740992.0;
  double v = (double)(plm_rng_Next(s) >> 11) / 9007199254740992.0;
  return sqrt(-2.0 * log(u)) * cos(6.283185307179586 * v);
}

uint64_t
plm_rng_Hash(uint64_t h, const void *p, size_t n)
{
  for (const unsigned char *c = p; n--; c++) h = (h ^ *c) * UINT64_C(0x100000001b3);
  return h;
}
