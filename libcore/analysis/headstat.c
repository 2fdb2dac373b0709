/* headstat.c: per-head attention statistics for properties (see headstat.h).
 *
 *   accumulate:  rng_Mix(), rng_Row(), row_Shuffle(), add_Background(), add_Row(), add_Fixed(),
 *                plm_headstat_Add()
 *   lifetime:    plm_headstat_Create(), plm_headstat_Destroy(), plm_headstat_ParseIds()
 *   partials:    same_Settings(), plm_headstat_Merge(), write_Ids(), plm_headstat_Write(), read_Header(),
 *                read_Ids(), read_Props(), read_Cells(), plm_headstat_Read(), plm_headstat_ReadFILE()
 *   statistics:  plm_headstat_NormalQuantile(), plm_headstat_Report(), plm_headstat_Layers(),
 *                pearson(), plm_headstat_AaCorr(), plm_headstat_Blosum()
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "align.h"
#include "error.h"
#include "headstat.h"
#include "plugin.h"
#include "rng.h"

#define FIXED_ONE   4294967296.0          /* 2^32: the unit of the attention-mass sums */
#define PARTIAL_TAG "plmscope-headstat-partial"

/* ------------------------------------------------------------ accumulate */

/* splitmix64's finalizer: a well-mixed 64-bit hash step */
static uint64_t
rng_Mix(uint64_t x)
{
  x += UINT64_C(0x9e3779b97f4a7c15);
  x = (x ^ (x >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
  x = (x ^ (x >> 27)) * UINT64_C(0x94d049bb133111eb);
  return x ^ (x >> 31);
}

/* The generator of one row depends on what the row is, not on where it
 * falls in the stream, so a shard permutes it as a single run does. */
static uint64_t
rng_Row(uint64_t seed, uint64_t idhash, int l, int h, int i)
{
  return rng_Mix(rng_Mix(rng_Mix(seed ^ idhash) ^ (uint64_t)l) ^ ((uint64_t)h << 32 | (uint32_t)i));
}

/* Fisher-Yates; the modulo bias is below 2^-40 for any row a model makes */
static void
row_Shuffle(float *x, int n, uint64_t state)
{
  for (int j = n - 1; j > 0; j--) {
    int   r = (int)(rng_Mix(state += UINT64_C(0x9e3779b97f4a7c15)) % (uint64_t)(j + 1));
    float t = x[j];
    x[j] = x[r];
    x[r] = t;
  }
}

static void
add_Background(plm_headstat *hs, int k, const uint8_t *lab, int64_t ncells)
{
  for (int64_t c = 0; c < ncells; c++) {
    hs->bg_known[k] += lab[c] != PLM_PLUGIN_UNKNOWN;
    hs->bg_true[k]  += lab[c] == 1;
  }
}

/* one attention row a[0..L) against one property's labels of its targets */
static void
add_Row(plm_headstat *hs, int64_t cell, const float *a, const uint8_t *lab, int L)
{
  double  ws = 0.0, wp = 0.0;
  int64_t n = 0, np = 0;
  for (int j = 0; j < L; j++) {
    if (lab[j] == PLM_PLUGIN_UNKNOWN) continue;
    ws += a[j];
    if (lab[j]) wp += a[j];
    if (a[j] > hs->theta) { n++; np += lab[j] != 0; }
  }
  hs->rw_sum[cell] += ws;
  hs->rw_pos[cell] += wp;
  hs->n_arcs[cell] += n;
  hs->n_pos[cell]  += np;
}

/* add one record's mass into the fixed-point totals */
static int
add_Fixed(int64_t *acc, const double *x, int64_t n, char *errbuf)
{
  for (int64_t c = 0; c < n; c++) {
    double q = nearbyint(x[c] * FIXED_ONE);
    if (!(q >= 0.0 && q < 9.0e18) || __builtin_add_overflow(acc[c], (int64_t)q, &acc[c]))
      return plm_Fail(errbuf, PLM_ELIMIT, "headstat: attention mass out of range (negative, NaN, or over 2^31 in total)");
  }
  return PLM_OK;
}

int
plm_headstat_Add(plm_headstat *hs, const char *id, const float *attn, int T, int lead, int L,
                 const uint8_t *const *labels, char *errbuf)
{
  int64_t  ncell = (int64_t)hs->nprops * hs->nlayers * hs->nheads;
  uint64_t idhash = plm_rng_Hash(PLM_RNG_HASH0, id, strlen(id));
  int      l, h, i, k, status;

  if (lead < 0 || L < 0 || lead + L > T) return plm_Fail(errbuf, PLM_EINVAL, "headstat: record %s: %d residues do not fit %d tokens", id, L, T);
  if (L > hs->rowcap) {
    float *r = realloc(hs->row, (size_t)L * sizeof *r);
    if (!r) return plm_Fail(errbuf, PLM_EMEM, "out of memory");
    hs->row = r;
    hs->rowcap = L;
  }
  memset(hs->rw_sum, 0, (size_t)ncell * sizeof *hs->rw_sum);
  memset(hs->rw_pos, 0, (size_t)ncell * sizeof *hs->rw_pos);
  for (k = 0; k < hs->nprops; k++) {
    if (labels[k]) { hs->nannotated[k]++; add_Background(hs, k, labels[k], hs->pair[k] ? (int64_t)L * L : L); }
    else hs->nskipped[k]++;
  }
  for (l = 0; l < hs->nlayers; l++)
    for (h = 0; h < hs->nheads; h++)
      for (i = 0; i < L; i++) {
        const float *a = attn + (((size_t)l * hs->nheads + h) * T + lead + i) * T + lead;
        if (hs->null_model) {
          memcpy(hs->row, a, (size_t)L * sizeof *a);
          row_Shuffle(hs->row, L, rng_Row(hs->seed, idhash, l, h, i));
          a = hs->row;
        }
        for (k = 0; k < hs->nprops; k++)
          if (labels[k]) add_Row(hs, ((int64_t)k * hs->nlayers + l) * hs->nheads + h, a, labels[k] + (hs->pair[k] ? (size_t)i * L : 0), L);
      }
  PLM_XCHECK(add_Fixed(hs->w_sum, hs->rw_sum, ncell, errbuf));
  PLM_XCHECK(add_Fixed(hs->w_pos, hs->rw_pos, ncell, errbuf));
  hs->nrecords++;
  return PLM_OK;
 ERROR:
  return status;
}

/* -------------------------------------------------------------- lifetime */

void
plm_headstat_Destroy(plm_headstat *hs)
{
  if (!hs) return;
  for (int k = 0; hs->names && k < hs->nprops; k++) free(hs->names[k]);
  free(hs->names);   free(hs->pair);   free(hs->layer_id); free(hs->head_id);
  free(hs->nannotated); free(hs->nskipped); free(hs->bg_known); free(hs->bg_true);
  free(hs->n_arcs);  free(hs->n_pos);  free(hs->w_sum);  free(hs->w_pos);
  free(hs->rw_sum);  free(hs->rw_pos); free(hs->row);
  free(hs);
}

/* layer_id / head_id NULL: the tensor holds every layer / head, numbered from 1 */
int
plm_headstat_Create(int nlayers, int nheads, const int *layer_id, const int *head_id, int nprops,
                    const char *const *names, const int *pair, double theta, int null_model, uint64_t seed,
                    plm_headstat **ret_hs, char *errbuf)
{
  plm_headstat *hs = NULL;
  int64_t       ncell = (int64_t)nprops * nlayers * nheads;
  int           k, status;

  *ret_hs = NULL;
  if (nlayers < 1 || nheads < 1 || nprops < 1 || nlayers > PLM_HEADSTAT_MAXDIM || nheads > PLM_HEADSTAT_MAXDIM ||
      nprops > PLM_HEADSTAT_MAXDIM || ncell > PLM_HEADSTAT_MAXCELLS)
    return plm_Fail(errbuf, PLM_ELIMIT, "headstat: %d layers x %d heads x %d properties out of range", nlayers, nheads, nprops);
  if (!(theta >= 0.0 && theta < 1.0)) return plm_Fail(errbuf, PLM_EINVAL, "headstat: theta %g outside [0, 1)", theta);
  if ((hs = calloc(1, sizeof *hs)) == NULL) return plm_Fail(errbuf, PLM_EMEM, "out of memory");
  hs->nlayers = nlayers; hs->nheads = nheads; hs->nprops = nprops;
  hs->theta = theta; hs->null_model = null_model; hs->seed = seed;
  if (!(hs->layer_id = malloc((size_t)nlayers * sizeof(int))) || !(hs->head_id = malloc((size_t)nheads * sizeof(int))) ||
      !(hs->names = calloc((size_t)nprops, sizeof *hs->names)) || !(hs->pair = calloc((size_t)nprops, sizeof *hs->pair)) ||
      !(hs->nannotated = calloc((size_t)nprops, sizeof(int64_t))) || !(hs->nskipped = calloc((size_t)nprops, sizeof(int64_t))) ||
      !(hs->bg_known = calloc((size_t)nprops, sizeof(int64_t))) || !(hs->bg_true = calloc((size_t)nprops, sizeof(int64_t))) ||
      !(hs->n_arcs = calloc((size_t)ncell, sizeof(int64_t))) || !(hs->n_pos = calloc((size_t)ncell, sizeof(int64_t))) ||
      !(hs->w_sum = calloc((size_t)ncell, sizeof(int64_t))) || !(hs->w_pos = calloc((size_t)ncell, sizeof(int64_t))) ||
      !(hs->rw_sum = calloc((size_t)ncell, sizeof(double))) || !(hs->rw_pos = calloc((size_t)ncell, sizeof(double))))
    PLM_XFAIL(PLM_EMEM, errbuf, "out of memory");
  for (k = 0; k < nlayers; k++) hs->layer_id[k] = layer_id ? layer_id[k] : k + 1;
  for (k = 0; k < nheads; k++)  hs->head_id[k]  = head_id ? head_id[k] : k + 1;
  for (k = 0; k < nprops; k++) {
    if (!names[k][0] || strpbrk(names[k], " \t\r\n")) PLM_XFAIL(PLM_EINVAL, errbuf, "headstat: property name '%s' is empty or has spaces", names[k]);
    if ((hs->names[k] = strdup(names[k])) == NULL) PLM_XFAIL(PLM_EMEM, errbuf, "out of memory");
    hs->pair[k] = pair[k] != 0;
  }
  *ret_hs = hs;
  return PLM_OK;
 ERROR:
  plm_headstat_Destroy(hs);
  return status;
}

/* "2,5,6" (as attn writes attention_layers / attention_heads) -> exactly n
 * increasing numbers from 1 */
int
plm_headstat_ParseIds(const char *list, int n, int *ids, char *errbuf)
{
  const char *p = list;
  char       *end;
  int         k;

  for (k = 0; k < n; k++) {
    long v = strtol(p, &end, 10);
    if (end == p || v < 1 || v > PLM_HEADSTAT_MAXDIM || (k && v <= ids[k - 1]) || (*end && *end != ','))
      return plm_Fail(errbuf, PLM_EFORMAT, "'%s' is not %d increasing numbers from 1, comma-separated", list, n);
    ids[k] = (int)v;
    p = *end ? end + 1 : end;
  }
  if (*p || (n && p[-1] == ','))
    return plm_Fail(errbuf, PLM_EFORMAT, "'%s' is not %d increasing numbers from 1, comma-separated", list, n);
  return PLM_OK;
}

/* -------------------------------------------------------------- partials */

static int
same_Settings(const plm_headstat *a, const plm_headstat *b, char *errbuf)
{
  if (a->nlayers != b->nlayers || a->nheads != b->nheads || a->nprops != b->nprops)
    return plm_Fail(errbuf, PLM_EINVAL, "headstat: merging %d x %d heads, %d properties with %d x %d, %d",
                    a->nlayers, a->nheads, a->nprops, b->nlayers, b->nheads, b->nprops);
  if (memcmp(a->layer_id, b->layer_id, (size_t)a->nlayers * sizeof(int)) ||
      memcmp(a->head_id, b->head_id, (size_t)a->nheads * sizeof(int)))
    return plm_Fail(errbuf, PLM_EINVAL, "headstat: merging states of different layers or heads of the model");
  if (a->theta != b->theta || a->null_model != b->null_model || (a->null_model && a->seed != b->seed))
    return plm_Fail(errbuf, PLM_EINVAL, "headstat: merging states made with different theta, null model or seed");
  for (int k = 0; k < a->nprops; k++)
    if (strcmp(a->names[k], b->names[k]) || a->pair[k] != b->pair[k])
      return plm_Fail(errbuf, PLM_EINVAL, "headstat: merging property %s with %s", a->names[k], b->names[k]);
  return PLM_OK;
}

int
plm_headstat_Merge(plm_headstat *into, const plm_headstat *from, char *errbuf)
{
  int64_t ncell = (int64_t)into->nprops * into->nlayers * into->nheads, c;
  int     status, bad = 0;

  if ((status = same_Settings(into, from, errbuf)) != PLM_OK) return status;
  bad |= __builtin_add_overflow(into->nrecords, from->nrecords, &into->nrecords);
  for (c = 0; c < into->nprops; c++) {
    bad |= __builtin_add_overflow(into->nannotated[c], from->nannotated[c], &into->nannotated[c]);
    bad |= __builtin_add_overflow(into->nskipped[c], from->nskipped[c], &into->nskipped[c]);
    bad |= __builtin_add_overflow(into->bg_known[c], from->bg_known[c], &into->bg_known[c]);
    bad |= __builtin_add_overflow(into->bg_true[c], from->bg_true[c], &into->bg_true[c]);
  }
  for (c = 0; c < ncell; c++) {
    bad |= __builtin_add_overflow(into->n_arcs[c], from->n_arcs[c], &into->n_arcs[c]);
    bad |= __builtin_add_overflow(into->n_pos[c], from->n_pos[c], &into->n_pos[c]);
    bad |= __builtin_add_overflow(into->w_sum[c], from->w_sum[c], &into->w_sum[c]);
    bad |= __builtin_add_overflow(into->w_pos[c], from->w_pos[c], &into->w_pos[c]);
  }
  return bad ? plm_Fail(errbuf, PLM_ELIMIT, "headstat: merged totals overflow") : PLM_OK;
}

static void
write_Ids(FILE *fp, const char *tag, const int *ids, int n)
{
  fputs(tag, fp);
  for (int k = 0; k < n; k++) fprintf(fp, "%c%d", k ? ',' : ' ', ids[k]);
  fputc('\n', fp);
}

/* Text, integers only (theta in C99 hex), so a state round-trips exactly. */
int
plm_headstat_Write(const plm_headstat *hs, FILE *fp, char *errbuf)
{
  int k, l, h;
  fprintf(fp, "%s 2\ntheta %a\nnull %d\nseed %llu\nlayers %d\nheads %d\nrecords %lld\nprops %d\n", PARTIAL_TAG,
          hs->theta, hs->null_model, (unsigned long long)hs->seed, hs->nlayers, hs->nheads, (long long)hs->nrecords, hs->nprops);
  write_Ids(fp, "layer_ids", hs->layer_id, hs->nlayers);
  write_Ids(fp, "head_ids", hs->head_id, hs->nheads);
  for (k = 0; k < hs->nprops; k++)
    fprintf(fp, "prop %s %s %lld %lld %lld %lld\n", hs->names[k], hs->pair[k] ? "pair" : "token", (long long)hs->nannotated[k],
            (long long)hs->nskipped[k], (long long)hs->bg_known[k], (long long)hs->bg_true[k]);
  for (k = 0; k < hs->nprops; k++)
    for (l = 0; l < hs->nlayers; l++)
      for (h = 0; h < hs->nheads; h++) {
        int64_t c = ((int64_t)k * hs->nlayers + l) * hs->nheads + h;
        fprintf(fp, "cell %d %d %d %lld %lld %lld %lld\n", k, l, h, (long long)hs->n_arcs[c], (long long)hs->n_pos[c],
                (long long)hs->w_sum[c], (long long)hs->w_pos[c]);
      }
  fprintf(fp, "end\n");
  return fflush(fp) == 0 && !ferror(fp) ? PLM_OK : plm_Fail(errbuf, PLM_EIO, "headstat: writing the partial state: %s", strerror(errno));
}

typedef struct partial_header { double theta; int null_model, nlayers, nheads, nprops; unsigned long long seed; long long nrecords; } partial_header;

static int
read_Header(FILE *fp, const char *path, partial_header *ph, char *errbuf)
{
  char tag[64];
  int  version;
  if (fscanf(fp, "%63s %d", tag, &version) != 2 || strcmp(tag, PARTIAL_TAG) || version != 2)
    return plm_Fail(errbuf, PLM_EFORMAT, "%s: not a headstat partial state (version 2)", path);
  if (fscanf(fp, " theta %la null %d seed %llu layers %d heads %d records %lld props %d", &ph->theta, &ph->null_model, &ph->seed,
             &ph->nlayers, &ph->nheads, &ph->nrecords, &ph->nprops) != 7 || ph->nrecords < 0)
    return plm_Fail(errbuf, PLM_EFORMAT, "%s: bad header", path);
  return PLM_OK;
}

/* a "TAG 2,5,6" line into ids[n] */
static int
read_Ids(FILE *fp, const char *path, const char *tag, int n, int *ids, char *errbuf)
{
  char got[16], *list = NULL;
  int  status;

  if (fscanf(fp, " %15s %ms", got, &list) != 2 || strcmp(got, tag))
    status = plm_Fail(errbuf, PLM_EFORMAT, "%s: no %s line", path, tag);
  else if ((status = plm_headstat_ParseIds(list, n, ids, errbuf)) != PLM_OK)
    plm_Fail(errbuf, status, "%s: %s: %s", path, tag, list);
  free(list);
  return status;
}

static int
read_Props(FILE *fp, const char *path, int nprops, char **names, int *pair, long long (*counts)[4], char *errbuf)
{
  char kind[8];
  for (int k = 0; k < nprops; k++) {
    names[k] = NULL;
    if (fscanf(fp, " prop %ms %7s %lld %lld %lld %lld", &names[k], kind, &counts[k][0], &counts[k][1], &counts[k][2], &counts[k][3]) != 6 ||
        (strcmp(kind, "token") && strcmp(kind, "pair")) || counts[k][0] < 0 || counts[k][1] < 0 || counts[k][3] < 0 || counts[k][3] > counts[k][2])
      return plm_Fail(errbuf, PLM_EFORMAT, "%s: bad property line %d", path, k + 1);
    pair[k] = strcmp(kind, "pair") == 0;
  }
  return PLM_OK;
}

static int
read_Cells(FILE *fp, const char *path, plm_headstat *hs, char *errbuf)
{
  int64_t   ncell = (int64_t)hs->nprops * hs->nlayers * hs->nheads;
  long long v[4];
  int       k, l, h;
  char      end[8];
  for (int64_t c = 0; c < ncell; c++) {
    if (fscanf(fp, " cell %d %d %d %lld %lld %lld %lld", &k, &l, &h, &v[0], &v[1], &v[2], &v[3]) != 7 ||
        ((int64_t)k * hs->nlayers + l) * hs->nheads + h != c || v[0] < 0 || v[1] < 0 || v[1] > v[0] || v[2] < 0 || v[3] < 0 || v[3] > v[2])
      return plm_Fail(errbuf, PLM_EFORMAT, "%s: bad cell line %lld", path, (long long)c + 1);
    hs->n_arcs[c] = v[0]; hs->n_pos[c] = v[1]; hs->w_sum[c] = v[2]; hs->w_pos[c] = v[3];
  }
  if (fscanf(fp, " %7s", end) != 1 || strcmp(end, "end")) return plm_Fail(errbuf, PLM_EFORMAT, "%s: truncated (no end line)", path);
  return PLM_OK;
}

int
plm_headstat_Read(const char *path, plm_headstat **ret_hs, char *errbuf)
{
  FILE *fp = fopen(path, "r");
  int   status;

  *ret_hs = NULL;
  if (!fp) return plm_Fail(errbuf, PLM_EIO, "%s: %s", path, strerror(errno));
  status = plm_headstat_ReadFILE(fp, path, ret_hs, errbuf);
  fclose(fp);
  return status;
}

/* one state from fp, which is left just after its "end" (a headstat checkpoint holds more) */
int
plm_headstat_ReadFILE(FILE *fp, const char *path, plm_headstat **ret_hs, char *errbuf)
{
  plm_headstat  *hs = NULL;
  partial_header ph;
  char         **names = NULL;
  int           *pair = NULL, *lid = NULL, *hid = NULL, k, status;
  long long    (*counts)[4] = NULL;

  *ret_hs = NULL;
  PLM_XCHECK(read_Header(fp, path, &ph, errbuf));
  if (ph.nprops < 1 || ph.nprops > PLM_HEADSTAT_MAXDIM || ph.nlayers < 1 || ph.nlayers > PLM_HEADSTAT_MAXDIM ||
      ph.nheads < 1 || ph.nheads > PLM_HEADSTAT_MAXDIM)
    PLM_XFAIL(PLM_EFORMAT, errbuf, "%s: %d layers, %d heads, %d properties", path, ph.nlayers, ph.nheads, ph.nprops);
  if (!(lid = malloc((size_t)ph.nlayers * sizeof *lid)) || !(hid = malloc((size_t)ph.nheads * sizeof *hid)))
    PLM_XFAIL(PLM_EMEM, errbuf, "out of memory");
  PLM_XCHECK(read_Ids(fp, path, "layer_ids", ph.nlayers, lid, errbuf));
  PLM_XCHECK(read_Ids(fp, path, "head_ids", ph.nheads, hid, errbuf));
  if (!(names = calloc((size_t)ph.nprops, sizeof *names)) || !(pair = calloc((size_t)ph.nprops, sizeof *pair)) ||
      !(counts = calloc((size_t)ph.nprops, sizeof *counts)))
    PLM_XFAIL(PLM_EMEM, errbuf, "out of memory");
  PLM_XCHECK(read_Props(fp, path, ph.nprops, names, pair, counts, errbuf));
  PLM_XCHECK(plm_headstat_Create(ph.nlayers, ph.nheads, lid, hid, ph.nprops, (const char *const *)names, pair, ph.theta,
                                 ph.null_model, ph.seed, &hs, errbuf));
  hs->nrecords = ph.nrecords;
  for (k = 0; k < ph.nprops; k++) {
    hs->nannotated[k] = counts[k][0]; hs->nskipped[k] = counts[k][1]; hs->bg_known[k] = counts[k][2]; hs->bg_true[k] = counts[k][3];
  }
  PLM_XCHECK(read_Cells(fp, path, hs, errbuf));
  *ret_hs = hs;
  hs = NULL;
  status = PLM_OK;
 ERROR:
  for (k = 0; names && k < ph.nprops; k++) free(names[k]);
  free(names);
  free(pair);
  free(counts);
  free(lid);
  free(hid);
  plm_headstat_Destroy(hs);
  return status;
}

/* ------------------------------------------------------------ statistics */

/* Acklam's rational approximation, then one Halley step on erfc: ~1e-15 relative */
double
plm_headstat_NormalQuantile(double p)
{
  static const double a[] = { -3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02,
                              1.383577518672690e+02, -3.066479806614716e+01, 2.506628277459239e+00 };
  static const double b[] = { -5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02,
                              6.680131188771972e+01, -1.328068155288572e+01 };
  static const double c[] = { -7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00,
                              -2.549732539343734e+00, 4.374664141464968e+00, 2.938163982698783e+00 };
  static const double d[] = { 7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00, 3.754408661907416e+00 };
  double q, r, x, e, u;

  if (!(p > 0.0 && p < 1.0)) return p == 0.0 ? -INFINITY : p == 1.0 ? INFINITY : NAN;
  if (p > 0.5) return -plm_headstat_NormalQuantile(1.0 - p);
  if (p < 0.02425) {
    q = sqrt(-2.0 * log(p));
    x = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1.0);
  } else {
    q = p - 0.5;
    r = q * q;
    x = (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
        (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1.0);
  }
  e = 0.5 * erfc(-x / sqrt(2.0)) - p;
  u = e * sqrt(2.0 * M_PI) * exp(x * x / 2.0);
  return x - u / (1.0 + x * u / 2.0);
}

/* z of statsmodels' pooled two-proportion test, head minus background */
static double
two_prop_z(double x1, double n1, double x2, double n2)
{
  double pp = (x1 + x2) / (n1 + n2), se = sqrt(pp * (1.0 - pp) * (1.0 / n1 + 1.0 / n2));
  return se > 0.0 ? (x1 / n1 - x2 / n2) / se : 0.0;
}

int
plm_headstat_Report(const plm_headstat *hs, int k, int64_t min_arcs, double alpha, plm_headstat_row *rows)
{
  int     nh = hs->nlayers * hs->nheads, m = 0, x;
  int64_t c0 = (int64_t)k * nh;
  double  bg = hs->bg_known[k] ? (double)hs->bg_true[k] / (double)hs->bg_known[k] : NAN, q;

  for (x = 0; x < nh; x++) m += hs->n_arcs[c0 + x] >= min_arcs && hs->n_arcs[c0 + x] > 0;
  q = m ? -plm_headstat_NormalQuantile(alpha / (2.0 * m)) : NAN;
  for (x = 0; x < nh; x++) {
    plm_headstat_row *r = &rows[x];
    double n = (double)hs->n_arcs[c0 + x], p, half;
    r->n_arcs        = hs->n_arcs[c0 + x];
    r->prop_highconf = n > 0 ? (double)hs->n_pos[c0 + x] / n : NAN;
    r->prop_weighted = hs->w_sum[c0 + x] ? (double)hs->w_pos[c0 + x] / (double)hs->w_sum[c0 + x] : NAN;
    r->background    = bg;
    r->scored        = n > 0 && r->n_arcs >= min_arcs && hs->bg_known[k] > 0;
    r->z = r->p_bonferroni = r->ci_lo = r->ci_hi = NAN;
    r->significant   = 0;
    if (!r->scored) continue;
    p = r->prop_highconf;
    r->z = two_prop_z((double)hs->n_pos[c0 + x], n, (double)hs->bg_true[k], (double)hs->bg_known[k]);
    r->p_bonferroni = fmin(1.0, erfc(fabs(r->z) / sqrt(2.0)) * m);
    half = q * sqrt(p * (1.0 - p) / n);
    r->ci_lo = fmax(0.0, p - half);
    r->ci_hi = fmin(1.0, p + half);
    r->significant = r->p_bonferroni < alpha;
  }
  return m;
}

/* layer_mean[l]: mean over heads of prop_weighted (Vig's "layer avg."); center:
 * sum_l l f_l / sum_l f_l, f_l the layer's pooled attention-weighted share (Fig. 4),
 * l the model's layer number */
void
plm_headstat_Layers(const plm_headstat *hs, int k, double *layer_mean, double *ret_center)
{
  double num = 0.0, den = 0.0;
  for (int l = 0; l < hs->nlayers; l++) {
    double  s = 0.0, ws = 0.0, wp = 0.0;
    int     n = 0;
    int64_t c0 = ((int64_t)k * hs->nlayers + l) * hs->nheads;
    for (int h = 0; h < hs->nheads; h++) {
      if (!hs->w_sum[c0 + h]) continue;
      s  += (double)hs->w_pos[c0 + h] / (double)hs->w_sum[c0 + h];
      ws += (double)hs->w_sum[c0 + h];
      wp += (double)hs->w_pos[c0 + h];
      n++;
    }
    layer_mean[l] = n ? s / n : NAN;
    if (ws > 0.0) { num += hs->layer_id[l] * (wp / ws); den += wp / ws; }
  }
  *ret_center = den > 0.0 ? num / den : NAN;
}

static double
pearson(const double *x, const double *y, int n)
{
  double mx = 0.0, my = 0.0, sxy = 0.0, sxx = 0.0, syy = 0.0;
  for (int i = 0; i < n; i++) { mx += x[i]; my += y[i]; }
  mx /= n; my /= n;
  for (int i = 0; i < n; i++) {
    sxy += (x[i] - mx) * (y[i] - my);
    sxx += (x[i] - mx) * (x[i] - mx);
    syy += (y[i] - my) * (y[i] - my);
  }
  return sxx > 0.0 && syy > 0.0 ? sxy / sqrt(sxx * syy) : NAN;
}

/* Vig et al. Fig. 6 / provis report_aa_correlations: each amino acid's profile is
 * its prop_weighted over the heads (those with attention to all naa of them),
 * corr[a * naa + b] the Pearson correlation of profiles a and b. */
int
plm_headstat_AaCorr(const plm_headstat *hs, const int *aa_prop, int naa, double *corr, int *ret_nheads, char *errbuf)
{
  int     nh = hs->nlayers * hs->nheads, n = 0, a, b, x;
  double *prof = malloc((size_t)naa * nh * sizeof *prof);

  *ret_nheads = 0;
  if (!prof) return plm_Fail(errbuf, PLM_EMEM, "out of memory");
  for (x = 0; x < nh; x++) {
    int ok = 1;
    for (a = 0; a < naa; a++) ok &= hs->w_sum[(int64_t)aa_prop[a] * nh + x] > 0;
    if (!ok) continue;
    for (a = 0; a < naa; a++) {
      int64_t c = (int64_t)aa_prop[a] * nh + x;
      prof[(size_t)a * nh + n] = (double)hs->w_pos[c] / (double)hs->w_sum[c];
    }
    n++;
  }
  for (a = 0; a < naa; a++)
    for (b = 0; b < naa; b++) corr[a * naa + b] = n >= 3 ? pearson(prof + (size_t)a * nh, prof + (size_t)b * nh, n) : NAN;
  *ret_nheads = n;
  free(prof);
  return PLM_OK;
}

/* the distinct pairs' correlations against BLOSUM62; NaN with fewer than 3
 * amino acids or undefined correlations */
double
plm_headstat_Blosum(const double *corr, const char *aa, int naa)
{
  double *cr = malloc((size_t)naa * naa * sizeof *cr), *bl = malloc((size_t)naa * naa * sizeof *bl), r = NAN;
  int     np = 0;

  if (cr && bl && naa >= 3) {
    for (int a = 0; a < naa; a++)
      for (int b = 0; b < a; b++) {
        cr[np] = corr[a * naa + b];
        bl[np++] = plm_align_Blosum62(aa[a], aa[b]);
      }
    r = pearson(cr, bl, np);
  }
  free(cr);
  free(bl);
  return r;
}
