/* fuzz_mmcif.c: libFuzzer target for the mmcif reader (formats/mmcif.c + structure.c); see structure_fuzz.h. */
#include "structure_fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  return structure_Fuzz(plm_structure_ParseMMCIF, data, size);
}
