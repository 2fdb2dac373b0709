#!/bin/sh
# run.sh: run every unit test, pipeline test and (briefly) every fuzz target;
# end with "N passed, N failed, N skipped". Environment: BUILD, SHARED, PYTHON, FUZZ.
BUILD=${BUILD:-build}; SHARED=${SHARED:-../shared}; FUZZ=${FUZZ:-0}
FUZZ_SECONDS=${FUZZ_SECONDS:-10}
export BUILD SHARED PYTHON
log=$BUILD/test-log; : > "$log"
[ -d "$SHARED" ] || echo "note: $SHARED not found: tests that need shared data will be reported as skipped"

run_one() {   # NAME CMD...: run, keep the PASS/FAIL/SKIP lines; a crash or exit without FAIL counts as a failure
  name=$1; shift
  out=$("$@" 2>&1); rc=$?
  printf '%s\n' "$out" | grep -E '^(PASS|FAIL|SKIP) ' | tee -a "$log" | grep -E '^(FAIL|SKIP) '
  if [ $rc -ne 0 ] && ! printf '%s\n' "$out" | grep -q '^FAIL '; then
    echo "FAIL $name: exited with status $rc" | tee -a "$log"
    printf '%s\n' "$out" | tail -n 15
  fi
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
