/* fuzz_safetensors.c: libFuzzer target for the safetensors reader (formats/safetensors.c)
 * and the JSON tree under it (formats/jsonread.c).
 *
 * Each input is read as a safetensors file into a checkpoint; every tensor
 * accepted is read end to end so that ASan sees any view outside the input, and
 * must be as large as its shape says. Seeds: tests/fuzz/make_corpus.py.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "checkpoint.h"
#include "error.h"
#include "safetensors.h"

static volatile uint8_t sink;

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  char            eb[PLM_ERRBUFSIZE];
  plm_checkpoint *ck = NULL;

  if (plm_checkpoint_Create("fuzz", &ck, eb) != PLM_OK) abort();
  if (plm_safetensors_Read(ck, data, size, eb) == PLM_OK) {
    for (int j = 0; j < ck->ntensors; j++) {
      const uint8_t *p = ck->tensors[j]->data;
      size_t         n = plm_tensor_Nbytes(ck->tensors[j]);
      if (n > size) abort();
      for (size_t k = 0; k < n; k++) sink ^= p[k];
    }
  } else if (strlen(eb) == 0) abort();
  plm_checkpoint_Close(ck);
  return 0;
}
