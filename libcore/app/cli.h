/* cli.h: what every tool's main() shares: fatal errors, --version, signals.
 *
 *   plm_cli_Init()     SIGPIPE to default, so "tool | head" ends quietly
 *   plm_cli_Die()      print "tool: message" on stderr, exit 1 (only mains call it)
 *   plm_cli_Usage()    print "tool: message" and "Try 'tool --help'", exit 2
 *   plm_cli_Version()  print "tool (plmscope) VERSION", exit 0
 *   plm_cli_Number()   an option's argument as a number in [lo, hi], or plm_cli_Usage()
 *   plm_cli_Integer()  an option's argument as an integer in [lo, hi], or plm_cli_Usage()
 *   plm_cli_Size()     an option's argument as bytes: a number with an optional K, M or G (powers of 1024)
 *   plm_cli_Device()   --device P:D -> the backend spec "opencl:P:D" written into buf, or plm_cli_Usage()
 *   plm_cli_InputName() an input path as messages name it: "stdin" for "-" (or none), else the path
 */
#ifndef PLM_CLI_H
#define PLM_CLI_H
#include <stddef.h>

void plm_cli_Init(void);
void plm_cli_Die(const char *tool, const char *fmt, ...) __attribute__((format(printf, 2, 3), noreturn));
void plm_cli_Usage(const char *tool, const char *fmt, ...) __attribute__((format(printf, 2, 3), noreturn));
void plm_cli_Version(const char *tool) __attribute__((noreturn));
double plm_cli_Number(const char *tool, const char *opt, const char *arg, double lo, double hi);
long   plm_cli_Integer(const char *tool, const char *opt, const char *arg, long lo, long hi);
size_t plm_cli_Size(const char *tool, const char *opt, const char *arg);
const char *plm_cli_Device(const char *tool, const char *arg, char *buf, size_t n);
const char *plm_cli_InputName(const char *path);

#endif
