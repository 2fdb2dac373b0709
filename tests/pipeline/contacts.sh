# contacts.sh: sequences from structures -> seqread -> truecontacts.
#
# The FASTA is made here from the CA records of real pdb70 structures (awk's
# three-letter table), so the sequence matches the chain; truecontacts must
# find each structure by id (1a3a_A and 1bgfA forms), add contacts_true
# [L, L] with no unknown cells and the metadata, count a record without a
# structure (--missing pass/skip/error), and refuse bad options.
. tests/lib.sh
TC="$BIN/truecontacts"
P=$SHARED/data/structures/pdb70_subset500
[ -x "$BIN/seqread" ] || { skip "contacts pipeline: $BIN/seqread not built"; exit 0; }
[ -x "$BIN/plmstream" ] || { skip "contacts pipeline: $BIN/plmstream not built"; exit 0; }
need_shared data/structures/pdb70_subset500 "contacts pipeline" || exit 0

seq_of() {   # FILE CHAIN: the one-letter sequence of CA atoms (standard residues + MSE)
  gzip -dc "$1" | awk -v c="$2" '
    BEGIN { split("ALA A ARG R ASN N ASP D CYS C GLN Q GLU E GLY G HIS H ILE I LEU L LYS K MET M PHE F PRO P SER S THR T TRP W TYR Y VAL V MSE M", t, " ")
            for (i = 1; i < 42; i += 2) aa[t[i]] = t[i + 1] }
    (/^ATOM  / || /^HETATM/) && substr($0, 22, 1) == c && substr($0, 13, 4) == " CA " && (substr($0, 18, 3) in aa) {
      k = substr($0, 23, 5); if (k != last) { printf "%s", aa[substr($0, 18, 3)]; last = k } }
    /^ENDMDL/ { exit }
    END { print "" }'
}
{ echo ">1a3a_A"; seq_of "$P/1a3a.pdb.gz" A
  echo ">1bgfA";  seq_of "$P/1bgf.pdb.gz" A
  echo ">nothere"; echo "MKTAYIAKQR"; } > "$T/in.fa"

check "seqread | truecontacts" sh -c "'$BIN/seqread' '$T/in.fa' | '$TC' --pdb-dir '$P' > '$T/out.tsr'"
if grep -q "1 record(s) without a structure" "$T/err"; then pass "missing structure counted on stderr"; else fail "missing structure not counted: $(cat "$T/err")"; fi
"$BIN/plmstream" ls -l "$T/out.tsr" > "$T/ls" 2>&1
if grep -q "1a3a_A.*contacts_true:u8\[145,145\].*structure_chain=A" "$T/ls" && grep -q "1bgfA.*contacts_true:u8\[124,124\]" "$T/ls" &&
   grep "nothere" "$T/ls" | grep -vq contacts_true; then pass "contacts_true [L, L] and metadata added"; else fail "plmstream ls: $(cat "$T/ls")"; fi
if grep "1a3a_A" "$T/ls" | grep -q "structure_identity=1.0000"; then pass "identity 1 for the structure's own sequence"; else fail "identity: $(grep 1a3a "$T/ls")"; fi
"$BIN/plmstream" tsv -t contacts_true "$T/out.tsr" > "$T/tsv" 2>&1
n255=$(awk '$NF == 255' "$T/tsv" | wc -l); n1=$(awk '$NF == 1' "$T/tsv" | wc -l)
if [ "$n255" -eq 0 ] && [ "$n1" -gt 145 ]; then pass "no unknown cells, $n1 contacts"; else fail "unknown $n255, contacts $n1"; fi

check "--missing skip" sh -c "'$BIN/seqread' '$T/in.fa' | '$TC' --pdb-dir '$P' --missing skip --atom ca --cutoff 6 > '$T/skip.tsr'"
if [ "$("$BIN/plmstream" ls "$T/skip.tsr" | wc -l)" -eq 2 ]; then pass "--missing skip drops the record"; else fail "--missing skip kept $("$BIN/plmstream" ls "$T/skip.tsr" | wc -l) records"; fi
check_fails "--missing error" "nothere" sh -c "'$BIN/seqread' '$T/in.fa' | '$TC' --pdb-dir '$P' --missing error > '$T/e.tsr'"
check_fails "bad --atom" "--atom" "$TC" --pdb-dir "$P" --atom cg
check_fails "neither --pdb nor --pdb-dir" "exactly one" "$TC"
check "--pdb with one file and --chain" sh -c "'$BIN/seqread' '$T/in.fa' | '$TC' --pdb '$P/1a3a.pdb.gz' --chain A > '$T/one.tsr'"
# a run that fails before its first row writes nothing, not a lone TSV header
"$BIN/contacteval" < /dev/null > "$T/ce.tsv" 2>"$T/err"
if [ $? -ne 0 ] && [ ! -s "$T/ce.tsv" ] && grep -q "stdin: empty input" "$T/err"; then pass "contacteval < /dev/null: error, nothing on stdout"
else fail "contacteval < /dev/null: wrote $(wc -c < "$T/ce.tsv") bytes: $(head -c 200 "$T/err")"; fi
# a --pdb file that was given but holds no structure is an error, not "a record without a structure"
head -c 2000 /dev/urandom > "$T/random.pdb"; : > "$T/empty.pdb"
check_fails "--pdb random bytes is an error" "random.pdb" sh -c "'$BIN/seqread' '$T/in.fa' | '$TC' --pdb '$T/random.pdb' > '$T/r.tsr'"
check_fails "--pdb an empty file is an error" "empty.pdb: no chain" sh -c "'$BIN/seqread' '$T/in.fa' | '$TC' --pdb '$T/empty.pdb' > '$T/r.tsr'"
