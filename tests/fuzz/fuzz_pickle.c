/* fuzz_pickle.c: libFuzzer target for the pickle reader (formats/pickle.c) and the
 * legacy torch reader built on it (formats/torchfile.c).
 *
 * Each input is run as one pickle, whose nodes are then walked as a loader would;
 * and as a whole legacy torch file (a run of pickles, then storage data), whose
 * tensors are read end to end so that ASan sees any view outside the input.
 * Seeds: tests/fuzz/make_corpus.py.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "checkpoint.h"
#include "error.h"
#include "pickle.h"
#include "torchfile.h"

static volatile uint8_t sink;

static void
walk(const plm_pickle *pk)
{
  for (int j = 0; j < pk->narena; j++) {
    const plm_pkobj *o = pk->arena[j];
    for (int k = 0; k < o->n; k++) sink ^= (uint8_t)o->items[k]->kind;
    if (o->s) sink ^= (uint8_t)o->s[o->len];
    if (o->kind == PLM_PK_TENSOR) sink ^= (uint8_t)o->storage->kind;
  }
  sink ^= plm_pickle_DictGet(pk->root, "model") != NULL;
}

static void
read_tensors(const plm_checkpoint *ck)
{
  for (int j = 0; j < ck->ntensors; j++) {
    const uint8_t *p = ck->tensors[j]->data;
    size_t         n = plm_tensor_Nbytes(ck->tensors[j]);
    for (size_t k = 0; k < n; k++) sink ^= p[k];
  }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  char            eb[PLM_ERRBUFSIZE];
  plm_pickle     *pk = NULL;
  plm_checkpoint *ck = NULL;
  size_t          used = 0;

  if (plm_pickle_Load(data, size, &pk, &used, eb) == PLM_OK) {
    if (used == 0 || used > size) abort();
    walk(pk);
    plm_pickle_Destroy(pk);
  } else if (pk != NULL || strlen(eb) == 0) abort();   /* a failure leaves nothing and says why */
  if (plm_checkpoint_Create("fuzz", &ck, eb) != PLM_OK) abort();
  if (plm_torchfile_ReadLegacy(ck, data, size, eb) == PLM_OK) read_tensors(ck);
  plm_checkpoint_Close(ck);
  return 0;
}
