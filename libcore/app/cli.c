/* cli.c: what every tool's main() shares (see cli.h). */
#include <errno.h>
#include <signal.h>
#include <unistd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "config.h"
#include "cli.h"
#include "error.h"
#include "backend_opencl.h"

static int error_reported;   /* plm_cli_Die or plm_cli_Usage spoke: the exit check stays quiet */

/* At exit, a write to stdout that failed (a full disk, /dev/full) is an error even where the tool
 * never looked: buffered output is only written now. One line, exit status 1 (gnulib's close_stdout). */
static void
close_stdout(void)
{
  int failed = fflush(stdout) != 0 || ferror(stdout);
  int err    = errno;
  if (fclose(stdout) != 0 && !failed) { failed = 1; err = errno; }
  if (failed && !error_reported) {
    fprintf(stderr, "%s: writing stdout failed: %s\n", program_invocation_short_name, strerror(err ? err : EIO));
    _exit(1);
  }
}

void
plm_cli_Init(void)
{
  signal(SIGPIPE, SIG_DFL);
  atexit(close_stdout);
}

void
plm_cli_Die(const char *tool, const char *fmt, ...)
{
  va_list ap;
  error_reported = 1;
  fflush(stdout);
  fprintf(stderr, "%s: ", tool);
  va_start(ap, fmt); vfprintf(stderr, fmt, ap); va_end(ap);
  fputc('\n', stderr);
  exit(1);
}

void
plm_cli_Usage(const char *tool, const char *fmt, ...)
{
  va_list ap;
  error_reported = 1;
  fprintf(stderr, "%s: ", tool);
  va_start(ap, fmt); vfprintf(stderr, fmt, ap); va_end(ap);
  fprintf(stderr, "\nTry '%s --help' for more information.\n", tool);
  exit(2);
}

void
plm_cli_Version(const char *tool)
{
  printf("%s (plmscope) %s\n", tool, PLM_VERSION);
  exit(0);
}

/* The whole argument must be the number: "3x" or "" is a typo, not 3 or 0. The range test is
 * written so that NaN fails it; integer options pass integral bounds and truncate. */
double
plm_cli_Number(const char *tool, const char *opt, const char *arg, double lo, double hi)
{
  char  *end;
  double x = strtod(arg, &end);
  if (end == arg || *end || !(x >= lo && x <= hi)) plm_cli_Usage(tool, "%s wants a number in [%g, %g], not '%s'", opt, lo, hi, arg);
  return x;
}

long
plm_cli_Integer(const char *tool, const char *opt, const char *arg, long lo, long hi)
{
  char *end;
  long  n = strtol(arg, &end, 10);
  if (end == arg || *end || n < lo || n > hi) plm_cli_Usage(tool, "%s wants an integer from %ld to %ld, not '%s'", opt, lo, hi, arg);
  return n;
}

const char *
plm_cli_Device(const char *tool, const char *arg, char *buf, size_t n)
{
  char errbuf[PLM_ERRBUFSIZE];
  int  p, d;

  if (plm_opencl_ParseDevice(arg, &p, &d, errbuf) != PLM_OK) plm_cli_Usage(tool, "--device: %s", errbuf);
  snprintf(buf, n, "opencl:%d:%d", p, d);
  return buf;
}

size_t
plm_cli_Size(const char *tool, const char *opt, const char *arg)
{
  char  *end;
  double x = strtod(arg, &end), mul = 1.0;

  switch (*end) {
  case 'K': case 'k': mul = 1024.0; end++; break;
  case 'M': case 'm': mul = 1024.0 * 1024.0; end++; break;
  case 'G': case 'g': mul = 1024.0 * 1024.0 * 1024.0; end++; break;
  }
  x *= mul;
  if (end == arg || *end || !(x >= 1.0 && x <= 1e15))
    plm_cli_Usage(tool, "%s wants a size in bytes (a number, optionally with K, M or G), not '%s'", opt, arg);
  return (size_t)x;
}

/* one name for standard input in every message, as the stream and sequence readers write it */
const char *
plm_cli_InputName(const char *path)
{
  return (!path || strcmp(path, "-") == 0) ? "stdin" : path;
}
