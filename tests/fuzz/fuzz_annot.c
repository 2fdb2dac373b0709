/* fuzz_annot.c: libFuzzer target for the binding-site and PTM JSONL reader (libcore/analysis/annot.c).
 *
 * The first byte picks the field (sites or modifications); the rest is the file. Whatever is
 * accepted must be consistent: one label per residue of each entry, 0 or 1, ids findable, and
 * an entry with a site outside its residues carries the error its use raises.
 */
#include <string.h>
#include "annot.h"
#include "error.h"
#include "file_fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  const char      *field = size && (data[0] & 1) ? "modifications" : "sites", *path;
  plm_annot_sites *t = NULL;
  char             eb[PLM_ERRBUFSIZE];

  if (size == 0 || (path = fuzz_File(data + 1, size - 1)) == NULL) return 0;
  if (plm_annot_SitesRead(path, field, "fuzz", &t, eb) == PLM_OK) {
    for (int i = 0; i < t->n; i++) {
      const plm_annot_entry *e = &t->e[i];
      if (e->L != (int)strlen(e->primary) || plm_annot_SitesFind(t, e->id) != e) abort();
      for (int j = 0; j < e->L; j++) if (e->label[j] > 1) abort();
      if (e->outside && !strstr(e->outside, "outside the sequence")) abort();
    }
    plm_annot_SitesFree(t);
  } else if (!eb[0]) abort();                     /* a refusal always says why */
  return 0;
}
