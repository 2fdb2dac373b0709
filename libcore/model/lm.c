/* lm.c: opening a protein language model by path, and running proteins longer than it allows (see lm.h).
 *
 * Long proteins (--long in attn(1)), for a model with a hard token limit:
 *   error      refuse the protein
 *   truncate   keep the first max-2 residues (BOS ... EOS around them)
 *   window:W:S run windows of W residues starting every S residues, the last one
 *              flush with the C-terminus, each with its own BOS and EOS; every
 *              output is the mean over the windows that contain it: a residue's
 *              logits and representations over the windows holding the residue,
 *              an attention or contact value (i, j) over the windows holding both
 *              (0 where none does); BOS and EOS rows over all windows.
 *
 * Batches (plm_lm_RunBatch): proteins within the limit share one forward_many pass; one over it
 * runs alone through the policy above, so every output is what plm_lm_Run gives it.
 *
 *   plm_lm_Open() / plm_lm_Close() / plm_lm_Run() / plm_lm_RunBatch() / plm_lm_ParseLong() / plm_lmout_Clear()
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "error.h"
#include "tensor.h"
#include "checkpoint.h"
#include "esm.h"
#include "esmc.h"
#include "msa.h"
#include "bert.h"
#include "xlnet.h"
#include "lm.h"

/* "dir/esm2_t6_8M_UR50D.pt" -> "esm2_t6_8M_UR50D"; ".pth" (ESM C) and ".safetensors" go too */
static char *
model_name(const char *path)
{
  size_t n = strlen(path);
  while (n > 1 && path[n - 1] == '/') n--;
  const char *b = path + n;
  while (b > path && b[-1] != '/') b--;
  size_t len = (size_t)(path + n - b);
  if (len > 3 && strncmp(b + len - 3, ".pt", 3) == 0) len -= 3;
  else if (len > 4 && strncmp(b + len - 4, ".pth", 4) == 0) len -= 4;
  else if (len > 12 && strncmp(b + len - 12, ".safetensors", 12) == 0) len -= 12;
  char *s = malloc(len + 1);
  if (s) { memcpy(s, b, len); s[len] = '\0'; }
  return s;
}

/* fair-esm's ESM-1v files (esm1v_t33_650M_UR90S_1.pt .. _5.pt): the ESM-1b architecture, published
 * without a contact head, so its absence is no missing file */
static int
is_esm1v(const char *path)
{
  const char *base = strrchr(path, '/');
  return strncmp(base ? base + 1 : path, "esm1v_", 6) == 0;
}

int
plm_lm_Open(const char *path, plm_backend *be, plm_lm **ret_m, char *errbuf)
{
  plm_checkpoint *ck = NULL;
  plm_lm         *m = NULL;
  char           *reg = NULL, note[PLM_ERRBUFSIZE] = "";
  struct stat     st;
  size_t          n = strlen(path);
  int             status;

  *ret_m = NULL;
  PLM_XCHECK(plm_checkpoint_Open(path, &ck, errbuf));
  /* fair-esm keeps the contact head in a file beside the model */
  if (n > 3 && strcmp(path + n - 3, ".pt") == 0 && stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
    if ((reg = malloc(n + 32)) == NULL) PLM_XFAIL(PLM_EMEM, errbuf, "out of memory");
    snprintf(reg, n + 32, "%.*s-contact-regression.pt", (int)(n - 3), path);
    if (stat(reg, &st) == 0) PLM_XCHECK(plm_checkpoint_MergeFile(ck, reg, errbuf));
    else if (is_esm1v(path))
      snprintf(note, sizeof note, "ESM-1v has no contact head by design (fair-esm publishes none): fit one with lrfit train");
    else snprintf(note, sizeof note, "no %s beside the model: contacts are unavailable", reg);
  }
  if (plm_esm_Recognize(ck))       PLM_XCHECK(plm_esm_Create(ck, be, &m, errbuf));
  else if (plm_esmc_Recognize(ck)) PLM_XCHECK(plm_esmc_Create(ck, be, &m, errbuf));
  else if (plm_bert_Recognize(ck)) PLM_XCHECK(plm_bert_Create(ck, be, &m, errbuf));
  else if (plm_xlnet_Recognize(ck)) PLM_XCHECK(plm_xlnet_Create(ck, be, &m, errbuf));
  else if (plm_msa_Recognize(ck))  PLM_XCHECK(plm_msa_Create(ck, be, &m, errbuf));
  else {
    const char *arch = plm_checkpoint_Config(ck, "arch"), *mt = plm_checkpoint_Config(ck, "model_type");
    PLM_XFAIL(PLM_EUNSUP, errbuf, "%s: unknown architecture (arch '%s', model_type '%s'): plmscope runs ESM-2, ESM-1b, ESM-1, ESM C, the MSA Transformer, BERT, ALBERT and XLNet",
              path, arch ? arch : "none", mt ? mt : "none");
  }
  ck = NULL;                                   /* the model owns it now */
  if (!m->has_contacts && note[0]) snprintf(m->note, sizeof m->note, "%s", note);
  if ((m->path = strdup(path)) == NULL || (m->name = model_name(path)) == NULL) PLM_XFAIL(PLM_EMEM, errbuf, "out of memory");
  free(reg);
  *ret_m = m;
  return PLM_OK;

ERROR:
  plm_lm_Close(m);
  plm_checkpoint_Close(ck);
  free(reg);
  return status;
}

void
plm_lm_Close(plm_lm *m)
{
  if (!m) return;
  m->destroy(m);
  plm_checkpoint_Close(m->ck);
  free(m->path);
  free(m->name);
  free(m);
}

void
plm_lmout_Clear(plm_lm_output *out)
{
  plm_tensor_Destroy(out->tokens);
  plm_tensor_Destroy(out->logits);
  plm_tensor_Destroy(out->embeddings);
  plm_tensor_Destroy(out->attentions);
  plm_tensor_Destroy(out->contacts);
  for (int k = 0; k <= PLM_LM_MAXLAYERS; k++) plm_tensor_Destroy(out->repr[k]);
  memset(out, 0, sizeof *out);
}

int
plm_lm_ParseLong(const char *s, plm_long *ret_lp, char *errbuf)
{
  int  W, S, used = 0;

  memset(ret_lp, 0, sizeof *ret_lp);
  if (strcmp(s, "error") == 0)    { ret_lp->mode = PLM_LONG_ERROR;    return PLM_OK; }
  if (strcmp(s, "truncate") == 0) { ret_lp->mode = PLM_LONG_TRUNCATE; return PLM_OK; }
  if (sscanf(s, "window:%d:%d%n", &W, &S, &used) == 2 && s[used] == '\0' && W >= 1 && S >= 1 && S <= W) {
    ret_lp->mode = PLM_LONG_WINDOW; ret_lp->W = W; ret_lp->S = S;
    return PLM_OK;
  }
  return plm_Fail(errbuf, PLM_EINVAL, "bad long-sequence policy '%s': error, truncate or window:W:S (1 <= S <= W)", s);
}

static int
tokens_tensor(const int32_t *ids, int T, plm_tensor **ret_t, char *errbuf)
{
  int64_t shape[1] = { T };
  int     status = plm_tensor_Create("tokens", PLM_I32, 1, shape, ret_t, errbuf);
  if (status == PLM_OK) memcpy((*ret_t)->data, ids, sizeof *ids * (size_t)T);
  return status;
}

/* ---------------------------------------------------------------------------
 * windows
 */

/* window token t of a window starting at residue s, of W residues, in a protein of T tokens -> protein token */
static int
win_pos(int t, int s, int W, int T)
{
  return t == 0 ? 0 : t == W + 1 ? T - 1 : s + t;
}

/* add a window's T2 x C rows (or T2 x T2 maps, as nmaps of them, when square) into the protein's sums */
static void
add_rows(float *sum, const float *w, int s, int W, int T, int C)
{
  for (int t = 0; t < W + 2; t++) {
    float       *dst = sum + (size_t)win_pos(t, s, W, T) * C;
    const float *src = w + (size_t)t * C;
    for (int c = 0; c < C; c++) dst[c] += src[c];
  }
}

static void
add_maps(float *sum, const float *w, int nmaps, int s, int W, int T)
{
  int Tw = W + 2;
  for (int k = 0; k < nmaps; k++)
    for (int i = 0; i < Tw; i++) {
      float       *dst = sum + (size_t)k * T * T + (size_t)win_pos(i, s, W, T) * T;
      const float *src = w + (size_t)k * Tw * Tw + (size_t)i * Tw;
      for (int j = 0; j < Tw; j++) dst[win_pos(j, s, W, T)] += src[j];
    }
}

/* the protein's outputs as zeroed sums shaped like a window's, with T tokens */
static int
alloc_sums(const plm_lm_output *w, int T, plm_lm_output *out, char *errbuf)
{
  int64_t shape[4];
  int     status;

  if (w->logits) {
    shape[0] = T; shape[1] = w->logits->shape[1];
    PLM_XCHECK(plm_tensor_Create("logits", PLM_F32, 2, shape, &out->logits, errbuf));
  }
  for (int k = 0; k <= PLM_LM_MAXLAYERS; k++)
    if (w->repr[k]) {
      shape[0] = T; shape[1] = w->repr[k]->shape[1];
      PLM_XCHECK(plm_tensor_Create(w->repr[k]->name, PLM_F32, 2, shape, &out->repr[k], errbuf));
    }
  if (w->attentions) {
    shape[0] = w->attentions->shape[0]; shape[1] = w->attentions->shape[1]; shape[2] = T; shape[3] = T;
    PLM_XCHECK(plm_tensor_Create("attentions", PLM_F32, 4, shape, &out->attentions, errbuf));
  }
  if (w->contacts) {
    shape[0] = T - 2; shape[1] = T - 2;
    PLM_XCHECK(plm_tensor_Create("contacts", PLM_F32, 2, shape, &out->contacts, errbuf));
  }
  return PLM_OK;

ERROR:
  return status;
}

static void
divide(plm_tensor *t, const float *count, size_t per, size_t ncount)
{
  float *p = t->data;
  size_t nrep = (size_t)plm_tensor_Numel(t) / (ncount * per);
  for (size_t r = 0; r < nrep; r++)
    for (size_t i = 0; i < ncount; i++)
      for (size_t c = 0; c < per; c++) {
        float *v = p + (r * ncount + i) * per + c;
        *v = count[i] > 0 ? *v / count[i] : 0.0f;
      }
}

static int
to_f16(plm_tensor **t, char *errbuf)
{
  plm_tensor *h = NULL;
  size_t      n = (size_t)plm_tensor_Numel(*t);
  int         status;

  PLM_XCHECK(plm_tensor_Create((*t)->name, PLM_F16, (*t)->rank, (*t)->shape, &h, errbuf));
  for (size_t i = 0; i < n; i++) ((uint16_t *)h->data)[i] = plm_f32_to_f16(((float *)(*t)->data)[i]);
  plm_tensor_Destroy(*t);
  *t = h;
  return PLM_OK;

ERROR:
  return status;
}

static int
run_windows(plm_lm *m, const int32_t *ids, int T, const plm_lm_request *req, const plm_long *lp,
            plm_lm_output *out, char *errbuf)
{
  plm_lm_request wreq = *req;
  plm_lm_output  w;
  int            L = T - 2, W = lp->W, status;
  int32_t       *wids = NULL;
  float         *tokcount = NULL, *paircount = NULL, *rescount = NULL;

  memset(&w, 0, sizeof w);
  if (W + 2 > m->max_tokens)
    PLM_XFAIL(PLM_EINVAL, errbuf, "window of %d residues exceeds %s's limit of %d", W, m->name, m->max_tokens - 2);
  wreq.attn_dtype = PLM_F32;
  if ((wids      = malloc(sizeof *wids * (size_t)(W + 2))) == NULL ||
      (tokcount  = calloc((size_t)T, sizeof *tokcount)) == NULL ||
      (paircount = calloc((size_t)T * T, sizeof *paircount)) == NULL ||
      (rescount  = calloc((size_t)L * L, sizeof *rescount)) == NULL)
    PLM_XFAIL(PLM_EMEM, errbuf, "out of memory for windows over %d tokens", T);

  for (int s = 0, last = 0; !last; s += lp->S) {
    if (s + W >= L) { s = L - W; last = 1; }
    wids[0] = ids[0];
    memcpy(wids + 1, ids + 1 + s, sizeof *wids * (size_t)W);
    wids[W + 1] = ids[T - 1];
    PLM_XCHECK(m->forward(m, wids, W + 2, &wreq, &w, errbuf));
    if (s == 0) PLM_XCHECK(alloc_sums(&w, T, out, errbuf));
    for (int t = 0; t < W + 2; t++) {
      tokcount[win_pos(t, s, W, T)] += 1.0f;
      for (int u = 0; u < W + 2; u++) paircount[(size_t)win_pos(t, s, W, T) * T + win_pos(u, s, W, T)] += 1.0f;
    }
    for (int i = 0; i < W; i++)
      for (int j = 0; j < W; j++) rescount[(size_t)(s + i) * L + s + j] += 1.0f;
    if (w.logits) add_rows(out->logits->data, w.logits->data, s, W, T, (int)w.logits->shape[1]);
    for (int k = 0; k <= PLM_LM_MAXLAYERS; k++)
      if (w.repr[k]) add_rows(out->repr[k]->data, w.repr[k]->data, s, W, T, (int)w.repr[k]->shape[1]);
    if (w.attentions)
      add_maps(out->attentions->data, w.attentions->data, (int)(w.attentions->shape[0] * w.attentions->shape[1]), s, W, T);
    if (w.contacts)
      for (int i = 0; i < W; i++)
        for (int j = 0; j < W; j++)
          ((float *)out->contacts->data)[(size_t)(s + i) * L + s + j] += ((float *)w.contacts->data)[(size_t)i * W + j];
    plm_lmout_Clear(&w);
  }

  if (out->logits) divide(out->logits, tokcount, (size_t)out->logits->shape[1], (size_t)T);
  for (int k = 0; k <= PLM_LM_MAXLAYERS; k++)
    if (out->repr[k]) divide(out->repr[k], tokcount, (size_t)out->repr[k]->shape[1], (size_t)T);
  if (out->attentions) divide(out->attentions, paircount, 1, (size_t)T * T);
  if (out->contacts)   divide(out->contacts, rescount, 1, (size_t)L * L);
  if (out->attentions && req->attn_dtype == PLM_F16) PLM_XCHECK(to_f16(&out->attentions, errbuf));
  free(wids); free(tokcount); free(paircount); free(rescount);
  return PLM_OK;

ERROR:
  plm_lmout_Clear(&w);
  free(wids); free(tokcount); free(paircount); free(rescount);
  return status;
}

int
plm_lm_Run(plm_lm *m, const char *seq, const plm_lm_request *req, const plm_long *lp, plm_lm_output *out, char *errbuf)
{
  int32_t *ids = NULL;
  int      T, status;

  memset(out, 0, sizeof *out);
  PLM_XCHECK(m->tokenize(m, seq, &ids, &T, errbuf));
  if (m->max_tokens && T > m->max_tokens && lp->mode == PLM_LONG_ERROR)
    PLM_XFAIL(PLM_ELIMIT, errbuf, "%d residues exceed %s's limit of %d (see --long)", T - 2, m->name, m->max_tokens - 2);
  if (m->max_tokens && T > m->max_tokens && lp->mode == PLM_LONG_TRUNCATE) {
    snprintf(out->note, sizeof out->note, "truncated from %d to %d residues", T - 2, m->max_tokens - 2);
    ids[m->max_tokens - 1] = ids[T - 1];
    T = m->max_tokens;
  }
  if (m->max_tokens && T > m->max_tokens) {
    snprintf(out->note, sizeof out->note, "%d residues run in windows of %d every %d", T - 2, lp->W, lp->S);
    PLM_XCHECK(run_windows(m, ids, T, req, lp, out, errbuf));
  } else {
    if (m->trained_tokens && T > m->trained_tokens)
      snprintf(out->note, sizeof out->note, "%d tokens is longer than the %d %s was trained on", T, m->trained_tokens, m->name);
    PLM_XCHECK(m->forward(m, ids, T, req, out, errbuf));
  }
  PLM_XCHECK(tokens_tensor(ids, T, &out->tokens, errbuf));
  free(ids);
  return PLM_OK;

ERROR:
  plm_lmout_Clear(out);
  free(ids);
  return status;
}

/* B proteins through one forward pass where the model has forward_many: every protein that fits the
 * model's limit joins the pass (no padding: any lengths mix at no cost); one over it follows the
 * long policy alone through plm_lm_Run. On failure *ret_bad is the protein at fault (-1: the pass) */
int
plm_lm_RunBatch(plm_lm *m, const char *const *seqs, int B, const plm_lm_request *req, const plm_long *lp,
                plm_lm_output *outs, int *ret_bad, char *errbuf)
{
  int32_t **ids = NULL, *packed = NULL;
  int      *T = NULL, *which = NULL, n = 0, status;
  size_t    R = 0;

  *ret_bad = -1;
  for (int b = 0; b < B; b++) memset(&outs[b], 0, sizeof outs[b]);
  if (!m->forward_many || B == 1) {
    for (int b = 0; b < B; b++)
      if ((status = plm_lm_Run(m, seqs[b], req, lp, &outs[b], errbuf)) != PLM_OK) { *ret_bad = b; goto ERROR; }
    return PLM_OK;
  }
  if ((ids = calloc((size_t)B, sizeof *ids)) == NULL || (T = malloc(sizeof *T * (size_t)B)) == NULL ||
      (which = malloc(sizeof *which * (size_t)B)) == NULL)
    PLM_XFAIL(PLM_EMEM, errbuf, "out of memory");
  for (int b = 0; b < B; b++) {
    int Tb;
    if ((status = m->tokenize(m, seqs[b], &ids[b], &Tb, errbuf)) != PLM_OK) { *ret_bad = b; goto ERROR; }
    if (m->max_tokens && Tb > m->max_tokens) {         /* the long policy, alone */
      free(ids[b]); ids[b] = NULL;
      if ((status = plm_lm_Run(m, seqs[b], req, lp, &outs[b], errbuf)) != PLM_OK) { *ret_bad = b; goto ERROR; }
      continue;
    }
    if (m->trained_tokens && Tb > m->trained_tokens)
      snprintf(outs[b].note, sizeof outs[b].note, "%d tokens is longer than the %d %s was trained on", Tb, m->trained_tokens, m->name);
    which[n] = b;
    T[n++]   = Tb;
    R       += (size_t)Tb;
  }
  if (n > 0) {
    plm_lm_output *part;
    if ((packed = malloc(sizeof *packed * R)) == NULL || (part = calloc((size_t)n, sizeof *part)) == NULL)
      PLM_XFAIL(PLM_EMEM, errbuf, "out of memory");
    R = 0;
    for (int i = 0; i < n; i++) { memcpy(packed + R, ids[which[i]], sizeof *packed * (size_t)T[i]); R += (size_t)T[i]; }
    status = m->forward_many(m, packed, n, T, req, part, errbuf);
    for (int i = 0; i < n; i++) {
      memcpy(part[i].note, outs[which[i]].note, sizeof part[i].note);
      outs[which[i]] = part[i];
      if (status == PLM_OK) status = tokens_tensor(ids[which[i]], T[i], &outs[which[i]].tokens, errbuf);
    }
    free(part);
    if (status != PLM_OK) goto ERROR;
  }
  status = PLM_OK;

ERROR:
  if (status != PLM_OK)
    for (int b = 0; b < B; b++) plm_lmout_Clear(&outs[b]);
  for (int b = 0; ids && b < B; b++) free(ids[b]);
  free(ids);
  free(packed);
  free(T);
  free(which);
  return status;
}
