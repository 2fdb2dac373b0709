/* attnview: a record's attention on its 3D structure, as one offline HTML page and SVG/PNG figures.
 *
 * Reads a record stream (attn --attentions), takes one record (--id, else the
 * first), aligns its sequence to a structure's chain and writes the page of
 * formats/attnpage.h: NGL with Calpha-Calpha attention cylinders, contact maps,
 * the layer x head grid. --svg-contacts / --svg-grid write the same figures
 * standalone (formats/svg.h), --png-contacts / --png-grid as PNG in the same
 * colours (formats/figure.h). man/man1/attnview.1 is the contract.
 *
 *   parse_args()   options
 *   slurp()        a whole file, gzip or not
 *   find_ngl()     NGL's JS: --ngl, $PLMSCOPE_NGL, beside the executable, the prefix
 *   read_record()  the record to show
 *   letters_of()   one letter per ESM token of the sequence
 *   map_structure() residue numbers and CA coordinates of the aligned residues
 *   contact_maps() predicted (contacts) and true (contacts_true, else from the structure) maps
 *   colour_by()    a property plugin's answer for the residues
 *   write_svg()    one standalone SVG figure
 *   write_png()    one PNG figure
 */
#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <errno.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <zlib.h>
#include "align.h"
#include "alphabet.h"
#include "attnpage.h"
#include "cli.h"
#include "config.h"
#include "contactmap.h"
#include "error.h"
#include "figure.h"
#include "plugin.h"
#include "resattn.h"
#include "stream.h"
#include "structure.h"
#include "svg.h"

static const char *tool = "attnview";

static const char *usage =
  "Usage: attnview --pdb FILE [OPTIONS] [STREAM]  (default: stdin)\n"
  "Show a record's attention on its structure: one self-contained HTML page (NGL, contact maps,\n"
  "layer x head grid; works offline from file://) and/or standalone SVG and PNG figures.\n"
  "      --pdb FILE          the structure, PDB or mmCIF (.gz too)\n"
  "  -c, --chain ID          chain (default: the first amino-acid chain)\n"
  "  -i, --id ID             the record to show (default: the first)\n"
  "  -o, --output FILE       the HTML page (default: stdout, unless only figures are asked for)\n"
  "      --svg-contacts FILE predicted vs true contact map, standalone SVG\n"
  "      --svg-grid FILE     layer x head attention thumbnails, standalone SVG\n"
  "      --png-contacts FILE one contact map as PNG: predicted above the diagonal, top-L boxed, true below\n"
  "      --png-grid FILE     layer x head attention thumbnails as PNG\n"
  "  -t, --tensor NAME       attention tensor (default attentions)\n"
  "      --layer N           layer shown first, 1-based model number (default: the last)\n"
  "  -H, --head N            head shown first, 1-based (default 1)\n"
  "  -T, --threshold X       hide weights below X (default 0.3, as headstat --theta)\n"
  "      --max-arcs N        draw at most the N strongest pairs (default 200)\n"
  "      --directed          one arrow per direction, a_ij and a_ji apart\n"
  "                          (default: one cylinder per pair, weight max(a_ij, a_ji))\n"
  "      --radius A          cylinder radius in angstrom at weight 1 (default 0.3)\n"
  "      --min-sep N         top-L contacts need |i-j| >= N (default 6)\n"
  "  -p, --plugin SPEC       colour residues by a token property plugin NAME[:KEY=VAL,...]\n"
  "      --prop NAME         which of the plugin's properties (default: its first)\n"
  "      --plugin-dir DIR    look for plugins in DIR first (repeatable)\n"
  "      --ngl FILE          NGL's ngl.js (default: $PLMSCOPE_NGL, then the one the build installed)\n"
  "  -h, --help              this help;  -V, --version  the version\n";

#define MAXDIRS 16

typedef struct args {
  const char *pdb, *chain, *id, *out, *svg_contacts, *svg_grid, *png_contacts, *png_grid, *tensor, *plugin, *prop, *ngl, *in;
  const char *dirs[MAXDIRS];
  int         ndirs, layer, head, max_arcs, directed, minsep, html;
  double      threshold, radius;
} args;

enum { OPT_SVGC = 256, OPT_SVGG, OPT_PNGC, OPT_PNGG, OPT_MAXARCS, OPT_DIRECTED, OPT_RADIUS, OPT_MINSEP, OPT_PROP, OPT_PDIR, OPT_NGL, OPT_PDB };

static void
parse_args(int argc, char **argv, args *a)
{
  static const struct option longopts[] = {
    {"pdb", 1, 0, OPT_PDB}, {"chain", 1, 0, 'c'}, {"id", 1, 0, 'i'}, {"output", 1, 0, 'o'},
    {"svg-contacts", 1, 0, OPT_SVGC}, {"svg-grid", 1, 0, OPT_SVGG},
    {"png-contacts", 1, 0, OPT_PNGC}, {"png-grid", 1, 0, OPT_PNGG}, {"tensor", 1, 0, 't'},
    {"layer", 1, 0, 'l'}, {"head", 1, 0, 'H'}, {"threshold", 1, 0, 'T'}, {"max-arcs", 1, 0, OPT_MAXARCS},
    {"directed", 0, 0, OPT_DIRECTED}, {"radius", 1, 0, OPT_RADIUS}, {"min-sep", 1, 0, OPT_MINSEP},
    {"plugin", 1, 0, 'p'}, {"prop", 1, 0, OPT_PROP}, {"plugin-dir", 1, 0, OPT_PDIR}, {"ngl", 1, 0, OPT_NGL},
    {"help", 0, 0, 'h'}, {"version", 0, 0, 'V'}, {0, 0, 0, 0}
  };
  int c;

  memset(a, 0, sizeof *a);
  a->tensor = "attentions";
  /* Vig's high-confidence theta, thin cylinders and few of them, so the cartoon stays visible */
  a->threshold = 0.3; a->radius = 0.3; a->max_arcs = 200; a->minsep = 6;
  while ((c = getopt_long(argc, argv, "p:P:c:i:o:t:H:T:hV", longopts, NULL)) != -1)
    switch (c) {
    case OPT_PDB: a->pdb = optarg; break;
    case 'c': a->chain = optarg; break;
    case 'i': a->id = optarg; break;
    case 'o': a->out = optarg; break;
    case 't': a->tensor = optarg; break;
    case 'l': a->layer = (int)plm_cli_Number(tool, "--layer", optarg, 1, 1e6); break;
    case 'H': a->head = (int)plm_cli_Number(tool, "--head", optarg, 1, 1e6); break;
    case 'T': a->threshold = plm_cli_Number(tool, "--threshold", optarg, 0, HUGE_VAL); break;
    case 'p':
    case 'P': a->plugin = optarg; break;  /* -P: the old spelling, kept as an alias */
    case OPT_SVGC: a->svg_contacts = optarg; break;
    case OPT_SVGG: a->svg_grid = optarg; break;
    case OPT_PNGC: a->png_contacts = optarg; break;
    case OPT_PNGG: a->png_grid = optarg; break;
    case OPT_MAXARCS: a->max_arcs = (int)plm_cli_Number(tool, "--max-arcs", optarg, 1, 1e9); break;
    case OPT_DIRECTED: a->directed = 1; break;
    case OPT_RADIUS: a->radius = plm_cli_Number(tool, "--radius", optarg, 0, HUGE_VAL); break;
    case OPT_MINSEP: a->minsep = (int)plm_cli_Number(tool, "--min-sep", optarg, 1, 1e9); break;
    case OPT_PROP: a->prop = optarg; break;
    case OPT_PDIR: if (a->ndirs == MAXDIRS) plm_cli_Usage(tool, "at most %d plugin directories", MAXDIRS);
                   a->dirs[a->ndirs++] = optarg; break;
    case OPT_NGL: a->ngl = optarg; break;
    case 'h': fputs(usage, stdout); exit(0);
    case 'V': plm_cli_Version(tool);
    default:  plm_cli_Usage(tool, "unknown option");
    }
  if (!a->pdb) plm_cli_Usage(tool, "--pdb FILE is required");
  if (a->prop && !a->plugin) plm_cli_Usage(tool, "--prop needs --plugin");
  if (a->max_arcs > 1000000) plm_cli_Usage(tool, "--max-arcs: at most 1000000");
  if (optind + 1 < argc) plm_cli_Usage(tool, "at most one input stream");
  a->in   = optind < argc ? argv[optind] : "-";
  a->html = a->out || (!a->svg_contacts && !a->svg_grid && !a->png_contacts && !a->png_grid);
  if (!a->out) a->out = "-";
}

/* the whole of a file, gzip-transparent, NUL-terminated */
static int
slurp(const char *path, size_t max, char **ret_text, size_t *ret_n, char *errbuf)
{
  gzFile gz = gzopen(path, "rb");
  char  *buf = NULL, *p;
  size_t n = 0, cap = 0;
  int    got, status;

  *ret_text = NULL;
  if (!gz) return plm_Fail(errbuf, PLM_EIO, "%s: cannot open", path);
  do {
    if (cap - n < 65536) {
      cap = cap ? 2 * cap : 1 << 20;
      if (cap > max + 65537) PLM_XFAIL(PLM_ELIMIT, errbuf, "%s: more than %zu bytes", path, max);
      if ((p = realloc(buf, cap)) == NULL) PLM_XFAIL(PLM_EMEM, errbuf, "out of memory");
      buf = p;
    }
    if ((got = gzread(gz, buf + n, 65536)) < 0) PLM_XFAIL(PLM_EIO, errbuf, "%s: read failed", path);
    n += (size_t)got;
  } while (got > 0);
  buf[n] = '\0';
  gzclose(gz);
  *ret_text = buf;
  *ret_n    = n;
  return PLM_OK;
 ERROR:
  gzclose(gz);
  free(buf);
  return status;
}

/* NGL's JS: found where the build (BUILD/npm) or make install (PREFIX/share/plmscope) put it */
static int
find_ngl(const char *given, char **ret_path, char *errbuf)
{
  char        exe[PATH_MAX], cand[3][PATH_MAX + 64], *dir;
  const char *env = getenv("PLMSCOPE_NGL");
  ssize_t     len;
  int         n = 0;

  *ret_path = NULL;
  if (given || (env && *env)) {
    if (access(given ? given : env, R_OK) != 0)
      return plm_Fail(errbuf, PLM_ENOTFOUND, "NGL: cannot read %s (%s)", given ? given : env, given ? "--ngl" : "$PLMSCOPE_NGL");
    return (*ret_path = strdup(given ? given : env)) ? PLM_OK : plm_Fail(errbuf, PLM_EMEM, "out of memory");
  }
  if ((len = readlink("/proc/self/exe", exe, sizeof exe - 1)) > 0) {
    exe[len] = '\0';
    dir = dirname(exe);
    snprintf(cand[n++], sizeof cand[0], "%s/../npm/node_modules/ngl/dist/ngl.js", dir);
    snprintf(cand[n++], sizeof cand[0], "%s/../share/plmscope/ngl.js", dir);
  }
  snprintf(cand[n++], sizeof cand[0], "%s/share/plmscope/ngl.js", PLM_PREFIX);
  for (int k = 0; k < n; k++)
    if (access(cand[k], R_OK) == 0) return (*ret_path = strdup(cand[k])) ? PLM_OK : plm_Fail(errbuf, PLM_EMEM, "out of memory");
  return plm_Fail(errbuf, PLM_ENOTFOUND, "NGL's ngl.js not found (install it: npm install --prefix BUILD/npm ngl@2, "
                  "or give --ngl FILE or $PLMSCOPE_NGL); looked for %s", cand[0]);
}

/* the record named id, or the first */
static int
read_record(const char *in, const char *id, plm_record **ret_rec, char *errbuf)
{
  plm_streamreader *r = NULL;
  plm_record       *rec = NULL;
  int               status;

  *ret_rec = NULL;
  PLM_XCHECK(plm_stream_OpenRead(in, &r, errbuf));
  while ((status = plm_stream_Read(r, &rec, errbuf)) == PLM_OK && id && strcmp(rec->id, id) != 0) {
    plm_record_Destroy(rec);
    rec = NULL;
  }
  if (status == PLM_EOF) PLM_XFAIL(PLM_ENOTFOUND, errbuf, "%s: %s", plm_cli_InputName(in), id ? "no record with that --id" : "no records");
  if (status != PLM_OK) goto ERROR;
  plm_stream_CloseRead(r);
  *ret_rec = rec;
  return PLM_OK;
 ERROR:
  plm_stream_CloseRead(r);
  return status;
}

/* one letter per ESM token: residues as themselves, <mask> and the like as X */
static int
letters_of(const char *seq, char **ret_letters, int *ret_L, char *errbuf)
{
  int32_t *ids = NULL;
  char    *s = NULL;
  int      L = 0, status;

  *ret_letters = NULL;
  PLM_XCHECK(plm_esm_Tokenize(seq, 0, 0, &ids, &L, errbuf));
  if (L < 1) PLM_XFAIL(PLM_EINVAL, errbuf, "empty sequence");
  if ((s = malloc((size_t)L + 1)) == NULL) PLM_XFAIL(PLM_EMEM, errbuf, "out of memory");
  for (int i = 0; i < L; i++) { const char *t = plm_esm_Token(ids[i]); s[i] = t[1] ? 'X' : t[0]; }
  s[L] = '\0';
  free(ids);
  *ret_letters = s;
  *ret_L = L;
  return PLM_OK;
 ERROR:
  free(ids);
  return status;
}

/* what the page knows of the structure per residue */
typedef struct resmap {
  int     *map;                  /* residue -> structure residue, or -1 */
  int     *resnum;
  char    *icode;
  uint8_t *has_res, *has_ca;
  float   *ca;
  int      nident, naligned;
} resmap;

static void
resmap_Free(resmap *m)
{
  free(m->map); free(m->resnum); free(m->icode); free(m->has_res); free(m->has_ca); free(m->ca);
}

static int
map_structure(const plm_structure *s, const char *letters, int L, resmap *m, char *errbuf)
{
  memset(m, 0, sizeof *m);
  m->map = malloc(sizeof(int) * (size_t)L);     m->resnum = calloc((size_t)L, sizeof(int));
  m->icode = calloc((size_t)L, 1);              m->has_res = calloc((size_t)L, 1);
  m->has_ca = calloc((size_t)L, 1);             m->ca = calloc((size_t)L * 3, sizeof(float));
  if (!m->map || !m->resnum || !m->icode || !m->has_res || !m->has_ca || !m->ca)
    return plm_Fail(errbuf, PLM_EMEM, "out of memory");
  if (plm_align_Map(letters, s->seq, m->map, &m->nident, &m->naligned, errbuf) != PLM_OK) return PLM_EINVAL;
  for (int i = 0; i < L; i++) {
    const plm_residue *r;
    if (m->map[i] < 0) continue;
    r = &s->res[m->map[i]];
    m->has_res[i] = 1;
    m->resnum[i]  = r->resnum;
    m->icode[i]   = r->icode;
    m->has_ca[i]  = r->has[PLM_ATOM_CA];
    memcpy(m->ca + 3 * (size_t)i, r->xyz[PLM_ATOM_CA], sizeof(float) * 3);
  }
  return PLM_OK;
}

/* pred: the record's contacts (L x L), or NULL; truth: contacts_true, else Cb < 8 A from the structure */
static int
contact_maps(const plm_record *rec, const plm_structure *s, const int *map, int L,
             plm_tensor **ret_pred, uint8_t **ret_truth, char *errbuf)
{
  const plm_tensor *p = plm_record_GetTensor(rec, "contacts"), *t = plm_record_GetTensor(rec, "contacts_true");
  plm_contact_opts  o = { .atom = PLM_CONTACT_CB, .cutoff = 8.0 };
  uint8_t          *truth = NULL;
  int               nknown, status;

  *ret_pred = NULL;
  *ret_truth = NULL;
  if ((truth = malloc((size_t)L * L)) == NULL) return plm_Fail(errbuf, PLM_EMEM, "out of memory");
  if (t && (t->dtype != PLM_U8 || t->rank != 2 || t->shape[0] != L || t->shape[1] != L))
    PLM_XFAIL(PLM_EFORMAT, errbuf, "contacts_true: expected u8 [%d, %d]", L, L);
  if (t) memcpy(truth, t->data, (size_t)L * L);
  else   PLM_XCHECK(plm_contactmap_Compute(s, map, L, &o, truth, &nknown, errbuf));
  if (p && (p->rank != 2 || p->shape[0] != L || p->shape[1] != L))
    PLM_XFAIL(PLM_EFORMAT, errbuf, "contacts: expected [%d, %d]", L, L);
  if (p) PLM_XCHECK(plm_tensor_ToF32(p, "contacts", ret_pred, errbuf));
  *ret_truth = truth;
  return PLM_OK;
 ERROR:
  free(truth);
  return status;
}

/* NAME[:k=v,...] -> the chosen property's u8 [L] (1, 0, 255) and its name */
static int
colour_by(const args *a, const plm_record *rec, int L, uint8_t **ret_prop, char **ret_name, char *errbuf)
{
  char       *name = strdup(a->plugin), *kv[64], *colon, *tok, *save = NULL;
  int         nkv = 0, k = 0, status;
  plm_plugin *p = NULL;
  plm_tensor *lab = NULL;

  *ret_prop = NULL;
  *ret_name = NULL;
  if (!name) return plm_Fail(errbuf, PLM_EMEM, "out of memory");
  if ((colon = strchr(name, ':')) != NULL) {
    *colon = '\0';
    for (tok = strtok_r(colon + 1, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
      if (nkv == 64) PLM_XFAIL(PLM_EINVAL, errbuf, "--plugin %s: too many options", a->plugin);
      kv[nkv++] = tok;
    }
  }
  PLM_XCHECK(plm_plugin_Load(name, a->dirs, a->ndirs, &p, errbuf));
  PLM_XCHECK(plm_plugin_Open(p, (const char *const *)kv, nkv, errbuf));
  if (p->kind != PLM_PLUGIN_TOKEN) PLM_XFAIL(PLM_EINVAL, errbuf, "plugin %s: a pair property cannot colour residues", name);
  while (a->prop && k < p->nprops(p->state) && strcmp(p->propname(p->state, k), a->prop) != 0) k++;
  if (k == p->nprops(p->state)) PLM_XFAIL(PLM_EINVAL, errbuf, "plugin %s has no property '%s'", name, a->prop);
  PLM_XCHECK(plm_plugin_Annotate(p, rec, "labels", &lab, errbuf));
  if (lab->rank != 2 || lab->shape[1] != L) PLM_XFAIL(PLM_EFORMAT, errbuf, "plugin %s: labels of another length", name);
  if ((*ret_prop = malloc((size_t)L)) == NULL || (*ret_name = strdup(p->propname(p->state, k))) == NULL)
    PLM_XFAIL(PLM_EMEM, errbuf, "out of memory");
  memcpy(*ret_prop, (uint8_t *)lab->data + (size_t)k * L, (size_t)L);
  status = PLM_OK;
 ERROR:
  if (status != PLM_OK) { free(*ret_prop); *ret_prop = NULL; }
  plm_tensor_Destroy(lab);
  plm_plugin_Unload(p);
  free(name);
  return status;
}

/* mmCIF starts with data_ after blanks and # comments; anything else is read as PDB */
static int
is_mmcif(const char *text)
{
  for (;;) {
    text += strspn(text, " \t\r\n");
    if (*text != '#') break;
    text += strcspn(text, "\n");
  }
  return strncasecmp(text, "data_", 5) == 0;
}

static void
write_svg(const char *path, const plm_resattn *att, const float *pred, const uint8_t *truth, int minsep, int grid)
{
  char  eb[PLM_ERRBUFSIZE];
  FILE *fp = fopen(path, "w");
  int   status;

  if (!fp) plm_cli_Die(tool, "%s: cannot write", path);
  if (grid) status = plm_svg_HeadGrid(fp, att->w, att->nl, att->nh, att->L, att->layer_ids, att->head_ids, 1, eb);
  else      status = plm_svg_ContactMaps(fp, pred, truth, att->L, minsep, 1, eb);
  if (fclose(fp) != 0 && status == PLM_OK) plm_cli_Die(tool, "%s: write failed", path);
  if (status != PLM_OK) plm_cli_Die(tool, "%s: %s", path, eb);
}

static void
write_png(const char *path, const plm_resattn *att, const float *pred, const uint8_t *truth, int minsep, int grid)
{
  char     eb[PLM_ERRBUFSIZE];
  plm_fig *fig = NULL;
  int      status;

  if (grid) status = plm_fig_HeadGrid(att->w, att->nl, att->nh, att->L, att->layer_ids, att->head_ids, &fig, eb);
  else      status = plm_fig_ContactMap(pred, truth, att->L, minsep, &fig, eb);
  if (status != PLM_OK) plm_cli_Die(tool, "%s: %s", path, eb);
  if (plm_fig_WritePNG(fig, path, eb) != PLM_OK) plm_cli_Die(tool, "%s", eb);   /* eb names the file */
  plm_fig_Destroy(fig);
}

/* the index of the label asked for (0 means the default, dflt) */
static int
pick(const int *ids, int n, int want, int dflt, const char *what)
{
  if (!want) return dflt;
  for (int k = 0; k < n; k++) if (ids[k] == want) return k;
  plm_cli_Usage(tool, "--%s %d: the attention tensor has no such %s", what, want, what);
}

static void
write_page(const args *a, const plm_record *rec, const char *letters, const plm_resattn *att, const plm_tensor *pred,
           const uint8_t *truth, const plm_structure *s, const char *text, size_t ntext, const resmap *m,
           const uint8_t *prop, const char *propname)
{
  char          eb[PLM_ERRBUFSIZE], note[1024], *nglpath = NULL, *ngl = NULL, *base = strdup(a->pdb);
  const char   *model = plm_record_GetMeta(rec, "model");
  size_t        nngl;
  FILE         *fp;
  plm_attnpage  pg;

  if (!base) plm_cli_Die(tool, "out of memory");
  if (find_ngl(a->ngl, &nglpath, eb) != PLM_OK || slurp(nglpath, (size_t)1 << 28, &ngl, &nngl, eb) != PLM_OK)
    plm_cli_Die(tool, "%s", eb);
  snprintf(note, sizeof note, "%d residues; model %s; %d layers x %d heads; structure %s chain %s (%d of %d residues aligned, identity %.2f)",
           att->L, model ? model : "(not named)", att->nl, att->nh, basename(base), s->chain[0] ? s->chain : "(blank)",
           m->naligned, att->L, m->naligned ? (double)m->nident / m->naligned : 0.0);
  pg = (plm_attnpage){
    .id = rec->id, .letters = letters, .note = note, .att = att, .pred = pred ? pred->data : NULL, .truth = truth,
    .minsep = a->minsep, .structure = text, .nstructure = ntext, .ext = is_mmcif(text) ? "cif" : "pdb",
    .structure_name = basename(base), .chain = s->chain, .resnum = m->resnum, .icode = m->icode, .has_res = m->has_res,
    .ca = m->ca, .has_ca = m->has_ca, .prop = prop, .propname = propname,
    .layer = pick(att->layer_ids, att->nl, a->layer, att->nl - 1, "layer"), .head = pick(att->head_ids, att->nh, a->head, 0, "head"),
    .threshold = a->threshold, .radius = a->radius, .max_arcs = a->max_arcs, .directed = a->directed, .ngl = ngl, .nngl = nngl
  };
  const char *outname = strcmp(a->out, "-") ? a->out : "stdout";
  if ((fp = strcmp(a->out, "-") ? fopen(a->out, "w") : stdout) == NULL) plm_cli_Die(tool, "%s: cannot write: %s", outname, strerror(errno));
  if (plm_attnpage_Write(fp, &pg, eb) != PLM_OK) plm_cli_Die(tool, "%s: %s", outname, eb);
  if (fflush(fp) != 0 || ferror(fp)) plm_cli_Die(tool, "%s: write failed: %s", outname, strerror(errno));
  if (fp != stdout && fclose(fp) != 0) plm_cli_Die(tool, "%s: write failed: %s", outname, strerror(errno));
  free(ngl);
  free(nglpath);
  free(base);
}

int
main(int argc, char **argv)
{
  char           eb[PLM_ERRBUFSIZE], *text = NULL, *letters = NULL, *propname = NULL;
  args           a;
  plm_record    *rec = NULL;
  plm_structure *s = NULL;
  plm_resattn   *att = NULL;
  plm_tensor    *pred = NULL;
  uint8_t       *truth = NULL, *prop = NULL;
  resmap         m;
  size_t         ntext;
  int            L = 0, status;

  plm_cli_Init();
  parse_args(argc, argv, &a);
  if (read_record(a.in, a.id, &rec, eb) != PLM_OK) plm_cli_Die(tool, "%s", eb);
  if (letters_of(rec->seq, &letters, &L, eb) != PLM_OK) plm_cli_Die(tool, "record %s: %s", rec->id, eb);
  if (plm_resattn_FromRecord(rec, a.tensor, L, &att, eb) != PLM_OK) plm_cli_Die(tool, "record %s: %s", rec->id, eb);
  if (slurp(a.pdb, PLM_STRUCTURE_MAXBYTES, &text, &ntext, eb) != PLM_OK) plm_cli_Die(tool, "%s", eb);
  status = is_mmcif(text) ? plm_structure_ParseMMCIF(text, ntext, a.pdb, a.chain, &s, eb)
                          : plm_structure_ParsePDB(text, ntext, a.pdb, a.chain, &s, eb);
  if (status != PLM_OK) plm_cli_Die(tool, "%s", eb);
  if (map_structure(s, letters, L, &m, eb) != PLM_OK) plm_cli_Die(tool, "%s: %s", a.pdb, eb);
  if (m.naligned == 0) plm_cli_Die(tool, "record %s: no residue aligns to %s chain %s", rec->id, a.pdb, s->chain);
  if (contact_maps(rec, s, m.map, L, &pred, &truth, eb) != PLM_OK) plm_cli_Die(tool, "record %s: %s", rec->id, eb);
  if (a.plugin && (status = colour_by(&a, rec, L, &prop, &propname, eb)) != PLM_OK) {
    if (status != PLM_ENOTFOUND) plm_cli_Die(tool, "%s", eb);
    fprintf(stderr, "%s: warning: %s: %s; residues coloured by secondary structure\n", tool, rec->id, eb);
  }
  if (a.svg_contacts) write_svg(a.svg_contacts, att, pred ? pred->data : NULL, truth, a.minsep, 0);
  if (a.svg_grid)     write_svg(a.svg_grid, att, NULL, NULL, a.minsep, 1);
  if (a.png_contacts) write_png(a.png_contacts, att, pred ? pred->data : NULL, truth, a.minsep, 0);
  if (a.png_grid)     write_png(a.png_grid, att, NULL, NULL, a.minsep, 1);
  if (a.html) write_page(&a, rec, letters, att, pred, truth, s, text, ntext, &m, prop, propname);
  resmap_Free(&m);
  plm_tensor_Destroy(pred);
  plm_resattn_Destroy(att);
  plm_structure_Destroy(s);
  plm_record_Destroy(rec);
  free(text); free(letters); free(truth); free(prop); free(propname);
  return 0;
}
