# lib.sh: helpers for pipeline tests (sourced). Same protocol as tests/test.h:
# one line per check, PASS/FAIL/SKIP. Tools come from $BIN, data from $SHARED.
BIN=${BUILD:-build}/bin
SHARED=${SHARED:-../shared}
PYTHON=${PYTHON:-}
T=$(mktemp -d) || exit 1
trap 'rm -rf "$T"' EXIT

pass() { echo "PASS $*"; }
fail() { echo "FAIL $*"; }
skip() { echo "SKIP $*"; }
# check NAME CMD...: PASS if the command succeeds
check() { name=$1; shift; if "$@" >"$T/out" 2>"$T/err"; then pass "$name"; else fail "$name: $(head -c 300 "$T/err")"; fi; }
# check_fails NAME PATTERN CMD...: the command must exit non-zero with PATTERN on stderr (one line)
check_fails() {
  name=$1; pat=$2; shift 2
  if "$@" >"$T/out" 2>"$T/err"; then fail "$name: succeeded, expected an error"; return; fi
  rc=$?
  if [ $rc -ge 128 ]; then fail "$name: killed by signal $((rc-128))"; return; fi
  if grep -q -- "$pat" "$T/err"; then pass "$name"; else fail "$name: stderr lacks '$pat': $(head -c 300 "$T/err")"; fi
}
need_shared() { [ -d "$SHARED/$1" ] || { skip "$2: ../shared/$1 absent"; return 1; }; }
need_python() { [ -n "$PYTHON" ] || { skip "$1: python3 with numpy absent"; return 1; }; }
# random_fasta N MIN MAX SEED: N random proteins p0..p(N-1) of MIN to MAX residues, FASTA on stdout
random_fasta() {
  "$PYTHON" -c '
import random, sys
n, lo, hi, seed = map(int, sys.argv[1:])
r = random.Random(seed)
for i in range(n):
    print(">p%d\n%s" % (i, "".join(r.choice("ACDEFGHIKLMNPQRSTVWY") for _ in range(r.randint(lo, hi)))))' "$@"
}
