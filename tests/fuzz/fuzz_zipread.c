/* fuzz_zipread.c: libFuzzer target for the ZIP reader (formats/zipread.c) and the
 * torch zip archive reader built on it (formats/torchfile.c).
 *
 * Each input is indexed as an archive and every entry read (views and inflated
 * copies); then read as a torch.save archive, whose tensors are read end to end
 * so that ASan sees any view outside the input. Seeds: tests/fuzz/make_corpus.py.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "checkpoint.h"
#include "error.h"
#include "torchfile.h"
#include "zipread.h"

static volatile uint8_t sink;

static void
touch(const uint8_t *p, uint64_t n)
{
  for (uint64_t k = 0; k < n; k++) sink ^= p[k];
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  char            eb[PLM_ERRBUFSIZE];
  plm_zip        *z = NULL;
  plm_checkpoint *ck = NULL;
  const uint8_t  *p;
  uint8_t        *owned;

  if (plm_zip_Open(data, size, &z, eb) == PLM_OK) {
    for (int i = 0; i < z->n; i++) {
      if (plm_zip_Data(z, i, &p, &owned, eb) != PLM_OK) continue;
      touch(p, z->e[i].usize);
      free(owned);
    }
    plm_zip_Close(z);
  } else if (z != NULL || strlen(eb) == 0) abort();
  if (plm_checkpoint_Create("fuzz", &ck, eb) != PLM_OK) abort();
  if (plm_torchfile_ReadZip(ck, data, size, eb) == PLM_OK)
    for (int j = 0; j < ck->ntensors; j++) touch(ck->tensors[j]->data, plm_tensor_Nbytes(ck->tensors[j]));
  plm_checkpoint_Close(ck);
  return 0;
}
