# manpages.sh: every tool has a man page that renders without warnings, --help
# that exits 0 on stdout, and --version naming the tool and the suite version.
. tests/lib.sh
version=$(cat VERSION)
for src in tools/*.c; do
  t=$(basename "$src" .c)
  page=man/man1/$t.1
  if [ -f "$page" ]; then pass "$t has man page $page"; else fail "$t has no man page $page"; fi
  if command -v man >/dev/null 2>&1 && [ -f "$page" ]; then
    w=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l "$page" 2>&1 >/dev/null)
    [ -z "$w" ] && pass "$page renders without warnings" || fail "$page: $w"
  fi
  out=$("$BIN/$t" --help 2>/dev/null); rc=$?
  [ $rc -eq 0 ] && printf '%s' "$out" | grep -qi "usage" && pass "$t --help" || fail "$t --help (exit $rc)"
  v=$("$BIN/$t" --version 2>/dev/null)
  [ "$v" = "$t (plmscope) $version" ] && pass "$t --version" || fail "$t --version printed '$v'"
  "$BIN/$t" --no-such-option </dev/null >/dev/null 2>"$T/err"; rc=$?
  [ $rc -ne 0 ] && [ $rc -lt 128 ] && [ "$(wc -l < "$T/err")" -le 3 ] && pass "$t rejects an unknown option" \
    || fail "$t --no-such-option: exit $rc, $(head -c 200 "$T/err")"
done
for page in man/man5/*.5 man/man7/*.7; do
  command -v man >/dev/null 2>&1 || break
  w=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l "$page" 2>&1 >/dev/null)
  [ -z "$w" ] && pass "$page renders without warnings" || fail "$page: $w"
done
