#!/bin/sh
# fetch-debs.sh: run HERE (the Debian 12 build machine, with apt and its mirrors), from the repository
# root, after `make`. Fills the ignored folder .gpu/ with what a lent NVIDIA machine (no OpenCL ICD
# loader, no CLBlast, no internet) needs to run the binaries built here:
#   .gpu/*.deb        amd64 packages of every shared library they load that such a machine may lack
#                     (the ICD loader, CLBlast, OpenBLAS, libgfortran, libyaml, zlib, ...) and clinfo
#   .gpu/base/*.deb   Debian 12's glibc and C++ runtime, used only where the machine's are older than
#                     what the binaries were linked against (setup.sh decides)
#   .gpu/plmscope/    build/bin and build/lib (rpath $ORIGIN/../lib finds libplmscope.so)
# The device tool carries .gpu (at most 64 MiB); this prints the total. Then see bench/gpu/README.md.
# Environment: BUILD (default build).
BUILD=${BUILD:-build}
PKGS="ocl-icd-libopencl1 libclblast1 clinfo libopenblas0-pthread libopenblas0 libgfortran5 libquadmath0
      libyaml-0-2 zlib1g libgomp1"
BASE="libc6 libstdc++6 libgcc-s1 gcc-12-base"
[ -x "$BUILD/bin/attn" ] && [ -f "$BUILD/lib/libplmscope.so" ] || { echo "fetch-debs: build first ($BUILD/bin/attn absent)" >&2; exit 1; }

# every library the binaries load must be one a package here ships, or the driver's (libnvidia-*)
missing=$(for f in $(find "$BUILD/bin" "$BUILD/lib" -type f); do ldd "$f"; done 2>/dev/null |
  awk '/=>/ && $1 !~ /^(libplmscope|linux-vdso)/ { print $1 }' | sort -u | while read -r lib; do
    dpkg -S "$lib" 2>/dev/null | awk -F '[:,]' -v pkgs=" $(echo $PKGS $BASE) " '
      index(pkgs, " " $1 " ") { found = 1 } END { exit !found }' || echo "$lib"; done)
[ -z "$missing" ] || { echo "fetch-debs: no package in the list ships: $missing" >&2; exit 1; }

o='-oAPT::Architecture=amd64 -oAPT::Architectures=amd64 -oDir::State::Lists=/tmp/amd64 -oDebug::NoLocking=1 -oAPT::Sandbox::User=root'
mkdir -p /tmp/amd64/partial .gpu/base || exit 1
rm -f .gpu/*.deb .gpu/base/*.deb
apt-get $o update > /tmp/amd64/update.log 2>&1 || { echo "fetch-debs: apt-get update failed (/tmp/amd64/update.log)" >&2; exit 1; }
(cd .gpu && apt-get $o download $PKGS) || exit 1
(cd .gpu/base && apt-get $o download $BASE) || exit 1

rm -rf .gpu/plmscope && mkdir -p .gpu/plmscope && cp -a "$BUILD/bin" "$BUILD/lib" .gpu/plmscope/ || exit 1
find .gpu/plmscope -type f -exec strip --strip-debug {} + 2>/dev/null
ls -l .gpu/*.deb .gpu/base/*.deb | awk '{ printf "  %-60s %6.0f KiB\n", $NF, $5 / 1024 }'
echo "fetch-debs: .gpu/ holds $(du -sk .gpu | cut -f 1) KiB in all (the device tool carries at most 64 MiB)"
