/* membudget.c: the memory a tool may hold, from the machine and its cgroup (see membudget.h).
 *
 * Contents: /proc and cgroup readers, Available, Resident, Limit, Check, Format.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "error.h"
#include "membudget.h"
#include "tensor.h"

/* the first number in a file, or -1 (unreadable, "max") */
static double
file_number(const char *path)
{
  FILE  *fp = fopen(path, "r");
  double v;
  int    ok;

  if (!fp) return -1.0;
  ok = fscanf(fp, "%lf", &v) == 1;
  fclose(fp);
  return ok ? v : -1.0;
}

/* MemAvailable in bytes, or -1 */
static double
meminfo_available(void)
{
  FILE  *fp = fopen("/proc/meminfo", "r");
  char   line[256];
  double kb = -1.0;

  if (!fp) return -1.0;
  while (fgets(line, sizeof line, fp))
    if (sscanf(line, "MemAvailable: %lf kB", &kb) == 1) break;
  fclose(fp);
  return kb >= 0.0 ? kb * 1024.0 : -1.0;
}

/* what the process's cgroup can still give (its limit less its usage), or -1 where there is no
 * limit; v2 (memory.max, memory.current) and v1 (memory.limit_in_bytes, memory.usage_in_bytes),
 * as a container mounts them at the root of /sys/fs/cgroup */
static double
cgroup_room(void)
{
  static const char *const pair[][2] = {
    { "/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory.current" },
    { "/sys/fs/cgroup/memory/memory.limit_in_bytes", "/sys/fs/cgroup/memory/memory.usage_in_bytes" },
  };
  for (size_t i = 0; i < sizeof pair / sizeof pair[0]; i++) {
    double max = file_number(pair[i][0]), used = file_number(pair[i][1]);
    if (max > 0.0 && max < 1e18 && used >= 0.0) return max > used ? max - used : 0.0;   /* v1 says "no limit" as ~2^63 */
  }
  return -1.0;
}

size_t
plm_mem_Available(void)
{
  double avail = meminfo_available(), room = cgroup_room();

  if (room >= 0.0 && (avail < 0.0 || room < avail)) avail = room;
  return avail > 0.0 ? (size_t)avail : 0;
}

size_t
plm_mem_Resident(void)
{
  double pages = -1.0, rss = -1.0;
  FILE  *fp = fopen("/proc/self/statm", "r");

  if (fp) { if (fscanf(fp, "%lf %lf", &pages, &rss) != 2) rss = -1.0; fclose(fp); }
  return rss > 0.0 ? (size_t)(rss * (double)sysconf(_SC_PAGESIZE)) : 0;
}

size_t
plm_mem_Limit(size_t opt)
{
  size_t avail;

  if (opt) return opt;
  avail = plm_mem_Available();
  return avail ? plm_mem_Resident() + avail : (size_t)-1;   /* unknown (no /proc): no limit */
}

int
plm_mem_Check(size_t limit, double need, char *errbuf)
{
  char   a[32], b[32], c[32];
  double held = (double)plm_mem_Resident();

  if (held + need <= (double)limit) return PLM_OK;
  if (plm_tensor_KeptBytes() > 0) {          /* freed tensors kept for reuse go before a refusal */
    plm_tensor_DropKept();
    held = (double)plm_mem_Resident();
    if (held + need <= (double)limit) return PLM_OK;
  }
  return plm_Fail(errbuf, PLM_ELIMIT, "needs about %s (estimate) on top of the %s held, more than the %s limit (--max-memory)",
                  plm_mem_Format(need, a, sizeof a), plm_mem_Format(held, b, sizeof b), plm_mem_Format((double)limit, c, sizeof c));
}

char *
plm_mem_Format(double bytes, char *buf, size_t n)
{
  static const char *const unit[] = { "bytes", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
  int u = 0;

  while (bytes >= 1024.0 && u < 6) { bytes /= 1024.0; u++; }
  if (u == 0) snprintf(buf, n, "%.0f bytes", bytes);
  else        snprintf(buf, n, "%.*f %s", bytes < 10.0 ? 1 : 0, bytes, unit[u]);
  return buf;
}
