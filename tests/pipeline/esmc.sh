# esmc.sh: ESM C through the tools. seqread --chain-breaks | attn | plmstream npy on the golden
# sequences of esmc_t3_tiny_random (the .pth and the .safetensors), checked by numpy against
# EvolutionaryScale's outputs: tokens, logits (the first 33 of 64 columns), attentions, repr0..3,
# embeddings, and mean_embeddings = the embeddings' residue mean; then the refusals (a '|' without
# --chain-breaks, --contacts with no head, --embeddings on ESM-2, a non-64 head size), mkmodel's
# random ESM C, and a head fitted by lrfit train on ESM C's APC maps applied by lrfit predict.
. tests/lib.sh
M=$SHARED/fixtures/models
G=$SHARED/fixtures/golden/esmc_t3_tiny_random
[ -f "$M/esmc_t3_tiny_random.pth" ] || { skip "esmc pipeline: $M/esmc_t3_tiny_random.pth absent"; exit 0; }
need_shared fixtures/golden/esmc_t3_tiny_random "esmc pipeline" || exit 0
need_python "esmc pipeline" || exit 0

cat > "$T/golden.py" <<'PY'
import json, sys
import numpy as np
gold, out = sys.argv[1], sys.argv[2]
worst = {}
for s in json.load(open(gold + "/index.json"))["sequences"]:
    n = s["name"]
    for t in ["tokens", "logits", "attentions", "embeddings"] + ["repr%d" % k for k in range(4)]:
        a = np.load("%s/%s.%s.npy" % (out, n, t)).astype(np.float64)
        b = np.load("%s/%s.%s.npy" % (gold, n, t)).astype(np.float64)
        if t == "logits":
            b = b[:, :33]
        assert a.shape == b.shape, (n, t, a.shape, b.shape)
        e = np.abs(a - b).max() / (1 if t in ("tokens", "attentions") else np.abs(b).max())
        assert e <= (0 if t == "tokens" else 1e-5 if t == "attentions" else 1e-4), (n, t, e)
        worst[t[:4]] = max(worst.get(t[:4], 0), e)
    m = np.load("%s/%s.mean_embeddings.npy" % (out, n))
    e = np.abs(m - np.load("%s/%s.embeddings.npy" % (gold, n))[1:-1].mean(0)).max()
    assert e <= 1e-4, (n, "mean_embeddings", e)
print(" ".join("%s %.1e" % kv for kv in sorted(worst.items())))
PY
"$PYTHON" -c 'import json,sys; [print(">%s\n%s" % (s["name"], s["sequence"])) for s in json.load(open(sys.argv[1]))["sequences"]]' \
  "$G/index.json" > "$T/g.fa"
for f in esmc_t3_tiny_random.pth esmc_t3_tiny_random.safetensors; do
  if "$BIN/seqread" --chain-breaks "$T/g.fa" | "$BIN/attn" -m "$M/$f" --attentions --logits --repr all --embeddings --mean \
       --threads 2 | "$BIN/plmstream" npy -o "$T/$f" 2>"$T/err" && out=$("$PYTHON" "$T/golden.py" "$G" "$T/$f" 2>&1); then
    pass "attn $f vs golden through seqread --chain-breaks and plmstream npy: $out"
  else fail "attn $f: $(head -c 300 "$T/err") $out"; fi
done
"$BIN/seqread" --chain-breaks "$T/g.fa" | "$BIN/attn" -m "$M/esmc_t3_tiny_random.pth" --repr 1 --residues-only --embeddings \
  | "$BIN/plmstream" ls -l | tr '\t' '\n' > "$T/ls"
check "attn ESM C metadata and --residues-only rows" sh -c "for f in model=esmc_t3_tiny_random model_arch=esmc 'repr1:f32\[20,128\]' \
  'embeddings:f32\[20,128\]' repr_rows=residues; do grep -qx \"\$f\" '$T/ls' || { echo \"no \$f\" >&2; exit 1; }; done"

printf '>cb\nMKTAY|GSH\n' > "$T/cb.fa"
check_fails "seqread refuses '|' without --chain-breaks, naming it" "chain break '|' at position 6 (in FASTA, seqread --chain-breaks" \
  "$BIN/seqread" "$T/cb.fa"
"$BIN/seqread" --chain-breaks "$T/cb.fa" > "$T/cb.tsr"
check_fails "ESM-2 refuses a chain break" "invalid residue '|'" "$BIN/attn" -m "$M/esm2_t3_tiny_random.pt" --logits "$T/cb.tsr"
check_fails "attn --contacts on ESM C points at lrfit" "ESM C publishes no contact head.*lrfit train" \
  "$BIN/attn" -m "$M/esmc_t3_tiny_random.pth" --contacts "$T/cb.tsr"
check_fails "attn --embeddings on ESM-2 is refused" "already is after it" \
  "$BIN/attn" -m "$M/esm2_t3_tiny_random.pt" --embeddings "$T/cb.tsr"

check "mkmodel --arch esmc 2x128x2" "$BIN/mkmodel" --arch esmc --shape 2x128x2 --seed 3 -o "$T/r.safetensors"
"$BIN/attn" -m "$T/r.safetensors" --logits --attentions "$T/cb.tsr" | "$BIN/plmstream" ls > "$T/r.ls" 2>&1
grep -q 'logits:f32\[11,33\].*attentions:f32\[2,2,11,11\]' "$T/r.ls" && pass "random ESM C: 2 blocks x 2 heads, 33 logits" \
  || fail "random ESM C: $(head -c 300 "$T/r.ls")"
check_fails "mkmodel esmc wants heads = width / 64" "heads = width / 64" "$BIN/mkmodel" --arch esmc --shape 2x128x4 -o "$T/x.safetensors"

# a contact head for ESM C: lrfit train on APC maps with true contacts, lrfit predict applies it
PDB=$SHARED/data/structures/pdb70_subset500
if [ -d "$PDB" ]; then
  "$BIN/structseq" --index "$PDB/INDEX.tsv" --first 3 > "$T/tr.fa" &&
  "$BIN/seqread" "$T/tr.fa" | "$BIN/attn" -m "$M/esmc_t3_tiny_random.pth" --attentions | "$BIN/truecontacts" --pdb-dir "$PDB" \
    --missing skip | "$BIN/apc" > "$T/tr.tsr" && "$BIN/lrfit" train -o "$T/head.yaml" "$T/tr.tsr" 2>"$T/err" &&
  "$BIN/lrfit" predict -w "$T/head.yaml" --name esmc_contacts "$T/tr.tsr" | "$BIN/plmstream" ls > "$T/p.ls" 2>>"$T/err"
  [ "$(grep -c 'esmc_contacts:f32' "$T/p.ls")" -eq 3 ] && pass "lrfit train on ESM C's APC maps; lrfit predict adds its contacts to 3 proteins" \
    || fail "lrfit on ESM C: $(head -c 300 "$T/err")"
else skip "esmc lrfit: $PDB absent"; fi
