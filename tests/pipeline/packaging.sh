#!/bin/sh
# packaging.sh: the packages' recipes carry the suite's VERSION (debian/changelog, conda/meta.yaml).
. tests/lib.sh
v=$(cat VERSION)
deb=$(sed -n '1s/^plmscope (\([^)]*\)).*/\1/p' debian/changelog)
[ "$deb" = "$v" ] && pass "debian/changelog is at VERSION $v" || fail "debian/changelog says $deb, VERSION $v"
conda=$(sed -n 's/^{% set version = "\([^"]*\)".*/\1/p' conda/meta.yaml)
[ "$conda" = "$v" ] && pass "conda/meta.yaml is at VERSION $v" || fail "conda/meta.yaml says $conda, VERSION $v"
