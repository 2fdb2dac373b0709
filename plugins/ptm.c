/* ptm.c: the `ptm` token property: residue j carries a post-translational
 * modification, from the JSONL of Vig et al. (provis; fields id, primary, positions,
 * modifications; libcore/analysis/annot.h reads it).
 *
 * Option: file=PATH. Records are matched by id; a record the file does not
 * name gets PLM_ENOTFOUND, one whose sequence differs from the file's primary
 * is an error.
 */
#include "annot.h"
#include "error.h"
#include "plugin.h"

static const plm_plugin_option ptm_options[] = {
  { "file", "JSONL with id, primary, positions and modifications (e.g. protein_modification_valid.jsonl)" },
};

static int
ptm_open(const plm_kv *opts, int nopts, void **ret_state, char *errbuf)
{
  return plm_annot_SitesOpen(opts, nopts, "modifications", "ptm", ret_state, errbuf);
}

static void        ptm_close(void *state) { plm_annot_SitesFree(state); }
static int         ptm_nprops(const void *state) { return 1; }
static const char *ptm_propname(const void *state, int k) { return "ptm"; }

int
plmscope_plugin_init(plm_plugin *p)
{
  p->api_version = PLM_PLUGIN_API_VERSION;
  p->name        = "ptm";
  p->description = "residue is post-translationally modified (provis JSONL: id, primary, positions, modifications)";
  p->kind        = PLM_PLUGIN_TOKEN;
  p->options     = ptm_options;
  p->noptions    = (int)(sizeof ptm_options / sizeof *ptm_options);
  p->open        = ptm_open;
  p->nprops      = ptm_nprops;
  p->propname    = ptm_propname;
  p->annotate    = plm_annot_SitesAnnotate;
  p->close       = ptm_close;
  return PLM_OK;
}
