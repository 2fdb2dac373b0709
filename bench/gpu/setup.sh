#!/bin/sh
# setup.sh: run ON the lent NVIDIA machine, from the repository root, with .gpu/ carried there
# (bench/gpu/fetch-debs.sh filled it). Installs nothing into /: it
#   - unpacks every .gpu/*.deb with dpkg -x into $PLMDEPS (default /opt/plmdeps), and .gpu/base/*.deb
#     (Debian 12's glibc and C++ runtime) into $PLMDEPS/base;
#   - finds the driver's libnvidia-opencl.so.1 and registers it as an OpenCL ICD: a file nvidia.icd
#     holding its full path, in /etc/OpenCL/vendors when that can be written (as root), else in
#     $PLMDEPS/etc/OpenCL/vendors, which the wrappers then name in OCL_ICD_VENDORS; with no such
#     library (a machine without NVIDIA's driver, e.g. the build machine) it registers nothing and
#     OpenCL sees whatever /etc/OpenCL/vendors already lists;
#   - writes $PLMDEPS/bin/TOOL for every binary in .gpu/plmscope/bin: a wrapper that sets
#     LD_LIBRARY_PATH (the unpacked libraries first) for that binary only, so python and torch keep
#     their own libraries; where the machine's glibc or libstdc++ is older than the binaries need
#     (they fail to start), the wrappers run them through the unpacked glibc's loader instead;
#   - prints clinfo -l and attn --list-devices.
# Environment: PLMDEPS (default /opt/plmdeps); PLMSCOPE_BUILD, the folder with bin/ and lib/
# (default .gpu/plmscope); NVIDIA_OPENCL, the OpenCL driver library when the search misses it;
# ICD_DIR, where to write nvidia.icd; PLMDEPS_BASE=1 forces the unpacked glibc's loader.
PLMDEPS=${PLMDEPS:-/opt/plmdeps}
SRC=$(cd "${PLMSCOPE_BUILD:-.gpu/plmscope}" 2>/dev/null && pwd) || { echo "setup: ${PLMSCOPE_BUILD:-.gpu/plmscope} absent (carry .gpu)" >&2; exit 1; }
ls .gpu/*.deb > /dev/null 2>&1 || { echo "setup: no .gpu/*.deb (run bench/gpu/fetch-debs.sh on the build machine, carry .gpu)" >&2; exit 1; }

# dpkg -x, or the same in python (a deb is an ar archive holding data.tar.*) where dpkg is absent
unpack() {
  if command -v dpkg > /dev/null; then dpkg -x "$1" "$2"; return; fi
  python3 - "$1" "$2" <<'PY'
import io, sys, tarfile
raw = open(sys.argv[1], "rb").read()
assert raw[:8] == b"!<arch>\n", sys.argv[1]
i = 8
while i < len(raw):
    name, size = raw[i:i + 16].decode().strip().rstrip("/"), int(raw[i + 48:i + 58])
    if name.startswith("data.tar"):
        tarfile.open(fileobj=io.BytesIO(raw[i + 60:i + 60 + size])).extractall(sys.argv[2])
    i += 60 + size + (size & 1)
PY
}
mkdir -p "$PLMDEPS/base" "$PLMDEPS/bin" || exit 1
for d in .gpu/*.deb; do unpack "$d" "$PLMDEPS" || { echo "setup: cannot unpack $d" >&2; exit 1; }; done
for d in .gpu/base/*.deb; do unpack "$d" "$PLMDEPS/base" || { echo "setup: cannot unpack $d" >&2; exit 1; }; done
a=x86_64-linux-gnu
LIBS=$PLMDEPS/usr/lib/$a:$PLMDEPS/usr/lib/$a/openblas-pthread:$PLMDEPS/lib/$a
BASELIBS=$PLMDEPS/base/lib/$a:$PLMDEPS/base/usr/lib/$a
LOADER=$PLMDEPS/base/lib/$a/ld-linux-x86-64.so.2

# NVIDIA's OpenCL driver library: the usual folders, then the linker cache, then a bounded search
nvocl=$NVIDIA_OPENCL
[ -n "$nvocl" ] || for dir in /usr/lib/$a /usr/local/nvidia/lib64 /usr/local/nvidia/lib /usr/lib64 /usr/lib /lib/$a /lib64; do
  [ -e "$dir/libnvidia-opencl.so.1" ] && { nvocl=$dir/libnvidia-opencl.so.1; break; }
done
[ -n "$nvocl" ] || nvocl=$(ldconfig -p 2>/dev/null | awk '/libnvidia-opencl\.so\.1 .*x86-64/ { print $NF; exit }')
[ -n "$nvocl" ] || nvocl=$(find /usr /lib /lib64 /opt -name 'libnvidia-opencl.so.1' 2>/dev/null | head -n 1)
vendors=""
if [ -n "$nvocl" ]; then
  echo "setup: NVIDIA OpenCL library: $nvocl"
  icd=${ICD_DIR:-/etc/OpenCL/vendors}
  if ! { mkdir -p "$icd" && echo "$nvocl" > "$icd/nvidia.icd"; } 2>/dev/null; then
    icd=$PLMDEPS/etc/OpenCL/vendors
    mkdir -p "$icd" && echo "$nvocl" > "$icd/nvidia.icd" || exit 1
    vendors=$icd
  fi
  echo "setup: wrote $icd/nvidia.icd${vendors:+ (named in OCL_ICD_VENDORS by the wrappers)}"
else
  echo "setup: no libnvidia-opencl.so.1 here (not an NVIDIA machine, or the driver's OpenCL part is not"
  echo "       mounted: NVIDIA_DRIVER_CAPABILITIES needs 'compute'); no ICD registered"
fi

# the wrappers: the machine's own glibc if the binaries start with it, else the unpacked one's loader
wrap() {  # wrap NAME PROGRAM MODE
  { echo '#!/bin/sh'
    [ -n "$vendors" ] && echo "export OCL_ICD_VENDORS='$vendors'"
    if [ "$3" = base ]; then echo "exec '$LOADER' --library-path '$LIBS:$BASELIBS' '$2' \"\$@\""
    else echo "LD_LIBRARY_PATH='$LIBS'\${LD_LIBRARY_PATH:+:\$LD_LIBRARY_PATH} exec '$2' \"\$@\""; fi
  } > "$PLMDEPS/bin/$1" && chmod +x "$PLMDEPS/bin/$1"
}
mode=host
wrap attn "$SRC/bin/attn" host
if [ "${PLMDEPS_BASE:-0}" = 1 ] || ! "$PLMDEPS/bin/attn" --version > "$PLMDEPS/start.log" 2>&1; then
  [ "${PLMDEPS_BASE:-0}" = 1 ] || echo "setup: the binaries do not start with this machine's libraries: $(head -c 300 "$PLMDEPS/start.log")"
  mode=base
  wrap attn "$SRC/bin/attn" base
  "$PLMDEPS/bin/attn" --version > "$PLMDEPS/start.log" 2>&1 ||
    { echo "setup: nor with Debian 12's glibc: $(head -c 300 "$PLMDEPS/start.log")" >&2; exit 1; }
fi
for f in "$SRC"/bin/*; do wrap "$(basename "$f")" "$f" $mode; done
wrap clinfo "$PLMDEPS/usr/bin/clinfo" $mode
echo "setup: wrappers in $PLMDEPS/bin run $SRC/bin with $([ $mode = base ] && echo "Debian 12's glibc (loader $LOADER)" || echo "this machine's glibc") and the unpacked libraries"
echo "== clinfo -l"
"$PLMDEPS/bin/clinfo" -l
echo "== attn --list-devices"
"$PLMDEPS/bin/attn" --list-devices
