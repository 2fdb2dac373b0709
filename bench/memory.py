#!/usr/bin/env python3
"""memory.py: how long a protein each ESM-2 shape can take, by memory.

The model's memory on its compute device (CPU or OpenCL: esm.c's workspace) for T = L + 2 tokens:

  weights    4 bytes a parameter (f32)
  rows       4 * ceil64(T) * (6 D + F + V + hd)     x h q k v ctx, the FFN, logits, rotary tables
  attention  4 * H * Q * T, Q = T or the query rows per block that fit attn --attn-memory (by
             default 16 MiB on the CPU, 1 GiB on OpenCL)
             (OpenCL: counted twice, for CLBlast's padded copy of the scores)
  contacts   4 * L * L + 8 * ceil64(T) * layers * H  the contact map and its APC factors

First it checks the formula against the peak resident memory of `attn --contacts` on the CPU
(random models from mkmodel(1)), where the host also holds the process (libraries, OpenBLAS) and
the output record (the contact map, once more in the stream writer); then it prints, for every
published ESM-2 shape, the largest L whose device memory fits in 16, 24, 48, 80 and 141 GiB, with
and without blocks of query rows (no one buffer over a quarter of the memory, the largest allocation
NVIDIA's OpenCL allows), and the largest L whose --attentions output (all layers x
heads, f16) fits in the host memory given.

  memory.py BUILD            measured vs predicted, then the table
  memory.py --table-only     the table alone
"""
import os
import subprocess
import sys
import tempfile

SHAPES = [  # name, layers, width, heads (fair-esm's published ESM-2 models)
    ("esm2_t6_8M", 6, 320, 20), ("esm2_t12_35M", 12, 480, 20), ("esm2_t30_150M", 30, 640, 20),
    ("esm2_t33_650M", 33, 1280, 20), ("esm2_t36_3B", 36, 2560, 40), ("esm2_t48_15B", 48, 5120, 40),
]
V = 33
GIB = 1 << 30
BUDGET = 1 << 30           # attn --attn-memory's default on OpenCL
CPU_BUDGET = 16 << 20      # and on the CPU


def ceil64(n):
    return (n + 63) // 64 * 64


def params(nl, D, H):
    F = 4 * D
    layer = 4 * D * D + 4 * D + 2 * D * F + F + D + 4 * D
    return nl * layer + V * D + (D * D + D + 2 * D + V) + 2 * D + nl * H + 1


def query_rows(H, T, budget):
    q = budget // (4 * H * T)
    if q >= T:
        return T
    if q > 64:
        q -= q % 64
    return max(q, 1)


def weight_bytes(nl, D, H, f16=False):
    """f16: the Linear-only matrices (q k v o, fc1, fc2, the LM head's dense) at 2 bytes, plus the
    float32 scratch one of them is widened into"""
    F = 4 * D
    linear = nl * (4 * D * D + 2 * D * F) + D * D
    return 4 * params(nl, D, H) - (2 * linear - 4 * D * F if f16 else 0)


def device_bytes(nl, D, H, L, budget=BUDGET, opencl=False, contacts=True, f16=False):
    T = L + 2
    F, hd = 4 * D, D // H
    att = 4 * H * query_rows(H, T, budget) * T * (2 if opencl else 1)
    b = weight_bytes(nl, D, H, f16) + 4 * ceil64(T) * (6 * D + F + V + hd) + att
    if contacts:
        b += 4 * L * L + 8 * ceil64(T) * nl * H
    return b


def fits_device(nl, D, H, L, mem, budget=BUDGET, f16=False):
    """the whole workspace within mem, and each buffer within an OpenCL device's largest allocation,
    a quarter of its memory on NVIDIA's driver (the least the OpenCL standard allows)"""
    T = L + 2
    biggest = max(4 * L * L, 4 * H * query_rows(H, T, budget) * T, 4 * ceil64(T) * 4 * D)
    return device_bytes(nl, D, H, L, budget, opencl=True, f16=f16) <= mem and biggest <= mem // 4


def largest(fits):
    lo, hi = 1, 1 << 22
    if not fits(lo):
        return 0
    while lo < hi:
        mid = (lo + hi + 1) // 2
        lo, hi = (mid, hi) if fits(mid) else (lo, mid - 1)
    return lo


def measure(build):
    attn, seqread, mkmodel = (os.path.join(build, "bin", t) for t in ("attn", "seqread", "mkmodel"))
    mdir = os.path.join(build, "bench-models")
    os.makedirs(mdir, exist_ok=True)
    grid = [("esm2_t6_8M", [500, 1000, 2000, 4000]), ("esm2_t12_35M", [500, 1000, 2000])]
    print("measured: attn --contacts --threads 2 on the CPU, peak resident memory (MB)")
    print("%-14s %6s | %10s %10s %10s | %8s" % ("model", "L", "measured", "device", "+output", "rest"))
    with tempfile.TemporaryDirectory() as tmp:
        for name, lengths in grid:
            nl, D, H = next((s[1], s[2], s[3]) for s in SHAPES if s[0] == name)
            model = os.path.join(mdir, name)
            if not os.path.exists(os.path.join(model, "model.safetensors")):
                subprocess.run([mkmodel, "--shape", name, "--seed", "1", "-o", model], check=True)
            for L in lengths:
                fa = os.path.join(tmp, "p.fa")
                with open(fa, "w") as f:
                    f.write(">p\n" + "".join("ACDEFGHIKLMNPQRSTVWY"[(i * 7 + 3) % 20] for i in range(L)) + "\n")
                tsr = os.path.join(tmp, "p.tsr")
                with open(tsr, "wb") as f:
                    subprocess.run([seqread, fa], check=True, stdout=f)
                r = subprocess.run(["/usr/bin/time", "-f", "%M", attn, "-m", model, "--threads", "2",
                                    "--backend", "cpu", "--contacts", tsr],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
                if r.returncode != 0:
                    print("%-14s %6d | attn failed: %s" % (name, L, r.stderr.strip()[:200]))
                    continue
                rss = int(r.stderr.strip().splitlines()[-1]) * 1024
                dev = device_bytes(nl, D, H, L, budget=CPU_BUDGET)
                out = 2 * 4 * L * L
                print("%-14s %6d | %10.0f %10.0f %10.0f | %8.0f" %
                      (name, L, rss / 1e6, dev / 1e6, (dev + out) / 1e6, (rss - dev - out) / 1e6))
    print("  device: the formula; +output: with the contact map twice on the host (record, stream")
    print("  writer); rest: the process itself (libraries, OpenBLAS buffers, stdio), constant in L\n")


def table():
    mems = [16, 24, 48, 80, 141]
    print("largest L (residues) whose device memory fits, attn --contacts, f32 weights, OpenCL accounting")
    print("%-14s %9s | %s" % ("shape", "weights", " ".join("%13s" % ("%d GiB" % m) for m in mems)))
    for name, nl, D, H in SHAPES:
        row = []
        for m in mems:
            blocked = largest(lambda L: fits_device(nl, D, H, L, m * GIB))
            whole = largest(lambda L: fits_device(nl, D, H, L, m * GIB, budget=1 << 62))
            row.append("%13s" % ("%d/%d" % (blocked, whole)) if blocked else "%13s" % "-")
        print("%-14s %7.1fGB | %s" % (name, 4 * params(nl, D, H) / 1e9, " ".join(row)))
    print("  each cell: with blocks of query rows (--attn-memory 1G, the default) / whole maps in one buffer;")
    print("  no buffer may pass a quarter of the memory (NVIDIA's CL_DEVICE_MAX_MEM_ALLOC_SIZE)")
    print("with --precision f16 (blocks of query rows):")
    for name, nl, D, H in SHAPES[3:]:
        cells = [largest(lambda L: fits_device(nl, D, H, L, m * GIB, f16=True)) for m in mems]
        print("%-14s %7.1fGB | %s" % (name, weight_bytes(nl, D, H, True) / 1e9, " ".join("%13s" % (c or "-") for c in cells)))
    print()
    hosts = [24, 128, 512]
    print("largest L whose --attentions output (every layer x head, --attn-dtype f16) fits in host memory")
    print("%-14s | %s" % ("shape", " ".join("%9s" % ("%d GiB" % m) for m in hosts)))
    for name, nl, D, H in SHAPES:
        cells = [largest(lambda L: 2 * nl * H * (L + 2) ** 2 <= m * GIB) for m in hosts]
        print("%-14s | %s" % (name, " ".join("%9d" % c for c in cells)))
    print("  (fewer --layers or --heads: L grows as 1/sqrt of the fraction kept; f32 maps: L / sqrt 2)")


def main():
    if len(sys.argv) == 2 and sys.argv[1] == "--table-only":
        table()
    elif len(sys.argv) == 2:
        measure(sys.argv[1])
        table()
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
