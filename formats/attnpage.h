/* attnpage.h: attnview's self-contained HTML page.
 *
 * One file that works from file:// with no network: NGL's JS inlined, the
 * structure file's text, every head's residue attention, the contact and
 * head-grid figures (svg.h, inline) and the page's own script. A
 * Content-Security-Policy of default-src 'none' makes the browser refuse any
 * request the page might try. Embedded data, one JSON block (id "plmdata"):
 *   attention   base64 of u8 [layers, heads, L, L], weight = byte / 255
 *               (plm_resattn_QuantizeU8: error <= 1/510), special tokens dropped
 *   ca          per residue [x, y, z] of the structure's CA, or null (unaligned, no CA)
 *   resnum, icode  per residue the aligned author residue number (or null) and insertion code
 *   prop        per residue 1, 0 or 255 (unknown) from a property plugin, or null
 * The page draws at most maxArcs cylinders (strongest first), so big proteins
 * stay responsive whatever the threshold.
 *
 *   plm_attnpage_Write()   the page onto fp
 */
#ifndef PLM_ATTNPAGE_H
#define PLM_ATTNPAGE_H
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "resattn.h"

typedef struct plm_attnpage {
  const char        *id;             /* record id, the title */
  const char        *letters;        /* L one-letter residues */
  const char        *note;           /* one line under the title (model, structure) */
  const plm_resattn *att;
  const float       *pred;           /* L x L predicted contacts, or NULL */
  const uint8_t     *truth;          /* L x L true contacts, or NULL */
  int                minsep;         /* top-L pairs need |i - j| >= minsep */
  const char        *structure;      /* the structure file's text */
  size_t             nstructure;
  const char        *ext;            /* "pdb" or "cif": how NGL parses it */
  const char        *structure_name;
  const char        *chain;          /* author chain id; "" for a blank one */
  const int         *resnum;         /* L author numbers; has_res[i] 0 where unaligned */
  const char        *icode;          /* L insertion codes, ' ' for none */
  const uint8_t     *has_res;
  const float       *ca;             /* L x 3; has_ca[i] 0 where there is no CA */
  const uint8_t     *has_ca;
  const uint8_t     *prop;           /* L u8 from a plugin, or NULL */
  const char        *propname;
  int                layer, head;    /* the view first shown: indices into att */
  double             threshold, radius;
  int                max_arcs, directed;
  const char        *ngl;            /* NGL's JS */
  size_t             nngl;
} plm_attnpage;

int plm_attnpage_Write(FILE *fp, const plm_attnpage *pg, char *errbuf);

#endif
