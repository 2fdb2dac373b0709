/* fuzz_pdb.c: libFuzzer target for the pdb reader (formats/pdb.c + structure.c); see structure_fuzz.h. */
#include "structure_fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  return structure_Fuzz(plm_structure_ParsePDB, data, size);
}
