# options.sh: one option vocabulary across the suite (plmscope(7) "OPTIONS"), checked
# mechanically from every tool's --help: a short option letter means the same long option in
# every tool and subcommand, the reserved letters mean what plmscope(7) says, every tool takes
# -h and -V, and threads are --threads everywhere.
. tests/lib.sh
helps() {  # every help text, one "TOOL<TAB>text" stream
  for src in tools/*.c; do
    t=$(basename "$src" .c)
    "$BIN/$t" --help 2>&1 | sed "s|^|$t	|"
  done
  for c in ls select npy tsv cat merge rr fasta from-npy; do
    "$BIN/plmstream" "$c" --help 2>&1 | sed "s|^|plmstream-$c	|"
  done
}
helps > "$T/help"
# "-x, --long" pairs as "x long tool"
awk -F'\t' '{ s = $2; while (match(s, /(^|[ ;(])-[A-Za-z], --[a-z][a-z0-9-]*/)) {
    m = substr(s, RSTART, RLENGTH); s = substr(s, RSTART + RLENGTH)
    sub(/^[ ;(]/, "", m); print substr(m, 2, 1), substr(m, 7), $1 } }' "$T/help" | sort -u > "$T/pairs"
[ -s "$T/pairs" ] && pass "options: short/long pairs found in --help ($(wc -l < "$T/pairs"))" \
  || fail "options: no '-x, --long' pairs found in any --help"

# one meaning per letter
clash=$(awk '{ if (!($1 in l)) l[$1] = $2; else if (l[$1] != $2) print "-" $1 ": --" l[$1] " and --" $2 " (" $3 ")" }' "$T/pairs")
[ -z "$clash" ] && pass "options: every short option means one long option across all tools" \
  || fail "options: short options with two meanings: $(echo $clash)"

# the reserved letters of plmscope(7)
for rl in h:help V:version o:output z:compress m:model t:tensor p:plugin c:chain i:id; do
  l=${rl%%:*}; want=${rl#*:}
  bad=$(awk -v l="$l" -v w="$want" '$1 == l && $2 != w { print $3 ": -" l " is --" $2 }' "$T/pairs")
  [ -z "$bad" ] && pass "options: -$l means --$want wherever it exists" || fail "options: $(echo $bad)"
done

# -h and -V in every tool, and the letters really work (not only in the help text)
version=$(cat VERSION)
for src in tools/*.c; do
  t=$(basename "$src" .c)
  v=$("$BIN/$t" -V 2>/dev/null)
  [ "$v" = "$t (plmscope) $version" ] && pass "options: $t -V" || fail "options: $t -V printed '$v'"
  "$BIN/$t" -h 2>/dev/null | grep -qi usage && pass "options: $t -h" || fail "options: $t -h gives no usage"
  grep -q "^$t	.*-V, --version" "$T/help" && pass "options: $t --help lists -V, --version" \
    || fail "options: $t --help does not list -V, --version"
done

# threads: --threads, never another spelling in a help text
bad=$(grep -E -- '-j, --threads|--jobs|--nthreads|--num-threads' "$T/help" | cut -f1 | sort -u)
[ -z "$bad" ] && pass "options: threads are --threads in every --help" || fail "options: other thread options in $(echo $bad)"

# the old long options keep working
check "options: potts --iters and --preset still parse" "$BIN/potts" --iters 1 --preset gremlin --help
check "options: truecontacts --pdb still parses" "$BIN/truecontacts" --pdb x.pdb --help
# each tool's page points at the conventions
for src in tools/*.c; do
  t=$(basename "$src" .c)
  grep -q 'plmscope (7)\|plmscope(7)\|^\.BR plmscope (7)' "man/man1/$t.1" && pass "options: $t.1 refers to plmscope(7)" \
    || fail "options: man/man1/$t.1 does not refer to plmscope(7)"
done

# standard input is "stdin" in messages, never "-"
printf '>a\nACDEFGHIK\n' > "$T/a.fa"
"$BIN/seqread" "$T/a.fa" > "$T/a.tsr"
check_fails "options: potts names stdin" "^potts: stdin: no record named 'NOPE'" sh -c "'$BIN/potts' --focus NOPE -o /dev/null < '$T/a.tsr'"
check_fails "options: attnview names stdin" "^attnview: stdin: no record with that --id" sh -c "'$BIN/attnview' --pdb x -i NOPE < '$T/a.tsr'"
check_fails "options: msaensemble names stdin" "^msaensemble: stdin: record 1" sh -c "'$BIN/msaensemble' < '$T/a.tsr'"

# defaults that agree across tools, or errors that say what to add
G=$SHARED/fixtures/golden/esm2_t3_tiny_random
if [ -f "$G/ubq.contacts.npy" ]; then
  check_fails "options: contacteval says how to leave structureless records out" "truecontacts --missing skip" \
    sh -c "'$BIN/plmstream' from-npy --id ubq --seq '$(printf 'A%.0s' $(seq 76))' contacts='$G/ubq.contacts.npy' | '$BIN/contacteval' --missing error"
else skip "options: contacteval hint: $G absent"; fi
"$BIN/attn" --help | tr -s ' \n' ' ' | grep -q "attn-memory SIZE most bytes" && grep -q "The most bytes one layer" man/man1/attn.1 \
  && pass "options: --attn-memory is bytes in attn --help and attn(1)" || fail "options: --attn-memory units differ between --help and attn(1)"
