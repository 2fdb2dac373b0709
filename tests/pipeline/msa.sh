# msa.sh: attn --msa (MSA Transformer) end to end: seqread --keep-gaps | attn --msa | plmstream npy
# against fair-esm's golden outputs by numpy; A3M insertions dropped; --msa-rows greedy and
# random selection; refusals, each one line naming what is wrong; mkmodel --arch msa loads.
. tests/lib.sh
# mkmodel --arch msa: a random MSA Transformer folder (fair-esm's keys and args) that attn --msa
# loads as it loads the published file, bit-identical for one seed; needs no fixtures
printf '>q\nMKV-LLA\n>a\nMRVALLA\n>b\nMK-ALIA\n' > "$T/rnd.fa"
check "mkmodel --arch msa 2x64x4" "$BIN/mkmodel" --arch msa --shape 2x64x4 --seed 5 -o "$T/rnd"
"$BIN/mkmodel" --arch msa --shape 2x64x4 --seed 5 -o "$T/rnd2" && "$BIN/mkmodel" --arch msa --shape 2x64x4 --seed 6 -o "$T/rnd3"
if cmp -s "$T/rnd/model.safetensors" "$T/rnd2/model.safetensors" && cmp -s "$T/rnd/config.json" "$T/rnd2/config.json" &&
   ! cmp -s "$T/rnd/model.safetensors" "$T/rnd3/model.safetensors"; then pass "mkmodel --arch msa: one seed, the same bytes; another, others"
else fail "mkmodel --arch msa: seeds do not decide the bytes"; fi
if "$BIN/seqread" --keep-gaps "$T/rnd.fa" | "$BIN/attn" -m "$T/rnd" --msa --contacts --attentions -o "$T/rnd.tsr" 2>"$T/err" &&
   "$BIN/plmstream" npy -o "$T/rnpy" "$T/rnd.tsr" 2>>"$T/err"; then
  if need_python "random MSA Transformer contacts"; then
    if out=$("$PYTHON" - "$T/rnpy" <<'PY' 2>&1
import sys, numpy as np
c = np.load(sys.argv[1] + "/q.contacts.npy"); a = np.load(sys.argv[1] + "/q.row_attentions.npy")
assert c.shape == (7, 7) and np.isfinite(c).all() and np.abs(c - c.T).max() < 1e-6 and ((c > 0) & (c < 1)).all(), c
assert a.shape == (2, 4, 8, 8) and np.allclose(a.sum(-1), 1, atol=1e-5), a.shape
print("contacts %s in [%.3f, %.3f]" % (c.shape, c.min(), c.max()))
PY
    ); then pass "mkmodel --arch msa loads in attn --msa: $out"; else fail "random MSA Transformer: $out"; fi
  fi
else fail "attn --msa on mkmodel's: $(head -c 300 "$T/err")"; fi
check_fails "mkmodel msa: heads divide the width" "heads must divide the width" "$BIN/mkmodel" --arch msa --shape 2x64x3 -o "$T/x"

MODEL=$SHARED/fixtures/models/esm_msa1b_t2_tiny_random.pt
GOLD=$SHARED/fixtures/golden/esm_msa1b_t2_tiny_random
need_shared fixtures/golden/esm_msa1b_t2_tiny_random "attn --msa" || exit 0

printf '>q\nMKTAYIAKQR\n>s1\nMKTAHIAK-R\n>s2\nMRT-YIAKQK\n>s3\nLKTAYLAKQR\n' > "$T/small.fa"
# the same alignment as A3M with insertions (lowercase) in s1 and s3
printf '>q\nMKTAYIAKQR\n>s1\nMKTAHIAKggg-R\n>s2\nMRT-YIAKQK\n>s3\nLKTAYLAKQRw\n' > "$T/small.a3m"

if "$BIN/seqread" --keep-gaps "$T/small.fa" \
   | "$BIN/attn" -m "$MODEL" --msa --contacts --col-attentions --logits --repr all -o "$T/small.tsr" 2>"$T/err" &&
   "$BIN/plmstream" npy -o "$T/npy" "$T/small.tsr" 2>>"$T/err"; then
  if need_python "attn --msa vs golden"; then
    if out=$("$PYTHON" - "$T/npy" "$GOLD" <<'PY' 2>&1
import sys, numpy as np
out, gold = sys.argv[1:]
worst = {}
def cmp(name, got, want, tol, rel):
    got, want = np.asarray(got, np.float64), np.asarray(want, np.float64)
    assert got.shape == want.shape, (name, got.shape, want.shape)
    e = np.abs(got - want).max() / (np.abs(want).max() if rel else 1)
    assert e <= tol, (name, e)
    worst[name] = e
g = lambda t: np.load("%s/msa_small.%s.npy" % (gold, t))
o = lambda t: np.load("%s/q.%s.npy" % (out, t))
cmp("tokens", o("tokens"), g("tokens")[0], 0, False)
cmp("logits", o("logits"), g("logits")[0], 1e-4, True)
for k in range(3): cmp("repr%d" % k, o("repr%d" % k), g("repr%d" % k)[0], 1e-4, True)
cmp("row_attentions", o("row_attentions"), g("row_attentions"), 1e-5, False)
c = g("col_attentions"); cmp("col_attentions", o("col_attentions"), c.reshape((-1,) + c.shape[2:]), 1e-5, False)
cmp("contacts", o("contacts"), g("contacts"), 1e-5, False)
print(" ".join("%s %.1e" % kv for kv in worst.items()))
PY
    ); then pass "attn --msa vs fair-esm golden (query row; max errors: $out)"; else fail "attn --msa vs golden: $out"; fi
  fi
else fail "attn --msa: $(head -c 300 "$T/err")"; fi

# A3M insertions are dropped as fair-esm's read_msa does: the same contacts
"$BIN/seqread" --keep-gaps "$T/small.fa" | "$BIN/attn" -m "$MODEL" --msa --contacts | "$BIN/plmstream" tsv --tensor contacts > "$T/fa.tsv" 2>"$T/err"
"$BIN/seqread" --keep-gaps "$T/small.a3m" | "$BIN/attn" -m "$MODEL" --msa --contacts | "$BIN/plmstream" tsv --tensor contacts > "$T/a3m.tsv" 2>>"$T/err"
if [ -s "$T/fa.tsv" ] && cmp -s "$T/fa.tsv" "$T/a3m.tsv"; then pass "attn --msa: A3M insertions dropped (contacts identical to the aligned FASTA's)"
else fail "attn --msa on A3M: $(head -c 300 "$T/err")"; fi

# --msa-rows 2, greedy: s2 is the farthest from the query (3 of 10 columns differ) -> rows q, s2
"$BIN/seqread" --keep-gaps "$T/small.fa" | "$BIN/attn" -m "$MODEL" --msa --msa-rows 2 --contacts > "$T/greedy.tsr" 2>"$T/err"
printf '>q\nMKTAYIAKQR\n>s2\nMRT-YIAKQK\n' | "$BIN/seqread" --keep-gaps | "$BIN/attn" -m "$MODEL" --msa --contacts > "$T/qs2.tsr" 2>>"$T/err"
if "$BIN/plmstream" ls -l "$T/greedy.tsr" | grep -q 'msa_depth=4.*msa_rows=2.*msa_selection=greedy' &&
   [ "$("$BIN/plmstream" tsv --tensor contacts "$T/greedy.tsr")" = "$("$BIN/plmstream" tsv --tensor contacts "$T/qs2.tsr")" ]; then
  pass "attn --msa --msa-rows 2: greedy max-Hamming selection keeps q and s2"
else fail "attn --msa --msa-rows greedy: $(head -c 300 "$T/err")"; fi

# random: seeded, reproducible, the query kept
"$BIN/seqread" --keep-gaps "$T/small.fa" > "$T/small.tsr"
"$BIN/attn" -m "$MODEL" --msa --msa-rows 3 --msa-select random --seed 7 --all-rows --logits "$T/small.tsr" > "$T/r1.tsr" 2>"$T/err"
"$BIN/attn" -m "$MODEL" --msa --msa-rows 3 --msa-select random --seed 7 --all-rows --logits "$T/small.tsr" > "$T/r2.tsr" 2>>"$T/err"
if cmp -s "$T/r1.tsr" "$T/r2.tsr" && "$BIN/plmstream" ls -l "$T/r1.tsr" | grep -q 'tokens:i32\[3,11\].*logits:f32\[3,11,33\].*msa_selection=random:7'; then
  pass "attn --msa --msa-select random --seed 7: 3 of 4 rows, the same on a second run"
else fail "attn --msa random selection: $(head -c 300 "$T/err")"; fi

"$BIN/seqread" "$T/small.fa" > "$T/small.tsr.nogaps"
check_fails "attn --msa: rows without their gaps refused, pointing at seqread --keep-gaps" "keep-gaps" \
  "$BIN/attn" -m "$MODEL" --msa --contacts "$T/small.tsr.nogaps"
check_fails "attn --msa with an ESM-2 model refused" "needs an MSA Transformer" \
  "$BIN/attn" -m "$SHARED/fixtures/models/esm2_t3_tiny_random.pt" --msa "$T/small.tsr"
check_fails "attn --col-attentions without --msa refused" "need --msa" \
  "$BIN/attn" -m "$MODEL" --col-attentions "$T/small.tsr"

# msaensemble takes the MSA Transformer's per-sequence contacts (each record a one-row alignment)
A3M=$SHARED/data/msa/esm/data/UniRef50_E9K9Y4.a3m
if [ -f "$A3M" ]; then
  if "$BIN/seqread" --duplicates rename "$A3M" | "$BIN/attn" -m "$MODEL" --contacts | "$BIN/msaensemble" > "$T/ens.tsr" 2>"$T/err" &&
     "$BIN/plmstream" ls -l "$T/ens.tsr" | grep -q 'contacts:f32\[98,98\].*ensemble_count.*model_arch=msa.*ensemble_n=17'; then
    pass "msaensemble over the MSA Transformer's per-sequence contacts (17 sequences, 98 query residues)"
  else fail "msaensemble with the MSA Transformer: $(head -c 300 "$T/err") $("$BIN/plmstream" ls -l "$T/ens.tsr" 2>&1 | head -c 300)"; fi
else skip "msaensemble with the MSA Transformer: $A3M absent"; fi

# Rao et al.'s protocol (experiments/) runs on the MSA Transformer, one sequence at a time
if [ -d "$SHARED/data/structures/pdb70_subset500" ] && command -v make >/dev/null; then
  abs() { case $1 in /*) echo "$1";; *) echo "$PWD/$1";; esac; }
  if make -s -C experiments MODEL="$(abs "$MODEL")" SHARED="$(abs "$SHARED")" BIN="$(abs "$BIN")" OUT="$T/exp" \
       NTRAIN=3 NTEST=4 SIZES="1 3" TOPK="1 2" >"$T/out" 2>"$T/err" &&
     [ "$(grep -c '^esm_msa1b_t2_tiny_random.pt' "$T/exp/table.tsv")" -eq 4 ]; then
    pass "make -C experiments on the MSA Transformer: 4 variants in table.tsv"
  else fail "experiments on the MSA Transformer: $(head -c 300 "$T/err")"; fi
else skip "experiments on the MSA Transformer: pdb70_subset500 or make absent"; fi
