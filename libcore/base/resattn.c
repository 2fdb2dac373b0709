/* resattn.c: residue-only attention maps of a record (see resattn.h).
 *
 *   special_Layout()  leading/trailing special tokens from metadata or shape
 *   labels_Parse()    "1,3-5" -> n labels
 *   plm_resattn_FromRecord() plm_resattn_Destroy() plm_resattn_Map() plm_resattn_QuantizeU8()
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "error.h"
#include "resattn.h"
#include "tensor.h"

/* how many special tokens precede and follow the L residues of a T-token axis */
static int
special_Layout(const plm_record *rec, int64_t T, int L, int *ret_lead, int *ret_trail, char *errbuf)
{
  const char *sp = plm_record_GetMeta(rec, "special_tokens");
  int         lead = 0, trail = 0;

  if (sp) {
    char buf[256], *tok, *save = NULL;
    snprintf(buf, sizeof buf, "%s", sp);
    for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
      if (!strcmp(tok, "bos") || !strcmp(tok, "cls")) lead++;
      else if (!strcmp(tok, "eos") || !strcmp(tok, "sep")) trail++;
      else return plm_Fail(errbuf, PLM_EUNSUP, "special_tokens '%s': unknown token '%s'", sp, tok);
    }
  }
  else if (T == (int64_t)L + 2) lead = trail = 1;
  if (T != (int64_t)L + lead + trail)
    return plm_Fail(errbuf, PLM_EFORMAT, "attention over %lld tokens does not fit %d residues%s%s", (long long)T, L,
                    sp ? " with special_tokens " : " (no special_tokens metadata)", sp ? sp : "");
  *ret_lead  = lead;
  *ret_trail = trail;
  return PLM_OK;
}

/* metadata "1,3-5" -> ids[n]; absent metadata numbers 1..n */
static int
labels_Parse(const char *list, const char *what, int n, int *ids, char *errbuf)
{
  const char *p = list;
  int         k = 0;

  if (!list) { for (k = 0; k < n; k++) ids[k] = k + 1; return PLM_OK; }
  while (*p) {
    char *end;
    long  a = strtol(p, &end, 10), b = a;
    if (end == p || a < 1) break;
    if (*end == '-') { p = end + 1; b = strtol(p, &end, 10); if (end == p || b < a) break; }
    for (long v = a; v <= b; v++) { if (k == n) return plm_Fail(errbuf, PLM_EFORMAT, "metadata %s '%s' names more than the tensor's %d", what, list, n); ids[k++] = (int)v; }
    if (*end == ',') end++;
    else if (*end) break;
    p = end;
  }
  if (*p || k != n) return plm_Fail(errbuf, PLM_EFORMAT, "metadata %s '%s' does not name the tensor's %d", what, list, n);
  return PLM_OK;
}

int
plm_resattn_FromRecord(const plm_record *rec, const char *tname, int L, plm_resattn **ret_a, char *errbuf)
{
  const plm_tensor *t = plm_record_GetTensor(rec, tname);
  plm_resattn      *a = NULL;
  int               lead, trail, status;
  int64_t           T;

  *ret_a = NULL;
  if (!t) return plm_Fail(errbuf, PLM_ENOTFOUND, "no tensor '%s' (run attn --attentions)", tname);
  if (t->rank != 4 || t->shape[2] != t->shape[3] || (t->dtype != PLM_F32 && t->dtype != PLM_F16))
    return plm_Fail(errbuf, PLM_EFORMAT, "tensor '%s': expected f32 or f16 [layers, heads, T, T]", tname);
  if (t->shape[0] < 1 || t->shape[1] < 1 || t->shape[0] > 4096 || t->shape[1] > 4096 || L < 1)
    return plm_Fail(errbuf, PLM_EFORMAT, "tensor '%s': no maps, or more than 4096 layers or heads", tname);
  T = t->shape[2];
  PLM_XCHECK(special_Layout(rec, T, L, &lead, &trail, errbuf));
  if ((a = calloc(1, sizeof *a)) == NULL) PLM_XFAIL(PLM_EMEM, errbuf, "out of memory");
  a->nl = (int)t->shape[0]; a->nh = (int)t->shape[1]; a->L = L;
  a->w         = malloc(sizeof *a->w * (size_t)a->nl * a->nh * L * L);
  a->layer_ids = malloc(sizeof(int) * (size_t)a->nl);
  a->head_ids  = malloc(sizeof(int) * (size_t)a->nh);
  if (!a->w || !a->layer_ids || !a->head_ids) PLM_XFAIL(PLM_EMEM, errbuf, "out of memory");
  PLM_XCHECK(labels_Parse(plm_record_GetMeta(rec, "attention_layers"), "attention_layers", a->nl, a->layer_ids, errbuf));
  PLM_XCHECK(labels_Parse(plm_record_GetMeta(rec, "attention_heads"), "attention_heads", a->nh, a->head_ids, errbuf));
  for (int64_t m = 0; m < (int64_t)a->nl * a->nh; m++)   /* element-wise: no second copy of a big tensor */
    for (int i = 0; i < L; i++) {
      size_t src = ((size_t)m * T + lead + i) * T + lead;
      float *dst = a->w + ((size_t)m * L + i) * L;
      for (int j = 0; j < L; j++)
        dst[j] = t->dtype == PLM_F32 ? ((const float *)t->data)[src + j] : plm_f16_to_f32(((const uint16_t *)t->data)[src + j]);
    }
  *ret_a = a;
  return PLM_OK;
 ERROR:
  plm_resattn_Destroy(a);
  return status;
}

void
plm_resattn_Destroy(plm_resattn *a)
{
  if (!a) return;
  free(a->w);
  free(a->layer_ids);
  free(a->head_ids);
  free(a);
}

const float *
plm_resattn_Map(const plm_resattn *a, int l, int h)
{
  return a->w + ((size_t)l * a->nh + h) * (size_t)a->L * a->L;
}

int
plm_resattn_QuantizeU8(const plm_resattn *a, uint8_t **ret_q, char *errbuf)
{
  size_t   n = (size_t)a->nl * a->nh * a->L * a->L;
  uint8_t *q = malloc(n ? n : 1);

  *ret_q = NULL;
  if (!q) return plm_Fail(errbuf, PLM_EMEM, "out of memory");
  for (size_t c = 0; c < n; c++) {
    float v = a->w[c] < 0.0f ? 0.0f : (a->w[c] > 1.0f ? 1.0f : a->w[c]);   /* NaN reads as 0 */
    q[c] = (uint8_t)(v == v ? v * 255.0f + 0.5f : 0.0f);
  }
  *ret_q = q;
  return PLM_OK;
}
