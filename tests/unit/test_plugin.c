/* test_plugin.c: unit tests of the plugin loader (libcore/analysis/plugin.c) and the
 * contact plugin (plugins/contact.c).
 *
 *   the contact plugin found next to the build ($ORIGIN/../lib/plmscope/plugins),
 *   listed, its options validated, run on a record of a real structure and
 *   on a record without one (PLM_ENOTFOUND);
 *   a missing name, a .so without the init symbol and one with the wrong API
 *   version each refused with one message naming the path (built with cc).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "error.h"
#include "plugin.h"
#include "structure.h"
#include "test.h"

static void
test_contact(void)
{
  char           eb[PLM_ERRBUFSIZE], dir[4096], **names = NULL;
  const char    *bad[] = { "pdb-dir=/nonexistent", "colour=red" }, *opts[2];
  plm_plugin    *p = NULL;
  plm_record    *rec = NULL;
  plm_tensor    *t = NULL;
  plm_structure *s = NULL;
  int            n = 0, st, found = 0;

  st = plm_plugin_Load("contact", NULL, 0, &p, eb);
  TEST(st == PLM_OK && strcmp(p->name, "contact") == 0 && p->kind == PLM_PLUGIN_PAIR, "contact plugin loads (%s)", st ? eb : p->path);
  if (st != PLM_OK) return;
  st = plm_plugin_List(NULL, 0, &names, &n, eb);
  for (int i = 0; i < n; i++) { found |= strcmp(names[i], "contact") == 0; free(names[i]); }
  free(names);
  TEST(st == PLM_OK && found, "contact listed among %d plugin(s)", n);
  st = plm_plugin_Open(p, bad, 2, eb);
  TEST(st == PLM_EINVAL && strstr(eb, "colour"), "unknown option refused (%s)", eb);

  snprintf(dir, sizeof dir, "%s/data/structures/pdb70_subset500", test_shared());
  if (access(dir, R_OK) != 0) { test_skip("contact annotate: %s absent", dir); plm_plugin_Unload(p); return; }
  snprintf(dir, sizeof dir, "pdb-dir=%s/data/structures/pdb70_subset500", test_shared());
  opts[0] = dir;
  opts[1] = "cutoff=8";
  st = plm_plugin_Open(p, opts, 2, eb);
  TEST(st == PLM_OK, "contact opens with pdb-dir (%s)", st ? eb : "ok");
  snprintf(dir, sizeof dir, "%s/data/structures/pdb70_subset500/1a3a.pdb.gz", test_shared());
  if (st == PLM_OK && plm_structure_Read(dir, "A", &s, eb) == PLM_OK && plm_record_Create("1a3a_A", s->seq, &rec, eb) == PLM_OK) {
    st = plm_plugin_Annotate(p, rec, "contact", &t, eb);
    int64_t L = s->n, ncontact = 0, nunknown = 0;
    for (int64_t k = 0; t && k < L * L; k++) { ncontact += ((uint8_t *)t->data)[k] == 1; nunknown += ((uint8_t *)t->data)[k] == 255; }
    TEST(st == PLM_OK && t->rank == 3 && t->shape[0] == 1 && t->shape[1] == L && nunknown == 0 && ncontact > L,
         "1a3a_A annotated: [1, %lld, %lld], %lld contacts, %lld unknown", (long long)L, (long long)L, (long long)ncontact, (long long)nunknown);
    plm_tensor_Destroy(t);
    free(rec->id);
    rec->id = strdup("no_such_protein");
    st = plm_plugin_Annotate(p, rec, "contact", &t, eb);
    TEST(st == PLM_ENOTFOUND && t == NULL, "record without a structure is ENOTFOUND (%s)", eb);
  }
  plm_record_Destroy(rec);
  plm_structure_Destroy(s);
  plm_plugin_Unload(p);
}

/* build DIR/NAME.so from SRC with cc; 0 if no compiler */
static int
build_so(const char *dir, const char *name, const char *src)
{
  char        path[512], cmd[2048];
  const char *src_dir = getenv("SRCDIR") ? getenv("SRCDIR") : ".";
  FILE       *fp;
  snprintf(path, sizeof path, "%s/%s.c", dir, name);
  if ((fp = fopen(path, "w")) == NULL) return 0;
  fputs(src, fp);
  fclose(fp);
  /* plugin.h in libcore/analysis includes record.h and tensor.h from libcore/base */
  snprintf(cmd, sizeof cmd, "cc -shared -fPIC -I%s/libcore/base -I%s/libcore/analysis -I%s -o %s/%s.so %s 2>/dev/null",
           src_dir, src_dir, src_dir, dir, name, path);
  return system(cmd) == 0;
}

static void
test_broken(void)
{
  char        eb[PLM_ERRBUFSIZE], dir[] = "/tmp/test_plugin.XXXXXX", cmd[256];
  const char *dirs[1];
  plm_plugin *p = NULL;
  int         st;

  st = plm_plugin_Load("no_such_plugin", NULL, 0, &p, eb);
  TEST(st == PLM_ENOTFOUND && strstr(eb, "no_such_plugin") && strstr(eb, "searched"), "missing plugin named with the path searched (%s)", eb);
  if (!mkdtemp(dir)) { TEST(0, "mkdtemp"); return; }
  dirs[0] = dir;
  if (!build_so(dir, "nosym", "int something_else(void) { return 0; }\n") ||
      !build_so(dir, "oldapi", "#include \"plugin.h\"\nint plmscope_plugin_init(plm_plugin *p) { p->api_version = 999; p->name = \"old\"; return 0; }\n")) {
    test_skip("broken plugins: cc cannot build a shared object here");
  } else {
    st = plm_plugin_Load("nosym", dirs, 1, &p, eb);
    TEST(st == PLM_EFORMAT && strstr(eb, "nosym.so") && strstr(eb, PLM_PLUGIN_INIT), "plugin without init symbol refused (%s)", eb);
    st = plm_plugin_Load("oldapi", dirs, 1, &p, eb);
    TEST(st == PLM_EUNSUP && strstr(eb, "oldapi.so") && strstr(eb, "version 999"), "wrong API version refused (%s)", eb);
  }
  snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
  if (system(cmd) != 0) TEST(0, "cleanup of %s", dir);
}

int
main(void)
{
  test_contact();
  test_broken();
  return test_done();
}
