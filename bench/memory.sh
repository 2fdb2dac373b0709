#!/bin/sh
# memory.sh: the memory model of attn (bench/memory.py): measured peak memory of attn --contacts
# against the formula, then the largest protein each ESM-2 shape takes in 16-141 GiB of device
# memory and, for --attentions output, in host memory. Run by `make bench`. Environment: BUILD, PYTHON.
BUILD=${BUILD:-build}
PYTHON=${PYTHON:-python3}
[ -x "$BUILD/bin/attn" ] || { echo "memory bench: $BUILD/bin/attn not built, skipped"; exit 0; }
[ -x /usr/bin/time ] || { echo "memory bench: /usr/bin/time absent, skipped"; exit 0; }
exec "$PYTHON" bench/memory.py "$BUILD"
