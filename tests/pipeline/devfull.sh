# devfull.sh: every tool, writing to /dev/full (a full disk), fails with exactly one line on
# stderr saying the write failed, a non-zero status and no signal. Tools with a cheap real job
# run it; the rest write their --help, which goes through the same exit-time check of stdout.
. tests/lib.sh
[ -w /dev/full ] || { skip "devfull: /dev/full absent"; exit 0; }
M=$SHARED/fixtures/models/esm2_t3_tiny_random.pt
printf '>a\nMKTAYIAKQR\n>b\nGSHMKL\n' > "$T/a.fa"
"$BIN/seqread" "$T/a.fa" > "$T/a.tsr" || { fail "devfull: seqread on a tiny FASTA"; exit 0; }
real=
if [ -f "$M" ] && "$BIN/attn" -m "$M" --attentions < "$T/a.tsr" > "$T/at.tsr" 2>"$T/err"; then real=yes
else skip "devfull: real jobs for attn/apc/headstat: $M absent or attn failed: $(head -c 200 "$T/err")"; fi

full() {  # full TOOL INPUT ARGS...: TOOL ARGS < INPUT > /dev/full
  tool=$1; in=$2; shift 2
  "$BIN/$tool" "$@" < "$in" > /dev/full 2>"$T/err"; rc=$?
  if [ $rc -eq 0 ]; then fail "devfull: $tool $*: exit 0 on a full disk"
  elif [ $rc -ge 128 ]; then fail "devfull: $tool $*: killed by signal $((rc-128))"
  elif [ "$(wc -l < "$T/err")" -ne 1 ] || ! grep -q "write failed" "$T/err"; then
    fail "devfull: $tool $*: wants one line saying the write failed, got: $(head -c 300 "$T/err" | tr '\n' '|')"
  else pass "devfull: $tool $*"; fi
}

full seqread /dev/null "$T/a.fa"
full plmstream "$T/a.tsr" cat
if [ -n "$real" ]; then
  full attn "$T/a.tsr" -m "$M"
  full apc "$T/at.tsr"
  full headstat "$T/at.tsr" -p aa
fi
covered="seqread plmstream attn apc headstat"
for b in "$BIN"/*; do
  t=${b##*/}
  case " $covered " in *" $t "*) continue ;; esac
  full "$t" /dev/null --help
done
