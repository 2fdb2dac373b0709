#!/bin/sh
# run.sh: every benchmark of bench/ (bench/*.sh but this one), one after the other.
# Run by `make bench`, never by the tests. Environment: BUILD, SHARED, PYTHON.
for b in bench/*.sh; do
  [ "$b" = bench/run.sh ] && continue
  echo "== $b"
  sh "$b" || echo "$b failed"
done
