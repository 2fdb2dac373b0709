# apc.sh: apc against fair-esm's golden contacts and a numpy oracle.
#
# Golden: for every esm2_t6_8M_shape_random golden sequence (single residue,
# ambiguous codes, inline <mask>, ubiquitin), apc of NAME.attentions.npy, then
# lrfit predict with the real published esm2_t6_8M contact head, must give
# NAME.contacts.npy to 1e-5. Oracle: the f16 path, the plmc-style APC, the
# --average and --top-heads/--top-k means recomputed in numpy; metadata,
# attentions consumed or kept; bad options and layouts refused.
. tests/lib.sh
G=$SHARED/fixtures/golden/esm2_t6_8M_shape_random
PT=$SHARED/fixtures/models/esm2_t6_8M_shape_random-contact-regression.pt
need_python "apc pipeline" || exit 0
need_shared fixtures/golden/esm2_t6_8M_shape_random "apc pipeline" || exit 0
[ -x "$BIN/plmstream" ] || { skip "apc pipeline: $BIN/plmstream not built"; exit 0; }

names="short1 pep7 ubq ambig masked"
for n in $names; do
  seq=$("$PYTHON" -c "import json,sys; print([s['sequence'] for s in json.load(open('$G/index.json'))['sequences'] if s['name'] == '$n'][0])")
  "$BIN/plmstream" from-npy --id "$n" --seq "$seq" attentions="$G/$n.attentions.npy" tokens="$G/$n.tokens.npy" > "$T/$n.tsr" ||
    { fail "apc pipeline: from-npy $n"; exit 0; }
  printf '%s' "$seq" > "$T/$n.seq"
done
"$BIN/plmstream" cat $(for n in $names; do echo "$T/$n.tsr"; done) > "$T/att.tsr"

check "apc | lrfit predict -w esm2_t6_8M contact head" sh -c \
  "'$BIN/apc' '$T/att.tsr' > '$T/apc.tsr' && '$BIN/lrfit' predict -w '$PT' --keep-features '$T/apc.tsr' > '$T/pred.tsr' && '$BIN/plmstream' npy -o '$T/npy' '$T/pred.tsr'"
if out=$("$PYTHON" - "$T" "$G" $names <<'PY' 2>&1
import sys, numpy as np
T, G, names = sys.argv[1], sys.argv[2], sys.argv[3:]
worst = max(np.abs(np.load(f"{T}/npy/{n}.contacts.npy") - np.load(f"{G}/{n}.contacts.npy")).max() for n in names)
print(f"max |contacts - golden| {worst:.1e} over {len(names)} sequences"); sys.exit(0 if worst < 1e-5 else 1)
PY
); then pass "golden contacts reproduced: $out"; else fail "golden contacts: $out"; fi

"$BIN/plmstream" ls -l "$T/apc.tsr" > "$T/ls" 2>&1
if grep -q "ubq.*apc:f32\[120,76,76\]" "$T/ls" && grep "ubq" "$T/ls" | grep -q "layers=6" && grep "ubq" "$T/ls" | grep -q "heads=20" &&
   ! grep -q "attentions:" "$T/ls"; then pass "apc [120, L, L] with layers/heads metadata, attentions consumed"; else fail "apc output: $(head -c 400 "$T/ls")"; fi
check "--keep-attentions" sh -c "'$BIN/apc' --keep-attentions '$T/ubq.tsr' | '$BIN/plmstream' ls -l | grep -q 'attentions:f32'"

# the numpy oracle: fair-esm's apc(symmetrize(x)) and plmc's off-diagonal APC
"$PYTHON" - "$G" "$T" <<'PY' || { fail "apc pipeline: make oracle inputs"; exit 0; }
import sys, numpy as np
G, T = sys.argv[1:3]
a = np.load(f"{G}/ubq.attentions.npy")
np.save(f"{T}/att16.npy", a.astype(np.float16))
open(f"{T}/heads.txt", "w").write("# layer:head score, best first\n6:20 0.9\n1:3 0.5\n4:11 0.1\n")
PY
"$BIN/plmstream" from-npy --id ubq16 --seq "$(cat "$T/ubq.seq")" attentions="$T/att16.npy" > "$T/ubq16.tsr"
check "f16 attentions" sh -c "'$BIN/apc' '$T/ubq16.tsr' | '$BIN/plmstream' npy -o '$T/n16'"
check "--plmc-apc" sh -c "'$BIN/apc' --plmc-apc --output plmc '$T/ubq.tsr' | '$BIN/plmstream' npy -o '$T/nplmc'"
check "--average 1:1,6:20" sh -c "'$BIN/apc' --average 1:1,6:20 '$T/ubq.tsr' | '$BIN/plmstream' npy -o '$T/navg'"
check "--top-heads FILE --top-k 2" sh -c "'$BIN/apc' --top-heads '$T/heads.txt' --top-k 2 --output top2 '$T/ubq.tsr' | '$BIN/plmstream' npy -o '$T/ntop'"
if out=$("$PYTHON" - "$G" "$T" <<'PY' 2>&1
import sys, numpy as np
G, T = sys.argv[1:3]
a = np.load(f"{G}/ubq.attentions.npy")[..., 1:-1, 1:-1].astype(np.float64)   # EOS then BOS cut
def esm_apc(x):
    s = x + np.swapaxes(x, -1, -2); r = s.sum(-1, keepdims=True)
    return s - r * np.swapaxes(r, -1, -2) / s.sum((-1, -2), keepdims=True)
def plmc_apc(x):
    s = x + np.swapaxes(x, -1, -2); L = s.shape[-1]; off = ~np.eye(L, dtype=bool)
    m = np.where(off, s, 0).sum(-1) / (L - 1); tot = np.where(off, s, 0).sum((-1, -2)) / (L * (L - 1))
    return np.where(off, s - m[..., :, None] * m[..., None, :] / tot[..., None, None], 0)
F = esm_apc(a).reshape(120, 76, 76)
a16 = np.load(f"{T}/att16.npy")[..., 1:-1, 1:-1].astype(np.float64)
d = {"f16": np.abs(np.load(f"{T}/n16/ubq16.apc.npy") - esm_apc(a16).reshape(120, 76, 76)).max(),
     "plmc": np.abs(np.load(f"{T}/nplmc/ubq.plmc.npy") - plmc_apc(a).reshape(120, 76, 76)).max(),
     "average": np.abs(np.load(f"{T}/navg/ubq.contacts.npy") - (F[0] + F[119]) / 2).max(),
     "top-2": np.abs(np.load(f"{T}/ntop/ubq.top2.npy") - (F[119] + F[2]) / 2).max()}
print(", ".join(f"{k} {v:.1e}" for k, v in d.items())); sys.exit(0 if max(d.values()) < 1e-5 else 1)
PY
); then pass "f16, plmc APC, --average, --top-k equal numpy: $out"; else fail "apc vs numpy: $out"; fi

check_fails "a head outside the tensor" 'head 7:1 is not among' sh -c "'$BIN/apc' --average 7:1 '$T/ubq.tsr' > /dev/null"
check_fails "a bad head list" 'is not LAYER:HEAD' "$BIN/apc" --average 1-2
check_fails "--top-k without --top-heads" 'needs --top-heads' "$BIN/apc" --top-k 3
check_fails "a wrong token layout" 'special_tokens' sh -c "'$BIN/apc' --special cls '$T/ubq.tsr' > /dev/null"
check_fails "no attentions" 'has no tensor "attentions"' sh -c "'$BIN/apc' '$T/apc.tsr' > /dev/null"

# BERT's cls,sep and XLNet's sep,cls: the special rows cut wherever they stand ([CLS] first and
# [SEP] last; XLNet's <sep> <cls> both last), [C, L, L] with L the residues, checked by numpy
M=$SHARED/fixtures/models
printf '>b\nMKTAYIAKQRQISFVKSHF\n' > "$T/b.fa"
for run in "tape_bert_t3_tiny_random cls,sep" "protxlnet_t3_tiny_random sep,cls"; do
  set -- $run
  if [ ! -d "$M/$1" ] || [ ! -x "$BIN/attn" ] || [ ! -x "$BIN/seqread" ]; then skip "apc on $1: model or attn absent"; continue; fi
  if "$BIN/seqread" "$T/b.fa" | "$BIN/attn" -m "$M/$1" --attentions 2>"$T/err" | "$BIN/apc" --keep-attentions 2>>"$T/err" > "$T/b_$1.tsr" &&
     "$BIN/plmstream" ls -l "$T/b_$1.tsr" > "$T/ls_$1" 2>>"$T/err" && "$BIN/plmstream" npy -o "$T/nb_$1" "$T/b_$1.tsr" 2>>"$T/err" &&
     grep -q "special_tokens=$2" "$T/ls_$1" && grep -q 'apc:f32\[[0-9]*,19,19\]' "$T/ls_$1" &&
     "$PYTHON" - "$T/nb_$1" "$2" <<'PY' 2>>"$T/err"
import sys, numpy as np
d, layout = sys.argv[1:3]
a = np.load(f"{d}/b.attentions.npy").astype(np.float64)
a = a[..., 1:-1, 1:-1] if layout == "cls,sep" else a[..., :-2, :-2]
s = a + np.swapaxes(a, -1, -2); r = s.sum(-1, keepdims=True)
f = (s - r * np.swapaxes(r, -1, -2) / s.sum((-1, -2), keepdims=True)).reshape(-1, 19, 19)
sys.exit(0 if np.abs(np.load(f"{d}/b.apc.npy") - f).max() < 1e-5 else 1)
PY
  then pass "attn $1 | apc: $(grep -o 'apc:f32\[[0-9,]*\]' "$T/ls_$1") for 19 residues ($2), equal to numpy"
  else fail "attn $1 | apc: $(head -c 300 "$T/err") $(head -c 200 "$T/ls_$1")"; fi
done
