/* membudget.h: how much memory a tool may hold, and whether a record's cost fits (--max-memory).
 *
 * A tool whose memory grows with its input estimates what a record will cost before allocating
 * it and refuses a record that would not fit, rather than meet the kernel's OOM killer. The
 * limit is the whole process: what it holds now (resident) plus the record's estimate.
 *
 *   plm_mem_Available()  bytes the machine can still give: MemAvailable (/proc/meminfo), or the
 *                        cgroup's limit less its usage where that is lower; 0 where unknown
 *   plm_mem_Resident()   the process's resident bytes now (/proc/self/statm)
 *   plm_mem_Limit()      --max-memory's value, or its default when 0: resident + available now
 *   plm_mem_Check()      resident + need within limit? else PLM_ELIMIT, and a cause naming the
 *                        estimate and the limit (the caller prefixes file and record)
 *   plm_mem_Format()     bytes as "1.5 GiB", "640 MiB", "12 KiB" into buf
 */
#ifndef PLM_MEMBUDGET_H
#define PLM_MEMBUDGET_H
#include <stddef.h>

/* getopt's code for --max-memory in every tool: above any tool's own codes (256 and up) */
#define PLM_OPT_MAX_MEMORY 0x4d4d

size_t plm_mem_Available(void);
size_t plm_mem_Resident(void);
size_t plm_mem_Limit(size_t opt);
int    plm_mem_Check(size_t limit, double need, char *errbuf);
char  *plm_mem_Format(double bytes, char *buf, size_t n);

#endif
