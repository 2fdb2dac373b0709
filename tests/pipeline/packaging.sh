#!/bin/sh
# packaging.sh: the packages' recipes carry the suite's VERSION (debian/changelog, conda/meta.yaml).
. tests/lib.sh
v=$(cat VERSION)
deb=$(sed -n '1s/^plmscope (\([^)]*\)).*/\1/p' debian/changelog)
[ "$deb" = "$v" ] && pass "debian/changelog is at VERSION $v" || fail "debian/changelog says $deb, VERSION $v"
conda=$(sed -n 's/^{% set version = "\([^"]*\)".*/\1/p' conda/meta.yaml)
[ "$conda" = "$v" ] && pass "conda/meta.yaml is at VERSION $v" || fail "conda/meta.yaml says $conda, VERSION $v"

# deps/install: with every package present it needs no apt-get and no root (fake apt-get, dpkg-query and id first on PATH)
mkdir -p "$T/fake"
printf '#!/bin/sh\necho "apt-get called" >&2; exit 1\n' > "$T/fake/apt-get"
printf '#!/bin/sh\nprintf "install ok installed"\n' > "$T/fake/dpkg-query"
printf '#!/bin/sh\necho 1000\n' > "$T/fake/id"
chmod +x "$T/fake/"*
PATH=$T/fake:$PATH sh deps/install > "$T/di.out" 2>&1 && grep -q "are present" "$T/di.out" &&
  pass "deps/install: nothing missing, no apt-get and no root needed" || fail "deps/install with all present: $(cat "$T/di.out")"
# one missing package, not root, no sudo: a one-line error naming it
printf '#!/bin/sh\n[ "$3" = dssp ] && exit 1; printf "install ok installed"\n' > "$T/fake/dpkg-query"
mkdir -p "$T/nosudo"; for c in sh sed tr grep wc cat dirname; do ln -sf "$(command -v $c)" "$T/nosudo/$c"; done
PATH=$T/fake:$T/nosudo /bin/sh deps/install > "$T/di2.out" 2>&1; rc=$?
[ $rc -ne 0 ] && grep -q "not root and no sudo: install as root: dssp" "$T/di2.out" &&
  pass "deps/install: a missing package without root or sudo is named" || fail "deps/install without sudo: exit $rc, $(cat "$T/di2.out")"
