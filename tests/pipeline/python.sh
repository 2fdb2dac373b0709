#!/bin/sh
# python.sh: the Python package (python/), installed the user's way into a venv, against the C tools:
# byte-identical round trips both ways, the C reader's refusals, a real pipeline, run(), attnview.
. tests/lib.sh
need_python "python package" || exit 0
if ! "$PYTHON" -c 'import ensurepip' 2>/dev/null; then fail "python package: $PYTHON lacks venv/ensurepip (deps/debian-packages lists python3-venv)"; exit 0; fi
V=$T/venv
if "$PYTHON" -m venv --system-site-packages "$V" >"$T/venv.log" 2>&1 &&
   "$V/bin/pip" install --no-build-isolation --no-index ./python >>"$T/venv.log" 2>&1; then
  pass "pip installs ./python into a venv offline (python3 -m venv --system-site-packages; pip install --no-build-isolation --no-index)"
else
  fail "pip install ./python: $(tail -n 3 "$T/venv.log" | tr '\n' ' ')"; exit 0
fi
PY=$V/bin/python
got=$(cd "$T" && "$PY" -c 'import plmscope; print(plmscope.__version__)')
[ "$got" = "$(cat VERSION)" ] && pass "plmscope.__version__ is the suite's VERSION ($got)" || fail "python version '$got' is not $(cat VERSION)"
where=$(cd "$T" && "$PY" -c 'import plmscope; print(plmscope.__file__)')
case $where in "$V"/*) pass "the venv imports the installed package";; *) fail "plmscope imported from $where, not the venv";; esac

R=$PWD
case $BIN in /*) ABSBIN=$BIN;; *) ABSBIN=$R/$BIN;; esac
# run from $T, so that the package comes from the venv and not from ./python
checks() {
  c=$1; shift
  (cd "$T" && "$PY" "$R/tests/pipeline/python_checks.py" "$c" "$ABSBIN" "$T" "$@") >"$T/check.out" 2>&1 ||
    fail "python check $c crashed: $(grep -v '^PASS ' "$T/check.out" | tail -n 3 | tr '\n' ' ')"
  grep -E '^(PASS|FAIL|SKIP) ' "$T/check.out"
}
checks roundtrip
checks cut
checks flip

M=$SHARED/fixtures/models/esm2_t3_tiny_random.pt
need_shared fixtures/models "python package: attn pipeline" || exit 0
M=$(cd "$(dirname "$M")" && pwd)/$(basename "$M")
"$BIN/seqread" examples/proteins.fasta | "$BIN/attn" -m "$M" --contacts --logits --repr 1 --attentions > "$T/a.tsr" 2>/dev/null
checks c2py "$T/a.tsr"
checks stdin "$T/a.tsr"
checks run "$PWD/examples/proteins.fasta" "$M"
if [ -f "${BUILD:-build}/npm/node_modules/ngl/dist/ngl.js" ]; then
  pdb=$SHARED/data/structures/paper_entries/7hvp.pdb
  "$BIN/seqread" examples/proteins.fasta | "$BIN/plmstream" select --id hiv1_protease | "$BIN/attn" -m "$M" --attentions --contacts > "$T/hiv.tsr" 2>/dev/null
  checks attnview "$(cd "$(dirname "$pdb")" && pwd)/$(basename "$pdb")" "$T/hiv.tsr"
else
  skip "python attnview page: NGL not installed (npm absent at build time)"
fi
