/* sgemm_limit.c: the GFLOP/s a library's sgemm reaches on this machine at the shapes of attn's
 * position-wise layers: C[M x N] = A[M x K] B^T, M the rows of one forward pass (one protein's T,
 * or a batch's sum of T), N x K the layer's weight. bench/batch.sh compiles and runs it beside attn
 * to say how close attn comes to the machine, for each library attn can use ($PLMSCOPE_GEMM):
 * OpenBLAS (its threads from OPENBLAS_NUM_THREADS, its kernels as the environment sets them) and,
 * compiled with -DWITH_DNNL, oneDNN (its threads from OMP_NUM_THREADS, AVX-512 where the CPU has it).
 *
 *   sgemm_limit M N K [seconds [openblas|dnnl]]    prints "library M N K GFLOP/s"
 */
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#ifdef WITH_DNNL
#include <oneapi/dnnl/dnnl.h>
#endif

static void
gemm(int dnnl, int M, int N, int K, const float *a, const float *b, float *c)
{
#ifdef WITH_DNNL
  if (dnnl) { dnnl_sgemm('N', 'T', M, N, K, 1.0f, a, K, b, K, 0.0f, c, N); return; }
#endif
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, M, N, K, 1.0f, a, K, b, K, 0.0f, c, N);
}

static double
now(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

int
main(int argc, char **argv)
{
  int    M, N, K;
  double secs = argc > 4 ? atof(argv[4]) : 1.0, t0, t;
  long   reps = 0;
  float *a, *b, *c;

  const char *lib = argc > 5 ? argv[5] : "openblas";
  int         dnnl = strcmp(lib, "dnnl") == 0;

  if (argc < 4 || (M = atoi(argv[1])) < 1 || (N = atoi(argv[2])) < 1 || (K = atoi(argv[3])) < 1 ||
      (!dnnl && strcmp(lib, "openblas") != 0)) {
    fprintf(stderr, "usage: sgemm_limit M N K [seconds [openblas|dnnl]]\n");
    return 1;
  }
#ifndef WITH_DNNL
  if (dnnl) { fprintf(stderr, "sgemm_limit: built without oneDNN (-DWITH_DNNL)\n"); return 1; }
#endif
  a = calloc((size_t)M * K, sizeof *a); b = calloc((size_t)N * K, sizeof *b); c = calloc((size_t)M * N, sizeof *c);
  if (!a || !b || !c) { fprintf(stderr, "sgemm_limit: out of memory\n"); return 1; }
  for (size_t i = 0; i < (size_t)M * K; i++) a[i] = (float)(i % 7) * 0.1f;
  for (size_t i = 0; i < (size_t)N * K; i++) b[i] = (float)(i % 5) * 0.1f;
  gemm(dnnl, M, N, K, a, b, c);   /* warm-up */
  t0 = now();
  do {
    gemm(dnnl, M, N, K, a, b, c);
    reps++;
  } while ((t = now() - t0) < secs);
  printf("%s %d %d %d %.1f\n", lib, M, N, K, 2.0 * M * N * K * reps / t / 1e9);
  free(a); free(b); free(c);
  return 0;
}
