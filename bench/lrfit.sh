#!/bin/sh
# lrfit.sh: time an L1 contact-head fit at the scale of ESM-2 650M:
# 20 proteins of 106 residues -> 101,000 pairs (|i-j| >= 6) x 660 features
# (33 layers x 20 heads), APC-like: a per-pair level shared by all heads of a
# layer (strongly correlated columns), a contact signal seen by every 7th
# head, skewed noise, 5% flipped labels. Prints iterations, convergence and
# seconds. Run by `make bench`, not by the tests. Environment: BUILD, PYTHON.
BIN=${BUILD:-build}/bin
PYTHON=${PYTHON:-python3}
T=$(mktemp -d) || exit 1
trap 'rm -rf "$T"' EXIT
"$PYTHON" -c 'import numpy' 2>/dev/null || { echo "lrfit bench: python3 with numpy absent, skipped"; exit 0; }

"$PYTHON" - "$T" <<'PY' || { echo "lrfit bench: data generation failed"; exit 1; }
import sys, numpy as np
T = sys.argv[1]; rng = np.random.default_rng(7); layers, heads, L = 33, 20, 106
sens = np.where(np.arange(layers * heads) % 7 == 0, 0.08, 0.005).astype(np.float32)
for p in range(20):
    i, j = np.triu_indices(L, 1)
    contact = rng.random(len(i)) < 0.12
    pair = rng.normal(size=len(i))
    lay = 0.7 * pair[:, None] + rng.normal(size=(len(i), layers))
    x = 0.02 * np.repeat(lay, heads, axis=1) + sens * contact[:, None] + 0.01 * np.abs(rng.normal(size=(len(i), layers * heads)))
    f = np.zeros((layers * heads, L, L), np.float32)
    f[:, i, j] = x.T; f[:, j, i] = x.T
    t = np.zeros((L, L), np.uint8); y = contact ^ (rng.random(len(i)) < 0.05)
    t[i, j] = y; t[j, i] = y
    np.save(f"{T}/f{p}.npy", f); np.save(f"{T}/t{p}.npy", t)
PY
for p in $(seq 0 19); do
  "$BIN/plmstream" from-npy --id "b$p" --seq "$(printf 'A%.0s' $(seq 106))" apc="$T/f$p.npy" contacts_true="$T/t$p.npy" > "$T/b$p.tsr" || exit 1
  rm -f "$T/f$p.npy"
done
"$BIN/plmstream" cat "$T"/b*.tsr > "$T/all.tsr" && rm -f "$T"/b*.tsr
start=$(date +%s.%N)
"$BIN/lrfit" train -o "$T/head.yaml" "$T/all.tsr" || exit 1
end=$(date +%s.%N)
echo "lrfit L1 fit, $(grep '^pairs:' "$T/head.yaml" | cut -d' ' -f2) pairs x 660 features: $(grep -E '^(converged|iterations):' "$T/head.yaml" | tr '\n' ' ')$(echo "$end - $start" | bc) s"
