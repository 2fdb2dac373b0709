#!/bin/sh
# attn.sh: attn(1) on random ESM-2 models of the published 8M, 35M and 150M shapes, ESM-1 670M and random
# ESM C models of the published 300M and 600M shapes (mkmodel(1)): seconds per protein, peak resident
# memory and achieved GFLOP/s for L = 64 .. 1024 residues, contacts only (ESM-2; ESM C publishes
# no contact head) and all attention maps, for the CPU backend and, when attn --list-devices shows
# an OpenCL device, the OpenCL backend, beside a plain-PyTorch ESM-2 (bench/esm_torch.py), ESM-1
# (bench/esm1_torch.py) or ESM C (bench/esmc_torch.py) that first proves itself on the golden outputs
# of esm2_t3_tiny_random, esm1_t3_tiny_random or esmc_t3_tiny_random. Both run on 2 threads.
#
# Columns: model, L, mode; cpu: plmscope's CPU backend (s per protein, peak MB, GFLOP/s);
# opencl: the OpenCL backend on the device named in the header line (s per protein, peak MB,
# cl/cpu = OpenCL seconds / CPU seconds, so below 1 means OpenCL is faster); torch: the PyTorch
# baseline (s per protein, peak MB, speedup = torch seconds / CPU seconds). "-" is a cell not run.
#
# plmscope's time per protein is (time for K+R records - time for K records) / R, where K records
# fill one batch of attn's default --batch-tokens (1024 tokens: K = 1024 / (L + 2), at least 1)
# and R is a multiple of K, so model loading, the first batch's first-touch page faults (later
# batches reuse its buffers) and the OpenCL kernels' per-process compile are left out;
# torch's is the mean of R runs (one warm-up run before the first length), and its peak memory is
# its process's peak so far (lengths run in ascending order). Peak MB is host memory (resident
# set): for a CPU OpenCL device such as pocl it holds the device's buffers, for a GPU it does not.
# A run whose OpenCL backend falls back to the CPU (attn's warning) counts as failed, not timed.
# Timings are wall clock: on a machine shared with other work all columns suffer.
# GFLOP/s counts the encoder's multiply-adds: per layer 2T(4D^2 + FFN) + 4T^2 D, T = L + 2, FFN = 2DF
# (ESM-2 and ESM-1, F = 4D) or 3DF (ESM C's SwiGLU, F = roundup256(8D/3)).
#
# Run by `make bench`. Environment: BUILD, SHARED, PYTHON; ATTN_BENCH_MODELS and
# ATTN_BENCH_LENGTHS narrow the grid; ATTN_BENCH_BACKENDS picks the plmscope columns ("cpu opencl"
# when an OpenCL device exists, else "cpu"); ATTN_BENCH_OPENCL_LENGTHS the lengths the OpenCL
# column runs (default those <= 512: a CPU OpenCL device is about 10x slower than the CPU
# backend); PLMSCOPE_OPENCL_DEVICE (P:D) the device, else the first GPU, else the first device.
# Models are written once under $BUILD/bench-models.
BUILD=${BUILD:-build}
BIN=$BUILD/bin
SHARED=${SHARED:-../shared}
PYTHON=${PYTHON:-python3}
MODELS=${ATTN_BENCH_MODELS:-"esm2_t6_8M esm2_t12_35M esm2_t30_150M esm1_t34_670M esmc_300m esmc_600m"}
LENGTHS=${ATTN_BENCH_LENGTHS:-"64 128 256 512 1024"}
MDIR=$BUILD/bench-models
mkdir -p "$MDIR" && T=$(mktemp -d) || exit 1
trap 'rm -rf "$T"' EXIT

for tool in attn seqread mkmodel; do
  [ -x "$BIN/$tool" ] || { echo "attn bench: $BIN/$tool not built, skipped"; exit 0; }
done
"$PYTHON" -c 'import numpy' 2>/dev/null || { echo "attn bench: python3 with numpy absent, skipped"; exit 0; }
TIME=/usr/bin/time
[ -x "$TIME" ] || { echo "attn bench: /usr/bin/time absent, skipped"; exit 0; }

# the OpenCL device: PLMSCOPE_OPENCL_DEVICE, else the first GPU, else the first device (as attn
# picks); its --list-devices line is "P:D <tab> platform <tab> device <tab> version <tab> GPU|not a GPU ..."
"$BIN/attn" --list-devices > "$T/devices" 2>/dev/null || : > "$T/devices"
cldev=$(awk -F '\t' -v want="$PLMSCOPE_OPENCL_DEVICE" '
  want != "" && $1 == want { print; found = 1; exit }
  want == "" && $5 == "GPU" && gpu == "" { gpu = $0 }
  NR == 1 { first = $0 }
  END { if (!found && want == "") print (gpu != "" ? gpu : first) }' "$T/devices")
BACKENDS=${ATTN_BENCH_BACKENDS:-$([ -n "$cldev" ] && echo "cpu opencl" || echo cpu)}
OPENCL_LENGTHS=${ATTN_BENCH_OPENCL_LENGTHS:-$(echo $(for L in $LENGTHS; do [ "$L" -le 512 ] && echo "$L"; done))}
cpu=no opencl=no
for b in $BACKENDS; do
  case $b in
    cpu) cpu=yes ;;
    opencl) [ -n "$cldev" ] && opencl=yes ;;
    *) echo "attn bench: unknown backend '$b' in ATTN_BENCH_BACKENDS (cpu, opencl)"; exit 1 ;;
  esac
done
[ -n "$cldev" ] || echo "attn bench: no OpenCL device${PLMSCOPE_OPENCL_DEVICE:+ $PLMSCOPE_OPENCL_DEVICE} (attn --list-devices): no OpenCL column"
[ $cpu = yes ] || [ $opencl = yes ] || { echo "attn bench: no backend to run"; exit 0; }
if [ $opencl = yes ]; then
  echo "$cldev" | awk -F '\t' -v L="$OPENCL_LENGTHS" '{
    printf "attn bench: OpenCL device %s: %s / %s (%s, %s); OpenCL column for L in: %s\n", $1, $2, $3, $4, $5, L }'
  clbackend=opencl:$(echo "$cldev" | cut -f 1)
fi

# torch_esm2, torch_esm1, torch_esmc: whether each family's baseline runs
torch=no torch_esm2=no torch_esm1=no torch_esmc=no
if "$PYTHON" -c 'import torch' 2>/dev/null; then
  torch=yes
  for fam in esm2 esm1 esmc; do
    if "$PYTHON" bench/${fam%2}_torch.py check "$SHARED"; then eval torch_$fam=yes
    else echo "attn bench: the $fam torch baseline disagrees with the golden outputs: not timed"; fi
  done
else
  echo "SKIP attn bench torch column: PyTorch absent, plmscope only"
fi

repeats() { case $1 in 64) echo 10 ;; 128) echo 6 ;; 256) echo 4 ;; 512) echo 2 ;; *) echo 1 ;; esac; }
# records in one batch of attn's default --batch-tokens 1024 (L + 2 tokens each)
batchof() { k=$((1024 / ($1 + 2))); [ "$k" -ge 1 ] && echo "$k" || echo 1; }
# layers, width, feed-forward width, multiply-adds of the feed-forward per token
shape() { case $1 in esm2_t6_8M) echo "6 320 1280" ;; esm2_t12_35M) echo "12 480 1920" ;; esm2_t30_150M) echo "30 640 2560" ;;
                     esm2_t33_650M) echo "33 1280 5120" ;; esmc_300m) echo "30 960 2560" ;;
                     esm1_t6_43M) echo "6 768 3072" ;; esm1_t12_85M) echo "12 768 3072" ;; esm1_t34_670M) echo "34 1280 5120" ;; esmc_600m) echo "36 1152 3072" ;; esac; }
member() { for x in $2; do [ "$x" = "$1" ] && return 0; done; return 1; }

# FASTA with N copies of the length-L protein torch also uses (numpy's default_rng(L))
fasta() {
  "$PYTHON" -c 'import sys, numpy as np
L, n = int(sys.argv[1]), int(sys.argv[2])
s = "".join(np.random.default_rng(L).choice(list("ACDEFGHIKLMNPQRSTVWY"), L))
sys.stdout.write("".join(">p%d_%d\n%s\n" % (L, i, s) for i in range(n)))' "$1" "$2"
}

# seconds (wall clock, ns resolution) and peak KB of: attn -m MODEL MODE-OPTION STREAM --backend B;
# "nan 0" when attn fails or its OpenCL backend falls back to the CPU
timed() {
  t0=$(date +%s.%N)
  "$TIME" -f "%M" -o "$T/time" "$BIN/attn" -m "$1" --threads 2 --backend "$4" "$2" "$3" > /dev/null 2>"$T/attn.err" ||
    { echo "attn failed: $(head -c 300 "$T/attn.err")" >&2; echo "nan 0"; return; }
  t1=$(date +%s.%N)
  grep -q 'using the CPU backend' "$T/attn.err" && { echo "attn --backend $4: $(head -c 300 "$T/attn.err")" >&2; echo "nan 0"; return; }
  echo "$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.4f", b - a }') $(tail -n 1 "$T/time")"
}

# seconds per protein and peak KB of backend B at length L: (K+R records - K records) / R
per_protein() {
  set -- $(timed "$1" "$2" "$T/one.tsr" "$3") $(timed "$1" "$2" "$T/many.tsr" "$3")
  awk -v t1="$1" -v t2="$3" -v kb="$4" -v R="$R" -v K="$K" 'BEGIN {
    if (t1 == "nan" || t2 == "nan") { print "nan 0"; exit }
    per = (t2 - t1) / R; if (per <= 0) per = t2 / (K + R); printf "%.6f %d\n", per, kb }'
}

# one table line: every column group is printed only when its backend (or torch) runs
row() {
  awk -v cpu="$cpu" -v ocl="$opencl" -v torch="$torch" -v model="$1" -v L="$2" -v mode="$3" \
      -v ct="$4" -v ckb="$5" -v ot="$6" -v okb="$7" -v tt="$8" -v tkb="$9" -v nl="$nl" -v D="$D" -v ffn="$ffn" '
  function s(t) { return t == "nan" || t == "" ? "-" : sprintf("%.3fs", t) }
  function mb(kb, t) { return t == "nan" || t == "" || kb <= 0 ? "-" : sprintf("%.0f", kb / 1024) }
  function x(a, b) { return a == "nan" || a == "" || b == "nan" || b == "" ? "-" : sprintf("%.2fx", a / b) }
  BEGIN {
    if (model == "") {
      printf "%-14s %5s %-10s", "model", "L", "mode"
      if (cpu == "yes") printf " | %9s %8s %7s", "cpu", "peakMB", "GFLOP/s"
      if (ocl == "yes") printf " | %9s %8s %7s", "opencl", "peakMB", "cl/cpu"
      if (torch == "yes") printf " | %9s %8s %7s", "torch", "peakMB", "speedup"
      printf "\n"; exit
    }
    T = L + 2; flops = nl * (2 * T * (4 * D * D + ffn) + 4 * T * T * D)
    printf "%-14s %5d %-10s", model, L, mode
    if (cpu == "yes") printf " | %9s %8s %7s", s(ct), mb(ckb, ct), ct == "nan" ? "-" : sprintf("%.1f", flops / ct / 1e9)
    if (ocl == "yes") printf " | %9s %8s %7s", s(ot), mb(okb, ot), x(ot, ct)
    if (torch == "yes") printf " | %9s %8s %7s", s(tt), mb(tkb, tt), x(tt, ct)
    printf "\n" }'
}

row
for model in $MODELS; do
  set -- $(shape "$model")
  [ $# -eq 3 ] || { echo "attn bench: unknown shape $model"; continue; }
  nl=$1 D=$2
  case $model in
    esmc*) fam=esmc path=$MDIR/$model.safetensors modes=attentions ffn=$((3 * $2 * $3))
           [ -f "$path" ] || "$BIN/mkmodel" --arch esmc --shape "$model" --seed 1 -o "$path" ||
             { echo "attn bench: mkmodel $model failed"; continue; } ;;
    *)     case $model in esm1*) fam=esm1 ;; *) fam=esm2 ;; esac
           path=$MDIR/$model modes="contacts attentions" ffn=$((2 * $2 * $3))
           [ -f "$path/model.safetensors" ] || "$BIN/mkmodel" --arch "$fam" --shape "$model" --seed 1 -o "$path" ||
             { echo "attn bench: mkmodel $model failed"; continue; } ;;
  esac
  for mode in $modes; do
    runs=""
    for L in $LENGTHS; do runs="$runs $L:$(repeats "$L")"; done
    : > "$T/torch"
    [ "$(eval echo \$torch_$fam)" = yes ] && "$PYTHON" bench/${fam%2}_torch.py time "$path" "$mode" $runs > "$T/torch" 2>/dev/null
    for L in $LENGTHS; do
      K=$(batchof "$L")
      R=$(( ($(repeats "$L") + K - 1) / K * K ))
      fasta "$L" "$K" | "$BIN/seqread" > "$T/one.tsr"
      fasta "$L" $((K + R)) | "$BIN/seqread" > "$T/many.tsr"
      c="nan 0" o="nan 0"
      [ $cpu = yes ] && c=$(per_protein "$path" --$mode cpu)
      [ $opencl = yes ] && member "$L" "$OPENCL_LENGTHS" && o=$(per_protein "$path" --$mode "$clbackend")
      t=$(awk -v L="$L" '$1 == L { print $2, $3 }' "$T/torch")
      row "$model" "$L" "$mode" $c $o ${t:-nan 0}
    done
  done
done
