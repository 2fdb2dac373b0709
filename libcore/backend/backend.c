/* backend.c: choosing a backend by name, and the calls every backend shares (see backend.h).
 *
 *   plm_backend_Create() / plm_backend_CreateOrCpu() / plm_backend_Destroy() / plm_backend_Sync() / plm_backend_Names()
 *   plm_backend_Default()  $PLMSCOPE_BACKEND, else "auto"
 *   resolve_auto()         "auto" -> "opencl:P:D" of the first GPU, else "cpu"
 *   plm_backend_SetWeights() / plm_backend_CopiesWeights() / plm_backend_HalfMisused()
 *   plm_buf_Create() / plm_buf_Wrap() / plm_buf_WrapWeight() / plm_buf_Destroy()
 */
#include "config.h"
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include "error.h"
#include "tensor.h"
#include "backend.h"
#include "backend_opencl.h"

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

const char *
plm_backend_Default(void)
{
  const char *env = getenv(PLM_BACKEND_ENV);
  return env && *env ? env : "auto";
}

/* "auto" is the GPU where one exists: OpenCL when $PLMSCOPE_OPENCL_DEVICE names a device (the
 * user chose it) or when some platform offers a GPU; else the CPU, whose backend outruns an OpenCL
 * implementation on the same CPU (pocl). Nothing here is an error: no OpenCL means the CPU */
static void
resolve_auto(char *spec, size_t n)
{
  plm_opencl_device *dev = NULL;
  const char        *env = getenv(PLM_OPENCL_DEVICE_ENV);
  char               ignored[PLM_ERRBUFSIZE];
  int                ndev = 0;

  snprintf(spec, n, "cpu");
  if (env && *env) { snprintf(spec, n, "opencl"); return; }
  if (plm_opencl_Devices(&dev, &ndev, ignored) != PLM_OK) return;
  for (int i = 0; i < ndev; i++)
    if (dev[i].is_gpu) { snprintf(spec, n, "opencl:%d:%d", dev[i].platform, dev[i].device); break; }
  free(dev);
}

/* spec is NAME or NAME:DEVICE, or "auto"; the backend's open reads DEVICE (be->device) */
int
plm_backend_Create(const char *spec, int nthreads, plm_backend **ret_be, char *errbuf)
{
  plm_backend *be = NULL;
  char         chosen[64];
  size_t       n;
  int          status, i;

  *ret_be = NULL;
  if (strcmp(spec, "auto") == 0) {
    resolve_auto(chosen, sizeof chosen);
    spec = chosen;
  }
  n = strcspn(spec, ":");
  for (i = 0; i < NBACKENDS; i++) if (strlen(backends[i]->name) == n && strncmp(backends[i]->name, spec, n) == 0) break;
  /* unavailable rather than unknown, so that CreateOrCpu falls back */
  if (i == NBACKENDS && n == 6 && strncmp(spec, "opencl", 6) == 0)
    PLM_XFAIL(PLM_EUNSUP, errbuf, "plmscope was built without OpenCL (./configure found no OpenCL ICD loader or CLBlast)");
  if (i == NBACKENDS) PLM_XFAIL(PLM_ENOTFOUND, errbuf, "no backend '%.*s' (available: auto, %s)", (int)n, spec, plm_backend_Names());
  if (spec[n] && backends[i] == &plm_backend_cpu_ops) PLM_XFAIL(PLM_EINVAL, errbuf, "backend 'cpu' takes no device ('%s')", spec);
  if (nthreads < 1 || nthreads > 1024) PLM_XFAIL(PLM_EINVAL, errbuf, "thread count %d out of range 1..1024", nthreads);
  if ((be = calloc(1, sizeof *be)) == NULL) PLM_XFAIL(PLM_EMEM, errbuf, "out of memory");
  be->ops      = backends[i];
  be->nthreads = nthreads;
  be->device   = spec[n] ? spec + n + 1 : NULL;
  PLM_XCHECK(be->ops->open(be, errbuf));
  be->device   = NULL;
  *ret_be = be;
  return PLM_OK;

ERROR:
  free(be);
  return status;
}

/* PLM_EUNSUP is "cannot run here" (no platform or device, kernels that do not build, a build
 * without OpenCL): the CPU can still do the work. Any other failure (an unknown name, a
 * malformed device) is the user's to fix, so it stays an error. note: "" or why the CPU runs */
int
plm_backend_CreateOrCpu(const char *spec, int nthreads, plm_backend **ret_be, char *note, char *errbuf)
{
  int status;

  note[0] = '\0';
  if ((status = plm_backend_Create(spec, nthreads, ret_be, errbuf)) != PLM_EUNSUP) return status;
  snprintf(note, PLM_ERRBUFSIZE, "%.400s; using the CPU backend", errbuf);
  return plm_backend_Create("cpu", nthreads, ret_be, errbuf);
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

int
plm_backend_SetWeights(plm_backend *be, plm_dtype dt, char *errbuf)
{
  if (dt != PLM_F32 && dt != PLM_F16)
    return plm_Fail(errbuf, PLM_EINVAL, "weight precision %s is not supported (f32, f16)", plm_dtype_Name(dt));
  be->weights = dt;
  return PLM_OK;
}

int
plm_backend_HalfMisused(plm_backend *be, const char *op, const plm_buf *const *b, size_t n)
{
  for (size_t i = 0; i < n; i++)
    if (b[i] && be->ops->buf_is_half(b[i])) {
      if (be->status == PLM_OK)
        be->status = plm_Fail(be->errmsg, PLM_EINVAL, "%s: a half-precision weight is valid only as W of plm_op_Linear", op);
      return 1;
    }
  return 0;
}

int
plm_backend_CopiesWeights(const plm_backend *be)
{
  return be->weights == PLM_F16 || !be->ops->borrows;
}

/* rounded here, once for every backend; each backend then keeps its own copy of the halves */
int
plm_buf_WrapWeight(plm_backend *be, const float *host, size_t n, plm_buf **ret_b, char *errbuf)
{
  uint16_t *half;
  int       status;

  if (be->weights == PLM_F32) return be->ops->buf_wrap(be, host, n, ret_b, errbuf);
  *ret_b = NULL;
  if (n > SIZE_MAX / sizeof *half || (half = malloc(sizeof *half * (n ? n : 1))) == NULL)
    return plm_Fail(errbuf, PLM_EMEM, "out of memory for %zu half-precision weights", n);
  plm_f32_ToF16Array(host, half, n);
  status = be->ops->buf_wrap_half(be, half, n, ret_b, errbuf);
  free(half);
  return status;
}

void
plm_buf_Destroy(plm_backend *be, plm_buf *b)
{
  if (b) be->ops->buf_destroy(be, b);
}
