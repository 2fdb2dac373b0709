/* backend.c: choosing a backend by name, and the calls every backend shares (see backend.h).
 *
 *   plm_backend_Create() / plm_backend_Destroy() / plm_backend_Sync() / plm_backend_Names()
 *   plm_buf_Create() / plm_buf_Wrap() / plm_buf_Destroy()
 */
#include "config.h"
#include <stdlib.h>
#include <string.h>
#include "error.h"
#include "backend.h"

extern const plm_backend_ops plm_backend_cpu_ops;
#if PLM_HAVE_OPENCL
extern const plm_backend_ops plm_backend_opencl_ops;
static const plm_backend_ops *backends[] = { &plm_backend_cpu_ops, &plm_backend_opencl_ops };
const char *plm_backend_Names(void) { return "cpu, opencl"; }
#else
static const plm_backend_ops *backends[] = { &plm_backend_cpu_ops };
const char *plm_backend_Names(void) { return "cpu"; }
#endif
#define NBACKENDS (int)(sizeof backends / sizeof backends[0])

int
plm_backend_Create(const char *name, int nthreads, plm_backend **ret_be, char *errbuf)
{
  plm_backend *be = NULL;
  int          status, i;

  *ret_be = NULL;
  for (i = 0; i < NBACKENDS; i++) if (strcmp(backends[i]->name, name) == 0) break;
  if (i == NBACKENDS) PLM_XFAIL(PLM_ENOTFOUND, errbuf, "no backend '%s' (available: %s)", name, plm_backend_Names());
  if (nthreads < 1 || nthreads > 1024) PLM_XFAIL(PLM_EINVAL, errbuf, "thread count %d out of range 1..1024", nthreads);
  if ((be = calloc(1, sizeof *be)) == NULL) PLM_XFAIL(PLM_EMEM, errbuf, "out of memory");
  be->ops      = backends[i];
  be->nthreads = nthreads;
  PLM_XCHECK(be->ops->open(be, errbuf));
  *ret_be = be;
  return PLM_OK;

ERROR:
  free(be);
  return status;
}

void
plm_backend_Destroy(plm_backend *be)
{
  if (!be) return;
  be->ops->close(be);
  free(be);
}

int
plm_backend_Sync(plm_backend *be, char *errbuf)
{
  return be->ops->sync(be, errbuf);
}

int
plm_buf_Create(plm_backend *be, size_t n, plm_buf **ret_b, char *errbuf)
{
  return be->ops->buf_create(be, n, ret_b, errbuf);
}

int
plm_buf_Wrap(plm_backend *be, const float *host, size_t n, plm_buf **ret_b, char *errbuf)
{
  return be->ops->buf_wrap(be, host, n, ret_b, errbuf);
}

void
plm_buf_Destroy(plm_backend *be, plm_buf *b)
{
  if (b) be->ops->buf_destroy(be, b);
}
