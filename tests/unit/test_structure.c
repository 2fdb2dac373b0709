/* test_structure.c: unit tests of the structure reader (formats/structure.c,
 * pdb.c, mmcif.c) and the contact map (libcore/analysis/contactmap.c).
 *
 *   small PDB and mmCIF texts written here: altlocs, MSE, insertion codes,
 *   models, chains, quoting, '?'/'.', missing atoms, malformed input;
 *   gzip transparency; plm_structure_Find's id rules;
 *   every file of ../shared/data/structures read without a crash, and the 500
 *   pdb70 chains' lengths equal to INDEX.tsv (which counts residues that have
 *   a CA and are one of the 20 standard amino acids or MSE);
 *   the contact map of a real structure against a numpy oracle ($PYTHON).
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>
#include "contactmap.h"
#include "error.h"
#include "structure.h"
#include "test.h"

static const char pdb_text[] =
  "HEADER    TEST\n"
  "ATOM      1  N   MET A   1      11.104   6.134  -6.504  1.00  0.00           N\n"
  "ATOM      2  CA  MET A   1      11.639   6.071  -5.147  1.00  0.00           C\n"
  "ATOM      3  C   MET A   1      10.674   5.377  -4.194  1.00  0.00           C\n"
  "ATOM      4  CB AMET A   1      12.000   7.000  -5.000  0.40  0.00           C\n"
  "ATOM      5  CB BMET A   1      13.000   8.000  -6.000  0.60  0.00           C\n"
  "HETATM    6  N   MSE A   2       9.401   5.601  -4.462  1.00  0.00           N\n"
  "HETATM    7  CA  MSE A   2       8.349   5.000  -3.627  1.00  0.00           C\n"
  "HETATM    8  C   MSE A   2       7.000   5.500  -4.000  1.00  0.00           C\n"
  "ATOM      9  N   GLY A   2A      6.000   5.000  -3.000  1.00  0.00           N\n"
  "ATOM     10  CA  GLY A   2A      5.000   5.500  -2.000  1.00  0.00           C\n"
  "ATOM     11  C   GLY A   2A      4.000   4.500  -1.500  1.00  0.00           C\n"
  "ATOM     12  CA  LYS A   3       3.000   4.000  -1.000  1.00  0.00           C\n"
  "HETATM   13  O   HOH A 101       0.000   0.000   0.000  1.00  0.00           O\n"
  "ATOM     14  CA  ALA B   1       1.000   1.000   1.000  1.00  0.00           C\n"
  "ENDMDL\n"
  "ATOM     15  CA  TRP A   4       1.000   1.000   1.000  1.00  0.00           C\n";

static const char cif_text[] =
  "data_test\n#\nloop_\n_atom_site.group_PDB\n_atom_site.label_atom_id\n_atom_site.label_alt_id\n"
  "_atom_site.label_comp_id\n_atom_site.label_asym_id\n_atom_site.label_seq_id\n"
  "_atom_site.pdbx_PDB_ins_code\n_atom_site.Cartn_x\n_atom_site.Cartn_y\n_atom_site.Cartn_z\n"
  "_atom_site.occupancy\n_atom_site.auth_seq_id\n_atom_site.auth_asym_id\n_atom_site.pdbx_PDB_model_num\n"
  "ATOM N  . MET A 1 ? 1.0 2.0 3.0 1.00 10 X 1\n"
  "ATOM CA . MET A 1 ? 2.0 2.0 3.0 1.00 10 X 1\n"
  "ATOM 'CB' A MET A 1 ? 2.5 3.0 3.0 0.50 10 X 1\n"
  "ATOM \"CB\" B MET A 1 ? 9.9 9.9 9.9 0.50 10 X 1\n"
  "HETATM CA . MSE A 2 B 3.0 2.0 3.0 . 11 X 1\n"
  "HETATM O . HOH C . ? 0.0 0.0 0.0 1.00 200 X 1\n"
  "ATOM CA . GLY A 3 ? 4.0 2.0 3.0 1.00 12 X 2\n"
  "ATOM CA . SER B 1 ? 5.0 2.0 3.0 1.00 1 Y 1\n";

static void
test_pdb(void)
{
  char           eb[PLM_ERRBUFSIZE];
  plm_structure *s = NULL;
  int            st = plm_structure_ParsePDB(pdb_text, strlen(pdb_text), "t.pdb", NULL, &s, eb);
  TEST(st == PLM_OK && s->n == 4 && strcmp(s->seq, "MMGK") == 0 && strcmp(s->chain, "A") == 0,
       "PDB: first chain, first model only, MSE as M, water dropped (%s)", st ? eb : s->seq);
  if (st != PLM_OK) return;
  TEST(s->res[0].has[PLM_ATOM_CB] && s->res[0].xyz[PLM_ATOM_CB][0] == 13.0f, "PDB: altloc with higher occupancy kept");
  TEST(s->res[2].resnum == 2 && s->res[2].icode == 'A' && s->res[1].icode == ' ', "PDB: insertion code 2A");
  TEST(s->res[3].has[PLM_ATOM_CA] && !s->res[3].has[PLM_ATOM_N], "PDB: missing atoms flagged");
  plm_structure_Destroy(s);
  st = plm_structure_ParsePDB(pdb_text, strlen(pdb_text), "t.pdb", "B", &s, eb);
  TEST(st == PLM_OK && s->n == 1 && s->seq[0] == 'A', "PDB: chain B selected");
  plm_structure_Destroy(s);
  st = plm_structure_ParsePDB(pdb_text, strlen(pdb_text), "t.pdb", "Q", &s, eb);
  TEST(st == PLM_ENOTFOUND && strstr(eb, "chain 'Q'"), "PDB: absent chain is ENOTFOUND (%s)", eb);
  st = plm_structure_ParsePDB("ATOM      1  CA  ALA A   1      1.0xx   1.000   1.000\n", 56, "bad.pdb", NULL, &s, eb);
  TEST(st == PLM_EFORMAT && strstr(eb, "bad.pdb: line 1"), "PDB: malformed coordinate refused (%s)", eb);
  st = plm_structure_ParsePDB("", 0, "empty.pdb", NULL, &s, eb);
  TEST(st == PLM_ENOTFOUND, "PDB: empty input is ENOTFOUND");
}

static void
test_mmcif(void)
{
  char           eb[PLM_ERRBUFSIZE];
  plm_structure *s = NULL;
  int            st = plm_structure_ParseMMCIF(cif_text, strlen(cif_text), "t.cif", NULL, &s, eb);
  TEST(st == PLM_OK && s->n == 2 && strcmp(s->seq, "MM") == 0 && strcmp(s->chain, "X") == 0,
       "mmCIF: auth chain, first model, MSE as M (%s)", st ? eb : s->seq);
  if (st != PLM_OK) return;
  TEST(s->res[0].resnum == 10 && s->res[1].resnum == 11 && s->res[1].icode == 'B', "mmCIF: auth_seq_id and insertion code");
  TEST(s->res[0].xyz[PLM_ATOM_CB][0] == 2.5f, "mmCIF: quoted atom names, equal-occupancy altloc keeps the first");
  TEST(!s->res[1].has[PLM_ATOM_N] && s->res[1].has[PLM_ATOM_CA], "mmCIF: '.' occupancy read as 1, missing N flagged");
  plm_structure_Destroy(s);
  st = plm_structure_ParseMMCIF(cif_text, strlen(cif_text) - 10, "cut.cif", NULL, &s, eb);
  TEST(st == PLM_EFORMAT, "mmCIF: a row cut short is refused (%s)", eb);
  st = plm_structure_ParseMMCIF("data_x\nloop_\n_atom_site.id\n1\n", 27, "nox.cif", NULL, &s, eb);
  TEST(st == PLM_EFORMAT && strstr(eb, "Cartn_x"), "mmCIF: missing coordinate columns named (%s)", eb);
}

static void
test_files(void)
{
  char           eb[PLM_ERRBUFSIZE], dir[] = "/tmp/test_structure.XXXXXX", path[256], chain[PLM_CHAINLEN];
  char          *found = NULL;
  plm_structure *s = NULL;
  gzFile         gz;
  int            st;

  if (!mkdtemp(dir)) { TEST(0, "mkdtemp"); return; }
  snprintf(path, sizeof path, "%s/1abc.pdb.gz", dir);
  gz = gzopen(path, "wb");
  gzwrite(gz, pdb_text, (unsigned)strlen(pdb_text));
  gzclose(gz);
  st = plm_structure_Read(path, NULL, &s, eb);
  TEST(st == PLM_OK && strcmp(s->seq, "MMGK") == 0, "gzip-compressed PDB read");
  plm_structure_Destroy(s);
  st = plm_structure_Find(dir, "1ABC_B", &found, chain, eb);
  TEST(st == PLM_OK && strcmp(chain, "B") == 0 && strstr(found, "1abc.pdb.gz"), "Find: 1ABC_B -> 1abc.pdb.gz chain B");
  free(found);
  st = plm_structure_Find(dir, "1abcB", &found, chain, eb);
  TEST(st == PLM_OK && strcmp(chain, "B") == 0, "Find: 1abcB -> chain B");
  free(found);
  st = plm_structure_Find(dir, "9zzz", &found, chain, eb);
  TEST(st == PLM_ENOTFOUND && strstr(eb, "9zzz"), "Find: absent id is ENOTFOUND (%s)", eb);
  unlink(path);
  rmdir(dir);
}

static int
read_all_in(const char *dir, int *ret_ok)
{
  DIR           *d = opendir(dir);
  struct dirent *e;
  char           eb[PLM_ERRBUFSIZE], path[4096];
  int            n = 0;
  if (!d) return 0;
  while ((e = readdir(d)) != NULL) {
    plm_structure *s = NULL;
    if (e->d_name[0] == '.') continue;
    snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
    if (e->d_type == DT_DIR) { n += read_all_in(path, ret_ok); continue; }
    if (plm_structure_Read(path, NULL, &s, eb) == PLM_OK) (*ret_ok)++;
    plm_structure_Destroy(s);
    n++;
  }
  closedir(d);
  return n;
}

/* INDEX.tsv counts residues with a CA among the 20 standard amino acids + MSE */
static int
index_Length(const plm_structure *s)
{
  static const char std[] = "ALA ARG ASN ASP CYS GLN GLU GLY HIS ILE LEU LYS MET PHE PRO SER THR TRP TYR VAL MSE";
  int n = 0;
  for (int i = 0; i < s->n; i++) n += s->res[i].has[PLM_ATOM_CA] && strlen(s->res[i].resname) == 3 && strstr(std, s->res[i].resname);
  return n;
}

static void
test_shared_data(void)
{
  char  eb[PLM_ERRBUFSIZE], path[4096], f[256], chain[16];
  int   len, n = 0, nok = 0, nread = 0, nall, nsame = 0;
  FILE *fp;

  snprintf(path, sizeof path, "%s/data/structures", test_shared());
  if (access(path, R_OK) != 0) { test_skip("shared structures: %s absent", path); return; }
  nall = read_all_in(path, &nread);
  TEST(nall > 500, "all %d files under data/structures read without a crash (%d parsed as protein)", nall, nread);

  snprintf(path, sizeof path, "%s/data/structures/pdb70_subset500/INDEX.tsv", test_shared());
  if ((fp = fopen(path, "r")) == NULL) { test_skip("INDEX.tsv absent"); return; }
  while (fscanf(fp, "%255s %15s %d", f, chain, &len) == 3) {
    plm_structure *s = NULL;
    snprintf(path, sizeof path, "%s/data/structures/pdb70_subset500/%s", test_shared(), f);
    n++;
    if (plm_structure_Read(path, chain, &s, eb) != PLM_OK) { printf("  %s\n", eb); continue; }
    if (index_Length(s) == len) nok++; else printf("  %s chain %s: %d residues, INDEX says %d\n", f, chain, index_Length(s), len);
    nsame += (s->n == len);
    plm_structure_Destroy(s);
  }
  fclose(fp);
  TEST(n == 500 && nok == 500, "pdb70: %d/%d chain lengths equal INDEX.tsv (%d also with modified residues counted)", nok, n, nsame);
}

/* Cβ contacts (virtual Cβ for glycine) of 1a3a chain A against numpy */
static void
test_oracle(void)
{
  const char      *py = getenv("PYTHON");
  char             eb[PLM_ERRBUFSIZE], path[4096], cmd[8192], out[] = "/tmp/test_structure_oracle.XXXXXX";
  plm_structure   *s = NULL;
  plm_contact_opts o = { PLM_CONTACT_CB, 8.0, NULL, NULL, NULL };
  int             *map = NULL, nknown, fd, ndiff = 0, L;
  uint8_t         *ours = NULL, *theirs = NULL;
  FILE            *fp;

  snprintf(path, sizeof path, "%s/data/structures/pdb70_subset500/1a3a.pdb.gz", test_shared());
  if (!py || !*py || access(path, R_OK) != 0) { test_skip("contact oracle: $PYTHON or 1a3a.pdb.gz absent"); return; }
  if ((fd = mkstemp(out)) < 0) { TEST(0, "mkstemp"); return; }
  close(fd);
  snprintf(cmd, sizeof cmd,
    "%s -c \"\nimport gzip, numpy as np, sys\nres = {}\norder = []\n"
    "for l in gzip.open(sys.argv[1], 'rt'):\n"
    "  if l[:6] not in ('ATOM  ', 'HETATM') or l[21] != 'A' or l[17:20] == 'HOH': continue\n"
    "  k = (l[22:27]); a = l[12:16].strip()\n"
    "  if k not in res: res[k] = {'name': l[17:20]}; order.append(k)\n"
    "  if a in ('N','CA','C','CB') and a not in res[k]: res[k][a] = np.array([float(l[30:38]), float(l[38:46]), float(l[46:54])])\n"
    "order = [k for k in order if all(a in res[k] for a in ('N','CA','C'))]\n"
    "def cb(r):\n"
    "  if 'CB' in r: return r['CB']\n"
    "  b = r['CA'] - r['N']; c = r['C'] - r['CA']; a = np.cross(b, c)\n"
    "  return -0.58273431*a + 0.56802827*b - 0.54067466*c + r['CA']\n"
    "X = np.array([cb(res[k]) for k in order])\n"
    "d = np.sqrt(((X[:,None,:]-X[None,:,:])**2).sum(-1))\n"
    "(d < 8.0).astype(np.uint8).tofile(sys.argv[2])\n\" %s %s", py, path, out);
  if (system(cmd) != 0) { TEST(0, "numpy oracle ran"); unlink(out); return; }
  if (plm_structure_Read(path, "A", &s, eb) != PLM_OK) { TEST(0, "read 1a3a: %s", eb); unlink(out); return; }
  L = s->n;
  map = malloc((size_t)L * sizeof *map);
  ours = malloc((size_t)L * L);
  theirs = calloc((size_t)L * L, 1);
  for (int i = 0; i < L; i++) map[i] = i;
  plm_contactmap_Compute(s, map, L, &o, ours, &nknown, eb);
  fp = fopen(out, "rb");
  size_t got = fp ? fread(theirs, 1, (size_t)L * L, fp) : 0;
  if (fp) fclose(fp);
  for (size_t k = 0; k < (size_t)L * L; k++) ndiff += ours[k] != theirs[k];
  TEST(got == (size_t)L * L && nknown == L && ndiff == 0, "1a3a Cb contacts equal numpy's (%d residues, %d cells differ)", L, ndiff);
  free(map); free(ours); free(theirs);
  plm_structure_Destroy(s);
  unlink(out);
}

/* the virtual Cb of 1a3a's Leu 4 lies near its real one */
static void
test_virtual_cb(void)
{
  const float n[3] = { -3.883f, 41.780f, 40.071f }, ca[3] = { -4.394f, 42.817f, 39.132f },
              c[3] = { -5.413f, 42.211f, 38.178f }, real[3] = { -3.265f, 43.498f, 38.355f };
  float       cb[3];
  double      d = 0;
  plm_contactmap_VirtualCB(n, ca, c, cb);
  for (int k = 0; k < 3; k++) d += (cb[k] - real[k]) * (cb[k] - real[k]);
  TEST(d < 0.3 * 0.3, "virtual Cb within 0.3 A of the real one (%.3f %.3f %.3f)", cb[0], cb[1], cb[2]);
}

int
main(void)
{
  test_pdb();
  test_mmcif();
  test_files();
  test_virtual_cb();
  test_shared_data();
  test_oracle();
  return test_done();
}
