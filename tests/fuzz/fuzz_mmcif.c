/* fuzz_mmcif.c: libFuzzer target for the mmcif reader (formats/mmcif.c + structure.c).
 *
 * Parses the input from memory, without and with a chain; whatever is
 * accepted must be self-consistent, and its contact map computable.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "contactmap.h"
#include "error.h"
#include "structure.h"

static void
check(const plm_structure *s)
{
  plm_contact_opts o = { PLM_CONTACT_CB, 8.0, NULL, NULL, NULL };
  char             eb[PLM_ERRBUFSIZE];
  plm_tensor      *t = NULL;
  plm_contact_info info;
  if (s->n <= 0 || (int)strlen(s->seq) != s->n) abort();
  if (s->n <= 400 && plm_contactmap_ForSequence(s, s->seq, &o, "c", &t, &info, eb) == PLM_OK && info.naligned > s->n) abort();
  plm_tensor_Destroy(t);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  char           eb[PLM_ERRBUFSIZE];
  plm_structure *s = NULL;
  if (plm_structure_ParseMMCIF((const char *)data, size, "fuzz", NULL, &s, eb) == PLM_OK) check(s);
  plm_structure_Destroy(s);
  s = NULL;
  if (plm_structure_ParseMMCIF((const char *)data, size, "fuzz", "A", &s, eb) == PLM_OK) check(s);
  plm_structure_Destroy(s);
  return 0;
}
