/* plugin.h: property plugins: the versioned API and the loader.
 *
 * A plugin is a shared object exporting
 *     int plmscope_plugin_init(plm_plugin *p);
 * which fills the plugin-owned fields below and returns PLM_OK. The loader
 * zeroes the struct first and refuses a plugin whose api_version differs
 * from PLM_PLUGIN_API_VERSION (bump it whenever this struct changes).
 * A plugin answers, for one record, "is property k true of residue j"
 * (PLM_PLUGIN_TOKEN) or "of residue pair (i, j)" (PLM_PLUGIN_PAIR), for its
 * nprops properties (the aa plugin has one per amino acid). The answer is
 * u8: 1 = true, 0 = false, 255 (PLM_PLUGIN_UNKNOWN) = not known.
 * man/man7/plmscope-plugin.7 is the full contract.
 *
 * Search path for a name: the dirs given (--plugin-dir), PLMSCOPE_PLUGIN_PATH
 * (colon-separated), $ORIGIN/../lib/plmscope/plugins of the running
 * executable, then PLM_PLUGINDIR. A name containing '/' is a path.
 *
 *   plm_plugin_Load()      find, dlopen (RTLD_NOW|RTLD_LOCAL), init, check version
 *   plm_plugin_Open()      validate key=value options against p->options, open state
 *   plm_plugin_Annotate()  a u8 tensor [nprops, L] or [nprops, L, L], or PLM_ENOTFOUND
 *   plm_plugin_Unload()    close state, dlclose, free
 *   plm_plugin_List()      names of the plugins on the search path, sorted, unique
 */
#ifndef PLM_PLUGIN_H
#define PLM_PLUGIN_H
#include <stdint.h>
#include "record.h"
#include "tensor.h"

#define PLM_PLUGIN_API_VERSION 1
#define PLM_PLUGIN_INIT        "plmscope_plugin_init"
#define PLM_PLUGIN_UNKNOWN     255

typedef enum plm_plugin_kind { PLM_PLUGIN_TOKEN = 1, PLM_PLUGIN_PAIR = 2 } plm_plugin_kind;

typedef struct plm_plugin_option { const char *name; const char *help; } plm_plugin_option;

typedef struct plm_plugin {
  /* filled by plmscope_plugin_init() */
  int                      api_version;   /* PLM_PLUGIN_API_VERSION */
  const char              *name;
  const char              *description;
  plm_plugin_kind          kind;
  const plm_plugin_option *options;       /* noptions entries */
  int                      noptions;
  /* opts: the validated key=value options; *ret_state may stay NULL */
  int         (*open)(const plm_kv *opts, int nopts, void **ret_state, char *errbuf);
  int         (*nprops)(const void *state);
  const char *(*propname)(const void *state, int k);
  /* out: [nprops, L] (token) or [nprops, L, L] (pair), preset to 255 by the
   * host, L = residues (ESM tokens) of rec->seq; PLM_ENOTFOUND when the
   * record has no annotation at all */
  int         (*annotate)(void *state, const plm_record *rec, int L, uint8_t *out, char *errbuf);
  void        (*close)(void *state);

  /* set by the loader; plugins leave them alone */
  void        *dl;
  char        *path;
  void        *state;
  int          opened;
} plm_plugin;

typedef int (*plm_plugin_init_fn)(plm_plugin *p);

int   plm_plugin_Load(const char *name, const char *const *dirs, int ndirs, plm_plugin **ret_p, char *errbuf);
int   plm_plugin_Open(plm_plugin *p, const char *const *kv, int nkv, char *errbuf);
int   plm_plugin_Annotate(plm_plugin *p, const plm_record *rec, const char *tname, plm_tensor **ret_t, char *errbuf);
void  plm_plugin_Unload(plm_plugin *p);
int   plm_plugin_List(const char *const *dirs, int ndirs, char ***ret_names, int *ret_n, char *errbuf);

#endif
