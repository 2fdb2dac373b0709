/* test.h: the unit-test protocol shared by every tests/unit driver.
 *
 * Each check prints one line, "PASS what", "FAIL what (file:line)" or
 * "SKIP what: why"; tests/run.sh counts them. main() returns test_done().
 */
#ifndef PLM_TEST_H
#define PLM_TEST_H
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

static int test_nfail = 0;

static void __attribute__((format(printf, 4, 5), unused))
test_report(int ok, const char *file, int line, const char *fmt, ...)
{
  va_list ap;
  fputs(ok ? "PASS " : "FAIL ", stdout);
  va_start(ap, fmt); vprintf(fmt, ap); va_end(ap);
  if (!ok) { printf(" (%s:%d)", file, line); test_nfail++; }
  putchar('\n');
  fflush(stdout);
}

static void __attribute__((format(printf, 1, 2), unused))
test_skip(const char *fmt, ...)
{
  va_list ap;
  fputs("SKIP ", stdout);
  va_start(ap, fmt); vprintf(fmt, ap); va_end(ap);
  putchar('\n');
}

#define TEST(cond, ...) test_report(!!(cond), __FILE__, __LINE__, __VA_ARGS__)
__attribute__((unused)) static int test_done(void) { return test_nfail ? 1 : 0; }

/* SHARED: the ../shared folder, from the environment (set by tests/run.sh) */
__attribute__((unused)) static const char *test_shared(void) { const char *s = getenv("SHARED"); return s ? s : "../shared"; }

#endif
