/* contactmap.h: true residue contacts of a sequence from a structure.
 *
 * Two residues are in contact when the distance between their representative
 * atoms is below a cutoff (8 Å by convention). Representative atoms:
 *   PLM_CONTACT_CB   the Cβ; glycine gets a virtual Cβ built from N, CA, C
 *                    (plm_contactmap_VirtualCB); another residue whose Cβ
 *                    was not resolved is unknown
 *   PLM_CONTACT_VCB  the virtual Cβ for every residue, as the fair-esm
 *                    contact notebook and trRosetta compute it
 *   PLM_CONTACT_CA   the Cα
 * The map is u8 [L, L] on the sequence's positions (its ESM tokens):
 * 1 = contact, 0 = no contact, 255 = unknown (PLM_CONTACT_UNKNOWN): a
 * position the alignment left unmatched or whose atoms are missing.
 * The diagonal is 1 where known (distance 0), as in the notebook.
 *
 *   plm_contactmap_VirtualCB()    CB = -0.58273431 a + 0.56802827 b - 0.54067466 c + CA,
 *                                 b = CA - N, c = C - CA, a = b x c
 *   plm_contactmap_Compute()      map of sequence positions given seq -> residue map
 *   plm_contactmap_ForSequence()  align the sequence to the structure, then compute
 *   plm_contactmap_ForRecord()    find and read the record's structure, then ForSequence();
 *                                 PLM_ENOTFOUND when there is no structure file for it
 *   plm_contactmap_AtomFromName() "cb" | "vcb" | "ca"
 */
#ifndef PLM_CONTACTMAP_H
#define PLM_CONTACTMAP_H
#include <stdint.h>
#include "structure.h"
#include "tensor.h"

#define PLM_CONTACT_UNKNOWN 255

typedef enum plm_contact_atom { PLM_CONTACT_CB = 0, PLM_CONTACT_VCB, PLM_CONTACT_CA } plm_contact_atom;

typedef struct plm_contact_opts {
  plm_contact_atom atom;
  double           cutoff;      /* Å; contact when distance < cutoff */
  const char      *pdb_dir;     /* find ID's structure here (plm_structure_Find), or */
  const char      *pdb_file;    /* use this one file for every record */
  const char      *chain;       /* NULL: the id's chain, else the first amino-acid chain */
} plm_contact_opts;

typedef struct plm_contact_info {
  char path[1024];              /* the structure file used */
  char chain[PLM_CHAINLEN];
  int  nident, naligned;        /* identity = nident / naligned */
  int  nknown;                  /* sequence positions with a usable atom */
} plm_contact_info;

void plm_contactmap_VirtualCB(const float n[3], const float ca[3], const float c[3], float cb[3]);
int  plm_contactmap_Compute(const plm_structure *s, const int *map, int L, const plm_contact_opts *o,
                            uint8_t *out, int *ret_nknown, char *errbuf);
int  plm_contactmap_ForSequence(const plm_structure *s, const char *seq, const plm_contact_opts *o,
                                const char *name, plm_tensor **ret_t, plm_contact_info *info, char *errbuf);
int  plm_contactmap_ForRecord(const char *id, const char *seq, const plm_contact_opts *o, const char *name,
                              plm_tensor **ret_t, plm_contact_info *info, char *errbuf);
int  plm_contactmap_AtomFromName(const char *name, plm_contact_atom *ret_atom);

#endif
