/* potts.c: fit a Potts model to an alignment by pseudolikelihood; score couplings.
 *
 *   seqread aln.a3m | potts [options] > contacts.tsr
 *   potts -o contacts.tsr [--resume] fam1.tsr fam2.tsr ...     (one family per STREAM)
 *
 * Reads every record of one alignment stream (each record's aligned row, or
 * its sequence when it has none), keeps the columns where the focus record
 * (the first, or --focus ID) has a residue, fits the model of libcore/analysis/potts.h
 * with L-BFGS, and writes the focus record, its sequence cut to those
 * columns, with tensors "contacts" (APC-corrected Frobenius norms, f32 L x L)
 * and "potts_fn" (the raw norms). Text exits: plmc's couplings file, the
 * GREMLIN L x L matrix, CASP RR and plmc's weights file (one family only). Over many
 * families the output holds one record per STREAM, in order; -o FILE --resume keeps the
 * families a cut run finished (libcore/app/resume.h). The presets and every convention are in
 * man/man1/potts.1.
 *
 *   main(), family()  options; per family: read, fit, write
 *   read_alignment() / encode()    records -> focus columns -> codes
 *   write_*()       the text formats
 */
#include <ctype.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cli.h"
#include "error.h"
#include "lbfgs.h"
#include "membudget.h"
#include "potts.h"
#include "progress.h"
#include "record.h"
#include "resume.h"
#include "rr.h"
#include "stream.h"

#define TOOL "potts"

static const char usage[] =
  "Usage: potts [options] [STREAM...]\n"
  "Fit a Potts model to the alignment in each STREAM (one family each; stdin if none) by\n"
  "pseudolikelihood and write its focus record with tensors 'contacts' (APC) and 'potts_fn'\n"
  "(raw norms): one record per STREAM, in order.\n"
  "\n"
  "      --preset NAME      gremlin (default) or plmc: sets every option below\n"
  "      --focus ID         focus record (default: the first); 'ID' or 'ID/start-end'\n"
  "      --theta X          identity for neighbours in the sequence weights\n"
  "      --lambda-h X       L2 penalty on fields\n"
  "      --lambda-J X       L2 penalty on couplings\n"
  "      --lambda-J-scaled X  the same, times (L-1)(q-1)\n"
  "      --gaps MODE        state (gap is a 21st state) or ignore (gaps are missing data)\n"
  "      --unknown MODE     X, B, Z and other letters: gap, or drop the sequence\n"
  "      --max-gaps X       leave out columns with at least this fraction of gaps (1: none)\n"
  "      --gauge MODE       zero-sum or none, before the Frobenius norm\n"
  "      --apc MODE         offdiag (plmc) or full (GREMLIN: means over L x L, zero diagonal)\n"
  "      --iters N          L-BFGS iterations (0: until converged)\n"
  "      --eps X            stop when |g| / max(1, |x|) < X (0: never)\n"
  "      --threads N        threads for the gradient (default: online CPUs, at most 8)\n"
  "  -o, --output FILE      the record stream (default: stdout)\n"
  "      --resume           with -o: keep the families a cut run finished (their focus ids\n"
  "                         must match), fit the rest\n"
  "      --tsv FILE         plmc couplings: 'i A_i j A_j 0 score'\n"
  "      --matrix FILE      GREMLIN: L x L APC scores\n"
  "      --rr FILE          CASP RR, pairs with |i-j| >= --min-sep, best first\n"
  "      --min-sep N        least |i-j| in --rr (default 6, as plmstream rr; 1: all pairs)\n"
  "      --weights FILE     one sequence weight per input record (0: dropped)\n"
  "                         (--tsv, --matrix, --rr, --weights: one STREAM only)\n"
  "  -v, --verbose          the fit's iterations on stderr\n"
  "      --progress         a progress line on stderr (families, iterations) even when it is\n"
  "                         not a terminal\n"
  "      --quiet            no progress line (default when stderr is not a terminal)\n"
  "      --max-memory SIZE  most memory to hold (K, M, G; default: what is free at the start)\n"
  "                         a record that would need more is refused, naming it\n"
  "  -h, --help             this text;  -V, --version\n";

typedef struct {
  const char *preset, *focus, *output, *tsv, *matrix, *rr, *weights;
  char      **inputs;       int ninputs;   /* one family each */
  int         resume, progress;            /* --resume; PLM_PROGRESS_AUTO, _ON, _OFF */
  double theta, lambda_h, lambda_J, max_gaps, eps;
  int    lambda_J_scaled, gap_state, unknown_gap, zero_sum, apc_diag, iters, threads, verbose, minsep;
  plm_potts_idrule idrule;
  size_t           max_memory;   /* --max-memory, bytes (0: membudget.h's default) */
} opts;

/* the alignment as the fit sees it */
typedef struct {
  plm_record **recs;     int nrec;
  int          focus;                /* index into recs */
  int          ncol;                 /* aligned columns */
  int         *fcol;     int Lf;     /* focus columns (aligned index) */
  int         *mcol;     int Lm;     /* modelled columns (index into fcol) */
  uint8_t     *x;        int N;      /* N x Lm codes */
  int         *row;                  /* N: record index of each row */
  double      *w, neff;
} alignment;

static void
set_preset(opts *o, const char *name)
{
  o->preset = name;
  o->theta = 0.8; o->lambda_h = 0.01; o->zero_sum = 0; o->eps = 0;
  if (!strcmp(name, "plmc")) {          /* plmc -le 16.0 -lh 0.01 -m 100 -g, as in its README */
    o->idrule = PLM_POTTS_ID_PLMC; o->lambda_J = 16.0; o->lambda_J_scaled = 0;
    o->gap_state = 0; o->unknown_gap = 0; o->max_gaps = 1.0; o->apc_diag = 0;
    o->iters = 100; o->eps = 1e-3;
  } else if (!strcmp(name, "gremlin")) { /* GREMLIN 2.01's (GREMLIN_CPP's, without its gap-column cut) */
    o->idrule = PLM_POTTS_ID_GREMLIN; o->lambda_J = 0.01; o->lambda_J_scaled = 1;
    o->gap_state = 1; o->unknown_gap = 1; o->max_gaps = 1.0; o->apc_diag = 1;
    o->iters = 100;
  } else plm_cli_Usage(TOOL, "unknown preset '%s' (gremlin or plmc)", name);
}

static int
pick(const char *s, const char *what, const char *a, const char *b)
{
  if (!strcmp(s, a)) return 1;
  if (!strcmp(s, b)) return 0;
  plm_cli_Usage(TOOL, "%s: '%s' is neither %s nor %s", what, s, a, b);
}

static void
parse_args(int argc, char **argv, opts *o)
{
  enum { O_LH = 256, O_LJ, O_LJS, O_GAPS, O_UNK, O_MAXG, O_GAUGE, O_APC, O_EPS, O_TSV, O_MAT, O_RR, O_W, O_VER, O_MINSEP,
         O_RESUME, O_PROGRESS, O_QUIET };
  static char *stdin_only[] = { "-" };
  static const struct option lopts[] = {
    { "preset", 1, 0, 'p' }, { "focus", 1, 0, 'f' }, { "theta", 1, 0, 't' },
    { "lambda-h", 1, 0, O_LH }, { "lambda-J", 1, 0, O_LJ }, { "lambda-J-scaled", 1, 0, O_LJS },
    { "gaps", 1, 0, O_GAPS }, { "unknown", 1, 0, O_UNK }, { "max-gaps", 1, 0, O_MAXG },
    { "gauge", 1, 0, O_GAUGE }, { "apc", 1, 0, O_APC }, { "iters", 1, 0, 'm' }, { "eps", 1, 0, O_EPS },
    { "threads", 1, 0, 'j' }, { "output", 1, 0, 'o' }, { "tsv", 1, 0, O_TSV }, { "matrix", 1, 0, O_MAT },
    { "max-memory", 1, 0, PLM_OPT_MAX_MEMORY },
    { "rr", 1, 0, O_RR }, { "weights", 1, 0, O_W }, { "min-sep", 1, 0, O_MINSEP }, { "verbose", 0, 0, 'v' }, { "help", 0, 0, 'h' },
    { "version", 0, 0, O_VER }, { "resume", 0, 0, O_RESUME }, { "progress", 0, 0, O_PROGRESS }, { "quiet", 0, 0, O_QUIET },
    { 0, 0, 0, 0 }
  };
  long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
  int  c;

  /* the preset goes first, whatever its place, so every other option overrides it */
  set_preset(o, "gremlin");
  for (int i = 1; i < argc - 1; i++)
    if (!strcmp(argv[i], "--preset")) set_preset(o, argv[i + 1]);
    else if (!strncmp(argv[i], "--preset=", 9)) set_preset(o, argv[i] + 9);
  o->threads = ncpu < 1 ? 1 : ncpu > 8 ? 8 : (int)ncpu;
  o->output = "-";
  o->minsep = PLM_RR_MINSEP;
  o->progress = PLM_PROGRESS_AUTO;
  while ((c = getopt_long(argc, argv, "j:o:vhV", lopts, NULL)) != -1) {
    switch (c) {
    case 'p': break;  /* --preset: applied above */
    case 'f': o->focus = optarg; break;
    case 't': o->theta = plm_cli_Number(TOOL, "--theta", optarg, 0, 1); break;
    case O_LH: o->lambda_h = plm_cli_Number(TOOL, "--lambda-h", optarg, 0, 1e12); break;
    case O_LJ: o->lambda_J = plm_cli_Number(TOOL, "--lambda-J", optarg, 0, 1e12); o->lambda_J_scaled = 0; break;
    case O_LJS: o->lambda_J = plm_cli_Number(TOOL, "--lambda-J-scaled", optarg, 0, 1e12); o->lambda_J_scaled = 1; break;
    case O_GAPS: o->gap_state = pick(optarg, "--gaps", "state", "ignore"); break;
    case O_UNK: o->unknown_gap = pick(optarg, "--unknown", "gap", "drop"); break;
    case O_MAXG: o->max_gaps = plm_cli_Number(TOOL, "--max-gaps", optarg, 0, 1); break;
    case O_GAUGE: o->zero_sum = pick(optarg, "--gauge", "zero-sum", "none"); break;
    case O_APC: o->apc_diag = pick(optarg, "--apc", "full", "offdiag"); break;
    case 'm': o->iters = (int)plm_cli_Number(TOOL, "--iters", optarg, 0, 1e6); break;
    case O_EPS: o->eps = plm_cli_Number(TOOL, "--eps", optarg, 0, 1); break;
    case 'j':  /* -j: the old spelling of --threads, kept as an alias */
      o->threads = (int)plm_cli_Number(TOOL, "--threads", optarg, 1, 64); break;
    case 'o': o->output = optarg; break;
    case O_TSV: o->tsv = optarg; break;
    case O_MAT: o->matrix = optarg; break;
    case O_RR: o->rr = optarg; break;
    case O_MINSEP: o->minsep = (int)plm_cli_Number(TOOL, "--min-sep", optarg, 1, 1e9); break;
    case O_W: o->weights = optarg; break;
    case 'v': o->verbose = 1; break;
    case PLM_OPT_MAX_MEMORY: o->max_memory = plm_cli_Size(TOOL, "--max-memory", optarg); break;
    case O_RESUME: o->resume = 1; break;
    case O_PROGRESS: o->progress = PLM_PROGRESS_ON; break;
    case O_QUIET: o->progress = PLM_PROGRESS_OFF; break;
    case 'h': fputs(usage, stdout); exit(0);
    case O_VER:
    case 'V': plm_cli_Version(TOOL);
    default: plm_cli_Usage(TOOL, "bad option");
    }
  }
  o->inputs  = optind < argc ? argv + optind : stdin_only;
  o->ninputs = optind < argc ? argc - optind : 1;
  int nstdout = !strcmp(o->output, "-"), ntext = 0;
  const char *text[] = { o->tsv, o->matrix, o->rr, o->weights };
  for (int i = 0; i < 4; i++) { nstdout += text[i] && !strcmp(text[i], "-"); ntext += text[i] != NULL; }
  if (nstdout > 1) plm_cli_Usage(TOOL, "only one output can go to stdout: give -o FILE");
  if (ntext && o->ninputs > 1)
    plm_cli_Usage(TOOL, "--tsv, --matrix, --rr and --weights describe one family: with several STREAMs, use the output stream (plmstream rr)");
  if (o->resume && !strcmp(o->output, "-")) plm_cli_Usage(TOOL, "--resume needs -o FILE, the output a cut run left");
}

/* ------------------------------------------------------------------ input */

static const char *row_of(const plm_record *r) { return r->aligned ? r->aligned : r->seq; }

/* "ID" names the record "ID" or "ID/start-end" */
static int
focus_matches(const char *id, const char *want)
{
  size_t n = strlen(want);
  return !strncmp(id, want, n) && (id[n] == '\0' || id[n] == '/');
}

static int
read_alignment(const char *path, const char *focus, size_t max_memory, alignment *A, char *errbuf)
{
  plm_streamreader *r = NULL;
  plm_record       *rec = NULL;
  int               status, cap = 0;

  A->focus = -1;
  PLM_XCHECK(plm_stream_OpenRead(path, &r, errbuf));
  plm_stream_SetMaxMemory(r, max_memory);
  while ((status = plm_stream_Read(r, &rec, errbuf)) == PLM_OK) {
    if (A->nrec == cap) {
      plm_record **tmp = realloc(A->recs, (size_t)(cap = cap ? 2 * cap : 256) * sizeof *tmp);
      if (!tmp) PLM_XFAIL(PLM_EMEM, errbuf, "out of memory after %d records", A->nrec);
      A->recs = tmp;
    }
    int len = (int)strlen(row_of(rec));
    if (A->nrec == 0) A->ncol = len;
    else if (len != A->ncol)
      PLM_XFAIL(PLM_EFORMAT, errbuf, "%s: record %d (\"%s\"): %d columns, the first record has %d",
                plm_cli_InputName(path), A->nrec + 1, rec->id, len, A->ncol);
    if (A->focus < 0 && (!focus || focus_matches(rec->id, focus))) A->focus = A->nrec;
    A->recs[A->nrec++] = rec;
    rec = NULL;
  }
  if (status != PLM_EOF) goto ERROR;
  if (A->nrec == 0) PLM_XFAIL(PLM_EFORMAT, errbuf, "%s: no records", plm_cli_InputName(path));
  if (A->focus < 0) PLM_XFAIL(PLM_ENOTFOUND, errbuf, "%s: no record named '%s'", plm_cli_InputName(path), focus);
  status = PLM_OK;

ERROR:
  plm_record_Destroy(rec);
  if (r) plm_stream_CloseRead(r);
  return status;
}

/* focus columns, codes (dropping or gapping unknown letters), then the gap-fraction filter */
static int
encode(const opts *o, alignment *A, char *errbuf)
{
  const char *frow = row_of(A->recs[A->focus]);
  int        *gaps = NULL, status;

  if (!(A->fcol = malloc((size_t)A->ncol * sizeof *A->fcol)) || !(A->mcol = malloc((size_t)A->ncol * sizeof *A->mcol)) ||
      !(A->row = malloc((size_t)A->nrec * sizeof *A->row)) || !(gaps = calloc((size_t)A->ncol, sizeof *gaps)) ||
      !(A->x = malloc((size_t)A->nrec * (A->ncol ? A->ncol : 1))))
    PLM_XFAIL(PLM_EMEM, errbuf, "out of memory for %d x %d alignment", A->nrec, A->ncol);
  for (int c = 0; c < A->ncol; c++)
    if (plm_potts_Code(frow[c]) != PLM_POTTS_GAP) A->fcol[A->Lf++] = c;
  for (int n = 0; n < A->nrec; n++) {
    const char *s = row_of(A->recs[n]);
    uint8_t    *dst = A->x + (size_t)A->N * A->Lf;
    int         ok = 1;
    for (int k = 0; k < A->Lf && ok; k++) {
      int code = plm_potts_Code(s[A->fcol[k]]);
      if (code < 0 && !o->unknown_gap) ok = 0;
      dst[k] = (uint8_t)(code < 0 ? PLM_POTTS_GAP : code);
    }
    if (!ok) continue;
    for (int k = 0; k < A->Lf; k++) gaps[k] += dst[k] == PLM_POTTS_GAP;
    A->row[A->N++] = n;
  }
  if (A->N == 0) PLM_XFAIL(PLM_EFORMAT, errbuf, "every sequence has letters outside '%s'", PLM_POTTS_ALPHABET);
  /* GREMLIN keeps a column while (int)(N * max_gaps) > gaps */
  int limit = o->max_gaps >= 1.0 ? A->N + 1 : (int)(A->N * o->max_gaps);
  for (int k = 0; k < A->Lf; k++)
    if (gaps[k] < limit) A->mcol[A->Lm++] = k;
  if (A->Lm < 2) PLM_XFAIL(PLM_EFORMAT, errbuf, "fewer than 2 columns to model (%d focus columns)", A->Lf);
  for (int n = 0; n < A->N; n++)           /* compact N x Lf to N x Lm in place */
    for (int m = 0; m < A->Lm; m++) A->x[(size_t)n * A->Lm + m] = A->x[(size_t)n * A->Lf + A->mcol[m]];
  status = PLM_OK;

ERROR:
  free(gaps);
  return status;
}

static void
alignment_Free(alignment *A)
{
  for (int n = 0; n < A->nrec; n++) plm_record_Destroy(A->recs[n]);
  free(A->recs); free(A->fcol); free(A->mcol); free(A->x); free(A->row); free(A->w);
}

/* ---------------------------------------------------------------- fitting */

/* who hears of each iteration: plm_potts_Fit hands the callback its own state as ctx, so the
 * tool's listeners live here (one fit at a time) */
static struct { int verbose; plm_progress *prog; const char *id; } watch;

static void
progress(void *ctx, int iter, double f, double gnorm, double xnorm)
{
  (void)ctx;
  if (watch.verbose) fprintf(stderr, TOOL ": iter %d  f %.6g  |g| %.4g  |x| %.4g\n", iter, f, gnorm, xnorm);
  plm_progress_Note(watch.prog, "%.40s: iteration %d, f %.6g", watch.id, iter, f);
}

/* fit; fill Lf x Lf fn and apc, zero in left-out columns */
static int
fit(const opts *o, alignment *A, float *fn, float *apc, char *errbuf)
{
  plm_potts       *P = NULL;
  double          *x = NULL;
  float           *mfn = NULL, *mapc = NULL;
  plm_lbfgs_opts   lo;
  plm_lbfgs_result res;
  int              status, q = o->gap_state ? PLM_POTTS_NAA + 1 : PLM_POTTS_NAA, Lm = A->Lm;
  double           lJ = o->lambda_J_scaled ? o->lambda_J * (Lm - 1) * (q - 1) : o->lambda_J;

  if (!(A->w = malloc((size_t)A->N * sizeof *A->w))) PLM_XFAIL(PLM_EMEM, errbuf, "out of memory for weights");
  PLM_XCHECK(plm_potts_Weights(A->x, A->N, Lm, o->theta, o->idrule, A->w, &A->neff, errbuf));
  plm_potts_msa msa = { A->N, Lm, A->x, A->w };
  plm_lbfgs_Defaults(&lo);
  if (plm_mem_Check(plm_mem_Limit(o->max_memory), plm_potts_EstimateBytes(Lm, o->gap_state, o->threads, lo.m) +
                    2.0 * Lm * Lm * sizeof *mfn, errbuf) != PLM_OK) {
    char cause[PLM_ERRBUFSIZE];
    memcpy(cause, errbuf, sizeof cause);
    PLM_XFAIL(PLM_ELIMIT, errbuf, "the model of %d columns x %d letters %.300s", Lm, q, cause);
  }
  PLM_XCHECK(plm_potts_Create(&msa, o->gap_state, o->lambda_h, lJ, o->threads, &P, errbuf));
  if (!(x = malloc(plm_potts_Nparams(P) * sizeof *x)) || !(mfn = malloc((size_t)Lm * Lm * sizeof *mfn)) ||
      !(mapc = malloc((size_t)Lm * Lm * sizeof *mapc)))
    PLM_XFAIL(PLM_EMEM, errbuf, "out of memory for %zu parameters", plm_potts_Nparams(P));
  if (o->verbose)
    fprintf(stderr, TOOL ": preset %s: %d sequences (Neff %.1f), %d of %d focus columns, q %d, lambda_h %g, lambda_J %g\n",
            o->preset, A->N, A->neff, Lm, A->Lf, q, o->lambda_h, lJ);
  plm_potts_InitFields(P, x);
  lo.max_iter = o->iters; lo.eps = o->eps;
  PLM_XCHECK(plm_potts_Fit(P, x, &lo, o->verbose || watch.prog ? progress : NULL, &res, errbuf));
  if (o->verbose) fprintf(stderr, TOOL ": f %.6g after %d iterations, %d evaluations%s\n",
                          res.f, res.iters, res.nevals, res.converged ? " (converged)" : "");
  PLM_XCHECK(plm_potts_Scores(x, Lm, q, o->zero_sum, o->apc_diag, mfn, mapc, errbuf));
  memset(fn, 0, (size_t)A->Lf * A->Lf * sizeof *fn);
  memset(apc, 0, (size_t)A->Lf * A->Lf * sizeof *apc);
  for (int a = 0; a < Lm; a++)
    for (int b = 0; b < Lm; b++) {
      size_t k = (size_t)A->mcol[a] * A->Lf + A->mcol[b];
      fn[k] = mfn[(size_t)a * Lm + b];
      apc[k] = mapc[(size_t)a * Lm + b];
    }
  status = PLM_OK;

ERROR:
  plm_potts_Destroy(P);
  free(x); free(mfn); free(mapc);
  return status;
}

/* ----------------------------------------------------------------- output */

static int
open_text(const char *path, FILE **ret_fp, char *errbuf)
{
  *ret_fp = strcmp(path, "-") ? fopen(path, "w") : stdout;
  return *ret_fp ? PLM_OK : plm_Fail(errbuf, PLM_EIO, "%s: cannot open for writing", path);
}

static int
close_text(const char *path, FILE *fp, char *errbuf)
{
  int bad = ferror(fp);
  bad |= fp == stdout ? fflush(fp) : fclose(fp);
  return bad ? plm_Fail(errbuf, PLM_EIO, "%s: write failed", path) : PLM_OK;
}

/* plmc's numbering: the aligned column plus the start of an "ID/start-end" focus name, minus one */
static int
focus_start(const char *id)
{
  const char *slash = strrchr(id, '/');
  return slash && slash[1] >= '0' && slash[1] <= '9' ? atoi(slash + 1) : 1;
}

static int
write_tsv(const char *path, const alignment *A, const float *apc, char *errbuf)
{
  FILE       *fp;
  const char *frow = row_of(A->recs[A->focus]);
  int         start = focus_start(A->recs[A->focus]->id), status;

  PLM_XCHECK(open_text(path, &fp, errbuf));
  for (int a = 0; a < A->Lm; a++)
    for (int b = a + 1; b < A->Lm; b++) {
      int i = A->mcol[a], j = A->mcol[b], ci = A->fcol[i], cj = A->fcol[j];
      fprintf(fp, "%d %c %d %c 0 %f\n", ci + start, toupper((unsigned char)frow[ci]), cj + start,
              toupper((unsigned char)frow[cj]), apc[(size_t)i * A->Lf + j]);
    }
  status = close_text(path, fp, errbuf);
ERROR:
  return status;
}

static int
write_matrix(const char *path, const float *m, int L, char *errbuf)
{
  FILE *fp;
  int   status;
  PLM_XCHECK(open_text(path, &fp, errbuf));
  for (int i = 0; i < L; i++)
    for (int j = 0; j < L; j++) fprintf(fp, "%.8f%c", m[(size_t)i * L + j], j == L - 1 ? '\n' : ' ');
  status = close_text(path, fp, errbuf);
ERROR:
  return status;
}

static int
write_rr(const char *path, const plm_record *rec, const float *apc, int L, int minsep, char *errbuf)
{
  FILE *fp;
  int   status;
  PLM_XCHECK(open_text(path, &fp, errbuf));
  if ((status = plm_rr_Write(fp, rec->id, rec->seq, apc, L, minsep, -1, errbuf)) != PLM_OK) {
    if (fp != stdout) fclose(fp);
    goto ERROR;
  }
  status = close_text(path, fp, errbuf);
ERROR:
  return status;
}

/* plmc --save-weights: every input record in order, 0 for a dropped one */
static int
write_weights(const char *path, const alignment *A, char *errbuf)
{
  FILE *fp;
  int   status, k = 0;
  PLM_XCHECK(open_text(path, &fp, errbuf));
  for (int n = 0; n < A->nrec; n++) {
    double w = k < A->N && A->row[k] == n ? A->w[k++] : 0.0;
    fprintf(fp, "%.16e\n", w);
  }
  status = close_text(path, fp, errbuf);
ERROR:
  return status;
}

/* the focus record, cut to the focus columns, with both score tensors and its column map */
static int
write_record(plm_streamwriter *w, const alignment *A, float *fn, float *apc, char *errbuf)
{
  plm_record       *rec = A->recs[A->focus];
  plm_tensor       *t = NULL;
  const char       *frow = row_of(rec);
  char             *cut = NULL, neff[32];
  int64_t           shape[2] = { A->Lf, A->Lf };
  int               status;

  if (!(cut = malloc((size_t)A->Lf + 1))) PLM_XFAIL(PLM_EMEM, errbuf, "out of memory");
  for (int k = 0; k < A->Lf; k++) cut[k] = frow[A->fcol[k]];
  cut[A->Lf] = '\0';
  free(rec->seq); rec->seq = cut; cut = NULL;
  PLM_XCHECK(plm_record_SetAligned(rec, rec->seq, errbuf));
  snprintf(neff, sizeof neff, "%.2f", A->neff);
  PLM_XCHECK(plm_record_SetMeta(rec, "potts_neff", neff, errbuf));
  /* seqread's colmap (column of each residue of seq) must follow the cut */
  PLM_XCHECK(plm_tensor_Create("colmap", PLM_I32, 1, shape, &t, errbuf));
  for (int k = 0; k < A->Lf; k++) ((int32_t *)t->data)[k] = A->fcol[k];
  PLM_XCHECK(plm_record_AddTensor(rec, t, errbuf));
  t = NULL;
  const char  *names[2] = { "contacts", "potts_fn" };
  const float *src[2] = { apc, fn };
  for (int k = 0; k < 2; k++) {
    PLM_XCHECK(plm_tensor_Create(names[k], PLM_F32, 2, shape, &t, errbuf));
    memcpy(t->data, src[k], (size_t)A->Lf * A->Lf * sizeof(float));
    PLM_XCHECK(plm_record_AddTensor(rec, t, errbuf));
    t = NULL;
  }
  status = plm_stream_Write(w, rec, errbuf);

ERROR:
  plm_tensor_Destroy(t);
  free(cut);
  return status;
}

/* one family: read it; unless a resumed run kept it, fit it and write its record (and the text
 * outputs asked for); *ret_L its focus residues */
static int
family(const opts *o, const char *input, plm_resume *rs, plm_streamwriter *w, int *ret_L, char *errbuf)
{
  alignment A = { 0 };
  float    *fn = NULL, *apc = NULL;
  char      cause[PLM_ERRBUFSIZE];
  int       skip, status;

  *ret_L = 0;
  PLM_XCHECK(read_alignment(input, o->focus, o->max_memory, &A, errbuf));
  PLM_XCHECK(plm_resume_Skip(rs, plm_cli_InputName(input), A.focus + 1, A.recs[A.focus]->id, &skip, errbuf));
  if (skip) goto ERROR;
  if ((status = encode(o, &A, cause)) != PLM_OK) PLM_XFAIL(status, errbuf, "%s: %s", plm_cli_InputName(input), cause);
  if (!(fn = malloc((size_t)A.Lf * A.Lf * sizeof *fn)) || !(apc = malloc((size_t)A.Lf * A.Lf * sizeof *apc)))
    PLM_XFAIL(PLM_EMEM, errbuf, "out of memory for a %d x %d map", A.Lf, A.Lf);
  watch.id = A.recs[A.focus]->id;
  PLM_XCHECK(fit(o, &A, fn, apc, errbuf));
  if (o->weights) PLM_XCHECK(write_weights(o->weights, &A, errbuf));
  if (o->tsv)     PLM_XCHECK(write_tsv(o->tsv, &A, apc, errbuf));
  if (o->matrix)  PLM_XCHECK(write_matrix(o->matrix, apc, A.Lf, errbuf));
  PLM_XCHECK(write_record(w, &A, fn, apc, errbuf));
  if (o->rr)      PLM_XCHECK(write_rr(o->rr, A.recs[A.focus], apc, A.Lf, o->minsep, errbuf));
  *ret_L = A.Lf;

ERROR:
  watch.id = NULL;
  alignment_Free(&A);
  free(fn); free(apc);
  return status;
}

int
main(int argc, char **argv)
{
  opts              o = { 0 };
  plm_resume       *rs;
  plm_streamwriter *w;
  char              errbuf[PLM_ERRBUFSIZE];
  long long         total = 0, before = 0, nres = 0;
  int               f, L, status = PLM_OK;

  plm_cli_Init();
  parse_args(argc, argv, &o);
  if (plm_resume_OpenStream(TOOL, o.output, 6, o.resume, NULL, NULL, &rs, &w, errbuf) != PLM_OK) plm_cli_Die(TOOL, "%s", errbuf);
  for (f = 0; f < o.ninputs; f++) total += plm_progress_FileSize(o.inputs[f]);
  watch.verbose = o.verbose;
  watch.prog    = plm_progress_Create(TOOL, o.progress, total);
  for (f = 0; f < o.ninputs && status == PLM_OK; f++) {
    status = family(&o, o.inputs[f], rs, w, &L, errbuf);
    nres   += L;
    before += plm_progress_FileSize(o.inputs[f]);
    plm_progress_Update(watch.prog, f + 1, nres, total ? before : -1);
  }
  plm_progress_Finish(watch.prog);
  if (status == PLM_OK) status = plm_resume_Finish(rs, errbuf);
  else plm_resume_Abort(rs);
  if (status != PLM_OK) { plm_stream_AbortWrite(w); plm_cli_Die(TOOL, "%s", errbuf); }
  if (plm_stream_CloseWrite(w, errbuf) != PLM_OK) plm_cli_Die(TOOL, "%s", errbuf);
  return 0;
}
