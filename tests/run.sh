#!/bin/sh
# run.sh: run every unit test, pipeline test and (briefly) every fuzz target;
# end with "N passed, N failed, N skipped". Environment: BUILD, SHARED, PYTHON, FUZZ.
BUILD=${BUILD:-build}; SHARED=${SHARED:-../shared}; FUZZ=${FUZZ:-0}
FUZZ_SECONDS=${FUZZ_SECONDS:-10}
export BUILD SHARED PYTHON
log=$BUILD/test-log; : > "$log"
[ -d "$SHARED" ] || echo "note: $SHARED not found: tests that need shared data will be reported as skipped"

# On a terminal each suite shows one progress line as it ends ("[12/51] test_esm_golden: 34 passed");
# elsewhere (CI logs) only FAIL and SKIP lines appear. The full PASS/FAIL/SKIP log is always $log.
suites=$(ls "$BUILD"/tests/test_* tests/pipeline/*.sh 2>/dev/null | wc -l); done_suites=0
if [ -t 1 ]; then tty=1; else tty=0; fi
run_one() {   # NAME CMD...: run, keep the PASS/FAIL/SKIP lines; a crash or exit without FAIL counts as a failure
  name=$1; shift
  done_suites=$((done_suites + 1))
  [ $tty = 1 ] && printf '[%d/%d] %s ...\r' $done_suites $suites "$name"
  out=$("$@" 2>&1); rc=$?
  [ $tty = 1 ] && printf '\033[K'
  printf '%s\n' "$out" | grep -E '^(PASS|FAIL|SKIP) ' | tee -a "$log" | grep -E '^(FAIL|SKIP) '
  if [ $rc -ne 0 ] && ! printf '%s\n' "$out" | grep -q '^FAIL '; then
    echo "FAIL $name: exited with status $rc" | tee -a "$log"
    printf '%s\n' "$out" | tail -n 15
  fi
  [ $tty = 1 ] && printf '[%d/%d] %s: %d passed, %d failed, %d skipped\n' $done_suites $suites "$name" \
    "$(printf '%s\n' "$out" | grep -c '^PASS ')" "$(printf '%s\n' "$out" | grep -c '^FAIL ')" \
    "$(printf '%s\n' "$out" | grep -c '^SKIP ')"
  return 0
}

for t in "$BUILD"/tests/test_*; do
  [ -x "$t" ] && run_one "$(basename "$t")" "$t"
done
for s in tests/pipeline/*.sh; do
  [ -f "$s" ] && run_one "$(basename "$s")" sh "$s"
done
if [ "$FUZZ" = 1 ]; then
  for f in "$BUILD"/fuzz/fuzz_*; do
    [ -x "$f" ] || continue
    n=$(basename "$f"); corpus=tests/fuzz/corpus/${n#fuzz_}
    work=$(mktemp -d); [ -d "$corpus" ] && cp -r "$corpus"/. "$work"/
    if "$f" -max_total_time="$FUZZ_SECONDS" -rss_limit_mb=2048 -timeout=10 -print_final_stats=0 "$work" \
         -artifact_prefix="$BUILD/fuzz/$n-" >"$BUILD/fuzz/$n.log" 2>&1; then
      echo "PASS fuzz $n (${FUZZ_SECONDS}s, corpus $corpus)" >> "$log"
    else
      echo "FAIL fuzz $n: see $BUILD/fuzz/$n.log" | tee -a "$log"; tail -n 20 "$BUILD/fuzz/$n.log"
    fi
    rm -rf "$work"
  done
else
  echo "SKIP fuzz targets: clang with libFuzzer not found by configure" | tee -a "$log"
fi
p=$(grep -c '^PASS ' "$log"); f=$(grep -c '^FAIL ' "$log"); s=$(grep -c '^SKIP ' "$log")
echo "$p passed, $f failed, $s skipped"
[ "$f" -eq 0 ]
