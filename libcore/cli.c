/* cli.c: what every tool's main() shares (see cli.h). */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "config.h"
#include "cli.h"
#include "error.h"
#include "backend_opencl.h"

static int already_reported;   /* a one-line error was printed: do not add a second */

/* At exit, output still buffered is written and any failed write to stdout (a full disk, an
 * I/O error) becomes one line on stderr and exit status 1, whichever tool and code path wrote
 * it: without this, "headstat > /dev/full" exited 1 in silence, and a tool that ignored
 * fwrite's result exited 0. A reader that quits still ends us by SIGPIPE, silently. */
static void
check_stdout(void)
{
  int failed = fflush(stdout) != 0 || ferror(stdout);
  int err    = errno;

  if (!failed || already_reported) return;
  fprintf(stderr, "%s: stdout: write failed: %s\n", program_invocation_short_name,
          err ? strerror(err) : "I/O error");
  _exit(1);
}

void plm_cli_Init(void) { signal(SIGPIPE, SIG_DFL); atexit(check_stdout); }

void
plm_cli_Die(const char *tool, const char *fmt, ...)
{
  va_list ap;
  fflush(stdout);
  already_reported = 1;
  fprintf(stderr, "%s: ", tool);
  va_start(ap, fmt); vfprintf(stderr, fmt, ap); va_end(ap);
  fputc('\n', stderr);
  exit(1);
}

void
plm_cli_Usage(const char *tool, const char *fmt, ...)
{
  va_list ap;
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
