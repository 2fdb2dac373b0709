# perplexity.mk (included by experiments/Makefile): Rao et al.'s perplexity-vs-precision figure.
# For each model of MODELS: the pseudo-perplexity of the held-out chains (lmscore(1): every residue
# masked in turn; corpus value exp(-sum PLL / sum L)) and the long-range P@L of the model's own
# contact head on the same chains (attn --contacts | truecontacts | contacteval). One row per model
# in $(OUT)/perplexity/table.tsv, and a scatter plot with a fitted line (plmplot scatter --fit) in
# $(OUT)/perplexity/perplexity_vs_precision.{png,svg}.
#   make -C experiments perplexity MODELS="/abs/esm2_t6_8M_UR50D.pt /abs/esm2_t12_35M_UR50D.pt ..." SHARED=...
# The held-out chains are the contact protocol's (INDEX.tsv after the NTRAIN training entries),
# PPL_NTEST of them (default NTEST). LMSCORE: extra lmscore options (e.g. --threads 8). Every model
# needs an LM head and a contact head (fair-esm's -contact-regression.pt beside it).
MODELS     ?=
PPL_NTEST  ?= $(NTEST)
LMSCORE    ?=
PPL_OUT     = $(OUT)/perplexity
ppl_name    = $(basename $(notdir $(patsubst %/,%,$(1))))
.PHONY: perplexity

perplexity: $(PPL_OUT)/table.tsv
	@cat $<
	@if test -x $(BIN)/plmplot; then \
	  $(BIN)/plmplot scatter -x pseudo_perplexity -y long_P@L --fit --label model \
	    --title "Contact precision vs pseudo-perplexity (Rao et al.)" --xlabel "pseudo-perplexity (held-out chains)" \
	    --ylabel "long-range P@L (contact head)" -o $(PPL_OUT)/perplexity_vs_precision.png \
	    -o $(PPL_OUT)/perplexity_vs_precision.svg $(PPL_OUT)/table.tsv; \
	else echo "perplexity: $(BIN)/plmplot not built: no scatter plot (the table is $(PPL_OUT)/table.tsv)" >&2; fi

$(PPL_OUT)/heldout.fasta:
	@test -n "$(strip $(MODELS))" || { echo 'perplexity: give MODELS="a.pt b.pt ..."' >&2; exit 1; }
	mkdir -p $(PPL_OUT)
	$(BIN)/structseq --index $(PDB)/INDEX.tsv --skip $(NTRAIN) --first $(PPL_NTEST) > $@

# one model: its per-chain PLLs, its contact precision, and its row of the table
define PPL_MODEL
$(PPL_OUT)/$(call ppl_name,$(1)).pll.tsv: $(PPL_OUT)/heldout.fasta
	$(BIN)/seqread $$< | $(BIN)/lmscore -m $(1) $(LMSCORE) --tsv $$@ > /dev/null
$(PPL_OUT)/$(call ppl_name,$(1)).eval.tsv: $(PPL_OUT)/heldout.fasta
	$(BIN)/seqread $$< | $(BIN)/attn -m $(1) --contacts $(ATTN) | $(BIN)/truecontacts --pdb-dir $(PDB) --missing skip | \
	  $(BIN)/contacteval --pred contacts --seed 1 > $$@
$(PPL_OUT)/$(call ppl_name,$(1)).row: $(PPL_OUT)/$(call ppl_name,$(1)).pll.tsv $(PPL_OUT)/$(call ppl_name,$(1)).eval.tsv
	awk -F '\t' -v m=$(call ppl_name,$(1)) ' \
	  FNR == 1 { for (k = 1; k <= NF; k++) col[FILENAME, $$$$k] = k; next } \
	  FILENAME ~ /pll.tsv$$$$/ { n++; pll += $$$$col[FILENAME, "pll"]; L += $$$$col[FILENAME, "length"]; pp += $$$$col[FILENAME, "pppl"]; next } \
	  $$$$1 == "mean" { prec = $$$$col[FILENAME, "long_P@L"] } \
	  END { printf "%s\t%d\t%d\t%.6g\t%.6g\t%s\n", m, n, L, exp(-pll / L), pp / n, prec }' $$^ > $$@
endef
$(foreach m,$(MODELS),$(eval $(call PPL_MODEL,$(m))))

$(PPL_OUT)/table.tsv: $(foreach m,$(MODELS),$(PPL_OUT)/$(call ppl_name,$(m)).row)
	@test -n "$(strip $(MODELS))" || { echo 'perplexity: give MODELS="a.pt b.pt ..."' >&2; exit 1; }
	{ printf 'model\tproteins\tresidues\tpseudo_perplexity\tmean_protein_pppl\tlong_P@L\n'; cat $^; } > $@
