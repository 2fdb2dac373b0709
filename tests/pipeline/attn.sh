# attn.sh: seqread | attn | plmstream npy on every fixture ESM model, checked against the golden
# .npy files by numpy; then attn's refusals, each one line naming what is wrong.
. tests/lib.sh
need_shared fixtures/golden "attn pipeline" || exit 0
need_python "attn pipeline" || exit 0
for tool in seqread plmstream mkmodel; do
  [ -x "$BIN/$tool" ] || { skip "attn pipeline: $BIN/$tool not built"; exit 0; }
done
M=$SHARED/fixtures/models

# golden.py GOLDEN_DIR NPY_DIR NLAYERS: every output of every index.json sequence within tolerance
cat > "$T/golden.py" <<'EOF'
import json, os, sys
import numpy as np
gold, out, nl = sys.argv[1], sys.argv[2], int(sys.argv[3])
worst = {}
for s in json.load(open(gold + "/index.json"))["sequences"]:
    names = ["tokens", "logits", "attentions", "contacts"] + ["repr%d" % k for k in range(nl + 1)]
    for t in names:
        want = "%s/%s.%s.npy" % (gold, s["name"], t)
        if not os.path.exists(want):
            continue
        a, b = np.load("%s/%s.%s.npy" % (out, s["name"], t)).astype(np.float64), np.load(want).astype(np.float64)
        assert a.shape == b.shape, (s["name"], t, a.shape, b.shape)
        e = np.abs(a - b).max()
        if t in ("logits",) or t.startswith("repr"):
            e /= np.abs(b).max()
        tol = 0 if t == "tokens" else 1e-5 if t in ("attentions", "contacts") else 1e-4
        assert e <= tol, (s["name"], t, e)
        worst[t[:4]] = max(worst.get(t[:4], 0), e)
print(" ".join("%s %.1e" % kv for kv in sorted(worst.items())))
EOF

# one FASTA of the golden sequences, ids = golden names
to_fasta() {
  "$PYTHON" -c 'import json,sys; [print(">%s\n%s" % (s["name"], s["sequence"])) for s in json.load(open(sys.argv[1]))["sequences"]]' "$1"
}

golden_run() {   # LABEL MODEL GOLDEN NLAYERS
  label=$1 model=$2 gold=$SHARED/fixtures/golden/$3 nl=$4
  to_fasta "$gold/index.json" > "$T/$label.fa" || return 1
  "$BIN/seqread" "$T/$label.fa" | "$BIN/attn" -m "$model" --attentions --logits --contacts --repr all --threads 2 \
    | "$BIN/plmstream" npy -o "$T/$label" || return 1
  "$PYTHON" "$T/golden.py" "$gold" "$T/$label" "$nl"
}

for run in "esm2_pt $M/esm2_t3_tiny_random.pt esm2_t3_tiny_random 3" \
           "esm2_hf $M/esm2_t3_tiny_random.hf esm2_t3_tiny_random 3" \
           "esm2_8M $M/esm2_t6_8M_shape_random.pt esm2_t6_8M_shape_random 6" \
           "esm1b $M/esm1b_t2_tiny_random.pt esm1b_t2_tiny_random 2"; do
  set -- $run
  if out=$(golden_run "$@" 2>&1); then pass "attn $1 vs golden through seqread and plmstream npy: $out"; else fail "attn $1: $out"; fi
done

# metadata and selections
printf '>a\nMKTAYIAKQR\n' > "$T/a.fa"
"$BIN/seqread" "$T/a.fa" | "$BIN/attn" -m "$M/esm2_t3_tiny_random.pt" --layers 2-3 --heads 1,4 --attn-dtype f16 \
  --repr 1 --mean --bos > "$T/sel.tsr" 2>"$T/err"
"$BIN/plmstream" ls -l "$T/sel.tsr" | tr '\t' '\n' > "$T/sel.ls"
check "attn selections and metadata" sh -c "for f in 'tokens:i32\[12\]' 'attentions:f16\[2,2,12,12\]' 'repr1:f32\[12,96\]' \
  'mean1:f32\[96\]' 'bos1:f32\[96\]' attention_layers=2,3 attention_heads=1,4 special_tokens=bos,eos model=esm2_t3_tiny_random \
  model_arch=esm2; do grep -qx \"\$f\" '$T/sel.ls' || { echo \"no \$f\" >&2; exit 1; }; done"

# refusals
# seqread refuses such a residue itself; from-npy makes the record anyway
"$BIN/plmstream" from-npy --id bad --seq MKTJAY tokens="$SHARED/fixtures/golden/esm2_t3_tiny_random/pep7.tokens.npy" > "$T/bad.tsr"
check_fails "attn names a record with an invalid residue" "record 1 (\"bad\"): invalid residue 'J' at position 4" \
  "$BIN/attn" -m "$M/esm2_t3_tiny_random.pt" --logits "$T/bad.tsr"
check_fails "attn without -m" "no model" "$BIN/attn" --logits
check_fails "attn with a missing model" "nosuch.pt" "$BIN/attn" -m "$T/nosuch.pt"
cp "$M/esm2_t3_tiny_random.pt" "$T/alone.pt"
check_fails "attn --contacts without the regression file" "no contact regression" \
  sh -c "'$BIN/seqread' '$T/a.fa' | '$BIN/attn' -m '$T/alone.pt' --contacts"
check_fails "attn --layers outside the model" "outside 1-3" "$BIN/attn" -m "$M/esm2_t3_tiny_random.pt" --layers 4

# attention in blocks of query rows (--attn-memory 2K: 2 of the 12 token rows of the 8M shape's 20 heads at a time)
# gives the whole maps' attentions and contacts
"$BIN/seqread" "$T/a.fa" > "$T/blk.tsr"
for mem in 1G 2K; do
  "$BIN/attn" -m "$M/esm2_t6_8M_shape_random.pt" --attentions --contacts --attn-memory $mem "$T/blk.tsr" | "$BIN/plmstream" npy -o "$T/blk_$mem"
done
if out=$("$PYTHON" -c 'import sys, numpy as np
e = max(np.abs(np.load(f"{sys.argv[1]}/a.{t}.npy") - np.load(f"{sys.argv[2]}/a.{t}.npy")).max() for t in ("attentions", "contacts"))
print(f"max difference {e:.1e}"); sys.exit(0 if 0 <= e < 1e-5 else 1)' "$T/blk_1G" "$T/blk_2K" 2>&1); then pass "attn --attn-memory 2K (blocks of query rows) equals whole maps: $out"
else fail "attn --attn-memory 2K vs whole maps: $out"; fi
check_fails "attn --attn-memory without a size" "wants a size in bytes" "$BIN/attn" -m "$M/esm2_t3_tiny_random.pt" --attn-memory 12Q

# pooling around other special-token layouts: mean<K> over the residue rows, bos<K> the leading
# special token's row ([CLS]) or, with none leading (XLNet), the last row (its <cls>)
cat > "$T/pooled.py" <<'EOF2'
import sys, numpy as np
d, lead, trail = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
r = np.load(f"{d}/a.repr3.npy"); T = r.shape[0]
assert T == 10 + lead + trail, r.shape
e = max(np.abs(np.load(f"{d}/a.mean3.npy") - r[lead:T - trail].mean(0)).max(),
        np.abs(np.load(f"{d}/a.bos3.npy") - r[0 if lead else T - 1]).max())
print(f"{e:.1e}"); sys.exit(0 if e < 1e-5 else 1)
EOF2
for run in "tape_bert_t3_tiny_random cls,sep 1 1" "protxlnet_t3_tiny_random sep,cls 0 2"; do
  set -- $run
  if out=$("$BIN/seqread" "$T/a.fa" | "$BIN/attn" -m "$M/$1" --repr 3 --mean --bos 2>&1 | "$BIN/plmstream" npy -o "$T/pool_$1" 2>&1 &&
           "$PYTHON" "$T/pooled.py" "$T/pool_$1" "$3" "$4" 2>&1); then pass "attn --mean/--bos on $1 ($2): $out"
  else fail "attn --mean/--bos on $1: $out"; fi
done

# OpenCL: the device list, the same numbers as the CPU (1e-5: absolute for attentions and contacts,
# relative for logits and representations), and the CPU when OpenCL cannot run
if "$BIN/attn" --list-devices > "$T/devs" 2>&1 && grep -q '^[0-9]*:[0-9]*	' "$T/devs"; then
  pass "attn --list-devices: $(head -n 1 "$T/devs" | cut -f 1,4 | tr '\t' ' ')"
  cat > "$T/same.py" <<'EOF2'
import glob, os, sys, numpy as np
a, b = sys.argv[1:3]; worst = 0.0
for f in sorted(glob.glob(a + "/*.npy")):
    x, y = np.load(f).astype(np.float64), np.load(os.path.join(b, os.path.basename(f))).astype(np.float64)
    assert x.shape == y.shape, f
    e = np.abs(x - y).max()
    if ".logits." in f or ".repr" in f:   # relative to the largest magnitude, as test_esm_opencl
        e /= max(np.abs(y).max(), 1e-30)
    worst = max(worst, e)
print(f"max opencl - cpu error {worst:.1e}"); sys.exit(0 if worst <= 1e-5 else 1)
EOF2
  "$BIN/seqread" "$T/a.fa" > "$T/a.tsr"
  for be in cpu opencl; do
    "$BIN/attn" -m "$M/esm2_t3_tiny_random.pt" --backend $be --attentions --logits --contacts --repr all --threads 2 "$T/a.tsr" \
      2>"$T/$be.err" | "$BIN/plmstream" npy -o "$T/be_$be"
  done
  if ! grep -q warning "$T/opencl.err" && out=$("$PYTHON" "$T/same.py" "$T/be_opencl" "$T/be_cpu" 2>&1); then pass "attn --backend opencl equals cpu: $out"
  else fail "attn --backend opencl vs cpu: $(head -c 300 "$T/opencl.err") $out"; fi
  dev=$(cut -f1 "$T/devs" | tail -n 1)
  meta=$("$BIN/attn" -m "$M/esm2_t3_tiny_random.pt" --device "$dev" --logits "$T/a.tsr" | "$BIN/plmstream" ls -l | tr '\t' '\n' | grep '^backend=')
  case $meta in "backend=opencl $dev "*) pass "attn --device $dev runs there: $meta" ;; *) fail "attn --device $dev: metadata '$meta'" ;; esac
  meta=$(PLMSCOPE_OPENCL_DEVICE=$dev "$BIN/attn" -m "$M/esm2_t3_tiny_random.pt" --logits "$T/a.tsr" | "$BIN/plmstream" ls -l | tr '\t' '\n' | grep '^backend=')
  case $meta in "backend=opencl $dev "*) pass "attn's default (auto) takes \$PLMSCOPE_OPENCL_DEVICE: $meta" ;; *) fail "auto with \$PLMSCOPE_OPENCL_DEVICE=$dev: '$meta'" ;; esac
else
  skip "attn OpenCL: no OpenCL device here ($(head -c 200 "$T/devs"))"
fi
if "$BIN/attn" -m "$M/esm2_t3_tiny_random.pt" --backend opencl:9:9 --logits "$T/a.tsr" 2>"$T/fb.err" | "$BIN/plmstream" ls -l | tr '\t' '\n' > "$T/fb.ls" &&
   [ "$(grep -c warning "$T/fb.err")" -eq 1 ] && grep -q 'using the CPU backend' "$T/fb.err" && grep -qx 'logits:f32\[12,33\]' "$T/fb.ls"
then pass "attn falls back to the CPU with one warning: $(head -c 150 "$T/fb.err")"
else fail "attn OpenCL fallback: $(head -c 300 "$T/fb.err")"; fi
check_fails "attn --backend with a malformed device" "is not PLATFORM:DEVICE" "$BIN/attn" -m "$M/esm2_t3_tiny_random.pt" --backend opencl:x "$T/a.tsr"
check_fails "attn --backend cpu with a device" "takes no device" "$BIN/attn" -m "$M/esm2_t3_tiny_random.pt" --backend cpu:0:0 "$T/a.tsr"
check_fails "attn --device with a malformed device" "is not PLATFORM:DEVICE" "$BIN/attn" -m "$M/esm2_t3_tiny_random.pt" --device 0 "$T/a.tsr"
# auto (the default) is OpenCL only on a GPU: here, whatever --list-devices calls a GPU, else the CPU
want="backend=cpu, 2 threads"
gpu=$("$BIN/attn" --list-devices 2>/dev/null | awk -F'\t' '$5 == "GPU" { print $1; exit }')
[ -n "$gpu" ] && want="backend=opencl $gpu "
meta=$(env -u PLMSCOPE_BACKEND -u PLMSCOPE_OPENCL_DEVICE "$BIN/attn" -m "$M/esm2_t3_tiny_random.pt" --threads 2 --logits "$T/a.tsr" |
       "$BIN/plmstream" ls -l | tr '\t' '\n' | grep '^backend=')
case $meta in "$want"*) pass "attn's default backend (auto): $meta" ;; *) fail "attn's default backend: '$meta', expected '$want'" ;; esac
meta=$(PLMSCOPE_BACKEND=cpu "$BIN/attn" -m "$M/esm2_t3_tiny_random.pt" --threads 1 --logits "$T/a.tsr" | "$BIN/plmstream" ls -l | tr '\t' '\n' | grep '^backend=')
case $meta in "backend=cpu, 1 thread, "*) pass "\$PLMSCOPE_BACKEND chooses the backend" ;; *) fail "\$PLMSCOPE_BACKEND=cpu: '$meta'" ;; esac
# $PLMSCOPE_GEMM picks the CPU's sgemm library and says so in the stream's metadata
meta=$(PLMSCOPE_BACKEND=cpu PLMSCOPE_GEMM=openblas "$BIN/attn" -m "$M/esm2_t3_tiny_random.pt" --threads 1 --logits "$T/a.tsr" | "$BIN/plmstream" ls -l | tr '\t' '\n' | grep '^backend=')
[ "$meta" = "backend=cpu, 1 thread, OpenBLAS sgemm" ] && pass "\$PLMSCOPE_GEMM=openblas" || fail "\$PLMSCOPE_GEMM=openblas: '$meta'"
check_fails "attn with an unknown \$PLMSCOPE_GEMM" "unknown GEMM library" env PLMSCOPE_GEMM=mkl "$BIN/attn" -m "$M/esm2_t3_tiny_random.pt" --backend cpu "$T/a.tsr"

# --precision f16 on every architecture: weights_precision=f16 in the metadata, logits near the f32
# ones (5e-3 relative to the largest) but not equal (the matrices were rounded); on OpenCL, the CPU's
# f16 numbers (1e-4 relative). f8 refused.
cat > "$T/near.py" <<'EOF2'
import sys, numpy as np
x, y = np.load(sys.argv[1]).astype(np.float64), np.load(sys.argv[2]).astype(np.float64)
lo, hi = float(sys.argv[3]), float(sys.argv[4])
e = np.abs(x - y).max() / np.abs(y).max()
print(f"{e:.1e}"); sys.exit(0 if lo < e <= hi else 1)
EOF2
"$BIN/seqread" "$T/a.fa" > "$T/p.tsr"
for model in esm2_t3_tiny_random.pt protbert_t3_tiny_random.hf protalbert_t3_tiny_random protxlnet_t3_tiny_random; do
  for run in "f32 cpu" "f16 cpu" "f16 opencl"; do
    set -- $run
    [ $2 = opencl ] && ! grep -q '^[0-9]*:[0-9]*	' "$T/devs" && continue
    "$BIN/attn" -m "$M/$model" --precision $1 --backend $2 --logits "$T/p.tsr" > "$T/p_$1_$2.tsr" 2>"$T/p.err" &&
      "$BIN/plmstream" npy -o "$T/p_$1_$2.d" "$T/p_$1_$2.tsr" 2>>"$T/p.err" || echo "attn --precision $1 --backend $2 failed" >>"$T/p.err"
  done
  if [ ! -s "$T/p.err" ] && "$BIN/plmstream" ls -l "$T/p_f16_cpu.tsr" | tr '\t' '\n' | grep -qx weights_precision=f16 &&
     out=$("$PYTHON" "$T/near.py" "$T/p_f16_cpu.d/a.logits.npy" "$T/p_f32_cpu.d/a.logits.npy" 0 5e-3 2>&1)
  then pass "attn --precision f16 on $model: logits $out from f32"
  else fail "attn --precision f16 on $model: $(head -c 300 "$T/p.err") $out"; fi
  if [ -d "$T/p_f16_opencl.d" ]; then
    if out=$("$PYTHON" "$T/near.py" "$T/p_f16_opencl.d/a.logits.npy" "$T/p_f16_cpu.d/a.logits.npy" -1 1e-4 2>&1)
    then pass "attn --precision f16 --backend opencl on $model equals cpu: $out"
    else fail "attn --precision f16 --backend opencl on $model: $out"; fi
  fi
  rm -rf "$T"/p_*
done
check_fails "attn --precision f8 refused" "--precision is f32 or f16, not 'f8'" "$BIN/attn" -m "$M/esm2_t3_tiny_random.pt" --precision f8 "$T/p.tsr"
# a flipped bit inside a stored .pt member (torch does not compress) is refused by its CRC-32, naming the member
if [ -n "$PYTHON" ] && [ -f "$SHARED/fixtures/models/esm2_t3_tiny_random.pt" ]; then
  cp "$SHARED/fixtures/models/esm2_t3_tiny_random.pt" "$T/flip.pt" && chmod u+w "$T/flip.pt"
  member=$("$PYTHON" - "$T/flip.pt" <<'PY'
import sys, zipfile, struct
z = zipfile.ZipFile(sys.argv[1]); i = [i for i in z.infolist() if '/data/' in i.filename and i.file_size > 64][0]
f = open(sys.argv[1], 'r+b'); f.seek(i.header_offset); h = f.read(30)
start = i.header_offset + 30 + struct.unpack('<H', h[26:28])[0] + struct.unpack('<H', h[28:30])[0]
f.seek(start + i.file_size // 2); b = f.read(1); f.seek(start + i.file_size // 2); f.write(bytes([b[0] ^ 4])); print(i.filename)
PY
)
  check_fails "a bit flip in $member is refused by its CRC" "entry $member: CRC mismatch" sh -c "printf '>a\nMKTAY\n' | '$BIN/seqread' -f fasta - | '$BIN/attn' -m '$T/flip.pt' > /dev/null"
else skip "pt member CRC: no python or no fixture"; fi
