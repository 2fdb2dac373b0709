/* mkmodel.c: write a seeded random ESM-2 model of any published shape, for benchmarks and tests.
 *
 *   mkmodel --shape esm2_t30_150M -o esm2_150M_random && attn -m esm2_150M_random ...
 *
 * The folder is HuggingFace EsmForMaskedLM layout (config.json + model.safetensors) with a random
 * contact head, so every attn(1) output works on it. libcore/esm.c writes it (plm_esm_WriteRandom).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"
#include "error.h"
#include "esm.h"

#define TOOL "mkmodel"

static const char usage_text[] =
  "Usage: mkmodel --shape SHAPE [--seed N] -o DIR\n"
  "Write a random ESM-2 (weights from a seeded generator) as a HuggingFace folder.\n"
  "\n"
  "  -s, --shape SHAPE   esm2_t6_8M, esm2_t12_35M, esm2_t30_150M, esm2_t33_650M, esm2_t36_3B,\n"
  "                      esm2_t48_15B, or LAYERSxDIMxHEADS (e.g. 4x128x8)\n"
  "      --seed N        generator seed (default 1); the same seed gives the same bytes\n"
  "  -o, --output DIR    folder to write (created if absent)\n"
  "  -h, --help          this text\n"
  "      --version       version\n";

/* the published ESM-2 shapes */
static const struct { const char *name; int layers, dim, heads; } shapes[] = {
  { "esm2_t6_8M",    6,  320, 20 }, { "esm2_t12_35M", 12,  480, 20 }, { "esm2_t30_150M", 30,  640, 20 },
  { "esm2_t33_650M", 33, 1280, 20 }, { "esm2_t36_3B",  36, 2560, 40 }, { "esm2_t48_15B",  48, 5120, 40 },
};

int
main(int argc, char **argv)
{
  static const struct option longopts[] = {
    { "shape", required_argument, 0, 's' }, { "seed", required_argument, 0, 'S' },
    { "output", required_argument, 0, 'o' }, { "help", no_argument, 0, 'h' }, { "version", no_argument, 0, 'V' },
    { 0, 0, 0, 0 }
  };
  char               errbuf[PLM_ERRBUFSIZE], *end;
  const char        *shape = NULL, *dir = NULL;
  unsigned long long seed = 1;
  int                layers = 0, dim = 0, heads = 0, c, used = 0;

  plm_cli_Init();
  while ((c = getopt_long(argc, argv, "s:o:h", longopts, NULL)) != -1) {
    switch (c) {
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
  if (!shape || !dir) plm_cli_Usage(TOOL, "give --shape and -o DIR");
  if (optind < argc) plm_cli_Usage(TOOL, "unexpected argument '%s'", argv[optind]);
  for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++)
    if (strcmp(shape, shapes[i].name) == 0) { layers = shapes[i].layers; dim = shapes[i].dim; heads = shapes[i].heads; }
  if (!layers && (sscanf(shape, "%dx%dx%d%n", &layers, &dim, &heads, &used) != 3 || shape[used] != '\0'))
    plm_cli_Usage(TOOL, "unknown shape '%s'", shape);
  if (plm_esm_WriteRandom(dir, layers, dim, heads, (uint64_t)seed, errbuf) != PLM_OK) plm_cli_Die(TOOL, "%s", errbuf);
  return 0;
}
