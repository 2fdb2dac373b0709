/* aapairs.c: per head, attention between amino-acid types against BLOSUM62.
 *
 *   seqread d.fasta | attn -m M.pt --attentions | aapairs --matrix pairs.tsv > heads.tsv
 *
 * Vig et al. (Fig. 7) correlate the amino acids' attention profiles over all
 * heads with BLOSUM62 (headstat -p aa reports that). This asks it of each head
 * alone: the head's 20 x 20 log2 enrichment of attention from type a to type b
 * (libcore/analysis/aapair.h), Pearson with BLOSUM62 over the 210 pairs. Memory is
 * 400 numbers per head, whatever the number of records. man/man1/aapairs.1 is
 * the contract.
 *
 *   head_Ids()       the model's layer (head) numbers from attn's metadata, else 1..n
 *   accumulate()     the stream -> the per-head masses
 *   report()         the per-head TSV and, with --matrix, the 20 x 20 table
 *   main()
 */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "aapair.h"
#include "align.h"
#include "annot.h"
#include "cli.h"
#include "error.h"
#include "headstat.h"
#include "membudget.h"
#include "stream.h"

#define TOOL "aapairs"

typedef struct opts { const char *special, *tensor, *matrix, *file; size_t max_memory; } opts;

static const char usage[] =
  "Usage: aapairs [options] [FILE] > heads.tsv\n"
  "Per attention head: the log2 enrichment of attention between amino-acid types (20 x 20)\n"
  "and its Pearson correlation with BLOSUM62 over the 210 pairs. Reads a record stream\n"
  "(FILE or stdin) with 'attentions' [layers x heads x T x T] (attn --attentions).\n"
  "  -t, --tensor NAME   the attention tensor (default attentions)\n"
  "      --special LIST  special-token layout when the records lack 'special_tokens'\n"
  "      --max-memory SIZE most memory to hold (K, M, G; default: what is free at the start);\n"
  "                      a record that would need more is refused, naming it\n"
  "      --matrix FILE   also the 20 x 20 table: a, b, distinct (a <= b), blosum62, the\n"
  "                      enrichment pooled over all heads and that of the best head\n"
  "  -h, --help / -V, --version\n"
  "Output: TSV layer, head, pearson_blosum62, pairs; then '#' lines: records, pooled, best.\n";

static int
head_Ids(const plm_record *rec, const char *key, int n, int *ids, char *errbuf)
{
  const char *list = plm_record_GetMeta(rec, key);
  if (!list) { for (int k = 0; k < n; k++) ids[k] = k + 1; return PLM_OK; }
  if (plm_headstat_ParseIds(list, n, ids, errbuf) != PLM_OK)
    return plm_Fail(errbuf, PLM_EFORMAT, "record %s: metadata %s '%s' does not name the tensor's %d", rec->id, key, list, n);
  return PLM_OK;
}

/* the first record sets the heads (and their numbers in lid, hid); later ones must match its shape */
static int
accumulate(const opts *o, plm_aapair **ret_ap, int **lid, int **hid, char *errbuf)
{
  plm_streamreader *r = NULL;
  plm_record       *rec = NULL;
  plm_tensor       *a, *f32 = NULL;
  plm_aapair       *ap = NULL;
  int               status, lead, L;

  PLM_XCHECK(plm_stream_OpenRead(o->file, &r, errbuf));
  plm_stream_SetMaxMemory(r, o->max_memory);
  while ((status = plm_stream_Read(r, &rec, errbuf)) == PLM_OK) {
    if ((a = plm_record_GetTensor(rec, o->tensor)) == NULL)
      PLM_XFAIL(PLM_EFORMAT, errbuf, "%s: record %s: no tensor '%s' (run attn --attentions)", plm_cli_InputName(o->file), rec->id, o->tensor);
    if (a->rank != 4 || a->shape[2] != a->shape[3] || (a->dtype != PLM_F32 && a->dtype != PLM_F16))
      PLM_XFAIL(PLM_EFORMAT, errbuf, "%s: record %s: '%s' is not f32/f16 [layers, heads, T, T]", plm_cli_InputName(o->file), rec->id, o->tensor);
    if (!ap) {
      PLM_XCHECK(plm_aapair_Create((int)a->shape[0], (int)a->shape[1], &ap, errbuf));
      if ((*lid = malloc(sizeof **lid * ap->nl)) == NULL || (*hid = malloc(sizeof **hid * ap->nh)) == NULL)
        PLM_XFAIL(PLM_EMEM, errbuf, "out of memory");
      PLM_XCHECK(head_Ids(rec, "attention_layers", ap->nl, *lid, errbuf));
      PLM_XCHECK(head_Ids(rec, "attention_heads", ap->nh, *hid, errbuf));
    } else if (a->shape[0] != ap->nl || a->shape[1] != ap->nh)
      PLM_XFAIL(PLM_EFORMAT, errbuf, "%s: record %s: %lld x %lld heads, the first record had %d x %d", plm_cli_InputName(o->file),
                rec->id, (long long)a->shape[0], (long long)a->shape[1], ap->nl, ap->nh);
    if (a->dtype == PLM_F16) { PLM_XCHECK(plm_tensor_ToF32(a, o->tensor, &f32, errbuf)); a = f32; }
    PLM_XCHECK(plm_annot_ResidueSpan(rec, o->special, (int)a->shape[2], &lead, &L, errbuf));
    if (plm_aapair_Add(ap, a->data, (int)a->shape[2], lead, L, rec->seq, errbuf) != PLM_OK) {
      char why[PLM_ERRBUFSIZE];
      snprintf(why, sizeof why, "%s", errbuf);
      PLM_XFAIL(PLM_EFORMAT, errbuf, "%s: record %s: %s", plm_cli_InputName(o->file), rec->id, why);
    }
    plm_tensor_Destroy(f32);
    f32 = NULL;
    plm_record_Destroy(rec);
    rec = NULL;
  }
  if (status != PLM_EOF) goto ERROR;
  if (!ap) PLM_XFAIL(PLM_EFORMAT, errbuf, "%s: no records", plm_cli_InputName(o->file));
  *ret_ap = ap;
  ap = NULL;
  status = PLM_OK;
 ERROR:
  plm_tensor_Destroy(f32);
  plm_record_Destroy(rec);
  plm_stream_CloseRead(r);
  plm_aapair_Destroy(ap);
  return status;
}

static int
report(const opts *o, const plm_aapair *ap, const int *lid, const int *hid, char *errbuf)
{
  double enr[400], pooled[400], r, best_r = -INFINITY;
  int    n, best = -1;
  FILE  *fp;

  printf("layer\thead\tpearson_blosum62\tpairs\n");
  for (int h = 0; h < ap->nl * ap->nh; h++) {
    plm_aapair_Enrichment(ap, h, enr);
    r = plm_aapair_Blosum(enr, &n);
    printf("%d\t%d\t", lid[h / ap->nh], hid[h % ap->nh]);
    if (isnan(r)) printf("NA\t%d\n", n);
    else          printf("%.4f\t%d\n", r, n);
    if (!isnan(r) && r > best_r) { best_r = r; best = h; }
  }
  plm_aapair_Enrichment(ap, -1, pooled);
  r = plm_aapair_Blosum(pooled, &n);
  printf("# records\t%lld\n# pooled\t%.4f\t%d\n", (long long)ap->nrecords, r, n);
  if (best >= 0) printf("# best\t%d:%d\t%.4f\n", lid[best / ap->nh], hid[best % ap->nh], best_r);
  if (!o->matrix) return PLM_OK;
  if (best >= 0) plm_aapair_Enrichment(ap, best, enr);
  if ((fp = fopen(o->matrix, "w")) == NULL) return plm_Fail(errbuf, PLM_EIO, "%s: cannot write", o->matrix);
  fprintf(fp, "a\tb\tdistinct\tblosum62\tenrichment_pooled\tenrichment_best\n");
  for (int a = 0; a < 20; a++)
    for (int b = 0; b < 20; b++) {
      fprintf(fp, "%c\t%c\t%d\t%d\t", PLM_AAPAIR_ORDER[a], PLM_AAPAIR_ORDER[b], a <= b,
              plm_align_Blosum62(PLM_AAPAIR_ORDER[a], PLM_AAPAIR_ORDER[b]));
      fprintf(fp, isnan(pooled[20 * a + b]) ? "NA\t" : "%.4f\t", pooled[20 * a + b]);
      fprintf(fp, best < 0 || isnan(enr[20 * a + b]) ? "NA\n" : "%.4f\n", enr[20 * a + b]);
    }
  if (fclose(fp) != 0) return plm_Fail(errbuf, PLM_EIO, "%s: write failed", o->matrix);
  return PLM_OK;
}

int
main(int argc, char **argv)
{
  enum { O_SPECIAL = 256, O_MATRIX };
  static const struct option lo[] = {
    { "tensor", 1, 0, 't' }, { "special", 1, 0, O_SPECIAL }, { "matrix", 1, 0, O_MATRIX }, { "max-memory", 1, 0, PLM_OPT_MAX_MEMORY },
    { "help", 0, 0, 'h' }, { "version", 0, 0, 'V' }, { 0, 0, 0, 0 }
  };
  opts        o = { NULL, "attentions", NULL, "-", 0 };
  plm_aapair *ap = NULL;
  int        *lid = NULL, *hid = NULL, c;
  char        errbuf[PLM_ERRBUFSIZE];

  plm_cli_Init();
  while ((c = getopt_long(argc, argv, "t:hV", lo, NULL)) != -1)
    switch (c) {
    case 't': o.tensor = optarg; break;
    case O_SPECIAL: o.special = optarg; break;
    case O_MATRIX: o.matrix = optarg; break;
    case PLM_OPT_MAX_MEMORY: o.max_memory = plm_cli_Size(TOOL, "--max-memory", optarg); break;
    case 'h': fputs(usage, stdout); return 0;
    case 'V': plm_cli_Version(TOOL);
    default:  plm_cli_Usage(TOOL, "unknown option");
    }
  if (argc - optind > 1) plm_cli_Usage(TOOL, "at most one input stream");
  if (optind < argc) o.file = argv[optind];
  if (accumulate(&o, &ap, &lid, &hid, errbuf) != PLM_OK || report(&o, ap, lid, hid, errbuf) != PLM_OK) {
    plm_aapair_Destroy(ap); free(lid); free(hid);
    plm_cli_Die(TOOL, "%s", errbuf);
  }
  plm_aapair_Destroy(ap);
  free(lid);
  free(hid);
  return 0;
}
