/* structure.c: protein chains from PDB/mmCIF files (see structure.h).
 *
 *   the residue-name table (standard + modified residues -> parent code)
 *   the builder both parsers feed atoms into: residues, altlocs, chain choice
 *   reading a file (gzip-transparent) and sniffing its format
 *   finding the structure file for a record id
 */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <zlib.h>
#include "error.h"
#include "structure.h"

/* The 20 standard residues, the ambiguity codes, and modified residues common
 * in crystal structures, read as their parent amino acid (PDB chemical
 * component dictionary, mon_nstd_parent_comp_id). */
static const struct { char name[4]; char aa; } aa_table[] = {
  {"ALA",'A'},{"ARG",'R'},{"ASN",'N'},{"ASP",'D'},{"CYS",'C'},{"GLN",'Q'},{"GLU",'E'},
  {"GLY",'G'},{"HIS",'H'},{"ILE",'I'},{"LEU",'L'},{"LYS",'K'},{"MET",'M'},{"PHE",'F'},
  {"PRO",'P'},{"SER",'S'},{"THR",'T'},{"TRP",'W'},{"TYR",'Y'},{"VAL",'V'},
  {"UNK",'X'},{"ASX",'B'},{"GLX",'Z'},{"SEC",'U'},{"PYL",'O'},
  {"MSE",'M'},{"SEP",'S'},{"TPO",'T'},{"PTR",'Y'},{"CSO",'C'},{"CSD",'C'},{"CME",'C'},
  {"CSX",'C'},{"OCS",'C'},{"CAS",'C'},{"CSS",'C'},{"SMC",'C'},{"HYP",'P'},{"MLY",'K'},
  {"M3L",'K'},{"MLZ",'K'},{"KCX",'K'},{"LLP",'K'},{"ALY",'K'},{"PCA",'E'},{"CGU",'E'},
  {"NLE",'L'},{"MEN",'N'},{"HIC",'H'},{"MHO",'M'},{"FME",'M'},{"TYS",'Y'},{"DAL",'A'},
};

char
plm_structure_ParentAA(const char *resname)
{
  for (size_t i = 0; i < sizeof aa_table / sizeof *aa_table; i++)
    if (strcmp(aa_table[i].name, resname) == 0) return aa_table[i].aa;
  return 0;
}

/* ---------------- the builder ---------------- */

/* bounds keep the int and float conversions defined for any input */
int
plm_atom_NumbersOK(double resnum, double x, double y, double z, double occ)
{
  const double big = 1e6;
  return resnum == floor(resnum) && fabs(resnum) < 1e9 && fabs(x) < big && fabs(y) < big && fabs(z) < big &&
         fabs(occ) < big;
}

struct plm_builder {
  int           any;                  /* no chain asked for: choose the first amino-acid one */
  char          want[PLM_CHAINLEN];   /* chain asked for; "" is a valid (blank) chain id */
  plm_residue  *res;
  char        (*chain)[PLM_CHAINLEN]; /* chain of each residue */
  int           n, cap;
};

int
plm_builder_Create(const char *chain, plm_builder **ret_b, char *errbuf)
{
  plm_builder *b = calloc(1, sizeof *b);
  *ret_b = NULL;
  if (!b) return plm_Fail(errbuf, PLM_EMEM, "out of memory");
  b->any = (chain == NULL);
  if (chain) snprintf(b->want, sizeof b->want, "%s", chain);
  *ret_b = b;
  return PLM_OK;
}

void
plm_builder_Destroy(plm_builder *b)
{
  if (!b) return;
  free(b->res);
  free(b->chain);
  free(b);
}

static int
builder_Grow(plm_builder *b, char *errbuf)
{
  int   cap = b->cap ? 2 * b->cap : 256;
  void *p;
  if (b->n >= PLM_STRUCTURE_MAXRES)
    return plm_Fail(errbuf, PLM_ELIMIT, "more than %d residues", PLM_STRUCTURE_MAXRES);
  if ((p = realloc(b->res, (size_t)cap * sizeof *b->res)) == NULL) return plm_Fail(errbuf, PLM_EMEM, "out of memory");
  b->res = p;
  if ((p = realloc(b->chain, (size_t)cap * sizeof *b->chain)) == NULL) return plm_Fail(errbuf, PLM_EMEM, "out of memory");
  b->chain = p;
  b->cap = cap;
  return PLM_OK;
}

static int
atom_Slot(const char *name)
{
  if (strcmp(name, "N")  == 0) return PLM_ATOM_N;
  if (strcmp(name, "CA") == 0) return PLM_ATOM_CA;
  if (strcmp(name, "C")  == 0) return PLM_ATOM_C;
  if (strcmp(name, "CB") == 0) return PLM_ATOM_CB;
  return -1;
}

/* Atoms of one residue are contiguous in both formats, so a residue starts
 * whenever chain, number or insertion code change. */
int
plm_builder_Add(plm_builder *b, const plm_atom *a, char *errbuf)
{
  plm_residue *r;
  int          slot, status;

  if (!b->any && strcmp(b->want, a->chain) != 0) return PLM_OK;
  r = b->n ? &b->res[b->n - 1] : NULL;
  if (!r || r->resnum != a->resnum || r->icode != a->icode || strcmp(b->chain[b->n - 1], a->chain) != 0) {
    if (b->n == b->cap && (status = builder_Grow(b, errbuf)) != PLM_OK) return status;
    r = &b->res[b->n];
    memset(r, 0, sizeof *r);
    memcpy(r->resname, a->resname, sizeof r->resname);
    r->resnum = a->resnum;
    r->icode  = a->icode;
    memcpy(b->chain[b->n], a->chain, PLM_CHAINLEN);
    b->n++;
  }
  if (strcmp(r->resname, a->resname) != 0) return PLM_OK;   /* another residue's alternative */
  if ((slot = atom_Slot(a->name)) < 0) return PLM_OK;
  if (r->has[slot] && a->occ <= r->occ[slot]) return PLM_OK;
  r->has[slot] = 1;
  r->occ[slot] = a->occ;
  memcpy(r->xyz[slot], a->xyz, sizeof a->xyz);
  return PLM_OK;
}

/* the one-letter code of an amino-acid residue, or 0 for anything else */
static char
residue_Code(const plm_residue *r)
{
  char aa = plm_structure_ParentAA(r->resname);
  if (aa) return aa;
  return (r->has[PLM_ATOM_N] && r->has[PLM_ATOM_CA] && r->has[PLM_ATOM_C]) ? 'X' : 0;
}

int
plm_builder_Finish(plm_builder *b, const char *name, plm_structure **ret_s, char *errbuf)
{
  plm_structure *s = NULL;
  const char    *chain = b->any ? NULL : b->want;
  int            i, status;

  *ret_s = NULL;
  for (i = 0; !chain && i < b->n; i++)
    if (residue_Code(&b->res[i])) chain = b->chain[i];
  if (!chain) PLM_XFAIL(PLM_ENOTFOUND, errbuf, "%s: no chain with amino-acid residues", name);

  if ((s = calloc(1, sizeof *s)) == NULL ||
      (s->res = malloc((size_t)(b->n ? b->n : 1) * sizeof *s->res)) == NULL ||
      (s->seq = malloc((size_t)b->n + 1)) == NULL)
    PLM_XFAIL(PLM_EMEM, errbuf, "out of memory");
  snprintf(s->chain, sizeof s->chain, "%s", chain);
  for (i = 0; i < b->n; i++) {
    char aa = residue_Code(&b->res[i]);
    if (!aa || strcmp(b->chain[i], chain) != 0) continue;
    s->res[s->n] = b->res[i];
    s->res[s->n].aa = aa;
    s->seq[s->n++] = aa;
  }
  s->seq[s->n] = '\0';
  if (s->n == 0) PLM_XFAIL(PLM_ENOTFOUND, errbuf, "%s: no amino-acid residues in chain '%s'", name, chain);
  *ret_s = s;
  return PLM_OK;

 ERROR:
  plm_structure_Destroy(s);
  return status;
}

void
plm_structure_Destroy(plm_structure *s)
{
  if (!s) return;
  free(s->res);
  free(s->seq);
  free(s);
}

/* ---------------- files ---------------- */

/* the whole (decompressed) file, NUL-terminated, at most PLM_STRUCTURE_MAXBYTES */
static int
slurp(const char *path, char **ret_buf, size_t *ret_n, char *errbuf)
{
  gzFile  gz = gzopen(path, "rb");
  char   *buf = NULL, *p;
  size_t  n = 0, cap = 1 << 16;
  int     k, status;

  if (!gz) PLM_XFAIL(PLM_EIO, errbuf, "%s: cannot open", path);
  gzbuffer(gz, 1 << 16);
  if ((buf = malloc(cap + 1)) == NULL) PLM_XFAIL(PLM_EMEM, errbuf, "out of memory");
  while ((k = gzread(gz, buf + n, (unsigned)(cap - n))) > 0) {
    n += (size_t)k;
    if (n < cap) continue;
    if (cap >= PLM_STRUCTURE_MAXBYTES) PLM_XFAIL(PLM_ELIMIT, errbuf, "%s: larger than %zu bytes", path, cap);
    if ((p = realloc(buf, 2 * cap + 1)) == NULL) PLM_XFAIL(PLM_EMEM, errbuf, "out of memory");
    buf = p;
    cap *= 2;
  }
  if (k < 0) PLM_XFAIL(PLM_EIO, errbuf, "%s: read error (damaged gzip?)", path);
  buf[n] = '\0';
  gzclose(gz);
  *ret_buf = buf;
  *ret_n = n;
  return PLM_OK;

 ERROR:
  if (gz) gzclose(gz);
  free(buf);
  return status;
}

/* mmCIF opens with data_ after optional comments; fragments without a data
 * block start with loop_ or a _tag, which no PDB record does */
static int
looks_like_mmcif(const char *text, size_t n)
{
  size_t i = 0;
  for (;;) {
    while (i < n && isspace((unsigned char)text[i])) i++;
    if (i < n && text[i] == '#') { while (i < n && text[i] != '\n') i++; continue; }
    break;
  }
  return (n - i >= 5 && (strncasecmp(text + i, "data_", 5) == 0 || strncasecmp(text + i, "loop_", 5) == 0)) ||
         (i < n && text[i] == '_');
}

int
plm_structure_Read(const char *path, const char *chain, plm_structure **ret_s, char *errbuf)
{
  char  *text = NULL;
  size_t n = 0;
  int    status;

  *ret_s = NULL;
  PLM_XCHECK(slurp(path, &text, &n, errbuf));
  if (looks_like_mmcif(text, n)) status = plm_structure_ParseMMCIF(text, n, path, chain, ret_s, errbuf);
  else                           status = plm_structure_ParsePDB(text, n, path, chain, ret_s, errbuf);
 ERROR:
  free(text);
  return status;
}

/* ---------------- finding a record's structure ---------------- */

static int
try_base(const char *dir, const char *base, char **ret_path)
{
  static const char *ext[] = { ".pdb", ".pdb.gz", ".cif", ".cif.gz", ".ent", ".ent.gz" };
  char   b[3][256];
  size_t i, k;
  snprintf(b[0], sizeof b[0], "%s", base);
  snprintf(b[1], sizeof b[1], "%s", base);
  snprintf(b[2], sizeof b[2], "%s", base);
  for (i = 0; b[1][i]; i++) { b[1][i] = (char)tolower((unsigned char)b[1][i]); b[2][i] = (char)toupper((unsigned char)b[2][i]); }
  for (k = 0; k < 3; k++)
    for (i = 0; i < sizeof ext / sizeof *ext; i++) {
      char *path;
      if (asprintf(&path, "%s/%s%s", dir, b[k], ext[i]) < 0) return PLM_EMEM;
      if (access(path, R_OK) == 0) { *ret_path = path; return PLM_OK; }
      free(path);
    }
  return PLM_ENOTFOUND;
}

/* ID.{pdb,cif,ent}[.gz] as given, lowercase or uppercase; then ids like "1abc_A" and
 * five-character "1abcA" name file 1abc and chain A. */
int
plm_structure_Find(const char *dir, const char *id, char **ret_path, char *ret_chain, char *errbuf)
{
  char        base[256];
  const char *us = strrchr(id, '_');
  size_t      len = strlen(id);
  int         status;

  *ret_path = NULL;
  ret_chain[0] = '\0';
  if (len == 0 || len >= sizeof base || strchr(id, '/'))
    return plm_Fail(errbuf, PLM_ENOTFOUND, "no structure for id '%s' in %s", id, dir);
  if ((status = try_base(dir, id, ret_path)) != PLM_ENOTFOUND) goto DONE;
  if (us && us > id && us[1] && strlen(us + 1) < PLM_CHAINLEN) {
    snprintf(base, sizeof base, "%.*s", (int)(us - id), id);
    if ((status = try_base(dir, base, ret_path)) == PLM_OK) strcpy(ret_chain, us + 1);
    if (status != PLM_ENOTFOUND) goto DONE;
  }
  if (len == 5) {
    snprintf(base, sizeof base, "%.4s", id);
    if ((status = try_base(dir, base, ret_path)) == PLM_OK) { ret_chain[0] = id[4]; ret_chain[1] = '\0'; }
    if (status != PLM_ENOTFOUND) goto DONE;
  }
  return plm_Fail(errbuf, PLM_ENOTFOUND, "no structure for id '%s' in %s", id, dir);
 DONE:
  return status == PLM_EMEM ? plm_Fail(errbuf, PLM_EMEM, "out of memory") : status;
}
