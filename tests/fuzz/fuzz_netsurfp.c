/* fuzz_netsurfp.c: libFuzzer target for the ss plugin's NetSurfP-2.0 CSV reader (plugins/ss.c,
 * included here, as its reader is the plugin's own). Accepted: every entry's classes one per
 * residue and each a known class. */
#include "../../plugins/ss.c"
#include "file_fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  ss_state   *st = calloc(1, sizeof *st);
  const char *path = fuzz_File(data, size);
  char        eb[PLM_ERRBUFSIZE];

  if (!st || !path) { free(st); return 0; }
  if (ss_read(path, st, eb) == PLM_OK)
    for (int i = 0; i < st->n; i++) {
      if (st->e[i].L != (int)strlen(st->e[i].seq)) abort();
      for (int j = 0; j < st->e[i].L; j++)
        if (st->e[i].cls[j] > 2 && st->e[i].cls[j] != SS_NONE && st->e[i].cls[j] != PLM_PLUGIN_UNKNOWN) abort();
    }
  ss_close(st);
  return 0;
}
