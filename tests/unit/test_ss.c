/* test_ss.c: unit tests of the ss plugin's structure source (plugins/ss.c, DSSP).
 *
 *   on real pdb70 structures, the plugin's helix / strand / turn_bend counts
 *   equal those of ss_dssp_oracle.py, which runs mkdssp itself and parses its
 *   output apart from the plugin (needs $PYTHON);
 *   a fragment of the chain keeps the labels of the residues it shares;
 *   a record without a structure is PLM_ENOTFOUND; a missing DSSP program is
 *   refused at open, naming the dssp package (PATH emptied for that check).
 * Without mkdssp on PATH the DSSP checks are skipped.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "error.h"
#include "plugin.h"
#include "structure.h"
#include "test.h"

static const char *const ids[] = { "1a3a", "1bgf", "1d4t" };

/* ones per property of a [3, L] answer */
static void
count(const plm_tensor *t, int L, int c[3])
{
  const uint8_t *u = t->data;
  for (int k = 0; k < 3; k++) { c[k] = 0; for (int j = 0; j < L; j++) c[k] += u[(size_t)k * L + j] == 1; }
}

static void
test_oracle(plm_plugin *p, const char *dir, const char *id)
{
  char           eb[PLM_ERRBUFSIZE], path[4200], cmd[8800], line[256];
  const char    *py = getenv("PYTHON"), *src = getenv("SRCDIR");
  plm_structure *s = NULL;
  plm_record    *rec = NULL;
  plm_tensor    *t = NULL;
  FILE          *fp;
  int            c[3], o[3] = { -1, -1, -1 }, st;

  snprintf(path, sizeof path, "%s/%s.pdb.gz", dir, id);
  if (plm_structure_Read(path, NULL, &s, eb) != PLM_OK) { TEST(0, "%s reads (%s)", path, eb); return; }
  st = plm_record_Create(id, s->seq, &rec, eb);
  if (st == PLM_OK) st = plm_plugin_Annotate(p, rec, "labels", &t, eb);
  TEST(st == PLM_OK && t->rank == 2 && t->shape[0] == 3 && t->shape[1] == s->n, "ss on %s chain %s (%s)", id, s->chain, st ? eb : "ok");
  if (st == PLM_OK) {
    count(t, s->n, c);
    TEST(c[0] + c[1] + c[2] > 0 && c[0] + c[1] + c[2] <= s->n, "%s: %d helix, %d strand, %d turn_bend of %d", id, c[0], c[1], c[2], s->n);
    if (py && *py) {
      snprintf(cmd, sizeof cmd, "'%s' '%s/tests/unit/ss_dssp_oracle.py' mkdssp '%s' '%s'", py, src ? src : ".", path, s->chain);
      if ((fp = popen(cmd, "r")) != NULL) {
        if (fgets(line, sizeof line, fp)) sscanf(line, "%d %d %d", &o[0], &o[1], &o[2]);
        pclose(fp);
      }
      TEST(c[0] == o[0] && c[1] == o[1] && c[2] == o[2], "%s: counts equal the oracle's (%d %d %d)", id, o[0], o[1], o[2]);
    }
    else test_skip("%s: DSSP oracle: $PYTHON unset", id);
  }
  plm_tensor_Destroy(t);
  plm_record_Destroy(rec);
  plm_structure_Destroy(s);
}

/* residues 11..60 of the first structure: the same labels as in the whole chain */
static void
test_fragment(plm_plugin *p, const char *dir)
{
  char           eb[PLM_ERRBUFSIZE], path[4200], frag[51];
  plm_structure *s = NULL;
  plm_record    *whole = NULL, *part = NULL;
  plm_tensor    *tw = NULL, *tp = NULL;
  int            st, same = 1;

  snprintf(path, sizeof path, "%s/%s.pdb.gz", dir, ids[0]);
  if (plm_structure_Read(path, NULL, &s, eb) != PLM_OK || s->n < 60) { TEST(0, "%s reads, 60 residues (%s)", path, eb); goto DONE; }
  snprintf(frag, sizeof frag, "%.50s", s->seq + 10);
  st = plm_record_Create(ids[0], s->seq, &whole, eb);
  if (st == PLM_OK) st = plm_record_Create(ids[0], frag, &part, eb);
  if (st == PLM_OK) st = plm_plugin_Annotate(p, whole, "labels", &tw, eb);
  if (st == PLM_OK) st = plm_plugin_Annotate(p, part, "labels", &tp, eb);
  for (int k = 0; st == PLM_OK && k < 3; k++)
    for (int j = 0; j < 50; j++) same &= ((uint8_t *)tp->data)[k * 50 + j] == ((uint8_t *)tw->data)[(size_t)k * s->n + 10 + j];
  TEST(st == PLM_OK && same, "a 50-residue fragment keeps its residues' labels (%s)", st ? eb : "ok");
 DONE:
  plm_tensor_Destroy(tw); plm_tensor_Destroy(tp);
  plm_record_Destroy(whole); plm_record_Destroy(part);
  plm_structure_Destroy(s);
}

int
main(void)
{
  char        eb[PLM_ERRBUFSIZE], dir[4096], opt[4200], *path = getenv("PATH") ? strdup(getenv("PATH")) : NULL;
  const char *opts[2];
  plm_plugin *p = NULL;
  plm_record *rec = NULL;
  plm_tensor *t = NULL;
  int         st;

  snprintf(dir, sizeof dir, "%s/data/structures/pdb70_subset500", test_shared());
  if (plm_plugin_Load("ss", NULL, 0, &p, eb) != PLM_OK) { TEST(0, "ss plugin loads (%s)", eb); return test_done(); }
  opts[0] = "pdb-dir=/nonexistent";
  setenv("PATH", "/nonexistent", 1);
  st = plm_plugin_Open(p, opts, 1, eb);
  TEST(st != PLM_OK && strstr(eb, "package dssp"), "mkdssp not on PATH: refused at open, naming the package (%s)", eb);
  if (path) setenv("PATH", path, 1);
  free(path);
  plm_plugin_Unload(p);
  p = NULL;

  snprintf(opt, sizeof opt, "pdb-dir=%s", dir);
  opts[0] = opt;
  if (plm_plugin_Load("ss", NULL, 0, &p, eb) != PLM_OK || (st = plm_plugin_Open(p, opts, 1, eb)) != PLM_OK) {
    test_skip("ss through DSSP: %s", eb);
    plm_plugin_Unload(p);
    return test_done();
  }
  if (access(dir, R_OK) != 0) test_skip("ss through DSSP: %s absent", dir);
  else {
    for (size_t i = 0; i < sizeof ids / sizeof *ids; i++) test_oracle(p, dir, ids[i]);
    test_fragment(p, dir);
    st = plm_record_Create("nothere", "MKTAYIAK", &rec, eb);
    if (st == PLM_OK) st = plm_plugin_Annotate(p, rec, "labels", &t, eb);
    TEST(st == PLM_ENOTFOUND, "a record without a structure is PLM_ENOTFOUND (%s)", eb);
  }
  plm_tensor_Destroy(t);
  plm_record_Destroy(rec);
  plm_plugin_Unload(p);
  return test_done();
}
