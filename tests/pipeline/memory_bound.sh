#!/bin/sh
# memory_bound.sh: memory is bounded by --max-memory (default: what the machine has free), never by
# the OOM killer: a record that would need more is refused before anything is allocated for it, in
# one line naming the file, the record, the estimate and the limit; the records before it stay
# written (issue "Hardening", 1). Also: lmcost.c's estimate is an upper bound on the measured peak.
. tests/lib.sh
need_shared fixtures/models "bounded memory" || exit 0
M=$SHARED/fixtures/models/esm2_t3_tiny_random.pt
M1B=$SHARED/fixtures/models/esm1b_t2_tiny_random.pt
PDB=$SHARED/data/structures/paper_entries/7hvp.pdb
# a 10-million-residue protein between two short ones
{ printf '>short1\nMKTAYIAKQRQISFVKSHFSRQ\n>huge\n'; head -c 10000000 /dev/zero | tr '\0' 'A'; printf '\n>short2\nMKV\n'; } > "$T/long.fa"
"$BIN/seqread" "$T/long.fa" > "$T/long.tsr"
refused='record 2 ("huge"): needs about .* (estimate) on top of the .* held, more than the .* limit (--max-memory)'

# the issue's case, with the default limit: refused at once (it grew to 20 GB before the OOM killer)
start=$(date +%s)
check_fails "attn refuses a 10M-residue protein under the default limit" "attn: $T/long.tsr: $refused" "$BIN/attn" -m "$M" -o "$T/a.tsr" "$T/long.tsr"
secs=$(( $(date +%s) - start ))
[ "$secs" -le 10 ] && pass "the refusal is quick (${secs} s)" || fail "the refusal took ${secs} s"
[ "$(wc -l < "$T/err")" -eq 1 ] && pass "attn's refusal is one line" || fail "attn's refusal: $(cat "$T/err")"
"$BIN/plmstream" ls "$T/a.tsr" > "$T/ls" 2>/dev/null
grep -q short1 "$T/ls" && pass "the record before the refused one is written" || fail "record 1 lost: $(cat "$T/ls")"
check_fails "attn --long truncate refuses it too (ESM-2 has no length limit to cut to)" "$refused" "$BIN/attn" -m "$M" --long truncate "$T/long.tsr"
check "attn --long truncate runs it in bounded memory where the model has a limit (ESM-1b)" "$BIN/attn" -m "$M1B" --long truncate --max-memory 1G "$T/long.tsr"
check_fails "pseudomsa refuses it under the default limit" "pseudomsa: $T/long.tsr: $refused" "$BIN/pseudomsa" -m "$M" -n 2 "$T/long.tsr"
check_fails "truecontacts refuses it under the default limit" "truecontacts: $T/long.tsr: $refused" "$BIN/truecontacts" --pdb "$PDB" --chain A "$T/long.tsr"

# a record far beyond an explicit limit: 10,000 residues' contacts (~0.8 GiB) under 100M
head -c 10000 /dev/zero | tr '\0' 'L' | { printf '>p10k\n'; cat; echo; } | "$BIN/seqread" > "$T/p10k.tsr"
check_fails "attn --contacts refuses 10,000 residues under --max-memory 100M" 'record 1 ("p10k"): needs about .* more than the 100 MiB limit' "$BIN/attn" -m "$M" --contacts --max-memory 100M "$T/p10k.tsr"

# a frame header that declares a 60 GiB record (its header checksum right): refused before reading
if need_python "a frame that declares 60 GiB"; then
  "$PYTHON" - "$T/long.tsr" "$T/lie.tsr" <<'PY'
import struct, sys, zlib
s = open(sys.argv[1], 'rb').read()
p = 16                                   # the first frame, after the stream header
idlen = struct.unpack_from('<I', s, p + 28)[0]
h = bytearray(s[p:p + 32]); struct.pack_into('<QQ', h, 8, 60 << 30, 60 << 30)
hid = bytes(h) + s[p + 32:p + 32 + idlen]
open(sys.argv[2], 'wb').write(s[:p] + hid + struct.pack('<I', zlib.crc32(hid)) + s[p + 36 + idlen:])
PY
  check_fails "the stream reader refuses a frame declaring 60 GiB, naming the record" 'record 1 ("short1"): needs about 120 GiB (estimate)' "$BIN/plmstream" ls "$T/lie.tsr"
fi

# every tool that reads a stream has --max-memory, and refuses a record over it naming the record
"$BIN/seqread" examples/proteins.fasta > "$T/s.tsr"
for src in tools/*.c; do
  t=$(basename "$src" .c)
  grep -q plm_stream_OpenRead "$src" || continue
  case $t in plmstream|attnview) continue ;; esac   # pass-through and one-record viewers: the reader's default bound
  "$BIN/$t" --help | grep -q -- "--max-memory SIZE" || { fail "$t --help lacks --max-memory"; continue; }
  case $t in
    attn|pseudomsa|lmscore) args="-m $M" ;;
    headstat)       args="-p aa" ;;
    probe)          args="-p contact:pdb=$PDB" ;;
    truecontacts)   args="--pdb $PDB --chain A" ;;
    lrfit)          args="train --label contact -o $T/h.yaml" ;;
    *)              args="" ;;
  esac
  # shellcheck disable=SC2086
  check_fails "$t --max-memory 1K refuses record 1" "$T/s.tsr: record 1 (\"ubiquitin\"): needs about" "$BIN/$t" $args --max-memory 1K "$T/s.tsr"
done

# the estimate is an upper bound on the measured peak, and not far above it
if [ -x /usr/bin/time ]; then
  head -c 3000 /dev/zero | tr '\0' 'K' | { printf '>p3k\n'; cat; echo; } | "$BIN/seqread" > "$T/p3k.tsr"
  for opt in --contacts --attentions; do
    # the limit just over what attn holds before the record: the refusal names its estimate
    held=$("$BIN/attn" -m "$M" --max-memory 1K "$T/p3k.tsr" 2>&1 | sed -n 's/.* on top of the \([0-9]*\) MiB held.*/\1/p')
    est=$("$BIN/attn" -m "$M" $opt --max-memory $((held + 2))M "$T/p3k.tsr" 2>&1 | sed -n 's/.*needs about \([0-9]*\) MiB (estimate).*/\1/p')
    peak=$(/usr/bin/time -f %M "$BIN/attn" -m "$M" $opt "$T/p3k.tsr" 2>&1 >/dev/null | tail -n 1)
    peak=$((peak / 1024))
    total=$((held + est))
    if [ -n "$est" ] && [ "$total" -ge "$peak" ] && [ "$total" -le $((3 * peak)) ]; then
      pass "attn $opt on 3,000 residues: estimate $held + $est MiB >= measured peak $peak MiB, within 3x"
    else fail "attn $opt on 3,000 residues: estimate ${held:-?} + ${est:-?} MiB, measured peak $peak MiB"; fi
  done
else skip "estimate against the measured peak: /usr/bin/time absent (deps/debian-packages: time)"; fi
