#!/bin/sh
# run.sh: run ON the lent NVIDIA machine, from the repository root, after bench/gpu/setup.sh (run.sh
# runs it itself when its wrappers are missing). Measures plmscope's OpenCL backend against
# HuggingFace transformers' ESM-2 in PyTorch (bench/gpu/torch_gpu.py) on random models of the ESM-2
# 35M, 150M and 650M shapes that mkmodel(1) writes (under $GPU_BENCH_MODEL_DIR, not carried):
#   check  attn --backend opencl and --backend cpu on one protein (L = 256) of each model against
#          torch f32: max |difference| of logits and contacts, so the table compares like with like;
#   time   for L = 256, 512, 1024 and the modes logits, contacts, attentions: attn's seconds per
#          protein as in bench/attn.sh, (time for 1+R records - time for 1 record) / R, which leaves
#          out model loading, upload and the per-process kernel compile, on the OpenCL device
#          (opencl) and on the CPU backend with $GPU_BENCH_CPU_THREADS threads (cpu); torch's is the
#          median of $GPU_BENCH_TORCH_RUNS runs after two warm-ups, f32 and f16, each run ending
#          with the output in host memory (attn writes it to a stream) and torch.cuda.synchronize();
#          ratio = opencl seconds / torch f32 seconds (below 1: plmscope faster); torch MB is
#          torch.cuda.max_memory_allocated in f32;
#   probe  the largest L of 1024, 2048, .. 16384 at which contacts and attentions run on the OpenCL
#          device with the largest model, each try capped at $GPU_BENCH_PROBE_TIMEOUT s; the
#          attentions mode is not tried where its output record alone would not fit in half the
#          host's available memory; then the same for torch f32.
# Everything printed also goes to $OUT/gpu-bench.txt when OUT is set (the device tool's folder).
# Environment: GPU_BENCH_PARTS ("check time probe"), GPU_BENCH_MODELS ("esm2_t12_35M esm2_t30_150M
# esm2_t33_650M"), GPU_BENCH_LENGTHS ("256 512 1024"), GPU_BENCH_MODES ("logits contacts
# attentions"), GPU_BENCH_PROBE_LENGTHS ("1024 2048 4096 8192 16384"), GPU_BENCH_PROBE_TIMEOUT (120),
# GPU_BENCH_CPU_THREADS (16), GPU_BENCH_TORCH_RUNS (5), GPU_BENCH_MODEL_DIR
# (/tmp/plmscope-gpu-models), GPU_BENCH_BIN (the binaries; default $PLMDEPS/bin, setup.sh's
# wrappers), PLMDEPS (/opt/plmdeps), PYTHON (python3), PLMSCOPE_OPENCL_DEVICE (P:D; else the
# first GPU, else the first device).
PLMDEPS=${PLMDEPS:-/opt/plmdeps}
BIN=${GPU_BENCH_BIN:-$PLMDEPS/bin}
PYTHON=${PYTHON:-python3}
PARTS=${GPU_BENCH_PARTS:-"check time probe"}
MODELS=${GPU_BENCH_MODELS:-"esm2_t12_35M esm2_t30_150M esm2_t33_650M"}
LENGTHS=${GPU_BENCH_LENGTHS:-"256 512 1024"}
MODES=${GPU_BENCH_MODES:-"logits contacts attentions"}
PROBE_LENGTHS=${GPU_BENCH_PROBE_LENGTHS:-"1024 2048 4096 8192 16384"}
PROBE_TIMEOUT=${GPU_BENCH_PROBE_TIMEOUT:-120}
CPU_THREADS=${GPU_BENCH_CPU_THREADS:-16}
TORCH_RUNS=${GPU_BENCH_TORCH_RUNS:-5}
MDIR=${GPU_BENCH_MODEL_DIR:-/tmp/plmscope-gpu-models}
TORCH=bench/gpu/torch_gpu.py

if [ -z "$GPU_BENCH_BIN" ] && ! "$BIN/attn" --version > /dev/null 2>&1; then
  PLMDEPS=$PLMDEPS sh bench/gpu/setup.sh || exit 1
fi
mkdir -p "$MDIR" && T=$(mktemp -d) || exit 1
trap 'rm -rf "$T"' EXIT

repeats() {  # repeats BACKEND L: more on the GPU, where a protein takes little next to process start
  case $1:$2 in opencl*:256) echo 16 ;; opencl*:512) echo 8 ;; opencl*:1024) echo 4 ;; opencl*) echo 2 ;;
                *:256) echo 2 ;; *) echo 1 ;; esac
}
shape() { case $1 in esm2_t6_8M) echo "6 320 20" ;; esm2_t12_35M) echo "12 480 20" ;; esm2_t30_150M) echo "30 640 20" ;; esm2_t33_650M) echo "33 1280 20" ;; esac; }
stream() { "$PYTHON" "$TORCH" fasta "$1" "$2" | "$BIN/seqread"; }
model() { [ -f "$MDIR/$1/model.safetensors" ] || "$BIN/mkmodel" --shape "$1" --seed 1 -o "$MDIR/$1" > /dev/null; }

# seconds (wall clock) of: attn -m MODEL --MODE --backend B STREAM; "nan" when attn fails or
# its OpenCL backend falls back to the CPU
timed() {
  t0=$(date +%s.%N)
  "$BIN/attn" -m "$MDIR/$1" --"$2" --backend "$3" --threads "$CPU_THREADS" "$4" > /dev/null 2> "$T/attn.err" ||
    { echo "  attn $1 --$2 --backend $3 failed: $(head -c 300 "$T/attn.err")" >&2; echo nan; return; }
  t1=$(date +%s.%N)
  grep -q 'using the CPU backend' "$T/attn.err" && { echo "  attn --backend $3: $(head -c 300 "$T/attn.err")" >&2; echo nan; return; }
  awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.4f\n", b - a }'
}

per_protein() {  # per_protein MODEL MODE BACKEND L
  R=$(repeats "$3" "$4")
  stream "$4" 1 > "$T/one.tsr" && stream "$4" $((R + 1)) > "$T/many.tsr" || { echo nan; return; }
  awk -v t1="$(timed "$1" "$2" "$3" "$T/one.tsr")" -v t2="$(timed "$1" "$2" "$3" "$T/many.tsr")" -v R="$R" 'BEGIN {
    if (t1 == "nan" || t2 == "nan") { print "nan"; exit }
    per = (t2 - t1) / R; if (per <= 0) per = t2 / (R + 1); printf "%.5f\n", per }'
}

check() {
  echo "== check: attn vs torch f32 on one protein of L = 256"
  stream 256 1 > "$T/check.tsr" || return
  for m in $MODELS; do
    model "$m" || { echo "$m: mkmodel failed"; continue; }
    for b in "$CLDEV" cpu; do
      rm -rf "$T/npy"
      "$BIN/attn" -m "$MDIR/$m" --backend "$b" --logits --contacts "$T/check.tsr" 2> "$T/attn.err" |
        "$BIN/plmstream" npy -o "$T/npy" || { echo "$m $b: attn failed: $(head -c 300 "$T/attn.err")"; continue; }
      grep -q 'using the CPU backend' "$T/attn.err" && { echo "$m $b: $(cat "$T/attn.err")"; continue; }
      [ $torch = yes ] || { echo "$m $b: attn ran; no torch to compare with"; continue; }
      echo "$m $b: $("$PYTHON" "$TORCH" check "$MDIR/$m" "$T/npy" p256_0 2>&1 | tail -n 1)"
    done
  done
}

time_all() {
  echo "== time: seconds per protein (opencl = $CLDEV, cpu = CPU backend, $CPU_THREADS threads)"
  printf '%-14s %5s %-10s | %10s %10s %7s | %10s %8s | %10s\n' model L mode "opencl" "torch-f32" ratio "torch-f16" "torchMB" "cpu"
  for m in $MODELS; do
    model "$m" || { echo "$m: mkmodel failed"; continue; }
    : > "$T/torch"
    [ $torch = yes ] && { "$PYTHON" "$TORCH" time "$MDIR/$m" "$TORCH_RUNS" "$(echo $MODES | tr ' ' ,)" $LENGTHS > "$T/torch" 2> "$T/torch.err" ||
      echo "torch $m failed: $(tail -n 3 "$T/torch.err")"; }
    grep -h '(' "$T/torch" | sed 's/^/  torch: /' | sort -u
    for mode in $MODES; do
      for L in $LENGTHS; do
        o=$(per_protein "$m" "$mode" "$CLDEV" "$L")
        c=$(per_protein "$m" "$mode" cpu "$L")
        awk -v m="$m" -v L="$L" -v mode="$mode" -v o="$o" -v c="$c" '
          $1 == mode && $2 == L && $3 == "f32" { t32 = $4; mb = $5 } $1 == mode && $2 == L && $3 == "f16" { t16 = $4 }
          function s(t) { return t == "" || t == "nan" ? "-" : sprintf("%.4fs", t) }
          END { r = (o == "nan" || t32 == "" || t32 == "nan") ? "-" : sprintf("%.2fx", o / t32)
                printf "%-14s %5d %-10s | %10s %10s %7s | %10s %8s | %10s\n", m, L, mode, s(o), s(t32), r, s(t16),
                       (t32 == "" || t32 == "nan" || mb == 0) ? "-" : mb, s(c) }' "$T/torch"
      done
    done
  done
}

probe() {
  set -- $MODELS; eval "m=\${$#}"
  set -- $(shape "$m")
  model "$m" || { echo "$m: mkmodel failed"; return; }
  avail=$(awk '/^MemAvailable:/ { print $2 * 1024 }' /proc/meminfo)
  echo "== probe: the largest L that runs, $m, plmscope on $CLDEV and torch f32 (each try at most ${PROBE_TIMEOUT}s)"
  for mode in contacts attentions; do
    best=none
    for L in $PROBE_LENGTHS; do
      bytes=$(awk -v nl="$1" -v H="$3" -v L="$L" 'BEGIN { printf "%.0f", nl * H * (L + 2) * (L + 2) * 4 }')
      if [ $mode = attentions ] && [ "$(awk -v b="$bytes" -v a="$avail" 'BEGIN { print (2 * b > a) }')" = 1 ]; then
        echo "  plmscope $mode L=$L: not tried: the record's attentions alone are $((bytes >> 30)) GiB (host: $((avail >> 30)) GiB available)"; break
      fi
      stream "$L" 1 > "$T/probe.tsr" || break
      t0=$(date +%s)
      timeout "$PROBE_TIMEOUT" "$BIN/attn" -m "$MDIR/$m" --$mode --backend "$CLDEV" "$T/probe.tsr" > /dev/null 2> "$T/attn.err"
      rc=$? t=$(($(date +%s) - t0))
      if [ $rc -eq 0 ] && ! grep -q 'using the CPU backend' "$T/attn.err"; then best=$L; echo "  plmscope $mode L=$L: ok (${t}s)"; continue; fi
      [ $rc -eq 124 ] && echo "  plmscope $mode L=$L: timed out after ${PROBE_TIMEOUT}s" ||
        echo "  plmscope $mode L=$L: failed (${t}s, status $rc): $(grep -v '^attn: warning: .*1024 tokens' "$T/attn.err" | head -c 300)"
      break
    done
    echo "plmscope $mode: largest L that ran: $best"
    [ $torch = yes ] || continue
    best=none
    for L in $PROBE_LENGTHS; do
      timeout "$PROBE_TIMEOUT" "$PYTHON" "$TORCH" probe "$MDIR/$m" $mode "$L" > "$T/torch.err" 2>&1
      rc=$?
      [ $rc -eq 0 ] && { best=$L; continue; }
      [ $rc -eq 124 ] && echo "  torch $mode L=$L: timed out after ${PROBE_TIMEOUT}s" || echo "  torch $mode L=$L: $(tail -n 1 "$T/torch.err" | head -c 300)"
      break
    done
    echo "torch f32 $mode: largest L that ran: $best"
  done
}

main() {
  echo "== plmscope GPU bench, $(date -u '+%Y-%m-%d %H:%M UTC'), $(uname -m)"
  command -v nvidia-smi > /dev/null && nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader
  "$BIN/attn" --version
  "$BIN/attn" --list-devices > "$T/devices" 2>&1 || : > "$T/devices"
  cat "$T/devices"
  CLDEV=$(awk -F '\t' -v want="$PLMSCOPE_OPENCL_DEVICE" '
    want != "" && $1 == want { print $1; found = 1; exit }
    want == "" && $5 == "GPU" && gpu == "" { gpu = $1 }
    NR == 1 && $1 ~ /^[0-9]+:[0-9]+$/ { first = $1 }
    END { if (!found && want == "") print (gpu != "" ? gpu : first) }' "$T/devices")
  [ -n "$CLDEV" ] || { echo "no OpenCL device (attn --list-devices): nothing to measure"; return 1; }
  CLDEV=opencl:$CLDEV
  echo "OpenCL backend: --backend $CLDEV"
  if "$PYTHON" "$TORCH" env; then torch=yes; else torch=no; echo "(torch columns left empty)"; fi
  for part in $PARTS; do
    case $part in check) check ;; time) time_all ;; probe) probe ;; *) echo "unknown part $part (check, time, probe)" ;; esac
  done
}

if [ -n "$OUT" ]; then main 2>&1 | tee "$OUT/gpu-bench.txt"; else main 2>&1; fi
