# experiments/vig.mk: Vig et al., "BERTology Meets Biology" (ICLR 2021), for any model attn reads.
#
#   make -C experiments vig MODEL=/abs/prot_albert SHARED=/abs/shared
#
# Three protein sets, each streamed through the model (attn --attentions) into
# headstat, the real and the shuffled null model in one pass (--with-null), and
# once more (attn --repr all --attentions) into probe, and the binding set a third time into
# aapairs (amino-acid pair attention per head vs BLOSUM62):
#   contacts       the first VIG_NCONTACT entries of the PDB subset (structseq), contact:pdb-dir
#   binding / PTM  the first VIG_NBIND chains of the provis validation JSONL: binding_site, ptm, aa
#   secondary str. the first VIG_NSS rows of CB513 (NetSurfP-2.0 CSV): ss (helix, strand, turn/bend)
# Tables (TSV) under $(VIG_OUT), figures (PNG + SVG) in $(VIG_OUT)/fig (plmplot) and
# $(VIG_OUT)/headstat-* (headstat --figures), all set side by side in $(VIG_OUT)/report.md.
# See README.md, "Vig et al.", for which paper figure each file redraws.
VIG_NCONTACT ?= 100
VIG_NBIND    ?= 200
VIG_NSS      ?= 513
VIG_MAXLEN   ?= 512
VIG_THETA    ?= 0.3
VIG_MINARCS  ?= 100
VIG_TOP      ?= 10
HEADSTAT     ?=
PROBE        ?=
VIG_OUT       = $(OUT)/vig
ANNOT        ?= $(SHARED)/data/annotations
VIG_BS        = $(ANNOT)/binding_ptm_provis/binding_site_valid.jsonl
VIG_PTM       = $(ANNOT)/binding_ptm_provis/protein_modification_valid.jsonl
VIG_CB513     = $(ANNOT)/secondary_structure/netsurfp_cb513_ts115/cb513/CB513_HHblits.csv
VIG_SEQREAD   = $(BIN)/seqread --max-len $(VIG_MAXLEN) --long skip
VIG_HS        = $(BIN)/headstat --theta $(VIG_THETA) --min-arcs $(VIG_MINARCS) --top $(VIG_TOP) $(HEADSTAT)
VIG_PLOT      = $(BIN)/plmplot
# headstat's TSV, the rows of one property (header kept): $(call vig_rows,PROP,FILE)
vig_rows      = awk -F '\t' -v p='$(1)' 'NR == 1 || $$1 == p' $(2)
.PHONY: vig

vig: $(VIG_OUT)/report.md
	@echo "vig: report in $<"

$(VIG_OUT)/fig:
	mkdir -p $@

# ---- the three sets, as FASTA
$(VIG_OUT)/contact.fasta: | $(VIG_OUT)/fig
	$(BIN)/structseq --index $(PDB)/INDEX.tsv --first $(VIG_NCONTACT) > $@
$(VIG_OUT)/bind.fasta: | $(VIG_OUT)/fig
	$(BIN)/seqread -f jsonl --first $(VIG_NBIND) $(VIG_BS) | $(BIN)/plmstream fasta > $@
$(VIG_OUT)/ss.fasta: | $(VIG_OUT)/fig
	awk -F, -v n=$(VIG_NSS) 'NR > 1 && NR <= n + 1 { gsub(/ /, "", $$1); print ">cb513_" NR - 1; print $$1 }' $(VIG_CB513) > $@

# ---- headstat: real report on stdout, null model's in *_null.tsv, figures in headstat-SET/ (null/ inside)
$(VIG_OUT)/contact.tsv: $(VIG_OUT)/contact.fasta
	$(VIG_SEQREAD) $< | $(BIN)/attn -m $(MODEL) --attentions $(ATTN) | \
	  $(VIG_HS) -p contact:pdb-dir=$(PDB) --with-null $(VIG_OUT)/contact_null.tsv --figures $(VIG_OUT)/headstat-contact > $@
$(VIG_OUT)/bind.tsv: $(VIG_OUT)/bind.fasta
	$(VIG_SEQREAD) $< | $(BIN)/attn -m $(MODEL) --attentions $(ATTN) | \
	  $(VIG_HS) -p binding_site:file=$(VIG_BS) -p ptm:file=$(VIG_PTM) -p aa --with-null $(VIG_OUT)/bind_null.tsv \
	  --figures $(VIG_OUT)/headstat-bind > $@
$(VIG_OUT)/ss.tsv: $(VIG_OUT)/ss.fasta
	$(VIG_SEQREAD) $< | $(BIN)/attn -m $(MODEL) --attentions $(ATTN) | \
	  $(VIG_HS) -p ss:file=$(VIG_CB513) --with-null $(VIG_OUT)/ss_null.tsv --figures $(VIG_OUT)/headstat-ss > $@
$(VIG_OUT)/contact_null.tsv: $(VIG_OUT)/contact.tsv
$(VIG_OUT)/bind_null.tsv: $(VIG_OUT)/bind.tsv
$(VIG_OUT)/ss_null.tsv: $(VIG_OUT)/ss.tsv

# ---- Fig. 2 / 3: per-head heatmaps (θ-thresholded share, real and null on one scale), per-layer maxima
$(VIG_OUT)/heads_%.tsv: $(VIG_OUT)/contact.tsv $(VIG_OUT)/bind.tsv
	{ $(call vig_rows,$*,$(VIG_OUT)/contact.tsv); $(call vig_rows,$*,$(VIG_OUT)/bind.tsv) | tail -n +2; } > $@
$(VIG_OUT)/heads_%_null.tsv: $(VIG_OUT)/contact_null.tsv $(VIG_OUT)/bind_null.tsv
	{ $(call vig_rows,$*,$(VIG_OUT)/contact_null.tsv); $(call vig_rows,$*,$(VIG_OUT)/bind_null.tsv) | tail -n +2; } > $@
# per layer: the largest prop_highconf over its scored heads, real and null, and the background
$(VIG_OUT)/layers_%.tsv: $(VIG_OUT)/heads_%.tsv $(VIG_OUT)/heads_%_null.tsv
	awk -F '\t' 'FNR == 1 { f++; next } { k = $$2 + 0; L[k] = 1; bg = $$7 } $$12 == "few_arcs" || $$5 == "NA" { next } \
	    f == 1 && (!(k in r) || $$5 + 0 > r[k]) { r[k] = $$5 + 0 } f == 2 && (!(k in n) || $$5 + 0 > n[k]) { n[k] = $$5 + 0 } \
	  END { print "layer\tmax_prop_highconf\tmax_prop_highconf_null\tbackground"; \
	    for (k = 1; k <= 10000; k++) if (k in L) printf "%d\t%s\t%s\t%s\n", k, (k in r) ? r[k] : "NA", (k in n) ? n[k] : "NA", bg }' $^ > $@
$(VIG_OUT)/fig/heads_%.png: $(VIG_OUT)/heads_%.tsv $(VIG_OUT)/heads_%_null.tsv | $(VIG_OUT)/fig
	vmax=$$(awk -F '\t' 'FNR > 1 && $$5 != "NA" && $$5 + 0 > m { m = $$5 + 0 } END { print (m > 0 ? m : 1) }' $^); \
	$(VIG_PLOT) heatmap --row layer --col head --value prop_highconf --row-max --vmin 0 --vmax $$vmax \
	  --title "$*: share of attention > $(VIG_THETA) on the property (per layer: max)" --xlabel head --ylabel layer \
	  -o $@ -o $(@:.png=.svg) $(VIG_OUT)/heads_$*.tsv && \
	$(VIG_PLOT) heatmap --row layer --col head --value prop_highconf --row-max --vmin 0 --vmax $$vmax \
	  --title "$*: NULL MODEL (shuffled attention rows)" --xlabel head --ylabel layer \
	  -o $(@:.png=_null.png) -o $(@:.png=_null.svg) $(VIG_OUT)/heads_$*_null.tsv
$(VIG_OUT)/fig/layers_%.png: $(VIG_OUT)/layers_%.tsv | $(VIG_OUT)/fig
	$(VIG_PLOT) lines -x layer -y max_prop_highconf -y max_prop_highconf_null -y background \
	  --title "$*: per-layer maximum over heads, real vs null" --xlabel layer --ylabel "share > $(VIG_THETA)" -o $@ -o $(@:.png=.svg) $<

# ---- the top heads' share against the background (headstat's '# top' and '# property' lines)
$(VIG_OUT)/top_%.tsv: $(VIG_OUT)/contact.tsv $(VIG_OUT)/bind.tsv
	awk -F '\t' -v p='$*' '$$1 == "# property" && $$2 == p { bg = $$8 } $$1 == "# top" && $$2 == p { h[++n] = $$4; v[n] = $$5; lo[n] = $$6; hi[n] = $$7 } \
	  END { print "rank\thead\tprop_highconf\tci_lo\tci_hi\tbackground\tratio"; \
	    for (k = 1; k <= n; k++) printf "%d\t%s\t%s\t%s\t%s\t%s\t%.4f\n", k, h[k], v[k], lo[k], hi[k], bg, (bg > 0 ? v[k] / bg : 0) }' $^ > $@
$(VIG_OUT)/fig/top_%.png: $(VIG_OUT)/top_%.tsv | $(VIG_OUT)/fig
	$(VIG_PLOT) bars -x head -y prop_highconf --mark $$(awk -F '\t' 'NR == 2 { print $$6 }' $<) \
	  --title "$*: top $(VIG_TOP) heads (LAYER:HEAD) vs background (grey line)" -o $@ -o $(@:.png=.svg) $<

# ---- Fig. 4: secondary structure by layer (headstat's '# layer' lines: mean attention-weighted share)
$(VIG_OUT)/ss_layers.tsv: $(VIG_OUT)/ss.tsv
	awk -F '\t' '$$1 == "# layer" { v[$$3, $$2] = $$4; L[$$3] = 1 } $$1 == "# center_of_gravity" { printf "%s\t%s\n", $$2, $$3 > "$(VIG_OUT)/ss_center.tsv" } \
	  END { print "layer\thelix\tstrand\tturn_bend"; for (k = 1; k <= 10000; k++) if (k in L) \
	    printf "%d\t%s\t%s\t%s\n", k, v[k, "ss:helix"], v[k, "ss:strand"], v[k, "ss:turn_bend"] }' $< > $@
$(VIG_OUT)/fig/ss_layers.png: $(VIG_OUT)/ss_layers.tsv | $(VIG_OUT)/fig
	$(VIG_PLOT) lines -x layer -y helix -y strand -y turn_bend --title "secondary structure: attention share by layer" \
	  --xlabel layer --ylabel "mean prop_weighted" -o $@ -o $(@:.png=.svg) $<

# ---- Fig. 7 per head: each head's amino-acid pair attention vs BLOSUM62 (aapairs); the best head's 20 x 20 beside BLOSUM62
$(VIG_OUT)/aa_heads.tsv: $(VIG_OUT)/bind.fasta
	$(VIG_SEQREAD) $< | $(BIN)/attn -m $(MODEL) --attentions $(ATTN) | $(BIN)/aapairs --matrix $(VIG_OUT)/aa_pairs.tsv > $@
$(VIG_OUT)/aa_pairs.tsv: $(VIG_OUT)/aa_heads.tsv
$(VIG_OUT)/fig/aa_heads.png: $(VIG_OUT)/aa_heads.tsv $(VIG_OUT)/aa_pairs.tsv | $(VIG_OUT)/fig
	$(VIG_PLOT) heatmap --row layer --col head --value pearson_blosum62 --diverging --row-max \
	  --title "per head: Pearson of amino-acid pair attention with BLOSUM62" --xlabel head --ylabel layer -o $@ -o $(@:.png=.svg) $<
	$(VIG_PLOT) heatmap --row a --col b --value enrichment_best --diverging \
	  --title "best head ($$(awk -F '\t' '$$1 == "# best" { print $$2 }' $<)): log2 enrichment" -o $(VIG_OUT)/fig/aa_best.png -o $(VIG_OUT)/fig/aa_best.svg $(VIG_OUT)/aa_pairs.tsv
	$(VIG_PLOT) heatmap --row a --col b --value blosum62 --diverging --title BLOSUM62 \
	  -o $(VIG_OUT)/fig/aa_blosum62.png -o $(VIG_OUT)/fig/aa_blosum62.svg $(VIG_OUT)/aa_pairs.tsv
	awk -F '\t' 'NR == 1 || $$3 == 1' $(VIG_OUT)/aa_pairs.tsv > $(VIG_OUT)/aa_pairs_distinct.tsv
	$(VIG_PLOT) scatter -x blosum62 -y enrichment_best --fit --title "best head: enrichment vs BLOSUM62 (210 pairs)" \
	  --xlabel BLOSUM62 --ylabel "log2 enrichment" -o $(VIG_OUT)/fig/aa_scatter.png -o $(VIG_OUT)/fig/aa_scatter.svg \
	  $(VIG_OUT)/aa_pairs_distinct.tsv > $(VIG_OUT)/aa_fit.tsv

# ---- probing (Fig. 6): per-layer embedding and attention probes for ss, binding sites and contacts (attention:
# the pair's attention per head for contacts, Vig's; each residue's attention to i +- 1..4 for the token tasks)
$(VIG_OUT)/probe_ss.tsv: $(VIG_OUT)/ss.fasta
	$(VIG_SEQREAD) $< | $(BIN)/attn -m $(MODEL) --repr all --attentions $(ATTN) | $(BIN)/probe -p ss:file=$(VIG_CB513) $(PROBE) > $@
$(VIG_OUT)/probe_binding_site.tsv: $(VIG_OUT)/bind.fasta
	$(VIG_SEQREAD) $< | $(BIN)/attn -m $(MODEL) --repr all --attentions $(ATTN) | $(BIN)/probe -p binding_site:file=$(VIG_BS) $(PROBE) > $@
$(VIG_OUT)/probe_contact.tsv: $(VIG_OUT)/contact.fasta
	$(VIG_SEQREAD) $< | $(BIN)/attn -m $(MODEL) --repr all --attentions $(ATTN) | $(BIN)/probe -p contact:pdb-dir=$(PDB) $(PROBE) > $@
$(VIG_OUT)/probe.tsv: $(VIG_OUT)/probe_ss.tsv $(VIG_OUT)/probe_binding_site.tsv $(VIG_OUT)/probe_contact.tsv
	awk -F '\t' 'BEGIN { print "task\tprobe\tlayer\tmetric\tvalue\tseries" } FNR == 1 || /^#/ { next } \
	  { t = FILENAME; sub(/.*probe_/, "", t); sub(/\.tsv$$/, "", t); printf "%s\t%s\t%s\t%s\t%s\t%s %s (%s)\n", t, $$1, $$2, $$3, $$4, t, $$1, $$3 }' $^ > $@
$(VIG_OUT)/fig/probe.png: $(VIG_OUT)/probe.tsv | $(VIG_OUT)/fig
	$(VIG_PLOT) lines -x layer -y value --group series --title "probing classifiers by layer (held-out proteins)" \
	  --xlabel layer --ylabel "F1 (ss) / precision (binding L/20, contact L/5)" -o $@ -o $(@:.png=.svg) $<

# ---- the report: every figure beside its table
VIG_FIGS = $(foreach p,contact binding_site ptm,$(VIG_OUT)/fig/heads_$(p).png $(VIG_OUT)/fig/layers_$(p).png $(VIG_OUT)/fig/top_$(p).png) \
           $(VIG_OUT)/fig/ss_layers.png $(VIG_OUT)/fig/probe.png $(VIG_OUT)/fig/aa_heads.png
VIG_TABLES = $(foreach p,contact binding_site ptm,$(VIG_OUT)/heads_$(p).tsv $(VIG_OUT)/heads_$(p)_null.tsv \
               $(VIG_OUT)/layers_$(p).tsv $(VIG_OUT)/top_$(p).tsv) $(VIG_OUT)/ss_layers.tsv $(VIG_OUT)/probe.tsv \
             $(VIG_OUT)/aa_heads.tsv $(VIG_OUT)/aa_pairs.tsv
$(VIG_OUT)/report.md: $(VIG_FIGS) $(VIG_TABLES) $(VIG_OUT)/ss.tsv
	sh vig_report.sh $(VIG_OUT) "$(notdir $(MODEL))" $(VIG_THETA) > $@
