/* mkmodel.c: write a seeded random ESM-2, ESM-1, MSA Transformer, ESM C or BERT model of any published shape, for benchmarks and tests.
 *
 *   mkmodel --shape esm2_t30_150M -o esm2_150M_random && attn -m esm2_150M_random ...
 *   mkmodel --arch bert --shape protbert -o protbert_random
 *
 * ESM-2: a HuggingFace EsmForMaskedLM folder (config.json + model.safetensors) with a random
 * contact head, so every attn(1) output works on it (plm_esm_WriteRandom, libcore/model/esm.c).
 * ESM-1: fair-esm's 'decoder.' keys in model.safetensors and its args in config.json, with a random
 * contact head (plm_esm1_WriteRandom).
 * MSA Transformer: the same, fair-esm's 'encoder.sentence_encoder.' keys with row and column swapped
 * as the published file stores them (plm_msa_WriteRandom, libcore/model/msa.c).
 * BERT: a HuggingFace BertForMaskedLM folder with vocab.txt (plm_bert_WriteRandom, libcore/model/bert.c).
 * ESM C: one .safetensors file under the published state dict's names (plm_esmc_WriteRandom, libcore/model/esmc.c).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "bert.h"
#include "cli.h"
#include "error.h"
#include "esm.h"
#include "esmc.h"
#include "msa.h"

#define TOOL "mkmodel"

static const char usage_text[] =
  "Usage: mkmodel [--arch esm2|esm1|msa|esmc|bert] --shape SHAPE [--seed N] -o DIR\n"
  "Write a random ESM-2, ESM-1, MSA Transformer or BERT (weights from a seeded generator)\n"
  "as a folder, or a random ESM C as one .safetensors file.\n"
  "\n"
  "  -a, --arch ARCH     esm2 (default), esm1, msa, esmc or bert\n"
  "  -s, --shape SHAPE   esm2: esm2_t6_8M, esm2_t12_35M, esm2_t30_150M, esm2_t33_650M,\n"
  "                      esm2_t36_3B, esm2_t48_15B; esm1: esm1_t6_43M, esm1_t12_85M,\n"
  "                      esm1_t34_670M; msa: esm_msa1b_t12_100M; esmc: esmc_300m, esmc_600m;\n"
  "                      bert: tape_bert_base, protbert;\n"
  "                      any: LAYERSxDIMxHEADS (e.g. 4x128x8; esmc: heads = DIM / 64)\n"
  "      --seed N        generator seed (default 1); the same seed gives the same bytes\n"
  "  -o, --output DIR    folder to write (created if absent); esmc: the .safetensors file\n"
  "  -h, --help          this text\n"
  "  -V, --version       version\n";

/* the published shapes of each architecture */
static const struct { const char *arch, *name; int layers, dim, heads; } shapes[] = {
  { "esm2", "esm2_t6_8M",     6,  320, 20 }, { "esm2", "esm2_t12_35M",  12,  480, 20 },
  { "esm2", "esm2_t30_150M", 30,  640, 20 }, { "esm2", "esm2_t33_650M", 33, 1280, 20 },
  { "esm2", "esm2_t36_3B",   36, 2560, 40 }, { "esm2", "esm2_t48_15B",  48, 5120, 40 },
  { "esm1", "esm1_t6_43M",    6,  768, 12 }, { "esm1", "esm1_t12_85M",  12,  768, 12 },
  { "esm1", "esm1_t34_670M", 34, 1280, 20 }, { "msa",  "esm_msa1b_t12_100M", 12, 768, 12 },
  { "esmc", "esmc_300m",     30,  960, 15 }, { "esmc", "esmc_600m",     36, 1152, 18 },
  { "bert", "tape_bert_base", 12, 768, 12 }, { "bert", "protbert",      30, 1024, 16 },
};

int
main(int argc, char **argv)
{
  static const struct option longopts[] = {
    { "arch", required_argument, 0, 'a' },   { "shape", required_argument, 0, 's' }, { "seed", required_argument, 0, 'S' },
    { "output", required_argument, 0, 'o' }, { "help", no_argument, 0, 'h' }, { "version", no_argument, 0, 'V' },
    { 0, 0, 0, 0 }
  };
  char               errbuf[PLM_ERRBUFSIZE], *end;
  const char        *arch = "esm2", *shape = NULL, *dir = NULL;
  unsigned long long seed = 1;
  int                layers = 0, dim = 0, heads = 0, c, used = 0, status;

  plm_cli_Init();
  while ((c = getopt_long(argc, argv, "a:s:o:hV", longopts, NULL)) != -1) {
    switch (c) {
    case 'a': arch = optarg; break;
    case 's': shape = optarg; break;
    case 'o': dir = optarg; break;
    case 'S':
      seed = strtoull(optarg, &end, 10);
      if (end == optarg || *end) plm_cli_Usage(TOOL, "--seed wants a number, not '%s'", optarg);
      break;
    case 'h': fputs(usage_text, stdout); return 0;
    case 'V': plm_cli_Version(TOOL);
    default:  plm_cli_Usage(TOOL, "unknown option");
    }
  }
  if (strcmp(arch, "esm2") != 0 && strcmp(arch, "esm1") != 0 && strcmp(arch, "msa") != 0 && strcmp(arch, "esmc") != 0 && strcmp(arch, "bert") != 0)
    plm_cli_Usage(TOOL, "--arch is esm2, esm1, msa, esmc or bert, not '%s'", arch);
  if (!shape || !dir) plm_cli_Usage(TOOL, "give --shape and -o DIR");
  if (optind < argc) plm_cli_Usage(TOOL, "unexpected argument '%s'", argv[optind]);
  for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++)
    if (strcmp(arch, shapes[i].arch) == 0 && strcmp(shape, shapes[i].name) == 0) { layers = shapes[i].layers; dim = shapes[i].dim; heads = shapes[i].heads; }
  if (!layers && (sscanf(shape, "%dx%dx%d%n", &layers, &dim, &heads, &used) != 3 || shape[used] != '\0'))
    plm_cli_Usage(TOOL, "unknown %s shape '%s'", arch, shape);
  if (strcmp(arch, "esmc") == 0 && heads * PLM_ESMC_HEAD_DIM != dim)
    plm_cli_Usage(TOOL, "ESM C has heads = width / 64: %d heads for width %d", dim / PLM_ESMC_HEAD_DIM, dim);
  if (strcmp(arch, "bert") == 0)      status = plm_bert_WriteRandom(dir, layers, dim, heads, (uint64_t)seed, errbuf);
  else if (strcmp(arch, "esm1") == 0) status = plm_esm1_WriteRandom(dir, layers, dim, heads, (uint64_t)seed, errbuf);
  else if (strcmp(arch, "msa") == 0)  status = plm_msa_WriteRandom(dir, layers, dim, heads, (uint64_t)seed, errbuf);
  else if (strcmp(arch, "esmc") == 0) status = plm_esmc_WriteRandom(dir, layers, dim, (uint64_t)seed, errbuf);
  else                                status = plm_esm_WriteRandom(dir, layers, dim, heads, (uint64_t)seed, errbuf);
  if (status != PLM_OK) plm_cli_Die(TOOL, "%s", errbuf);
  return 0;
}
