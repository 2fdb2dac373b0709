#!/bin/bash
# conda-build script: the suite with make, the Python package with pip, the workflow as data.
set -euxo pipefail
./configure --prefix="$PREFIX"
make -j"${CPU_COUNT:-2}" BUILD=build-conda
make BUILD=build-conda PREFIX="$PREFIX" install
mkdir -p "$PREFIX/share/plmscope"
cp -r workflow "$PREFIX/share/plmscope/"
"$PYTHON" -m pip install --no-deps --no-build-isolation -vv ./python
