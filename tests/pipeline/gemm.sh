# gemm.sh: the CPU backend's two sgemm libraries ($PLMSCOPE_GEMM, backend_cpu.c): the golden and
# parity unit tests pass on each path this build has (OpenBLAS always; oneDNN when configure found
# it), and auto picks oneDNN exactly where the CPU has AVX-512. OPENBLAS_CORETYPE is left as it is.
. tests/lib.sh
M=$SHARED/fixtures/models
for tool in seqread attn plmstream; do [ -x "$BIN/$tool" ] || { skip "gemm paths: $BIN/$tool not built"; exit 0; }; done
need_shared fixtures/models "gemm paths" || exit 0

printf '>p\nMKTAYIAKQRQISFVKSHFSRQ\n' > "$T/p.fa"
"$BIN/seqread" "$T/p.fa" > "$T/p.tsr" || { fail "gemm paths: seqread failed"; exit 0; }
meta() {   # GEMM: the backend= metadata attn writes on the CPU with PLMSCOPE_GEMM=GEMM, or the error
  PLMSCOPE_GEMM=$1 "$BIN/attn" -m "$M/esm2_t3_tiny_random.pt" --backend cpu --threads 1 --logits "$T/p.tsr" 2>"$T/err" > "$T/a.tsr" &&
    "$BIN/plmstream" ls -l < "$T/a.tsr" | tr '\t' '\n' | grep '^backend='
}
paths=openblas
if m=$(meta dnnl); then
  paths="openblas dnnl"
  case $m in *oneDNN*) pass "PLMSCOPE_GEMM=dnnl runs oneDNN: $m" ;; *) fail "PLMSCOPE_GEMM=dnnl: '$m'" ;; esac
  want=OpenBLAS; grep -qw avx512f /proc/cpuinfo 2>/dev/null && want=oneDNN
  m=$(meta auto)
  case $m in *"$want sgemm") pass "PLMSCOPE_GEMM=auto picks $want on this CPU" ;; *) fail "PLMSCOPE_GEMM=auto: '$m', expected $want" ;; esac
elif grep -q 'has no oneDNN' "$T/err"; then
  skip "gemm paths: oneDNN: this build has none (install libdnnl-dev, then ./configure)"
else
  fail "PLMSCOPE_GEMM=dnnl: $(head -c 300 "$T/err")"
fi

for g in $paths; do
  for t in test_esm_golden test_bert_golden test_esm test_esm_f16 test_backend; do
    [ -x "$BUILD/tests/$t" ] || { skip "gemm $g: $t not built"; continue; }
    out=$(PLMSCOPE_GEMM=$g "$BUILD/tests/$t" 2>&1); rc=$?
    np=$(printf '%s\n' "$out" | grep -c '^PASS '); nf=$(printf '%s\n' "$out" | grep -c '^FAIL ')
    if [ $rc -eq 0 ] && [ "$nf" -eq 0 ] && [ "$np" -gt 0 ]; then pass "PLMSCOPE_GEMM=$g $t ($np checks)"
    else fail "PLMSCOPE_GEMM=$g $t: status $rc, $nf failed: $(printf '%s\n' "$out" | grep '^FAIL ' | head -n 2)"; fi
  done
done
