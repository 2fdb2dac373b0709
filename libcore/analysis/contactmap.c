/* contactmap.c: true contacts from a structure (see contactmap.h).
 *
 *   the virtual Cβ, each residue's representative atom, the L x L map, and
 *   the whole path: tokenize the sequence, align it, compute the map
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "align.h"
#include "alphabet.h"
#include "contactmap.h"
#include "error.h"

void
plm_contactmap_VirtualCB(const float n[3], const float ca[3], const float c[3], float cb[3])
{
  double b[3], cc[3], a[3];
  for (int k = 0; k < 3; k++) { b[k] = (double)ca[k] - n[k]; cc[k] = (double)c[k] - ca[k]; }
  a[0] = b[1] * cc[2] - b[2] * cc[1];
  a[1] = b[2] * cc[0] - b[0] * cc[2];
  a[2] = b[0] * cc[1] - b[1] * cc[0];
  for (int k = 0; k < 3; k++) cb[k] = (float)(-0.58273431 * a[k] + 0.56802827 * b[k] - 0.54067466 * cc[k] + ca[k]);
}

/* the residue's representative atom; 0 if its atoms are missing */
static int
residue_Atom(const plm_residue *r, plm_contact_atom atom, float xyz[3])
{
  int backbone = r->has[PLM_ATOM_N] && r->has[PLM_ATOM_CA] && r->has[PLM_ATOM_C];
  if (atom == PLM_CONTACT_CA) {
    if (!r->has[PLM_ATOM_CA]) return 0;
    memcpy(xyz, r->xyz[PLM_ATOM_CA], 3 * sizeof(float));
    return 1;
  }
  if (atom == PLM_CONTACT_CB && r->has[PLM_ATOM_CB]) {
    memcpy(xyz, r->xyz[PLM_ATOM_CB], 3 * sizeof(float));
    return 1;
  }
  if (!backbone || (atom == PLM_CONTACT_CB && r->aa != 'G')) return 0;
  plm_contactmap_VirtualCB(r->xyz[PLM_ATOM_N], r->xyz[PLM_ATOM_CA], r->xyz[PLM_ATOM_C], xyz);
  return 1;
}

int
plm_contactmap_Compute(const plm_structure *s, const int *map, int L, const plm_contact_opts *o,
                       uint8_t *out, int *ret_nknown, char *errbuf)
{
  float  (*xyz)[3] = NULL;
  uint8_t *known = NULL;
  double   cut2 = o->cutoff * o->cutoff;
  int      i, j, nknown = 0;

  if (L > 0 && ((xyz = malloc((size_t)L * sizeof *xyz)) == NULL || (known = malloc((size_t)L)) == NULL)) {
    free(xyz);
    return plm_Fail(errbuf, PLM_EMEM, "out of memory");
  }
  for (i = 0; i < L; i++) {
    known[i] = map[i] >= 0 && map[i] < s->n && residue_Atom(&s->res[map[i]], o->atom, xyz[i]);
    nknown += known[i];
  }
  for (i = 0; i < L; i++)
    for (j = 0; j < L; j++) {
      double d2 = 0.0;
      if (!known[i] || !known[j]) { out[(size_t)i * L + j] = PLM_CONTACT_UNKNOWN; continue; }
      for (int k = 0; k < 3; k++) d2 += ((double)xyz[i][k] - xyz[j][k]) * ((double)xyz[i][k] - xyz[j][k]);
      out[(size_t)i * L + j] = d2 < cut2;
    }
  free(xyz);
  free(known);
  *ret_nknown = nknown;
  return PLM_OK;
}

/* the sequence as one letter per ESM token; special tokens (<mask>, ...) become X */
static int
sequence_Letters(const char *seq, char **ret_letters, int *ret_L, char *errbuf)
{
  int32_t *ids = NULL;
  char    *s = NULL;
  int      L, i, status;

  *ret_letters = NULL;
  PLM_XCHECK(plm_esm_Tokenize(seq, 0, 0, &ids, &L, errbuf));
  if ((s = malloc((size_t)L + 1)) == NULL) PLM_XFAIL(PLM_EMEM, errbuf, "out of memory");
  for (i = 0; i < L; i++) {
    const char *tok = plm_esm_Token(ids[i]);
    s[i] = (tok && strlen(tok) == 1) ? tok[0] : 'X';
  }
  s[L] = '\0';
  *ret_letters = s;
  *ret_L = L;
  s = NULL;
 ERROR:
  free(ids);
  free(s);
  return status;
}

int
plm_contactmap_ForSequence(const plm_structure *s, const char *seq, const plm_contact_opts *o,
                           const char *name, plm_tensor **ret_t, plm_contact_info *info, char *errbuf)
{
  plm_tensor *t = NULL;
  char       *letters = NULL;
  int        *map = NULL, L = 0, status;
  int64_t     shape[2];

  *ret_t = NULL;
  PLM_XCHECK(sequence_Letters(seq, &letters, &L, errbuf));
  if ((map = malloc((size_t)(L ? L : 1) * sizeof *map)) == NULL) PLM_XFAIL(PLM_EMEM, errbuf, "out of memory");
  PLM_XCHECK(plm_align_Map(letters, s->seq, map, &info->nident, &info->naligned, errbuf));
  shape[0] = shape[1] = L;
  PLM_XCHECK(plm_tensor_Create(name, PLM_U8, 2, shape, &t, errbuf));
  PLM_XCHECK(plm_contactmap_Compute(s, map, L, o, t->data, &info->nknown, errbuf));
  *ret_t = t;
  t = NULL;
 ERROR:
  plm_tensor_Destroy(t);
  free(letters);
  free(map);
  return status;
}

int
plm_contactmap_ForRecord(const char *id, const char *seq, const plm_contact_opts *o, const char *name,
                         plm_tensor **ret_t, plm_contact_info *info, char *errbuf)
{
  plm_structure *s = NULL;
  char          *path = NULL, chain[PLM_CHAINLEN] = "";
  const char    *want;
  int            status;

  *ret_t = NULL;
  memset(info, 0, sizeof *info);
  if (o->pdb_file) { if ((path = strdup(o->pdb_file)) == NULL) PLM_XFAIL(PLM_EMEM, errbuf, "out of memory"); }
  else if (o->pdb_dir) PLM_XCHECK(plm_structure_Find(o->pdb_dir, id, &path, chain, errbuf));
  else PLM_XFAIL(PLM_EINVAL, errbuf, "no structure source (pdb-dir or pdb file) given");
  want = o->chain ? o->chain : (chain[0] ? chain : NULL);
  PLM_XCHECK(plm_structure_Read(path, want, &s, errbuf));
  snprintf(info->path, sizeof info->path, "%s", path);
  snprintf(info->chain, sizeof info->chain, "%s", s->chain);
  PLM_XCHECK(plm_contactmap_ForSequence(s, seq, o, name, ret_t, info, errbuf));
 ERROR:
  plm_structure_Destroy(s);
  free(path);
  return status;
}

int
plm_contactmap_AtomFromName(const char *name, plm_contact_atom *ret_atom)
{
  if      (strcmp(name, "cb")  == 0) *ret_atom = PLM_CONTACT_CB;
  else if (strcmp(name, "vcb") == 0) *ret_atom = PLM_CONTACT_VCB;
  else if (strcmp(name, "ca")  == 0) *ret_atom = PLM_CONTACT_CA;
  else return PLM_EINVAL;
  return PLM_OK;
}
