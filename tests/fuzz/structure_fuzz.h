/* structure_fuzz.h: the body shared by the PDB and mmCIF fuzz targets.
 *
 * structure_Fuzz() parses the input from memory with the given reader, without
 * and with a chain; whatever is accepted must be self-consistent, and its
 * contact map computable.
 */
#ifndef PLM_STRUCTURE_FUZZ_H
#define PLM_STRUCTURE_FUZZ_H
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "contactmap.h"
#include "error.h"
#include "structure.h"

typedef int (*structure_parser)(const char *text, size_t n, const char *name, const char *chain,
                                plm_structure **ret_s, char *errbuf);

static void
structure_Check(const plm_structure *s)
{
  plm_contact_opts o = { PLM_CONTACT_CB, 8.0, NULL, NULL, NULL };
  char             eb[PLM_ERRBUFSIZE];
  plm_tensor      *t = NULL;
  plm_contact_info info;
  if (s->n <= 0 || (int)strlen(s->seq) != s->n) abort();
  if (s->n <= 400 && plm_contactmap_ForSequence(s, s->seq, &o, "c", &t, &info, eb) == PLM_OK && info.naligned > s->n) abort();
  plm_tensor_Destroy(t);
}

static int
structure_Fuzz(structure_parser parse, const uint8_t *data, size_t size)
{
  static const char *chains[] = { NULL, "A" };
  char               eb[PLM_ERRBUFSIZE];
  for (int c = 0; c < 2; c++) {
    plm_structure *s = NULL;
    if (parse((const char *)data, size, "fuzz", chains[c], &s, eb) == PLM_OK) structure_Check(s);
    plm_structure_Destroy(s);
  }
  return 0;
}

#endif
