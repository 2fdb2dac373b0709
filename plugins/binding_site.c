/* binding_site.c: the `binding_site` token property: residue j is a binding
 * site, from the JSONL of Vig et al. (provis; fields id, primary, positions,
 * sites; libcore/analysis/annot.h reads it).
 *
 * Option: file=PATH. Records are matched by id; a record the file does not
 * name gets PLM_ENOTFOUND, one whose sequence differs from the file's primary
 * is an error.
 */
#include "annot.h"
#include "error.h"
#include "plugin.h"

static const plm_plugin_option binding_site_options[] = {
  { "file", "JSONL with id, primary, positions and sites (e.g. binding_site_valid.jsonl)" },
};

static int
binding_site_open(const plm_kv *opts, int nopts, void **ret_state, char *errbuf)
{
  return plm_annot_SitesOpen(opts, nopts, "sites", "binding_site", ret_state, errbuf);
}

static void        binding_site_close(void *state) { plm_annot_SitesFree(state); }
static int         binding_site_nprops(const void *state) { return 1; }
static const char *binding_site_propname(const void *state, int k) { return "binding_site"; }

int
plmscope_plugin_init(plm_plugin *p)
{
  p->api_version = PLM_PLUGIN_API_VERSION;
  p->name        = "binding_site";
  p->description = "residue is a binding site (provis JSONL: id, primary, positions, sites)";
  p->kind        = PLM_PLUGIN_TOKEN;
  p->options     = binding_site_options;
  p->noptions    = (int)(sizeof binding_site_options / sizeof *binding_site_options);
  p->open        = binding_site_open;
  p->nprops      = binding_site_nprops;
  p->propname    = binding_site_propname;
  p->annotate    = plm_annot_SitesAnnotate;
  p->close       = binding_site_close;
  return PLM_OK;
}
