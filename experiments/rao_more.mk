# experiments/rao_more.mk: more of Rao et al. (ICLR 2021) than Table 1, each a target:
#
#   make -C experiments depth      MODEL=... SHARED=...   precision vs MSA depth (pfam40 families: model vs potts by Neff)
#   make -C experiments potts-head MODEL=... SHARED=...   a contact head supervised by Potts couplings, scored on structures
#   make -C experiments insertions MODEL=... SHARED=...   alanine runs inserted mid-sequence: precision as they grow
#   make -C experiments ss-attention MODEL=... SHARED=... secondary structure from attention: a probe per layer (CB513)
#   make -C experiments lown       MODEL=... SHARED=...   low-N: heads fit on n = 1, 2, 5, 10, 20 resampled proteins, bootstrap intervals
#   make -C experiments rao-more   MODEL=... SHARED=...   all five
#
# Tables are TSVs, figures PNG + SVG drawn by plmplot from them (see README.md, "Rao et al.: more").
.PHONY: depth potts-head insertions ss-attention lown rao-more
rao-more: depth potts-head insertions ss-attention lown

# column COL of the 'mean' row of a contacteval TSV: $(call ce_mean,FILE,COL)
ce_mean = awk -F '\t' -v c='$(2)' 'NR == 1 { for (k = 1; k <= NF; k++) h[$$k] = k; next } $$1 == "mean" { print $$h[c]; exit }' $(1)
# ... and of its ci95_lo / ci95_hi rows
ce_row  = awk -F '\t' -v c='$(2)' -v r='$(3)' 'NR == 1 { for (k = 1; k <= NF; k++) h[$$k] = k; next } $$1 == r { print $$h[c]; exit }' $(1)

# ---------------------------------------------------------------- depth
# Per pfam40 family (DEPTH_FAMILIES, default all of PFAM40): the Potts fit of pfam40.sh (the
# pfam40 target's per-family row and potts.tsr, POTTS options) and the model's own contact
# head on the same focus sequence, both against the domain structure. Rao et al.'s low-depth
# figure: the model's advantage over Potts falls as the alignment's Neff grows.
DEPTH_FAMILIES ?= $(PFAM40)
DEPTH_OUT       = $(OUT)/depth

depth: $(DEPTH_OUT)/fig/depth_gain.png
	@cat $(DEPTH_OUT)/depth.tsv

$(DEPTH_OUT)/PF%.tsv: $(PFAM40_OUT)/PF%.tsv
	@mkdir -p $(DEPTH_OUT)
	$(BIN)/plmstream select --drop-tensor contacts,potts_fn $(PFAM40_OUT)/PF$*/potts.tsr | \
	  $(BIN)/attn -m $(MODEL) --contacts $(ATTN) | $(BIN)/contacteval --bootstrap 0 > $(DEPTH_OUT)/PF$*.eval
	awk -F '\t' -v m="$$($(call ce_mean,$(DEPTH_OUT)/PF$*.eval,long_P@L))" -v m5="$$($(call ce_mean,$(DEPTH_OUT)/PF$*.eval,long_P@L/5))" \
	  '{ printf "%s\t%s\t%s\t%s\t%.4f\t%s\t%s\t%s\t%s\t%.4f\n", $$1, $$2, $$3, $$5, log($$5) / log(10), $$7, m, $$8, m5, m - $$7 }' $< > $@

$(DEPTH_OUT)/depth.tsv: $(foreach f,$(DEPTH_FAMILIES),$(DEPTH_OUT)/$(f).tsv)
	{ printf 'family\tpdb\tL\tneff\tlog10_neff\tpotts_long_P@L\tmodel_long_P@L\tpotts_long_P@L/5\tmodel_long_P@L/5\tmodel_minus_potts\n'; \
	  cat $^; } > $@

$(DEPTH_OUT)/fig/depth_gain.png: $(DEPTH_OUT)/depth.tsv
	@mkdir -p $(dir $@)
	$(BIN)/plmplot scatter -x log10_neff -y model_long_P@L --fit --label family --title "$(notdir $(MODEL)): long-range P@L vs MSA depth" \
	  --xlabel "log10 Neff" --ylabel "model long P@L" -o $(DEPTH_OUT)/fig/depth_model.png -o $(DEPTH_OUT)/fig/depth_model.svg $< > $(DEPTH_OUT)/fit_model.tsv
	$(BIN)/plmplot scatter -x log10_neff -y potts_long_P@L --fit --label family --title "potts: long-range P@L vs MSA depth" \
	  --xlabel "log10 Neff" --ylabel "potts long P@L" -o $(DEPTH_OUT)/fig/depth_potts.png -o $(DEPTH_OUT)/fig/depth_potts.svg $< > $(DEPTH_OUT)/fit_potts.tsv
	$(BIN)/plmplot scatter -x log10_neff -y model_minus_potts --fit --label family --title "$(notdir $(MODEL)) minus potts: long P@L vs MSA depth" \
	  --xlabel "log10 Neff" --ylabel "model - potts" -o $@ -o $(@:.png=.svg) $< > $(DEPTH_OUT)/fit_gain.tsv

# ---------------------------------------------------------------- potts-head
# The first PH_NTRAIN families of PFAM40 train, the next PH_NTEST are held out. Features: the
# model's APC attention on each focus sequence; labels: the top PH_TOP * L couplings of that
# family's Potts fit (lrfit --label-top), or, for comparison, the structure's contacts. Both
# heads, and the Potts fit itself, are scored against the held-out structures.
PH_NTRAIN ?= 20
PH_NTEST  ?= 20
PH_TOP    ?= 1
PH_OUT     = $(OUT)/pottshead
PH_TRAIN   = $(wordlist 1,$(PH_NTRAIN),$(PFAM40))
PH_TEST    = $(wordlist $(shell expr $(PH_NTRAIN) + 1),$(shell expr $(PH_NTRAIN) + $(PH_NTEST)),$(PFAM40))
PH_VARIANTS = lr_potts lr_structure potts

potts-head: $(PH_OUT)/fig/pottshead.png
	@cat $(PH_OUT)/table.tsv

# one record per family: the Potts scores (contacts), the true contacts and the model's APC features
$(PH_OUT)/PF%.tsr: $(PFAM40_OUT)/PF%.tsv
	@mkdir -p $(PH_OUT)
	$(BIN)/plmstream select --drop-tensor potts_fn $(PFAM40_OUT)/PF$*/potts.tsr | $(BIN)/attn -m $(MODEL) --attentions $(ATTN) | $(BIN)/apc > $@
$(PH_OUT)/train.tsr: $(foreach f,$(PH_TRAIN),$(PH_OUT)/$(f).tsr)
	$(BIN)/plmstream cat $^ > $@
$(PH_OUT)/head_potts.yaml: $(PH_OUT)/train.tsr
	$(BIN)/lrfit train --label contacts --label-top $(PH_TOP) --C $(C) -o $@ $<
$(PH_OUT)/head_structure.yaml: $(PH_OUT)/train.tsr
	$(BIN)/lrfit train --C $(C) -o $@ $<
$(PH_OUT)/test.tsr: $(foreach f,$(PH_TEST),$(PH_OUT)/$(f).tsr) $(PH_OUT)/head_potts.yaml $(PH_OUT)/head_structure.yaml
	$(BIN)/plmstream cat $(filter %.tsr,$^) | $(BIN)/lrfit predict -w $(PH_OUT)/head_potts.yaml --name lr_potts --keep-features | \
	  $(BIN)/lrfit predict -w $(PH_OUT)/head_structure.yaml --name lr_structure > $@
$(PH_OUT)/eval_%.tsv: $(PH_OUT)/test.tsr
	$(BIN)/contacteval --pred $(if $(filter potts,$*),contacts,$*) --seed 1 $< > $@
$(PH_OUT)/table.tsv: $(foreach v,$(PH_VARIANTS),$(PH_OUT)/eval_$(v).tsv)
	{ printf 'variant\tlabels\ttrain_families\ttest_families\tlong_P@L\tlong_P@L/5\tlong_P@L/5_ci95_lo\tlong_P@L/5_ci95_hi\n'; \
	  for v in $(PH_VARIANTS); do f=$(PH_OUT)/eval_$$v.tsv; \
	    case $$v in lr_potts) lab="potts top $(PH_TOP)L";; lr_structure) lab=structures;; *) lab="none (the Potts fit itself)";; esac; \
	    printf '%s\t%s\t%d\t%d\t%s\t%s\t%s\t%s\n' $$v "$$lab" $(words $(PH_TRAIN)) $(words $(PH_TEST)) \
	      "$$($(call ce_mean,$$f,long_P@L))" "$$($(call ce_mean,$$f,long_P@L/5))" \
	      "$$($(call ce_row,$$f,long_P@L/5,ci95_lo))" "$$($(call ce_row,$$f,long_P@L/5,ci95_hi))"; done; } > $@
$(PH_OUT)/fig/pottshead.png: $(PH_OUT)/table.tsv
	@mkdir -p $(dir $@)
	$(BIN)/plmplot bars -x variant -y long_P@L --title "held-out families: long-range P@L by supervision" -o $@ -o $(@:.png=.svg) $<

# ---------------------------------------------------------------- insertions
# INS_NPROT held-out proteins of the PDB subset (after the NTRAIN training ones); a run of k
# alanines (k in INS_LENGTHS) inserted after the middle residue. truecontacts aligns each
# sequence to its structure, so the inserted residues are unknown and never candidates;
# contacteval's L is the sequence's length, insertion included.
INS_NPROT   ?= 20
INS_LENGTHS ?= 0 5 10 20 40 80
INS_OUT      = $(OUT)/insertions

insertions: $(INS_OUT)/fig/insertions.png
	@cat $(INS_OUT)/table.tsv

$(INS_OUT)/base.fasta:
	@mkdir -p $(INS_OUT)
	$(BIN)/structseq --index $(PDB)/INDEX.tsv --skip $(NTRAIN) --first $(INS_NPROT) > $@
$(INS_OUT)/ins%.fasta: $(INS_OUT)/base.fasta
	awk -v k=$* 'function flush() { if (id != "") { m = int(length(s) / 2); a = ""; for (i = 0; i < k; i++) a = a "A"; \
	    print id; print substr(s, 1, m) a substr(s, m + 1) } } /^>/ { flush(); id = $$0; s = ""; next } { s = s $$0 } END { flush() }' $< > $@
# kept (not intermediate): the sequences as the model saw them
.SECONDARY: $(foreach k,$(INS_LENGTHS),$(INS_OUT)/ins$(k).fasta)
$(INS_OUT)/eval_ins%.tsv: $(INS_OUT)/ins%.fasta
	$(BIN)/seqread $< | $(BIN)/attn -m $(MODEL) --contacts $(ATTN) | $(BIN)/truecontacts --pdb-dir $(PDB) --missing skip | \
	  $(BIN)/contacteval --seed 1 > $@
$(INS_OUT)/table.tsv: $(foreach k,$(INS_LENGTHS),$(INS_OUT)/eval_ins$(k).tsv)
	{ printf 'insertion\tproteins\tlong_P@L\tlong_P@L/5\tlong_P@L/5_ci95_lo\tlong_P@L/5_ci95_hi\tmedium_P@L/5\n'; \
	  for k in $(INS_LENGTHS); do f=$(INS_OUT)/eval_ins$$k.tsv; \
	    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' $$k "$$(awk -F '\t' 'NR > 1 && $$1 !~ /^(mean|ci95_lo|ci95_hi)$$/' $$f | wc -l)" \
	      "$$($(call ce_mean,$$f,long_P@L))" "$$($(call ce_mean,$$f,long_P@L/5))" "$$($(call ce_row,$$f,long_P@L/5,ci95_lo))" \
	      "$$($(call ce_row,$$f,long_P@L/5,ci95_hi))" "$$($(call ce_mean,$$f,medium_P@L/5))"; done; } > $@
$(INS_OUT)/fig/insertions.png: $(INS_OUT)/table.tsv
	@mkdir -p $(dir $@)
	$(BIN)/plmplot lines -x insertion -y long_P@L -y long_P@L/5 -y long_P@L/5_ci95_lo -y long_P@L/5_ci95_hi -y medium_P@L/5 \
	  --title "$(notdir $(MODEL)): precision as an alanine run grows mid-sequence" --xlabel "inserted alanines" --ylabel precision \
	  -o $@ -o $(@:.png=.svg) $<

# ---------------------------------------------------------------- ss-attention
# Rao et al.'s appendix: secondary structure (3 classes, CB513) from attention. probe's token
# attention probe per layer (each residue's attention to i +- 1..SSA_WINDOW, per head) beside
# the embedding probe of the same layer; macro F1 on held-out proteins (probe --val-frac).
SSA_NPROT  ?= 513
SSA_WINDOW ?= 4
SSA_OUT     = $(OUT)/ssattn
SSA_CB513   = $(SHARED)/data/annotations/secondary_structure/netsurfp_cb513_ts115/cb513/CB513_HHblits.csv

ss-attention: $(SSA_OUT)/fig/ss_attention.png
	@cat $(SSA_OUT)/probe.tsv

$(SSA_OUT)/probe.tsv:
	@mkdir -p $(SSA_OUT)
	awk -F, -v n=$(SSA_NPROT) 'NR > 1 && NR <= n + 1 { gsub(/ /, "", $$1); print ">cb513_" NR - 1; print $$1 }' $(SSA_CB513) | \
	  $(BIN)/seqread --max-len 1022 --long skip | $(BIN)/attn -m $(MODEL) --attentions --repr all $(ATTN) | \
	  $(BIN)/probe -p ss:file=$(SSA_CB513) --window $(SSA_WINDOW) $(PROBE) > $@
$(SSA_OUT)/fig/ss_attention.png: $(SSA_OUT)/probe.tsv
	@mkdir -p $(dir $@)
	$(BIN)/plmplot lines -x layer -y value --group probe --title "$(notdir $(MODEL)): secondary structure (3 classes) by layer" \
	  --xlabel layer --ylabel "macro F1, held-out proteins" -o $@ -o $(@:.png=.svg) $<

# ---------------------------------------------------------------- lown
# Rao et al.'s low-N ablation with intervals: for each n in LOWN_SIZES, LOWN_BOOT heads, each
# fit on n proteins drawn with replacement from the NTRAIN training proteins (the main
# target's train.tsr; replicate b of size n uses seed 1000 n + b), all applied in one pass
# over the held-out set; per n the mean long-range precision over replicates and the
# 2.5 / 97.5 percentiles (the bootstrap interval over training sets).
LOWN_SIZES ?= 1 2 5 10 20
LOWN_BOOT  ?= 10
LOWN_OUT    = $(OUT)/lown
LOWN_REPS   = $(foreach n,$(LOWN_SIZES),$(foreach b,$(shell seq 1 $(LOWN_BOOT)),n$(n)_b$(b)))
LOWN_LAST   = $(lastword $(LOWN_REPS))

lown: $(LOWN_OUT)/fig/lown.png
	@cat $(LOWN_OUT)/table.tsv

# the training proteins one per file, so a resample is a plmstream cat of files
$(LOWN_OUT)/split.done: $(OUT)/train.tsr
	@mkdir -p $(LOWN_OUT)
	n=$$($(BIN)/plmstream ls $< | wc -l); for k in $$(seq 1 $$n); do $(BIN)/plmstream select --index $$k-$$k $< > $(LOWN_OUT)/p$$k.tsr; done; \
	  echo $$n > $@
$(LOWN_OUT)/head_n%.yaml: $(LOWN_OUT)/split.done
	n=$$(echo $* | sed 's/_b.*//'); b=$$(echo $* | sed 's/.*_b//'); N=$$(cat $<); \
	files=$$(awk -v n=$$n -v N=$$N -v s=$$((1000 * n + b)) 'BEGIN { srand(s); for (i = 0; i < n; i++) printf " p%d.tsr", 1 + int(rand() * N) }'); \
	echo "$$files" > $(@:.yaml=.sample); \
	(cd $(LOWN_OUT) && $(abspath $(BIN))/plmstream cat $$files) | $(BIN)/lrfit train --C $(C) -o $@
$(LOWN_OUT)/test.tsr: $(OUT)/test.fasta $(foreach r,$(LOWN_REPS),$(LOWN_OUT)/head_$(r).yaml)
	$(BIN)/seqread $< | $(BIN)/attn -m $(MODEL) --attentions $(ATTN) | $(BIN)/apc \
	  $(foreach r,$(LOWN_REPS),| $(BIN)/lrfit predict -w $(LOWN_OUT)/head_$(r).yaml --name $(r) $(if $(filter $(r),$(LOWN_LAST)),,--keep-features)) \
	  | $(BIN)/truecontacts --pdb-dir $(PDB) --missing skip > $@
$(LOWN_OUT)/reps.tsv: $(LOWN_OUT)/test.tsr
	{ printf 'n\treplicate\ttraining_sample\tlong_P@L\tlong_P@L/5\n'; \
	  for r in $(LOWN_REPS); do $(BIN)/contacteval --pred $$r --bootstrap 0 $< > $(LOWN_OUT)/eval_$$r.tsv || exit 1; \
	    printf '%s\t%s\t%s\t%s\t%s\n' $$(echo $$r | sed 's/^n//; s/_b/ /') "$$(tr -d ' ' < $(LOWN_OUT)/head_$$r.sample | sed 's/\.tsr/,/g; s/,$$//')" \
	      "$$($(call ce_mean,$(LOWN_OUT)/eval_$$r.tsv,long_P@L))" "$$($(call ce_mean,$(LOWN_OUT)/eval_$$r.tsv,long_P@L/5))"; done; } > $@
# per n: mean and the 2.5 / 97.5 percentiles (nearest rank) of the replicates
$(LOWN_OUT)/table.tsv: $(LOWN_OUT)/reps.tsv
	{ printf 'n\treplicates\tlong_P@L/5\tlong_P@L/5_lo\tlong_P@L/5_hi\tlong_P@L\tlong_P@L_lo\tlong_P@L_hi\n'; \
	  for n in $(LOWN_SIZES); do \
	    for c in 5 4; do awk -F '\t' -v n=$$n -v c=$$c 'NR > 1 && $$1 == n { print $$c }' $< | sort -g | \
	      awk '{ v[NR] = $$1; s += $$1 } END { lo = int(0.025 * NR + 0.999); hi = int(0.975 * NR + 0.999); if (lo < 1) lo = 1; \
	        printf "%.4f %s %s ", s / NR, v[lo], v[hi] }'; done | \
	    awk -v n=$$n -v b=$(LOWN_BOOT) '{ printf "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", n, b, $$1, $$2, $$3, $$4, $$5, $$6 }'; done; } > $@
$(LOWN_OUT)/fig/lown.png: $(LOWN_OUT)/table.tsv
	@mkdir -p $(dir $@)
	$(BIN)/plmplot lines -x n -y long_P@L/5 -y long_P@L/5_lo -y long_P@L/5_hi -y long_P@L \
	  --title "$(notdir $(MODEL)): contact head fit on n proteins ($(LOWN_BOOT) resamples, 95% interval)" \
	  --xlabel "training proteins n" --ylabel "held-out long-range precision" -o $@ -o $(@:.png=.svg) $<
