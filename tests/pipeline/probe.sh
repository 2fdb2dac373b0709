# probe.sh: probing classifiers on planted signal and on real data.
#
# Planted: numpy writes 60 proteins whose repr0 is noise and whose repr1
# carries the label linearly (binding site: column 0 = label + small noise;
# secondary structure: columns 0-2 = class indicator + small noise), with a
# provis-style JSONL and a NetSurfP-style CSV as the labels. The probe must
# score layer 1 near perfect (precision at L/20 > 0.9, macro F1 > 0.9) and
# layer 0 near chance; the split is reproducible by --seed and moves with it.
# Real: CB513 rows and pdb70 structures through attn on the random fixture
# model: one row per layer (embedding 0-3; attention 1-3 for contacts), values
# in [0, 1], the figure written (mechanics only: the weights are random).
. tests/lib.sh
PR="$BIN/probe"
for t in seqread attn probe plmstream; do [ -x "$BIN/$t" ] || { skip "probe pipeline: $BIN/$t not built"; exit 0; }; done
need_python "probe pipeline" || exit 0

"$PYTHON" - "$T" <<'PY' || { fail "probe pipeline: write planted data"; exit 0; }
import json, sys
import numpy as np
t = sys.argv[1]
rng = np.random.default_rng(7)
aa = np.array(list('ACDEFGHIKLMNPQRSTVWY'))
with open(t + '/bs.jsonl', 'w') as bs, open(t + '/ss.csv', 'w') as ss, open(t + '/list', 'w') as lst:
    ss.write('input, dssp3, dssp8\n')
    for k in range(60):
        L = int(rng.integers(40, 90))
        seq = ''.join(rng.choice(aa, L))
        site = rng.random(L) < 0.15
        cls = rng.integers(0, 3, L)
        d8 = np.array(['H', 'E', 'C'])[cls]
        bs.write(json.dumps({'id': 'p%d' % k, 'primary': seq, 'positions': list(range(1, L + 1)),
                             'sites': [i + 1 for i in range(L) if site[i]]}) + '\n')
        ss.write('%s, %s, %s\n' % (' '.join(seq), ' '.join(d8), ' '.join(d8)))
        for task, lab in (('bs', site.astype(float)[:, None]), ('ss', np.eye(3)[cls])):
            r0 = rng.normal(size=(L + 2, 8)).astype(np.float32)
            r1 = rng.normal(size=(L + 2, 8)).astype(np.float32)
            r1[1:L + 1, :lab.shape[1]] = 3 * lab + 0.1 * rng.normal(size=lab.shape)
            np.save('%s/%s%d_0.npy' % (t, task, k), r0)
            np.save('%s/%s%d_1.npy' % (t, task, k), r1)
        lst.write('p%d %s\n' % (k, seq))
PY
for task in bs ss; do
  while read -r id seq; do
    k=${id#p}
    "$BIN/plmstream" from-npy --id "$id" --seq "$seq" repr0="$T/$task${k}_0.npy" repr1="$T/$task${k}_1.npy" > "$T/$task$k.tsr" || break
  done < "$T/list"
  "$BIN/plmstream" cat "$T/$task"[0-9]*.tsr > "$T/$task.tsr"
done
check "planted binding sites" sh -c "'$PR' --special bos,eos -p binding_site:file='$T/bs.jsonl' '$T/bs.tsr' > '$T/bs.tsv'"
if awk -F'\t' '$1 == "embedding" && $2 == 1 && $4 > 0.9 { a = 1 } $1 == "embedding" && $2 == 0 && $4 < 0.5 { b = 1 } END { exit !(a && b) }' "$T/bs.tsv"
then pass "binding site planted in layer 1 found: $(awk -F'\t' '$1 == "embedding" { printf "L%s %.3f ", $2, $4 }' "$T/bs.tsv")"
else fail "binding site probe: $(cat "$T/bs.tsv")"; fi
check "planted secondary structure" sh -c "'$PR' --special bos,eos -p ss:file='$T/ss.csv' --figure '$T/ssfig' '$T/ss.tsr' > '$T/ss.tsv'"
if awk -F'\t' '$1 == "embedding" && $2 == 1 && $4 > 0.9 { a = 1 } $1 == "embedding" && $2 == 0 && $4 < 0.5 { b = 1 } END { exit !(a && b) }' "$T/ss.tsv"
then pass "ss3 planted in layer 1 found: $(awk -F'\t' '$1 == "embedding" { printf "L%s %.3f ", $2, $4 }' "$T/ss.tsv")"
else fail "ss3 probe: $(cat "$T/ss.tsv")"; fi
if [ -s "$T/ssfig.svg" ] && head -c 8 "$T/ssfig.png" | od -An -c | grep -q 'P   N   G'; then pass "probe figure as SVG and PNG"; else fail "probe figure missing"; fi
"$PR" --special bos,eos -p binding_site:file="$T/bs.jsonl" --seed 1 "$T/bs.tsr" > "$T/s1a" 2>/dev/null
"$PR" --special bos,eos -p binding_site:file="$T/bs.jsonl" --seed 1 "$T/bs.tsr" > "$T/s1b" 2>/dev/null
"$PR" --special bos,eos -p binding_site:file="$T/bs.jsonl" --seed 2 "$T/bs.tsr" > "$T/s2" 2>/dev/null
if cmp -s "$T/s1a" "$T/s1b" && ! cmp -s "$T/s1a" "$T/s2"; then pass "split reproducible by --seed"; else fail "split: same seed differs or another seed equal"; fi

M=$SHARED/fixtures/models/esm2_t3_tiny_random.pt
CB=$SHARED/data/annotations/secondary_structure/netsurfp_cb513_ts115/cb513/CB513_HHblits.csv
P=$SHARED/data/structures/pdb70_subset500
if [ -f "$M" ] && [ -f "$CB" ]; then
  awk -F, 'NR > 1 && NR <= 31 { gsub(/ /, "", $1); print ">cb" NR; print $1 }' "$CB" > "$T/cb.fa"
  check "real: CB513 | attn --repr all | probe -p ss" sh -c "'$BIN/seqread' '$T/cb.fa' | '$BIN/attn' -m '$M' --repr all | '$PR' -p ss:file='$CB' > '$T/cb.tsv'"
  if [ "$(awk -F'\t' '$1 == "embedding" && $4 >= 0 && $4 <= 1' "$T/cb.tsv" | wc -l)" -eq 4 ]; then pass "real ss3: 4 embedding layers, F1 in [0, 1]"; else fail "real ss3: $(cat "$T/cb.tsv")"; fi
else skip "real ss3 probe: fixture model or CB513 absent"; fi
if [ -f "$M" ] && [ -d "$P" ]; then
  for f in 1a3a 1bgf 1d4t 1dun 1eyh; do
    gzip -dc "$P/$f.pdb.gz" | awk -v id=$f '
      BEGIN { split("ALA A ARG R ASN N ASP D CYS C GLN Q GLU E GLY G HIS H ILE I LEU L LYS K MET M PHE F PRO P SER S THR T TRP W TYR Y VAL V MSE M", t, " ")
              for (i = 1; i < 42; i += 2) aa[t[i]] = t[i + 1] }
      (/^ATOM  / || /^HETATM/) && substr($0, 13, 4) == " CA " && (substr($0, 18, 3) in aa) {
        c = substr($0, 22, 1); if (ch == "") ch = c; if (c != ch) exit
        k = substr($0, 23, 5); if (k != last) { s = s aa[substr($0, 18, 3)]; last = k } }
      /^ENDMDL/ { exit }
      END { print ">" id "_" ch; print s }'
  done > "$T/ct.fa"
  check "real: pdb70 | attn --repr all --attentions | probe -p contact" sh -c "'$BIN/seqread' '$T/ct.fa' | '$BIN/attn' -m '$M' --repr all --attentions | '$PR' -p contact:pdb-dir='$P' --val-frac 0.4 > '$T/ct.tsv'"
  if [ "$(awk -F'\t' '($1 == "embedding" || $1 == "attention") && $4 >= 0 && $4 <= 1' "$T/ct.tsv" | wc -l)" -eq 7 ]; then pass "real contacts: 4 embedding + 3 attention layers, precision in [0, 1]"; else fail "real contacts: $(cat "$T/ct.tsv")"; fi
else skip "real contact probe: fixture model or pdb70 absent"; fi
check_fails "no -p" "no labels" "$PR" "$T/bs.tsr"
check_fails "aa has no probe task" "no probe task" "$PR" -p aa "$T/bs.tsr"
check_fails "no repr tensors" "no repr" sh -c "'$BIN/plmstream' select --drop-tensor repr0,repr1 '$T/bs.tsr' | '$PR' --special bos,eos -p binding_site:file='$T/bs.jsonl'"
