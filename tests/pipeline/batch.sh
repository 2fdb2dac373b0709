# batch.sh: attn's batched forward passes (--batch-tokens) against one protein at a time on every
# architecture's fixture (mixed lengths, masks, a one-residue protein in one batch), blocked
# attention and the OpenCL backend inside batches; -o/--resume after SIGKILL at several points, and
# plmstream repair on a cut stream.
. "${0%/*}/../lib.sh"
need_shared fixtures/golden "attn batching" || exit 0
need_python "attn batching" || exit 0
M=$SHARED/fixtures/models G=$SHARED/fixtures/golden

# same.py A B: the .npy files of two directories equal to float rounding (relative to each tensor's scale)
cat > "$T/same.py" <<'PY'
import os, sys
import numpy as np
a, b = sys.argv[1:3]
fa, fb = sorted(os.listdir(a)), sorted(os.listdir(b))
assert fa == fb, ("different tensors", set(fa) ^ set(fb))
worst = 0.0
for f in fa:
    x, y = np.load(os.path.join(a, f)).astype(np.float64), np.load(os.path.join(b, f)).astype(np.float64)
    assert x.shape == y.shape, (f, x.shape, y.shape)
    e = np.abs(x - y).max() / max(np.abs(y).max(), 1e-30) if x.size else 0.0
    # float32 rounding: a batch's GEMMs have more rows, and oneDNN (like OpenBLAS) blocks and
    # accumulates by shape, so sums differ in the last bits; f16 maps: one half ulp
    assert e <= (1e-3 if np.load(os.path.join(a, f)).dtype == np.float16 else 5e-5), (f, e)
    worst = max(worst, e)
print("%d tensors, max rel diff %.1e" % (len(fa), worst))
PY
"$PYTHON" -c 'import json,sys; [print(">%s\n%s" % (s["name"], s["sequence"])) for s in json.load(open(sys.argv[1]))["sequences"]]' \
  "$G/esm2_t3_tiny_random/index.json" > "$T/g.fa"

# parity LABEL MODEL ATTN-OPTIONS...: --batch-tokens 100000 (all in one pass) vs 1 (one at a time)
parity() {
  label=$1 model=$2; shift 2
  "$BIN/seqread" "$T/g.fa" > "$T/in.tsr" || return 1
  "$BIN/attn" -m "$model" --threads 2 --batch-tokens 100000 "$@" "$T/in.tsr" | "$BIN/plmstream" npy -o "$T/$label.b" || return 1
  "$BIN/attn" -m "$model" --threads 2 --batch-tokens 1 "$@" "$T/in.tsr" | "$BIN/plmstream" npy -o "$T/$label.1" || return 1
  "$PYTHON" "$T/same.py" "$T/$label.b" "$T/$label.1"
}
ALL="--attentions --logits --repr all --mean --bos"
for run in "esm2_pt $M/esm2_t3_tiny_random.pt --contacts" \
           "esm2_8M $M/esm2_t6_8M_shape_random.pt --contacts" \
           "esm1b $M/esm1b_t2_tiny_random.pt --contacts" \
           "esm1 $M/esm1_t3_tiny_random.pt --contacts" \
           "esm1_blocks $M/esm1_t3_tiny_random.pt --contacts --attn-memory 2K" \
           "esm2_blocks $M/esm2_t3_tiny_random.pt --contacts --attn-memory 2K" \
           "esm2_f16maps $M/esm2_t3_tiny_random.pt --contacts --attn-dtype f16 --layers 2 --heads 1,3" \
           "protbert $M/protbert_t3_tiny_random.hf" "protalbert $M/protalbert_t3_tiny_random" \
           "protxlnet $M/protxlnet_t3_tiny_random" "tape_bert $M/tape_bert_t3_tiny_random"; do
  set -- $run
  if out=$(parity "$@" $ALL 2>&1); then pass "attn batched = one at a time, $1: $out"; else fail "attn batched, $1: $out"; fi
done
for run in "esm2_ocl $M/esm2_t3_tiny_random.pt --contacts" "esm1_ocl $M/esm1_t3_tiny_random.pt --contacts" "protbert_ocl $M/protbert_t3_tiny_random.hf" \
           "protxlnet_ocl $M/protxlnet_t3_tiny_random"; do
  set -- $run
  if out=$(parity "$@" --backend opencl $ALL 2>&1); then pass "attn batched = one at a time on OpenCL (pocl), $1: $out"
  else fail "attn batched on OpenCL, $1: $out"; fi
done

# a protein over the model's limit inside a batch follows --long alone; the rest still batch
{ cat "$T/g.fa"; "$PYTHON" -c 'print(">long\n" + "MKTAYIAKQRQISFVKSHFSRQ" * 50)'; cat "$T/g.fa" | sed 's/^>/>again_/'; } > "$T/gl.fa"
cp "$T/g.fa" "$T/g.fa.keep"; cp "$T/gl.fa" "$T/g.fa"
if out=$(parity esm1b_long "$M/esm1b_t2_tiny_random.pt" --contacts --logits --long window:400:200 2>&1); then
  pass "attn batched = one at a time with a 1100-residue protein in windows (--long) mid-batch, esm1b: $(echo "$out" | tail -1)"
else fail "attn batched with --long: $out"; fi
cp "$T/g.fa.keep" "$T/g.fa"

# the batched output, against the golden files too (attn.sh checks each fixture; this the batch of all)
"$BIN/seqread" "$T/g.fa" | "$BIN/attn" -m "$M/esm2_t3_tiny_random.pt" --threads 2 --batch-tokens 3 --logits \
  | "$BIN/plmstream" ls > "$T/ls"
check "attn small batches keep the input order" sh -c "cut -f2 '$T/ls' | tr '\n' ' ' | grep -qx 'short1 pep7 ubq ambig masked gfp_frag '"

# resume after SIGKILL: a run long enough to cut (the 8M shape over 48 proteins), killed at several
# points; each resume must give the bytes of the uninterrupted run
random_fasta 48 20 160 5 > "$T/many.fa"
"$BIN/seqread" "$T/many.fa" > "$T/many.tsr"
A="-m $M/esm2_t6_8M_shape_random.pt --threads 2 --contacts --batch-tokens 600"
"$BIN/attn" $A -o "$T/full.tsr" "$T/many.tsr"
full=$(wc -c < "$T/full.tsr")
for pct in 0 20 50 80; do      # kill once the output holds pct % of the whole run's bytes
  rm -f "$T/part.tsr"
  "$BIN/attn" $A -o "$T/part.tsr" "$T/many.tsr" & pid=$!
  while [ $pct -gt 0 ] && kill -0 $pid 2>/dev/null && [ "$(cat "$T/part.tsr" 2>/dev/null | wc -c)" -lt $((full * pct / 100)) ]; do
    sleep 0.05
  done
  kill -KILL $pid 2>/dev/null; wait $pid 2>/dev/null
  n=$("$BIN/plmstream" repair "$T/part.tsr" 2>&1 >/dev/null | sed -n 's/.*\(kept\|whole:\) \([0-9]*\) .*/\2/p')
  if "$BIN/attn" $A -o "$T/part.tsr" --resume "$T/many.tsr" 2>"$T/err" && cmp -s "$T/part.tsr" "$T/full.tsr"; then
    pass "attn --resume after SIGKILL at ${pct}% of the output (${n:-0} of 48 records kept) is byte-identical to an uninterrupted run"
  else fail "attn --resume after SIGKILL at ${pct}%: $(head -c 300 "$T/err")"; fi
done
check_fails "attn --resume refuses a different input" "not the same input" \
  sh -c "'$BIN/seqread' '$T/g.fa' | '$BIN/attn' $A -o '$T/full.tsr' --resume"
check_fails "attn --resume needs -o" "needs -o FILE" "$BIN/attn" $A --resume "$T/many.tsr"

# plmstream repair: a stream cut in its middle keeps its whole records and is closed
size=$(wc -c < "$T/full.tsr")
head -c $((size * 2 / 3)) "$T/full.tsr" > "$T/cut.tsr"
"$BIN/plmstream" repair "$T/cut.tsr" > "$T/fixed.tsr" 2>"$T/err"
k=$(sed -n 's/.*kept \([0-9]*\) intact.*/\1/p' "$T/err")
n=$("$BIN/plmstream" ls "$T/fixed.tsr" | wc -l)
if [ -n "$k" ] && [ "$k" -gt 0 ] && [ "$k" -lt 48 ] && [ "$n" = "$k" ]; then pass "plmstream repair keeps $k intact records of a cut stream and closes it"
else fail "plmstream repair: kept '$k', ls lists '$n': $(cat "$T/err")"; fi
check "plmstream repair's records equal the first ones of the whole run" sh -c \
  "'$BIN/plmstream' select --first $k '$T/full.tsr' | cmp -s - '$T/fixed.tsr'"
check "plmstream repair copies a whole stream unchanged" sh -c \
  "'$BIN/plmstream' repair '$T/full.tsr' 2>'$T/rerr' | cmp -s - '$T/full.tsr' && grep -q 'is intact: kept all 48 records' '$T/rerr'"

# the progress line: forced with --progress (stderr here is no terminal), silent by default
check "attn --progress reports records, residues and an ETA on a file" sh -c \
  "'$BIN/attn' $A --progress '$T/many.tsr' 2>&1 >/dev/null | tr '\r' '\n' | grep -q '^attn: 48 records, [0-9]* residues, .*100%'"
check "attn is silent on a stderr that is no terminal" sh -c "'$BIN/attn' $A '$T/many.tsr' 2>&1 >/dev/null | wc -c | grep -qx 0"
