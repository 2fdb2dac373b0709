/* pdb.c: the PDB (fixed-column) reader behind plm_structure_ParsePDB().
 *
 * Reads ATOM and HETATM records of the first model (up to the first ENDMDL)
 * by their columns (PDB format 3.3, section 9): altloc 17, residue name
 * 18-20, chain 22, residue number 23-26, insertion code 27, x y z 31-54,
 * occupancy 55-60 (1.0 when absent). Lines may be short or have CRLF ends.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "error.h"
#include "structure.h"

/* columns [from, to) of a line of length len, blanks trimmed, into out */
static void
column(const char *line, size_t len, size_t from, size_t to, char *out, size_t outsize)
{
  size_t n = 0;
  if (to > len) to = len;
  while (from < to && line[from] == ' ') from++;
  while (to > from && (line[to - 1] == ' ' || line[to - 1] == '\r')) to--;
  for (; from < to && n + 1 < outsize; from++) out[n++] = line[from];
  out[n] = '\0';
}

/* a number in columns [from, to); 0 if the field does not parse completely */
static int
column_Number(const char *line, size_t len, size_t from, size_t to, double *ret_x)
{
  char  f[16], *end;
  column(line, len, from, to, f, sizeof f);
  *ret_x = strtod(f, &end);
  return f[0] != '\0' && *end == '\0';
}

static int
pdb_Atom(const char *line, size_t len, plm_atom *a)
{
  double x, y, z, occ, resnum;

  if (len < 54) return 0;
  column(line, len, 12, 16, a->name, sizeof a->name);
  column(line, len, 17, 20, a->resname, sizeof a->resname);
  column(line, len, 21, 22, a->chain, sizeof a->chain);
  if (!column_Number(line, len, 22, 26, &resnum) || !column_Number(line, len, 30, 38, &x) ||
      !column_Number(line, len, 38, 46, &y) || !column_Number(line, len, 46, 54, &z))
    return 0;
  if (!column_Number(line, len, 54, 60, &occ)) occ = 1.0;
  if (!plm_atom_NumbersOK(resnum, x, y, z, occ)) return 0;
  a->icode  = line[26] == '\r' ? ' ' : line[26];
  a->resnum = (int)resnum;
  a->occ    = (float)occ;
  a->xyz[0] = (float)x; a->xyz[1] = (float)y; a->xyz[2] = (float)z;
  return 1;
}

int
plm_structure_ParsePDB(const char *text, size_t n, const char *name, const char *chain,
                       plm_structure **ret_s, char *errbuf)
{
  plm_builder *b = NULL;
  plm_atom     a;
  size_t       pos = 0, len;
  long         lineno = 0;
  int          status;

  *ret_s = NULL;
  PLM_XCHECK(plm_builder_Create(chain, &b, errbuf));
  while (pos < n) {
    const char *line = text + pos, *nl = memchr(line, '\n', n - pos);
    len  = nl ? (size_t)(nl - line) : n - pos;
    pos += len + 1;
    lineno++;
    if (len >= 6 && strncmp(line, "ENDMDL", 6) == 0) break;
    if (len < 6 || (strncmp(line, "ATOM  ", 6) != 0 && strncmp(line, "HETATM", 6) != 0)) continue;
    memset(&a, 0, sizeof a);
    if (!pdb_Atom(line, len, &a))
      PLM_XFAIL(PLM_EFORMAT, errbuf, "%s: line %ld: malformed %.6s record", name, lineno, line);
    if ((status = plm_builder_Add(b, &a, errbuf)) != PLM_OK) {
      char why[PLM_ERRBUFSIZE];
      snprintf(why, sizeof why, "%s", errbuf);
      PLM_XFAIL(status, errbuf, "%s: line %ld: %s", name, lineno, why);
    }
  }
  status = plm_builder_Finish(b, name, ret_s, errbuf);
 ERROR:
  plm_builder_Destroy(b);
  return status;
}
