/* aa.c: the `aa` token properties, one per standard amino acid: residue j is
 * amino acid X (attention to residue type X, Vig et al. Fig. 6). They come
 * from the record's own sequence, so every record is annotated; a <mask>
 * residue is unknown, a non-standard letter (X, B, Z, U, O) is none of the 20.
 */
#include <stdlib.h>
#include <string.h>
#include "annot.h"
#include "error.h"
#include "plugin.h"

static const char *const aa_names[20] = { "A", "C", "D", "E", "F", "G", "H", "I", "K", "L",
                                          "M", "N", "P", "Q", "R", "S", "T", "V", "W", "Y" };

static int         aa_nprops(const void *state) { return 20; }
static const char *aa_propname(const void *state, int k) { return aa_names[k]; }

static int
aa_annotate(void *state, const plm_record *rec, int L, uint8_t *out, char *errbuf)
{
  char *res;
  int   n, status, j, k;

  if ((status = plm_annot_Residues(rec->seq, &res, &n, errbuf)) != PLM_OK) return status;
  if (n != L) {
    free(res);
    return plm_Fail(errbuf, PLM_EINVAL, "aa: record %s: %d residues, host says %d", rec->id, n, L);
  }
  for (k = 0; k < 20; k++)
    for (j = 0; j < L; j++)
      out[(size_t)k * L + j] = res[j] == '?' ? PLM_PLUGIN_UNKNOWN : res[j] == aa_names[k][0];
  free(res);
  return PLM_OK;
}

int
plmscope_plugin_init(plm_plugin *p)
{
  p->api_version = PLM_PLUGIN_API_VERSION;
  p->name        = "aa";
  p->description = "residue is amino acid X, one property per standard amino acid (A C D ... Y)";
  p->kind        = PLM_PLUGIN_TOKEN;
  p->options     = NULL;
  p->noptions    = 0;
  p->nprops      = aa_nprops;
  p->propname    = aa_propname;
  p->annotate    = aa_annotate;
  return PLM_OK;
}
