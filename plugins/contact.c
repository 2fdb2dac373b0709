/* contact.c: the `contact` pair property: residues i and j are in contact in
 * the record's structure (libcore/analysis/contactmap.h: Cβ-Cβ < 8 Å by default).
 *
 * Options: pdb-dir=DIR (the structure of record ID is DIR/ID.pdb[.gz],
 * ID.cif[.gz], ID.ent[.gz], any case; ids XXXX_C and XXXXC name file XXXX,
 * chain C), pdb=FILE (one structure for every record), chain=C, atom=cb|vcb|ca,
 * cutoff=Å. A record without a structure file gets PLM_ENOTFOUND.
 */
#include <stdlib.h>
#include <string.h>
#include "contactmap.h"
#include "error.h"
#include "plugin.h"

typedef struct contact_state {
  plm_contact_opts o;
  char            *dir, *file, *chain;
} contact_state;

static const plm_plugin_option contact_options[] = {
  { "pdb-dir", "directory of structures named by record id (ID.pdb[.gz], ID.cif[.gz]; XXXX_C = file XXXX, chain C)" },
  { "pdb",     "one structure file for every record" },
  { "chain",   "chain id (default: from the record id, else the first amino-acid chain)" },
  { "atom",    "cb (virtual Cβ for glycine), vcb (virtual Cβ for all) or ca; default cb" },
  { "cutoff",  "contact distance in Å, strictly below; default 8" },
};

static void
contact_close(void *state)
{
  contact_state *st = state;
  if (!st) return;
  free(st->dir);
  free(st->file);
  free(st->chain);
  free(st);
}

static int
contact_set(contact_state *st, const char *key, const char *val, char *errbuf)
{
  char **slot = strcmp(key, "pdb-dir") == 0 ? &st->dir : strcmp(key, "pdb") == 0 ? &st->file :
                strcmp(key, "chain") == 0 ? &st->chain : NULL;
  char  *end;
  if (slot) {
    free(*slot);
    return (*slot = strdup(val)) ? PLM_OK : plm_Fail(errbuf, PLM_EMEM, "out of memory");
  }
  if (strcmp(key, "atom") == 0 && plm_contactmap_AtomFromName(val, &st->o.atom) != PLM_OK)
    return plm_Fail(errbuf, PLM_EINVAL, "contact: atom=%s: expected cb, vcb or ca", val);
  if (strcmp(key, "cutoff") == 0 && ((st->o.cutoff = strtod(val, &end)) <= 0.0 || *end || end == val))
    return plm_Fail(errbuf, PLM_EINVAL, "contact: cutoff=%s: expected a positive number of Å", val);
  return PLM_OK;
}

static int
contact_open(const plm_kv *opts, int nopts, void **ret_state, char *errbuf)
{
  contact_state *st = calloc(1, sizeof *st);
  int            i, status;

  *ret_state = NULL;
  if (!st) return plm_Fail(errbuf, PLM_EMEM, "out of memory");
  st->o.atom = PLM_CONTACT_CB;
  st->o.cutoff = 8.0;
  for (i = 0; i < nopts; i++) PLM_XCHECK(contact_set(st, opts[i].key, opts[i].value, errbuf));
  if (!st->dir == !st->file) PLM_XFAIL(PLM_EINVAL, errbuf, "contact: give exactly one of pdb-dir=DIR and pdb=FILE");
  st->o.pdb_dir = st->dir;
  st->o.pdb_file = st->file;
  st->o.chain = st->chain;
  *ret_state = st;
  return PLM_OK;
 ERROR:
  contact_close(st);
  return status;
}

static int         contact_nprops(const void *state) { return 1; }
static const char *contact_propname(const void *state, int k) { return "contact"; }

static int
contact_annotate(void *state, const plm_record *rec, int L, uint8_t *out, char *errbuf)
{
  contact_state   *st = state;
  plm_contact_info info;
  plm_tensor      *t;
  int              status;

  if ((status = plm_contactmap_ForRecord(rec->id, rec->seq, &st->o, "contact", &t, &info, errbuf)) != PLM_OK) return status;
  if (plm_tensor_Numel(t) != (int64_t)L * L) {
    plm_tensor_Destroy(t);
    return plm_Fail(errbuf, PLM_EINVAL, "contact: record %s: map size differs from %d x %d", rec->id, L, L);
  }
  memcpy(out, t->data, (size_t)L * (size_t)L);
  plm_tensor_Destroy(t);
  return PLM_OK;
}

int
plmscope_plugin_init(plm_plugin *p)
{
  p->api_version = PLM_PLUGIN_API_VERSION;
  p->name        = "contact";
  p->description = "residue pair in contact in the record's structure (Cβ-Cβ < 8 Å)";
  p->kind        = PLM_PLUGIN_PAIR;
  p->options     = contact_options;
  p->noptions    = (int)(sizeof contact_options / sizeof *contact_options);
  p->open        = contact_open;
  p->nprops      = contact_nprops;
  p->propname    = contact_propname;
  p->annotate    = contact_annotate;
  p->close       = contact_close;
  return PLM_OK;
}
