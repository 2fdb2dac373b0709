/* backend_opencl.c: the OpenCL backend: CLBlast for the matrix products, our kernels for the rest.
 *
 * Buffers are cl_mem in the device's memory; weights are uploaded once, when
 * the model wraps them. Every operator only enqueues on one in-order queue:
 * the first failure is remembered in be->status and reported by sync, as
 * backend.h asks. Host data an operator takes (token ids, the contact head's
 * drop flags and weights, plm_buf_Write's source) is copied into a fresh
 * buffer at once (CL_MEM_COPY_HOST_PTR) and released after enqueueing, so the
 * caller may reuse its memory immediately while the queue runs on.
 *
 * The context, queue and built program belong to the process (backend_opencl.h
 * says why); each backend has its own kernel objects, since setting a kernel's
 * arguments and enqueueing it is not atomic, and its own contact-head scratch.
 *
 * Half-precision weights (backend.h) are uploaded as halves; Linear widens
 * one with the widen_half kernel (vload_half, core OpenCL 1.2: no cl_khr_fp16
 * needed, which NVIDIA lacks) into a float32 scratch of this backend, grown
 * to the largest matrix, and hands that to CLBlastSgemm.
 *
 * The contact head stays on the device: per layer, each head's APC factors
 * and its weighted map are added into device buffers (backend.h); only the
 * final L x L map ever comes back to the host.
 *
 *   plm_backend_opencl_ops     the operator table
 *   plm_opencl_Devices() / plm_opencl_ParseDevice()   (backend_opencl.h)
 *   proc_open()                the process's device, context, queue and program
 */
#include "config.h"
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "error.h"
#include "backend.h"
#include "backend_opencl.h"

int
plm_opencl_ParseDevice(const char *spec, int *ret_platform, int *ret_device, char *errbuf)
{
  int p, d, used = 0;

  if (sscanf(spec, "%d:%d%n", &p, &d, &used) != 2 || spec[used] != '\0' || p < 0 || d < 0)
    return plm_Fail(errbuf, PLM_EINVAL, "OpenCL device '%s' is not PLATFORM:DEVICE (two numbers, as --list-devices shows)", spec);
  *ret_platform = p;
  *ret_device   = d;
  return PLM_OK;
}

#if PLM_HAVE_OPENCL
#include <CL/cl.h>
#include <clblast_c.h>
#include "opencl_kernels.h"

struct plm_buf {
  cl_mem mem;
  size_t n;
  int    half;      /* n halves: a half-precision weight */
};

enum { K_LAYERNORM, K_SOFTMAX, K_GELU, K_ROTARY, K_ADD, K_SCALE, K_BIAS_ROWS, K_EMBED,
       K_DROP, K_ROWSUMS, K_COLSUMS, K_FACTORS, K_AXPY, K_ADD_TRANSPOSE, K_GELU_TANH, K_ADD_ROWS, K_WIDEN_HALF, K_SWIGLU, NKERNELS };
static const char *kernel_names[NKERNELS] = {
  "layernorm", "softmax_rows", "gelu", "rotary", "add", "scale", "bias_rows", "embed",
  "contact_drop", "contact_rowsums", "contact_colsums", "contact_factors", "contact_axpy", "add_transpose", "gelu_tanh", "add_rows",
  "widen_half", "swiglu",
};

#define ROW_WG 256    /* work-group size of the row kernels, when the device allows it */

/* the process's device: set up by the first backend, kept until exit */
static struct {
  pthread_mutex_t  mu;
  int              ready, platform, device;
  cl_context       ctx;
  cl_command_queue q;
  cl_program       prog;
  size_t           wg;       /* a power of two, <= ROW_WG */
} proc = { .mu = PTHREAD_MUTEX_INITIALIZER };

typedef struct ocl {
  cl_context       ctx;
  cl_command_queue q;
  cl_kernel        k[NKERNELS];
  size_t           wg;
  cl_mem           wide;     /* Linear's float32 copy of a half W */
  size_t           nwide;
} ocl;

#define OCL(be) ((ocl *)(be)->priv)

/* ---------------------------------------------------------------------------
 * errors
 */

static const char *
cl_errname(int err)
{
  static const struct { int code; const char *name; } names[] = {
#define E(x) { x, #x }
    E(CL_DEVICE_NOT_FOUND), E(CL_DEVICE_NOT_AVAILABLE), E(CL_COMPILER_NOT_AVAILABLE),
    E(CL_MEM_OBJECT_ALLOCATION_FAILURE), E(CL_OUT_OF_RESOURCES), E(CL_OUT_OF_HOST_MEMORY),
    E(CL_BUILD_PROGRAM_FAILURE), E(CL_MISALIGNED_SUB_BUFFER_OFFSET), E(CL_EXEC_STATUS_ERROR_FOR_EVENTS_IN_WAIT_LIST),
    E(CL_INVALID_VALUE), E(CL_INVALID_PLATFORM), E(CL_INVALID_DEVICE), E(CL_INVALID_CONTEXT),
    E(CL_INVALID_COMMAND_QUEUE), E(CL_INVALID_MEM_OBJECT), E(CL_INVALID_BUILD_OPTIONS), E(CL_INVALID_KERNEL_NAME),
    E(CL_INVALID_ARG_INDEX), E(CL_INVALID_ARG_VALUE), E(CL_INVALID_ARG_SIZE), E(CL_INVALID_KERNEL_ARGS),
    E(CL_INVALID_WORK_DIMENSION), E(CL_INVALID_WORK_GROUP_SIZE), E(CL_INVALID_WORK_ITEM_SIZE),
    E(CL_INVALID_GLOBAL_OFFSET), E(CL_INVALID_OPERATION), E(CL_INVALID_BUFFER_SIZE), E(CL_INVALID_GLOBAL_WORK_SIZE),
#undef E
    { -1001, "CL_PLATFORM_NOT_FOUND_KHR" },
  };
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) if (names[i].code == err) return names[i].name;
  return "an unnamed error";
}

static int
cl_status(int err)
{
  return err == CL_MEM_OBJECT_ALLOCATION_FAILURE || err == CL_OUT_OF_RESOURCES || err == CL_OUT_OF_HOST_MEMORY
         ? PLM_EMEM : PLM_EIO;
}

/* remember an operator's failure (the first since the last sync wins); CLBlast's codes
 * below -1000 are its own, the others are OpenCL's */
static void
note(plm_backend *be, int err, const char *what)
{
  if (be->status != PLM_OK) return;
  if (err < -1000 && err != -1001)
    be->status = plm_Fail(be->errmsg, PLM_EIO, "OpenCL %s: CLBlast status %d (see clblast_c.h)", what, err);
  else
    be->status = plm_Fail(be->errmsg, cl_status(err), "OpenCL %s: %s (%d)", what, cl_errname(err), err);
}

static int ocl_buf_is_half(const plm_buf *b) { return b->half; }

/* ---------------------------------------------------------------------------
 * platforms and devices
 */

/* every platform; none installed is not an error here (n = 0) */
static int
get_platforms(cl_platform_id **ret_p, cl_uint *ret_n, char *errbuf)
{
  cl_platform_id *p = NULL;
  cl_uint         n = 0;
  cl_int          err;
  int             status;

  *ret_p = NULL;
  *ret_n = 0;
  err = clGetPlatformIDs(0, NULL, &n);
  if (err == -1001 || n == 0) return PLM_OK;          /* the ICD loader found no platform */
  if (err != CL_SUCCESS) PLM_XFAIL(PLM_EIO, errbuf, "OpenCL: cannot list platforms: %s (%d)", cl_errname(err), err);
  if ((p = malloc(sizeof *p * n)) == NULL) PLM_XFAIL(PLM_EMEM, errbuf, "out of memory");
  if ((err = clGetPlatformIDs(n, p, NULL)) != CL_SUCCESS)
    PLM_XFAIL(PLM_EIO, errbuf, "OpenCL: cannot list platforms: %s (%d)", cl_errname(err), err);
  *ret_p = p;
  *ret_n = n;
  return PLM_OK;

ERROR:
  free(p);
  return status;
}

/* every device of one platform; none is not an error (n = 0) */
static int
get_devices(cl_platform_id plat, cl_device_id **ret_d, cl_uint *ret_n, char *errbuf)
{
  cl_device_id *d = NULL;
  cl_uint       n = 0;
  cl_int        err;
  int           status;

  *ret_d = NULL;
  *ret_n = 0;
  err = clGetDeviceIDs(plat, CL_DEVICE_TYPE_ALL, 0, NULL, &n);
  if (err == CL_DEVICE_NOT_FOUND || n == 0) return PLM_OK;
  if (err != CL_SUCCESS) PLM_XFAIL(PLM_EIO, errbuf, "OpenCL: cannot list devices: %s (%d)", cl_errname(err), err);
  if ((d = malloc(sizeof *d * n)) == NULL) PLM_XFAIL(PLM_EMEM, errbuf, "out of memory");
  if ((err = clGetDeviceIDs(plat, CL_DEVICE_TYPE_ALL, n, d, NULL)) != CL_SUCCESS)
    PLM_XFAIL(PLM_EIO, errbuf, "OpenCL: cannot list devices: %s (%d)", cl_errname(err), err);
  *ret_d = d;
  *ret_n = n;
  return PLM_OK;

ERROR:
  free(d);
  return status;
}

/* a device string, cut to fit n bytes */
static void
device_str(cl_device_id d, cl_device_info what, char *buf, size_t n)
{
  size_t len = 0;
  char  *s = NULL;

  if (clGetDeviceInfo(d, what, 0, NULL, &len) == CL_SUCCESS && (s = malloc(len + 1)) != NULL &&
      clGetDeviceInfo(d, what, len, s, NULL) == CL_SUCCESS) {
    s[len] = '\0';
    snprintf(buf, n, "%s", s);
  } else
    snprintf(buf, n, "?");
  free(s);
}

static int
is_gpu(cl_device_id d)
{
  cl_device_type t = 0;
  clGetDeviceInfo(d, CL_DEVICE_TYPE, sizeof t, &t, NULL);
  return (t & CL_DEVICE_TYPE_GPU) != 0;
}

int
plm_opencl_Devices(plm_opencl_device **ret_devs, int *ret_n, char *errbuf)
{
  plm_opencl_device *devs = NULL, *grown;
  cl_platform_id    *plats = NULL;
  cl_device_id      *ids = NULL;
  cl_uint            np, nd;
  int                n = 0, status;

  *ret_devs = NULL;
  *ret_n = 0;
  PLM_XCHECK(get_platforms(&plats, &np, errbuf));
  for (cl_uint p = 0; p < np; p++) {
    PLM_XCHECK(get_devices(plats[p], &ids, &nd, errbuf));
    if (nd && (grown = realloc(devs, sizeof *devs * (n + nd))) == NULL) PLM_XFAIL(PLM_EMEM, errbuf, "out of memory");
    if (nd) devs = grown;
    for (cl_uint d = 0; d < nd; d++, n++) {
      plm_opencl_device *v = &devs[n];
      cl_ulong           mem = 0;
      cl_uint            cu = 0;
      memset(v, 0, sizeof *v);
      v->platform = (int)p;
      v->device   = (int)d;
      if (clGetPlatformInfo(plats[p], CL_PLATFORM_NAME, sizeof v->platform_name, v->platform_name, NULL) != CL_SUCCESS)
        snprintf(v->platform_name, sizeof v->platform_name, "?");
      device_str(ids[d], CL_DEVICE_NAME, v->name, sizeof v->name);
      device_str(ids[d], CL_DEVICE_VERSION, v->version, sizeof v->version);
      clGetDeviceInfo(ids[d], CL_DEVICE_GLOBAL_MEM_SIZE, sizeof mem, &mem, NULL);
      clGetDeviceInfo(ids[d], CL_DEVICE_MAX_COMPUTE_UNITS, sizeof cu, &cu, NULL);
      v->is_gpu        = is_gpu(ids[d]);
      v->global_mem    = mem;
      v->compute_units = cu;
    }
    free(ids);
    ids = NULL;
  }
  free(plats);
  *ret_devs = devs;
  *ret_n = n;
  return PLM_OK;

ERROR:
  free(ids);
  free(plats);
  free(devs);
  return status;
}

/* the device `spec` ("P:D") names, or without one the first GPU, else the first device */
static int
find_device(const char *spec, cl_device_id *ret_dev, int *ret_p, int *ret_d, char *errbuf)
{
  cl_platform_id *plats = NULL;
  cl_device_id   *ids = NULL;
  cl_uint         np, nd;
  int             want_p = -1, want_d = -1, found = 0, status;

  if (spec) PLM_XCHECK(plm_opencl_ParseDevice(spec, &want_p, &want_d, errbuf));
  PLM_XCHECK(get_platforms(&plats, &np, errbuf));
  if (np == 0) PLM_XFAIL(PLM_EUNSUP, errbuf, "OpenCL: no platform installed (no ICD: a GPU driver, or pocl-opencl-icd for the CPU)");
  if (spec && (cl_uint)want_p >= np)
    PLM_XFAIL(PLM_EUNSUP, errbuf, "OpenCL: no platform %d (there are %u; see --list-devices)", want_p, np);
  /* two rounds without a spec: GPUs first, then anything */
  for (int round = 0; round < 2 && !found; round++)
    for (cl_uint p = 0; p < np && !found; p++) {
      if (spec && (int)p != want_p) continue;
      PLM_XCHECK(get_devices(plats[p], &ids, &nd, errbuf));
      for (cl_uint d = 0; d < nd && !found; d++) {
        if (spec ? (int)d != want_d : round == 0 && !is_gpu(ids[d])) continue;
        *ret_dev = ids[d]; *ret_p = (int)p; *ret_d = (int)d;
        found = 1;
      }
      free(ids);
      ids = NULL;
    }
  if (!found && spec) PLM_XFAIL(PLM_EUNSUP, errbuf, "OpenCL: platform %d has no device %d (see --list-devices)", want_p, want_d);
  if (!found)         PLM_XFAIL(PLM_EUNSUP, errbuf, "OpenCL: no device on any of the %u platforms", np);
  free(plats);
  return PLM_OK;

ERROR:
  free(plats);
  return status;
}

/* the compiler's first error line (or its first line), cut to fit n bytes */
static void
build_error(cl_device_id dev, char *buf, size_t n)
{
  size_t len = 0;
  char  *log = NULL, *line;

  snprintf(buf, n, "no compiler log");
  if (clGetProgramBuildInfo(proc.prog, dev, CL_PROGRAM_BUILD_LOG, 0, NULL, &len) != CL_SUCCESS || (log = malloc(len + 1)) == NULL)
    return;
  if (clGetProgramBuildInfo(proc.prog, dev, CL_PROGRAM_BUILD_LOG, len, log, NULL) == CL_SUCCESS) {
    log[len] = '\0';
    line = strstr(log, "error") ? strstr(log, "error") : log;
    snprintf(buf, n, "%.*s", (int)strcspn(line, "\n"), line);
  }
  free(log);
}

/* build the kernels; on failure, say why */
static int
build_program(cl_device_id dev, char *errbuf)
{
  const char *src = plm_opencl_kernels;
  char        opts[128], log[320];
  cl_device_fp_config fp = 0;
  cl_int      err;

  proc.prog = clCreateProgramWithSource(proc.ctx, 1, &src, NULL, &err);
  if (err != CL_SUCCESS) return plm_Fail(errbuf, PLM_EUNSUP, "OpenCL: cannot create the kernels' program: %s", cl_errname(err));
  /* correctly rounded division where the device offers it: token dropout's division matches the CPU's */
  clGetDeviceInfo(dev, CL_DEVICE_SINGLE_FP_CONFIG, sizeof fp, &fp, NULL);
  snprintf(opts, sizeof opts, "-cl-std=CL1.2%s",
           fp & CL_FP_CORRECTLY_ROUNDED_DIVIDE_SQRT ? " -cl-fp32-correctly-rounded-divide-sqrt" : "");
  if ((err = clBuildProgram(proc.prog, 1, &dev, opts, NULL, NULL)) != CL_SUCCESS) {
    build_error(dev, log, sizeof log);
    clReleaseProgram(proc.prog);
    proc.prog = NULL;
    return plm_Fail(errbuf, PLM_EUNSUP, "OpenCL: the kernels do not build (%s): %s", cl_errname(err), log);
  }
  return PLM_OK;
}

/* the process's context, queue and program, made once; a later spec must name the same device */
static int
proc_open(const char *spec, char *errbuf)
{
  cl_device_id dev;
  size_t       maxwg = 0;
  int          p, d, status;
  cl_int       err;

  pthread_mutex_lock(&proc.mu);
  if (proc.ready) {
    if (spec && (plm_opencl_ParseDevice(spec, &p, &d, errbuf) != PLM_OK || p != proc.platform || d != proc.device))
      PLM_XFAIL(PLM_EINVAL, errbuf, "OpenCL: this process already uses device %d:%d, not '%s'", proc.platform, proc.device, spec);
    pthread_mutex_unlock(&proc.mu);
    return PLM_OK;
  }
  PLM_XCHECK(find_device(spec, &dev, &p, &d, errbuf));
  clGetDeviceInfo(dev, CL_DEVICE_MAX_WORK_GROUP_SIZE, sizeof maxwg, &maxwg, NULL);
  for (proc.wg = ROW_WG; proc.wg > maxwg && proc.wg > 1; proc.wg /= 2) ;
  proc.ctx = clCreateContext(NULL, 1, &dev, NULL, NULL, &err);
  if (err != CL_SUCCESS) PLM_XFAIL(PLM_EUNSUP, errbuf, "OpenCL: cannot create a context on device %d:%d: %s", p, d, cl_errname(err));
  proc.q = clCreateCommandQueue(proc.ctx, dev, 0, &err);
  if (err != CL_SUCCESS) PLM_XFAIL(PLM_EUNSUP, errbuf, "OpenCL: cannot create a queue on device %d:%d: %s", p, d, cl_errname(err));
  PLM_XCHECK(build_program(dev, errbuf));
  proc.platform = p;
  proc.device   = d;
  proc.ready    = 1;
  pthread_mutex_unlock(&proc.mu);
  return PLM_OK;

ERROR:
  if (!proc.ready) {
    if (proc.q)   clReleaseCommandQueue(proc.q);
    if (proc.ctx) clReleaseContext(proc.ctx);
    proc.q   = NULL;
    proc.ctx = NULL;
  }
  pthread_mutex_unlock(&proc.mu);
  return status;
}

/* ---------------------------------------------------------------------------
 * launching kernels
 */

typedef struct karg { size_t size; const void *p; } karg;
#define KARG(v)   ((karg){ sizeof (v), &(v) })
#define KLOCAL(n) ((karg){ (n), NULL })

static void
launch(plm_backend *be, int k, cl_uint dims, const size_t *global, const size_t *local, int nargs, const karg *a)
{
  ocl   *o = OCL(be);
  cl_int err = CL_SUCCESS;

  for (int i = 0; i < nargs && err == CL_SUCCESS; i++) err = clSetKernelArg(o->k[k], (cl_uint)i, a[i].size, a[i].p);
  if (err == CL_SUCCESS) err = clEnqueueNDRangeKernel(o->q, o->k[k], dims, NULL, global, local, 0, NULL, NULL);
  if (err != CL_SUCCESS) note(be, err, kernel_names[k]);
}

static size_t round_up(size_t n, size_t m) { return (n + m - 1) / m * m; }

/* one work-item per element, n of them */
static void
launch_elements(plm_backend *be, int k, size_t n, int nargs, const karg *a)
{
  size_t local = OCL(be)->wg, global = round_up(n, local);
  if (n) launch(be, k, 1, &global, &local, nargs, a);
}

/* one work-group per row, with local memory for its reduction as the last argument */
static void
launch_rows(plm_backend *be, int k, size_t rows, int nargs, const karg *a)
{
  size_t local = OCL(be)->wg, global = rows * local;
  if (rows) launch(be, k, 1, &global, &local, nargs, a);
}

/* a read-only device copy of host data, taken now */
static cl_mem
upload(plm_backend *be, const void *host, size_t nbytes, const char *what)
{
  cl_int err;
  cl_mem m = clCreateBuffer(OCL(be)->ctx, CL_MEM_READ_ONLY | CL_MEM_COPY_HOST_PTR, nbytes ? nbytes : 1, (void *)host, &err);
  if (err != CL_SUCCESS) { note(be, err, what); return NULL; }
  return m;
}

/* ---------------------------------------------------------------------------
 * buffers
 */

/* n elements of `size` bytes: floats, or the halves of a half-precision weight (size 2) */
static int
new_buf(plm_backend *be, size_t n, size_t size, cl_mem_flags flags, const void *host, plm_buf **ret_b, char *errbuf)
{
  plm_buf *b = NULL;
  cl_int   err;
  int      status;

  if ((b = calloc(1, sizeof *b)) == NULL) PLM_XFAIL(PLM_EMEM, errbuf, "out of memory");
  if (n > SIZE_MAX / size) PLM_XFAIL(PLM_EMEM, errbuf, "a buffer of %zu %s is too large", n, size == 2 ? "halves" : "floats");
  b->mem = clCreateBuffer(OCL(be)->ctx, flags, (n ? n : 1) * size, (void *)host, &err);
  if (err != CL_SUCCESS)
    PLM_XFAIL(cl_status(err), errbuf, "OpenCL: cannot allocate %zu %s on the device: %s", n, size == 2 ? "halves" : "floats",
              cl_errname(err));
  b->n = n;
  b->half = size == 2;
  *ret_b = b;
  return PLM_OK;

ERROR:
  free(b);
  *ret_b = NULL;
  return status;
}

static int
ocl_buf_create(plm_backend *be, size_t n, plm_buf **ret_b, char *errbuf)
{
  const float zero = 0.0f;
  cl_int      err;
  int         status;

  PLM_XCHECK(new_buf(be, n, sizeof(float), CL_MEM_READ_WRITE, NULL, ret_b, errbuf));
  if (n && (err = clEnqueueFillBuffer(OCL(be)->q, (*ret_b)->mem, &zero, sizeof zero, 0, n * sizeof zero, 0, NULL, NULL)) != CL_SUCCESS) {
    clReleaseMemObject((*ret_b)->mem);
    free(*ret_b);
    *ret_b = NULL;
    PLM_XFAIL(cl_status(err), errbuf, "OpenCL: cannot zero a new buffer: %s", cl_errname(err));
  }
  return PLM_OK;

ERROR:
  return status;
}

static int
ocl_buf_wrap(plm_backend *be, const float *host, size_t n, plm_buf **ret_b, char *errbuf)
{
  return new_buf(be, n, sizeof(float), CL_MEM_READ_ONLY | (n ? CL_MEM_COPY_HOST_PTR : 0), n ? host : NULL, ret_b, errbuf);
}

static int
ocl_buf_wrap_half(plm_backend *be, const uint16_t *half, size_t n, plm_buf **ret_b, char *errbuf)
{
  return new_buf(be, n, sizeof *half, CL_MEM_READ_ONLY | (n ? CL_MEM_COPY_HOST_PTR : 0), n ? half : NULL, ret_b, errbuf);
}

static void
ocl_buf_destroy(plm_backend *be, plm_buf *b)
{
  clReleaseMemObject(b->mem);
  free(b);
}

static void
ocl_write(plm_backend *be, plm_buf *dst, size_t off, const float *src, size_t n)
{
  cl_mem staged;
  cl_int err;

  if (n == 0 || PLM_HALF_MISUSED(be, "write", dst) || (staged = upload(be, src, n * sizeof *src, "write")) == NULL) return;
  err = clEnqueueCopyBuffer(OCL(be)->q, staged, dst->mem, 0, off * sizeof *src, n * sizeof *src, 0, NULL, NULL);
  if (err != CL_SUCCESS) note(be, err, "write");
  clReleaseMemObject(staged);
}

static void
ocl_read(plm_backend *be, const plm_buf *src, size_t off, float *dst, size_t n)
{
  cl_int err;
  if (n == 0 || PLM_HALF_MISUSED(be, "read", src)) return;
  err = clEnqueueReadBuffer(OCL(be)->q, src->mem, CL_TRUE, off * sizeof *dst, n * sizeof *dst, dst, 0, NULL, NULL);
  if (err != CL_SUCCESS) note(be, err, "read");
}

/* NULL when the map fails (be->status says why) */
static const float *
ocl_map(plm_backend *be, const plm_buf *b, size_t off, size_t n)
{
  cl_int err;
  void  *p;

  if (PLM_HALF_MISUSED(be, "map", b)) return NULL;
  p = clEnqueueMapBuffer(OCL(be)->q, b->mem, CL_TRUE, CL_MAP_READ, off * sizeof(float), (n ? n : 1) * sizeof(float), 0, NULL,
                         NULL, &err);
  if (err != CL_SUCCESS) { note(be, err, "map"); return NULL; }
  return p;
}

static void
ocl_unmap(plm_backend *be, const plm_buf *b, const float *p)
{
  cl_int err;
  if (!p) return;
  if ((err = clEnqueueUnmapMemObject(OCL(be)->q, b->mem, (void *)p, 0, NULL, NULL)) != CL_SUCCESS) note(be, err, "unmap");
}

/* ---------------------------------------------------------------------------
 * operators
 */

static void
ocl_gemm(plm_backend *be, const plm_gemm *g)
{
  cl_command_queue  q = OCL(be)->q;
  CLBlastTranspose  ta = g->transA ? CLBlastTransposeYes : CLBlastTransposeNo;
  CLBlastTranspose  tb = g->transB ? CLBlastTransposeYes : CLBlastTransposeNo;
  CLBlastStatusCode st;

  if (g->M == 0 || g->N == 0 || PLM_HALF_MISUSED(be, "gemm", g->A, g->B, g->C)) return;
  if (g->batch > 1)
    st = CLBlastSgemmStridedBatched(CLBlastLayoutRowMajor, ta, tb, g->M, g->N, g->K, g->alpha,
                                    g->A->mem, g->offA, g->lda, g->strideA, g->B->mem, g->offB, g->ldb, g->strideB,
                                    g->beta, g->C->mem, g->offC, g->ldc, g->strideC, g->batch, &q, NULL);
  else
    st = CLBlastSgemm(CLBlastLayoutRowMajor, ta, tb, g->M, g->N, g->K, g->alpha, g->A->mem, g->offA, g->lda,
                      g->B->mem, g->offB, g->ldb, g->beta, g->C->mem, g->offC, g->ldc, &q, NULL);
  if (st != CLBlastSuccess) note(be, st, "gemm (CLBlast)");
}

/* the float32 scratch holding W widened (enqueued), or NULL (noted) when it cannot grow; a
 * released scratch lives on until the commands already queued on it finish */
static cl_mem
widen(plm_backend *be, const plm_buf *W, size_t n)
{
  ocl     *o = OCL(be);
  cl_ulong nn = n;
  cl_int   err;

  if (n > o->nwide) {
    if (o->wide) clReleaseMemObject(o->wide);
    o->nwide = 0;
    if ((o->wide = clCreateBuffer(o->ctx, CL_MEM_READ_WRITE, n * sizeof(float), NULL, &err)) == NULL) {
      note(be, err, "linear (widening half weights)");
      return NULL;
    }
    o->nwide = n;
  }
  launch_elements(be, K_WIDEN_HALF, n, 3, (karg[]){ KARG(W->mem), KARG(o->wide), KARG(nn) });
  return o->wide;
}

/* y = b broadcast, then y += x W^T */
static void
ocl_linear(plm_backend *be, const plm_buf *x, int rows, int in, const plm_buf *W, const plm_buf *b, int out, plm_buf *y)
{
  cl_command_queue  q = OCL(be)->q;
  cl_int            cols = out;
  cl_ulong          n = (cl_ulong)rows * out;
  cl_mem            w = W->mem;
  CLBlastStatusCode st;

  if (rows == 0 || out == 0 || PLM_HALF_MISUSED(be, "linear", x, b, y)) return;
  if (W->half && in > 0 && (w = widen(be, W, (size_t)out * in)) == NULL) return;
  if (b) launch_elements(be, K_BIAS_ROWS, n, 4, (karg[]){ KARG(y->mem), KARG(b->mem), KARG(cols), KARG(n) });
  st = CLBlastSgemm(CLBlastLayoutRowMajor, CLBlastTransposeNo, CLBlastTransposeYes, rows, out, in, 1.0f,
                    x->mem, 0, in, w, 0, in, b ? 1.0f : 0.0f, y->mem, 0, out, &q, NULL);
  if (st != CLBlastSuccess) note(be, st, "linear (CLBlast)");
}

static void
ocl_layernorm(plm_backend *be, const plm_buf *x, plm_buf *y, int rows, int cols, const plm_buf *gamma,
              const plm_buf *beta, float eps)
{
  cl_int   c = cols;
  cl_float e = eps;
  if (PLM_HALF_MISUSED(be, "layernorm", x, y, gamma, beta)) return;
  launch_rows(be, K_LAYERNORM, (size_t)rows, 7, (karg[]){ KARG(x->mem), KARG(y->mem), KARG(c), KARG(gamma->mem),
                                                          KARG(beta->mem), KARG(e), KLOCAL(OCL(be)->wg * sizeof(float)) });
}

static void
ocl_gelu(plm_backend *be, plm_buf *x, size_t n)
{
  cl_ulong nn = n;
  if (PLM_HALF_MISUSED(be, "gelu", x)) return;
  launch_elements(be, K_GELU, n, 2, (karg[]){ KARG(x->mem), KARG(nn) });
}

static void
ocl_gelu_tanh(plm_backend *be, plm_buf *x, size_t n)
{
  cl_ulong nn = n;
  if (PLM_HALF_MISUSED(be, "gelu_tanh", x)) return;
  launch_elements(be, K_GELU_TANH, n, 2, (karg[]){ KARG(x->mem), KARG(nn) });
}

static void
ocl_swiglu(plm_backend *be, const plm_buf *x, plm_buf *y, int rows, int cols)
{
  cl_int   c = cols;
  cl_ulong nn = (size_t)rows * cols;
  if (PLM_HALF_MISUSED(be, "swiglu", x, y)) return;
  launch_elements(be, K_SWIGLU, (size_t)nn, 4, (karg[]){ KARG(x->mem), KARG(y->mem), KARG(c), KARG(nn) });
}

static void
ocl_softmax_rows(plm_backend *be, plm_buf *x, int rows, int cols)
{
  cl_int c = cols;
  if (PLM_HALF_MISUSED(be, "softmax_rows", x)) return;
  launch_rows(be, K_SOFTMAX, (size_t)rows, 3, (karg[]){ KARG(x->mem), KARG(c), KLOCAL(OCL(be)->wg * sizeof(float)) });
}

static void
ocl_rotary(plm_backend *be, plm_buf *x, int T, int H, int hd, int ld, const plm_buf *cos, const plm_buf *sin)
{
  cl_int t = T, h = H, d = hd, l = ld;
  if (PLM_HALF_MISUSED(be, "rotary", x, cos, sin)) return;
  launch_elements(be, K_ROTARY, (size_t)T * H * (hd / 2), 7,
                  (karg[]){ KARG(x->mem), KARG(t), KARG(h), KARG(d), KARG(l), KARG(cos->mem), KARG(sin->mem) });
}

static void
ocl_add(plm_backend *be, plm_buf *y, size_t offy, const plm_buf *x, size_t offx, size_t n)
{
  cl_ulong oy = offy, ox = offx, nn = n;
  if (PLM_HALF_MISUSED(be, "add", y, x)) return;
  launch_elements(be, K_ADD, n, 5, (karg[]){ KARG(y->mem), KARG(oy), KARG(x->mem), KARG(ox), KARG(nn) });
}

static void
ocl_add_rows(plm_backend *be, plm_buf *y, size_t offy, int ldy, const plm_buf *x, size_t offx, int ldx, int rows, int cols)
{
  cl_ulong oy = offy, ox = offx, nn = (size_t)rows * cols;
  cl_int   ly = ldy, lx = ldx, c = cols;
  if (PLM_HALF_MISUSED(be, "add_rows", y, x)) return;
  launch_elements(be, K_ADD_ROWS, (size_t)nn, 8,
                  (karg[]){ KARG(y->mem), KARG(oy), KARG(ly), KARG(x->mem), KARG(ox), KARG(lx), KARG(c), KARG(nn) });
}

static void
ocl_scale(plm_backend *be, plm_buf *x, size_t n, float a)
{
  cl_ulong nn = n;
  cl_float aa = a;
  if (PLM_HALF_MISUSED(be, "scale", x)) return;
  launch_elements(be, K_SCALE, n, 3, (karg[]){ KARG(x->mem), KARG(nn), KARG(aa) });
}

static void
ocl_zero(plm_backend *be, plm_buf *x, size_t n)
{
  const float zero = 0.0f;
  cl_int      err;
  if (PLM_HALF_MISUSED(be, "zero", x)) return;
  if (n && (err = clEnqueueFillBuffer(OCL(be)->q, x->mem, &zero, sizeof zero, 0, n * sizeof zero, 0, NULL, NULL)) != CL_SUCCESS)
    note(be, err, "zero");
}

static void
ocl_embed(plm_backend *be, const plm_buf *table, const int32_t *ids, int T, int D, int drop_id, float mul, float div,
          plm_buf *out)
{
  cl_mem   idm;
  cl_int   d = D, drop = drop_id;
  cl_float m = mul, v = div;
  cl_ulong n = (cl_ulong)T * D;

  if (n == 0 || PLM_HALF_MISUSED(be, "embed", table, out) || (idm = upload(be, ids, sizeof *ids * (size_t)T, "embed")) == NULL) return;
  launch_elements(be, K_EMBED, n, 8, (karg[]){ KARG(table->mem), KARG(idm), KARG(d), KARG(drop), KARG(m), KARG(v),
                                               KARG(out->mem), KARG(n) });
  clReleaseMemObject(idm);
}

/* the contact head's step (backend.h) over a block of rows: dropped rows and columns zeroed, each
 * head's share of its APC sums into v, then acc += sum_h w_h A_h; see opencl_kernels.h */
static void
ocl_contact_accum(plm_backend *be, const plm_contact_step *s)
{
  float   *keep = NULL;
  cl_mem   km = NULL, wm = NULL;
  int      a = s->row0 - s->first, b = s->row0 + s->rows - s->first;
  cl_int   T = s->T, L = s->L, H = s->H, k0 = s->k0, i0 = a < 0 ? 0 : a, n = (b > s->L ? s->L : b) - i0;
  cl_ulong off = (cl_ulong)(i0 + s->first - s->row0) * s->T + s->first, hs = (cl_ulong)s->rows * s->T;
  size_t   wg = OCL(be)->wg, Lr = round_up((size_t)L, wg);
  karg     lsum = KLOCAL(wg * sizeof(float));

  if (s->L <= 0 || s->H <= 0 || n <= 0 || PLM_HALF_MISUSED(be, "contact_accum", s->att, s->acc, s->u, s->v) ||
      (wm = upload(be, s->w, sizeof *s->w * (size_t)H, "contact head")) == NULL) return;
  if (s->drop) {
    if ((keep = malloc(sizeof *keep * (size_t)L)) == NULL) { note(be, CL_OUT_OF_HOST_MEMORY, "contact head"); goto DONE; }
    for (int i = 0; i < L; i++) keep[i] = s->drop[i] ? 0.0f : 1.0f;
    if ((km = upload(be, keep, sizeof *keep * (size_t)L, "contact head")) == NULL) goto DONE;
    launch(be, K_DROP, 3, (size_t[]){ Lr, (size_t)n, (size_t)H }, (size_t[]){ wg, 1, 1 }, 7,
           (karg[]){ KARG(s->att->mem), KARG(off), KARG(hs), KARG(T), KARG(L), KARG(i0), KARG(km) });
  }
  launch(be, K_ROWSUMS, 2, (size_t[]){ (size_t)n * wg, (size_t)H }, (size_t[]){ wg, 1 }, 9,
         (karg[]){ KARG(s->att->mem), KARG(off), KARG(hs), KARG(T), KARG(L), KARG(i0), KARG(s->v->mem), KARG(k0), lsum });
  launch(be, K_COLSUMS, 2, (size_t[]){ Lr, (size_t)H }, (size_t[]){ wg, 1 }, 8,
         (karg[]){ KARG(s->att->mem), KARG(off), KARG(hs), KARG(T), KARG(L), KARG(n), KARG(s->v->mem), KARG(k0) });
  launch(be, K_AXPY, 2, (size_t[]){ Lr, (size_t)n }, (size_t[]){ wg, 1 }, 9,
         (karg[]){ KARG(s->att->mem), KARG(off), KARG(hs), KARG(T), KARG(L), KARG(i0), KARG(H), KARG(wm), KARG(s->acc->mem) });
DONE:
  if (km) clReleaseMemObject(km);
  clReleaseMemObject(wm);
  free(keep);
}

static void
ocl_contact_factors(plm_backend *be, const plm_contact_step *s)
{
  cl_mem wm;
  cl_int L = s->L, k0 = s->k0;

  if (s->L <= 0 || s->H <= 0 || PLM_HALF_MISUSED(be, "contact_factors", s->u, s->v) ||
      (wm = upload(be, s->w, sizeof *s->w * (size_t)s->H, "contact head")) == NULL) return;
  launch_rows(be, K_FACTORS, (size_t)s->H, 6, (karg[]){ KARG(s->v->mem), KARG(s->u->mem), KARG(k0), KARG(L), KARG(wm),
                                                        KLOCAL(OCL(be)->wg * sizeof(float)) });
  clReleaseMemObject(wm);
}

static void
ocl_add_transpose(plm_backend *be, plm_buf *x, int n)
{
  size_t wg = OCL(be)->wg;
  cl_int nn = n;
  if (n > 0 && !PLM_HALF_MISUSED(be, "add_transpose", x))
    launch(be, K_ADD_TRANSPOSE, 2, (size_t[]){ round_up((size_t)n, wg), (size_t)n }, (size_t[]){ wg, 1 }, 2,
           (karg[]){ KARG(x->mem), KARG(nn) });
}

static int
ocl_sync(plm_backend *be, char *errbuf)
{
  cl_int err = clFinish(OCL(be)->q);
  int    status;

  if (err != CL_SUCCESS) note(be, err, "queue");
  status = be->status;
  if (status != PLM_OK) plm_Fail(errbuf, status, "%s", be->errmsg);
  be->status = PLM_OK;
  return status;
}

/* ---------------------------------------------------------------------------
 * open / close
 */

static void
ocl_close(plm_backend *be)
{
  ocl *o = OCL(be);
  if (!o) return;
  clFinish(o->q);
  for (int k = 0; k < NKERNELS; k++) if (o->k[k]) clReleaseKernel(o->k[k]);
  if (o->wide) clReleaseMemObject(o->wide);
  free(o);
  be->priv = NULL;
}

/* this backend's kernel objects; the row kernels' work-group shrinks to what each allows */
static int
make_kernels(ocl *o, cl_device_id dev, char *errbuf)
{
  size_t kwg;
  cl_int err;

  for (int k = 0; k < NKERNELS; k++) {
    if ((o->k[k] = clCreateKernel(proc.prog, kernel_names[k], &err)) == NULL)
      return plm_Fail(errbuf, PLM_EUNSUP, "OpenCL: no kernel '%s': %s", kernel_names[k], cl_errname(err));
    if (clGetKernelWorkGroupInfo(o->k[k], dev, CL_KERNEL_WORK_GROUP_SIZE, sizeof kwg, &kwg, NULL) != CL_SUCCESS) kwg = o->wg;
    while (o->wg > kwg && o->wg > 1) o->wg /= 2;
  }
  return PLM_OK;
}

static int
ocl_open(plm_backend *be, char *errbuf)
{
  const char  *spec = be->device ? be->device : getenv(PLM_OPENCL_DEVICE_ENV);
  char         name[128];
  cl_device_id dev;
  ocl         *o;
  int          status;

  PLM_XCHECK(proc_open(spec && *spec ? spec : NULL, errbuf));
  if ((o = calloc(1, sizeof *o)) == NULL) PLM_XFAIL(PLM_EMEM, errbuf, "out of memory");
  be->priv = o;
  o->ctx  = proc.ctx;
  o->q    = proc.q;
  o->wg   = proc.wg;
  clGetCommandQueueInfo(o->q, CL_QUEUE_DEVICE, sizeof dev, &dev, NULL);
  PLM_XCHECK(make_kernels(o, dev, errbuf));
  device_str(dev, CL_DEVICE_NAME, name, sizeof name);
  snprintf(be->desc, sizeof be->desc, "opencl %d:%d %s", proc.platform, proc.device, name);
  return PLM_OK;

ERROR:
  ocl_close(be);
  return status;
}

const plm_backend_ops plm_backend_opencl_ops = {
  .name = "opencl",
  .attn_bytes = (size_t)1 << 30,    /* few large blocks: fewer launches, fuller GEMMs */
  .open = ocl_open, .close = ocl_close,
  .buf_create = ocl_buf_create, .buf_wrap = ocl_buf_wrap, .buf_wrap_half = ocl_buf_wrap_half, .buf_is_half = ocl_buf_is_half, .buf_destroy = ocl_buf_destroy,
  .write = ocl_write, .read = ocl_read, .map = ocl_map, .unmap = ocl_unmap,
  .gemm = ocl_gemm, .linear = ocl_linear, .layernorm = ocl_layernorm, .gelu = ocl_gelu, .gelu_tanh = ocl_gelu_tanh, .swiglu = ocl_swiglu,
  .softmax_rows = ocl_softmax_rows, .rotary = ocl_rotary, .add = ocl_add, .add_rows = ocl_add_rows, .scale = ocl_scale, .zero = ocl_zero,
  .embed = ocl_embed, .contact_accum = ocl_contact_accum, .contact_factors = ocl_contact_factors,
  .add_transpose = ocl_add_transpose, .sync = ocl_sync,
};

#else /* !PLM_HAVE_OPENCL */

int
plm_opencl_Devices(plm_opencl_device **ret_devs, int *ret_n, char *errbuf)
{
  *ret_devs = NULL;
  *ret_n = 0;
  return plm_Fail(errbuf, PLM_EUNSUP, "plmscope was built without OpenCL (./configure found no OpenCL ICD loader or CLBlast)");
}

#endif
