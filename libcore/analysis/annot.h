/* annot.h: what the annotation plugins share: the residues of a record and
 * per-residue site tables read from JSONL.
 *
 * A site table is the binding-site / PTM format of Vig et al. (provis): one
 * JSON object a line with "id", "primary", "positions" (the author residue
 * number of each residue of primary) and a list field ("sites",
 * "modifications") of residue numbers; residue i is labelled when
 * positions[i] is in the list. Numbers in the list that no residue carries
 * are ignored, as provis does.
 *
 *   plm_annot_Residues()    one letter per ESM residue token ('?' for <mask> and the like)
 *   plm_annot_Compare()     does a record's sequence equal an annotation's? a message if not
 *   plm_annot_SitesRead()   JSONL -> table, sorted by id; duplicate ids refused
 *   plm_annot_SitesFind()   the entry of an id, or NULL
 *   plm_annot_SitesFree()
 *   plm_annot_SitesOpen() / plm_annot_SitesAnnotate()   a whole token plugin over one list field
 * and what the tools reading plugins and model outputs share:
 *   plm_annot_LoadSpec()     "NAME[:KEY=VAL,...]" -> a loaded, opened plugin
 *   plm_annot_ResidueSpan()  where the residues sit on a model's token axis (special_tokens metadata)
 */
#ifndef PLM_ANNOT_H
#define PLM_ANNOT_H
#include <stdint.h>
#include "plugin.h"
#include "record.h"

typedef struct plm_annot_entry {
  char    *id;
  char    *primary;
  uint8_t *label;     /* [L]: 1 labelled, 0 not */
  int      L;
  char    *outside;   /* "FILE:LINE: ..." when a site is no residue's position (the error its use
                         raises: the file loads whole, a record that uses the line is refused), or NULL */
} plm_annot_entry;

typedef struct plm_annot_sites {
  char            *plugin;   /* the plugin's name, for messages */
  plm_annot_entry *e;
  int              n;
} plm_annot_sites;

int              plm_annot_Residues(const char *seq, char **ret_res, int *ret_L, char *errbuf);
int              plm_annot_Compare(const char *plugin, const plm_record *rec, const char *ref, char *errbuf);
int              plm_annot_SitesRead(const char *path, const char *field, const char *plugin,
                                     plm_annot_sites **ret_t, char *errbuf);
plm_annot_entry *plm_annot_SitesFind(const plm_annot_sites *t, const char *id);
void             plm_annot_SitesFree(plm_annot_sites *t);
int              plm_annot_SitesOpen(const plm_kv *opts, int nopts, const char *field, const char *plugin,
                                     void **ret_state, char *errbuf);
int              plm_annot_SitesAnnotate(void *state, const plm_record *rec, int L, uint8_t *out, char *errbuf);
int              plm_annot_LoadSpec(const char *spec, const char *const *dirs, int ndirs, plm_plugin **ret_p, char *errbuf);
int              plm_annot_ResidueSpan(const plm_record *rec, const char *special, int T, int *ret_lead, int *ret_L,
                                       char *errbuf);

#endif
