/* fuzz_scoremat.c: libFuzzer target for the score-matrix reader (formats/scoremat.c: CCMpred,
 * GREMLIN, plmc text). Accepted: a square L x L matrix of finite or infinite numbers, L >= 1. */
#include <math.h>
#include "error.h"
#include "file_fuzz.h"
#include "scoremat.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  const char *path = fuzz_File(data, size);
  float      *m = NULL;
  int64_t     L = 0;
  char        eb[PLM_ERRBUFSIZE];

  if (!path) return 0;
  if (plm_scoremat_Read(path, &m, &L, eb) == PLM_OK) {
    if (L < 1 || L > PLM_SCOREMAT_MAXL) abort();
    for (int64_t i = 0; i < L * L; i++) if (isnan(m[i])) abort();
  }
  free(m);
  return 0;
}
