/* mmcif.c: the PDBx/mmCIF reader behind plm_structure_ParseMMCIF().
 *
 *   a CIF tokenizer: bare words, 'quoted' and "quoted" values (a quote closes
 *   only before whitespace), ;text fields; and # comments
 *   the first _atom_site loop: columns found by name from the loop header,
 *   auth_* fields preferred over label_*, '?' and '.' read as missing, only
 *   the first pdbx_PDB_model_num, every row handed to the structure builder
 * Other categories are skipped. Altloc selection happens in the builder.
 */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "error.h"
#include "structure.h"

#define CIF_MAXCOLS 256

typedef struct cif_token { const char *s; size_t n; int quoted; } cif_token;

typedef struct cif_lexer {
  const char *p, *end;
  cif_token   peek;
  int         have_peek;
} cif_lexer;

static int
at_line_start(const char *p, const char *start)
{
  return p == start || p[-1] == '\n' || p[-1] == '\r';
}

/* the next token; 0 at the end of the text */
static int
cif_Next(cif_lexer *lx, const char *start, cif_token *t)
{
  const char *p = lx->p, *q;

  if (lx->have_peek) { *t = lx->peek; lx->have_peek = 0; return 1; }
  for (;;) {
    while (p < lx->end && isspace((unsigned char)*p)) p++;
    if (p < lx->end && *p == '#') { while (p < lx->end && *p != '\n') p++; continue; }
    break;
  }
  if (p >= lx->end) { lx->p = p; return 0; }

  t->quoted = 1;
  if (*p == ';' && at_line_start(p, start)) {           /* text field up to "\n;" */
    for (q = p + 1; q < lx->end && !(*q == ';' && (q[-1] == '\n' || q[-1] == '\r')); q++) ;
    t->s = p + 1; t->n = (size_t)(q - p - 1);
    lx->p = q < lx->end ? q + 1 : q;
    return 1;
  }
  if (*p == '\'' || *p == '"') {
    for (q = p + 1; q < lx->end && *q != '\n'; q++)
      if (*q == *p && (q + 1 == lx->end || isspace((unsigned char)q[1]))) break;
    t->s = p + 1; t->n = (size_t)(q - p - 1);
    lx->p = (q < lx->end && *q == *p) ? q + 1 : q;
    return 1;
  }
  for (q = p; q < lx->end && !isspace((unsigned char)*q); q++) ;
  t->s = p; t->n = (size_t)(q - p); t->quoted = 0;
  lx->p = q;
  return 1;
}

static int
tok_Is(const cif_token *t, const char *word)
{
  size_t n = strlen(word);
  return !t->quoted && t->n == n && strncasecmp(t->s, word, n) == 0;
}

/* a tag or reserved word ends a loop's values */
static int
tok_EndsLoop(const cif_token *t)
{
  if (t->quoted) return 0;
  return t->s[0] == '_' || tok_Is(t, "loop_") || tok_Is(t, "stop_") || tok_Is(t, "global_") ||
         (t->n >= 5 && (strncasecmp(t->s, "data_", 5) == 0 || strncasecmp(t->s, "save_", 5) == 0));
}

static int
tok_Missing(const cif_token *t)
{
  return t->n == 0 || (!t->quoted && t->n == 1 && (t->s[0] == '?' || t->s[0] == '.'));
}

/* the _atom_site columns we read; auth_ first, label_ as the fallback */
enum { C_AATOM, C_LATOM, C_ACOMP, C_LCOMP, C_AASYM, C_LASYM, C_ASEQ, C_LSEQ, C_INS,
       C_X, C_Y, C_Z, C_OCC, C_MODEL, C_N };
static const char *colname[C_N] = {
  "auth_atom_id", "label_atom_id", "auth_comp_id", "label_comp_id", "auth_asym_id", "label_asym_id",
  "auth_seq_id", "label_seq_id", "pdbx_PDB_ins_code", "Cartn_x", "Cartn_y", "Cartn_z",
  "occupancy", "pdbx_PDB_model_num"
};

/* the preferred non-missing value of a pair of columns, or NULL */
static const cif_token *
row_Get(const cif_token *row, const int *col, int pref, int alt)
{
  if (col[pref] >= 0 && !tok_Missing(&row[col[pref]])) return &row[col[pref]];
  if (alt >= 0 && col[alt] >= 0 && !tok_Missing(&row[col[alt]])) return &row[col[alt]];
  return NULL;
}

static void
tok_Copy(const cif_token *t, char *out, size_t outsize)
{
  if (!t || t->n >= outsize) { out[0] = '\0'; return; }   /* too long: matches no known name */
  memcpy(out, t->s, t->n);
  out[t->n] = '\0';
}

static int
tok_Number(const cif_token *t, double *ret_x)
{
  char buf[48], *end;
  if (!t || t->n == 0 || t->n >= sizeof buf) return 0;
  memcpy(buf, t->s, t->n);
  buf[t->n] = '\0';
  *ret_x = strtod(buf, &end);
  return *end == '\0';
}

/* one row -> atom; 0 to skip it (other model, no residue number), -1 if malformed */
static int
row_Atom(const cif_token *row, const int *col, double *model1, plm_atom *a)
{
  const cif_token *asym = row_Get(row, col, C_AASYM, C_LASYM), *seq = row_Get(row, col, C_ASEQ, C_LSEQ),
                  *ins  = row_Get(row, col, C_INS, -1);
  double           model, resnum, x, y, z, occ;

  if (col[C_MODEL] >= 0 && tok_Number(&row[col[C_MODEL]], &model)) {
    if (isnan(*model1)) *model1 = model;                 /* the first row names the first model */
    if (model != *model1) return 0;
  }
  if (!seq) return 0;
  if (!tok_Number(seq, &resnum) || !tok_Number(&row[col[C_X]], &x) || !tok_Number(&row[col[C_Y]], &y) ||
      !tok_Number(&row[col[C_Z]], &z))
    return -1;
  if (!tok_Number(row_Get(row, col, C_OCC, -1), &occ)) occ = 1.0;
  if (!plm_atom_NumbersOK(resnum, x, y, z, occ)) return -1;
  if (asym && asym->n >= PLM_CHAINLEN) return -1;
  memset(a, 0, sizeof *a);
  tok_Copy(asym, a->chain, sizeof a->chain);
  tok_Copy(row_Get(row, col, C_ACOMP, C_LCOMP), a->resname, sizeof a->resname);
  tok_Copy(row_Get(row, col, C_AATOM, C_LATOM), a->name, sizeof a->name);
  a->icode  = (ins && ins->n == 1) ? ins->s[0] : ' ';
  a->resnum = (int)resnum;
  a->occ    = (float)occ;
  a->xyz[0] = (float)x; a->xyz[1] = (float)y; a->xyz[2] = (float)z;
  return 1;
}

/* read the loop header's tags; col[] gets the position of each column we use */
static int
loop_Header(cif_lexer *lx, const char *start, int *col, int *ret_ncols, int *ret_atomsite)
{
  cif_token t;
  int       ncols = 0, atomsite = 1, k;

  for (k = 0; k < C_N; k++) col[k] = -1;
  while (cif_Next(lx, start, &t)) {
    if (t.quoted || t.s[0] != '_') { lx->peek = t; lx->have_peek = 1; break; }
    if (t.n < 11 || strncasecmp(t.s, "_atom_site.", 11) != 0) atomsite = 0;
    for (k = 0; atomsite && k < C_N; k++)
      if (t.n - 11 == strlen(colname[k]) && strncasecmp(t.s + 11, colname[k], t.n - 11) == 0) col[k] = ncols;
    ncols++;
  }
  *ret_ncols = ncols;
  *ret_atomsite = atomsite && ncols > 0;
  return PLM_OK;
}

int
plm_structure_ParseMMCIF(const char *text, size_t n, const char *name, const char *chain,
                         plm_structure **ret_s, char *errbuf)
{
  cif_lexer    lx = { text, text + n, { NULL, 0, 0 }, 0 };
  cif_token    t, *row = NULL;
  plm_builder *b = NULL;
  plm_atom     a;
  int          col[C_N], ncols = 0, atomsite = 0, k = 0, r, status;
  long         nrow = 0;
  double       model1 = NAN;

  *ret_s = NULL;
  PLM_XCHECK(plm_builder_Create(chain, &b, errbuf));
  while (!atomsite && cif_Next(&lx, text, &t))
    if (tok_Is(&t, "loop_")) loop_Header(&lx, text, col, &ncols, &atomsite);
  if (!atomsite) PLM_XFAIL(PLM_EFORMAT, errbuf, "%s: no _atom_site loop", name);
  if (ncols > CIF_MAXCOLS) PLM_XFAIL(PLM_ELIMIT, errbuf, "%s: _atom_site has more than %d columns", name, CIF_MAXCOLS);
  for (k = C_X; k <= C_Z; k++)
    if (col[k] < 0) PLM_XFAIL(PLM_EFORMAT, errbuf, "%s: _atom_site lacks %s", name, colname[k]);
  if ((row = calloc((size_t)ncols, sizeof *row)) == NULL) PLM_XFAIL(PLM_EMEM, errbuf, "out of memory");

  for (k = 0; cif_Next(&lx, text, &t) && !tok_EndsLoop(&t); ) {
    row[k++] = t;
    if (k < ncols) continue;
    k = 0;
    nrow++;
    if ((r = row_Atom(row, col, &model1, &a)) < 0)
      PLM_XFAIL(PLM_EFORMAT, errbuf, "%s: _atom_site row %ld: malformed number or chain id", name, nrow);
    if (r > 0 && (status = plm_builder_Add(b, &a, errbuf)) != PLM_OK) {
      char why[PLM_ERRBUFSIZE];
      snprintf(why, sizeof why, "%s", errbuf);
      PLM_XFAIL(status, errbuf, "%s: _atom_site row %ld: %s", name, nrow, why);
    }
  }
  if (k != 0) PLM_XFAIL(PLM_EFORMAT, errbuf, "%s: _atom_site ends inside a row (%d of %d values)", name, k, ncols);
  status = plm_builder_Finish(b, name, ret_s, errbuf);
 ERROR:
  free(row);
  plm_builder_Destroy(b);
  return status;
}
