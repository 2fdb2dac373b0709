/* plugin.c: the property-plugin loader (see plugin.h).
 *
 *   the search path, finding and loading a plugin, validating its options,
 *   running it on a record, listing what is installed
 */
#include <dirent.h>
#include <dlfcn.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "alphabet.h"
#include "config.h"
#include "error.h"
#include "plugin.h"

static void
strv_Free(char **v, int n)
{
  for (int i = 0; v && i < n; i++) free(v[i]);
  free(v);
}

static int
strv_Push(char ***v, int *n, const char *s, size_t len)
{
  char **p = realloc(*v, (size_t)(*n + 1) * sizeof *p);
  if (!p) return PLM_EMEM;
  *v = p;
  if ((p[*n] = strndup(s, len)) == NULL) return PLM_EMEM;
  (*n)++;
  return PLM_OK;
}

/* the directories to search, in order (see plugin.h) */
static int
search_Path(const char *const *dirs, int ndirs, char ***ret_v, int *ret_n, char *errbuf)
{
  char      **v = NULL, exe[PATH_MAX], *env = getenv("PLMSCOPE_PLUGIN_PATH");
  int         n = 0, i, status = PLM_OK;
  ssize_t     len;
  const char *p, *q;

  for (i = 0; i < ndirs && status == PLM_OK; i++) status = strv_Push(&v, &n, dirs[i], strlen(dirs[i]));
  for (p = env; p && *p && status == PLM_OK; p = *q ? q + 1 : q) {
    q = strchr(p, ':');
    if (!q) q = p + strlen(p);
    if (q > p) status = strv_Push(&v, &n, p, (size_t)(q - p));
  }
  if (status == PLM_OK && (len = readlink("/proc/self/exe", exe, sizeof exe - 1)) > 0) {
    char dir[PATH_MAX + 32];
    exe[len] = '\0';
    snprintf(dir, sizeof dir, "%s/../lib/plmscope/plugins", dirname(exe));
    status = strv_Push(&v, &n, dir, strlen(dir));
  }
  if (status == PLM_OK) status = strv_Push(&v, &n, PLM_PLUGINDIR, strlen(PLM_PLUGINDIR));
  if (status != PLM_OK) { strv_Free(v, n); return plm_Fail(errbuf, PLM_EMEM, "out of memory"); }
  *ret_v = v;
  *ret_n = n;
  return PLM_OK;
}

/* the path of plugin NAME: NAME itself if it holds a '/', else DIR/NAME.so */
static int
plugin_Find(const char *name, const char *const *dirs, int ndirs, char **ret_path, char *errbuf)
{
  char **v = NULL, tried[PLM_ERRBUFSIZE / 2] = "";
  int    n = 0, i, status;

  *ret_path = NULL;
  if (strchr(name, '/')) {
    if ((*ret_path = strdup(name)) == NULL) return plm_Fail(errbuf, PLM_EMEM, "out of memory");
    return PLM_OK;
  }
  if (name[0] == '\0' || strchr(name, '.')) return plm_Fail(errbuf, PLM_EINVAL, "bad plugin name '%s'", name);
  PLM_XCHECK(search_Path(dirs, ndirs, &v, &n, errbuf));
  for (i = 0; i < n; i++) {
    char *path;
    if (asprintf(&path, "%s/%s.so", v[i], name) < 0) PLM_XFAIL(PLM_EMEM, errbuf, "out of memory");
    if (access(path, R_OK) == 0) { *ret_path = path; status = PLM_OK; goto ERROR; }
    free(path);
    snprintf(tried + strlen(tried), sizeof tried - strlen(tried), "%s%s", i ? ":" : "", v[i]);
  }
  status = plm_Fail(errbuf, PLM_ENOTFOUND, "plugin '%s' not found (searched %s)", name, tried);
 ERROR:
  strv_Free(v, n);
  return status;
}

static int
plugin_Check(const plm_plugin *p, const char *path, char *errbuf)
{
  if (p->api_version != PLM_PLUGIN_API_VERSION)
    return plm_Fail(errbuf, PLM_EUNSUP, "%s: plugin API version %d, this plmscope needs %d",
                    path, p->api_version, PLM_PLUGIN_API_VERSION);
  if (!p->name || !p->nprops || !p->propname || !p->annotate ||
      (p->kind != PLM_PLUGIN_TOKEN && p->kind != PLM_PLUGIN_PAIR) || (p->noptions > 0 && !p->options))
    return plm_Fail(errbuf, PLM_EFORMAT, "%s: plugin leaves required fields unset", path);
  return PLM_OK;
}

int
plm_plugin_Load(const char *name, const char *const *dirs, int ndirs, plm_plugin **ret_p, char *errbuf)
{
  plm_plugin        *p = NULL;
  plm_plugin_init_fn init;
  char              *path = NULL;
  void              *dl = NULL;
  int                status;

  *ret_p = NULL;
  PLM_XCHECK(plugin_Find(name, dirs, ndirs, &path, errbuf));
  if ((dl = dlopen(path, RTLD_NOW | RTLD_LOCAL)) == NULL)
    PLM_XFAIL(PLM_EFORMAT, errbuf, "%s: cannot load plugin: %s", path, dlerror());
  if ((init = (plm_plugin_init_fn)dlsym(dl, PLM_PLUGIN_INIT)) == NULL)
    PLM_XFAIL(PLM_EFORMAT, errbuf, "%s: not a plmscope plugin (no %s)", path, PLM_PLUGIN_INIT);
  if ((p = calloc(1, sizeof *p)) == NULL) PLM_XFAIL(PLM_EMEM, errbuf, "out of memory");
  if (init(p) != PLM_OK) PLM_XFAIL(PLM_EFORMAT, errbuf, "%s: plugin initialisation failed", path);
  PLM_XCHECK(plugin_Check(p, path, errbuf));
  p->dl   = dl;
  p->path = path;
  *ret_p  = p;
  return PLM_OK;

 ERROR:
  free(p);
  if (dl) dlclose(dl);
  free(path);
  return status;
}

int
plm_plugin_Open(plm_plugin *p, const char *const *kv, int nkv, char *errbuf)
{
  plm_kv *opts = NULL;
  int     i, k, status = PLM_OK;

  if (p->opened && p->close) p->close(p->state);    /* reopening replaces the options */
  p->opened = 0;
  p->state  = NULL;
  if (nkv > 0 && (opts = calloc((size_t)nkv, sizeof *opts)) == NULL) return plm_Fail(errbuf, PLM_EMEM, "out of memory");
  for (i = 0; i < nkv; i++) {
    const char *eq = strchr(kv[i], '=');
    if (!eq) PLM_XFAIL(PLM_EINVAL, errbuf, "plugin %s: option '%s' is not key=value", p->name, kv[i]);
    for (k = 0; k < p->noptions; k++)
      if (strlen(p->options[k].name) == (size_t)(eq - kv[i]) && strncmp(p->options[k].name, kv[i], (size_t)(eq - kv[i])) == 0) break;
    if (k == p->noptions) PLM_XFAIL(PLM_EINVAL, errbuf, "plugin %s: unknown option '%.*s'", p->name, (int)(eq - kv[i]), kv[i]);
    opts[i].key   = (char *)p->options[k].name;
    opts[i].value = (char *)(eq + 1);
  }
  if (p->open) status = p->open(opts, nkv, &p->state, errbuf);
  p->opened = (status == PLM_OK);
 ERROR:
  free(opts);
  return status;
}

int
plm_plugin_Annotate(plm_plugin *p, const plm_record *rec, const char *tname, plm_tensor **ret_t, char *errbuf)
{
  plm_tensor *t = NULL;
  int64_t     shape[3];
  int         L = plm_esm_ResidueCount(rec->seq), status;

  *ret_t = NULL;
  if (!p->opened) return plm_Fail(errbuf, PLM_EINVAL, "plugin %s: annotate before open", p->name);
  if (L < 0) return plm_Fail(errbuf, PLM_EFORMAT, "record %s: sequence has invalid characters", rec->id);
  shape[0] = p->nprops(p->state);
  shape[1] = shape[2] = L;
  PLM_XCHECK(plm_tensor_Create(tname, PLM_U8, p->kind == PLM_PLUGIN_PAIR ? 3 : 2, shape, &t, errbuf));
  memset(t->data, PLM_PLUGIN_UNKNOWN, plm_tensor_Nbytes(t));
  PLM_XCHECK(p->annotate(p->state, rec, L, t->data, errbuf));
  *ret_t = t;
  return PLM_OK;
 ERROR:
  plm_tensor_Destroy(t);
  return status;
}

void
plm_plugin_Unload(plm_plugin *p)
{
  if (!p) return;
  if (p->opened && p->close) p->close(p->state);
  if (p->dl) dlclose(p->dl);
  free(p->path);
  free(p);
}

static int
cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

int
plm_plugin_List(const char *const *dirs, int ndirs, char ***ret_names, int *ret_n, char *errbuf)
{
  char         **v = NULL, **names = NULL;
  int            n = 0, nn = 0, i, status;
  DIR           *d;
  struct dirent *e;

  *ret_names = NULL;
  *ret_n = 0;
  PLM_XCHECK(search_Path(dirs, ndirs, &v, &n, errbuf));
  for (i = 0; i < n; i++) {
    if ((d = opendir(v[i])) == NULL) continue;
    while ((e = readdir(d)) != NULL) {
      size_t len = strlen(e->d_name);
      if (len <= 3 || strcmp(e->d_name + len - 3, ".so") != 0) continue;
      if (strv_Push(&names, &nn, e->d_name, len - 3) != PLM_OK) { closedir(d); PLM_XFAIL(PLM_EMEM, errbuf, "out of memory"); }
    }
    closedir(d);
  }
  if (nn > 1) qsort(names, (size_t)nn, sizeof *names, cmp_str);
  for (i = 1; i < nn; )   /* the same name in several dirs: listed once */
    if (strcmp(names[i], names[i - 1]) == 0) { free(names[i]); memmove(names + i, names + i + 1, (size_t)(--nn - i) * sizeof *names); }
    else i++;
  *ret_names = names;
  *ret_n = nn;
  names = NULL;
  status = PLM_OK;
 ERROR:
  strv_Free(v, n);
  strv_Free(names, nn);
  return status;
}
