/* backend_opencl.h: what the OpenCL backend offers beyond backend.h: its devices.
 *
 * The backend itself is plm_backend_Create("opencl", ...). Its device is the
 * one named in the spec, "opencl:P:D", else PLMSCOPE_OPENCL_DEVICE="P:D"
 * (platform P, device D, numbered as plm_opencl_Devices() lists them), else
 * the first GPU, else the first device of any kind. One context, queue and set of compiled kernels serve the whole
 * process (CLBlast compiles its kernels on first use, seconds on some
 * drivers), so every OpenCL backend of a process uses the same device.
 *
 * When no platform or device exists, or the kernels do not build, Create fails
 * with PLM_EUNSUP and says why: a caller may fall back to "cpu" with a warning.
 * In a build without OpenCL (PLM_HAVE_OPENCL 0) these calls fail the same way.
 *
 *   plm_opencl_Devices()      every platform's devices, for a --list-devices
 *   plm_opencl_ParseDevice()  "P:D" -> platform and device numbers
 */
#ifndef PLM_BACKEND_OPENCL_H
#define PLM_BACKEND_OPENCL_H
#include <stdint.h>

#define PLM_OPENCL_DEVICE_ENV "PLMSCOPE_OPENCL_DEVICE"

typedef struct plm_opencl_device {
  int      platform, device;       /* the numbers PLMSCOPE_OPENCL_DEVICE takes */
  char     platform_name[128];
  char     name[128];
  char     version[64];            /* the device's OpenCL version string */
  int      is_gpu;
  unsigned compute_units;
  uint64_t global_mem;             /* bytes */
} plm_opencl_device;

int plm_opencl_Devices(plm_opencl_device **ret_devs, int *ret_n, char *errbuf);
int plm_opencl_ParseDevice(const char *spec, int *ret_platform, int *ret_device, char *errbuf);

#endif
