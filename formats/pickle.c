/* pickle.c: a safe reader for torch pickles (see pickle.h).
 *
 *   the machine:      vm, vfail(), new_node(), push(), new_pushed(), fence(), pop(), peek(),
 *                     pop_mark(), take(), add_item()
 *   values:           load_int(), new_bytes(), load_long(), load_string(), load_float(), simple()
 *   containers:       collect(), load_tuple(), load_marked(), extend()
 *   memo:             memo_put(), memo_get(), memo_op()
 *   globals, calls:   find_global(), load_global(), stack_global(), int_tuple(), rebuild_tensor(),
 *                     call(), reduce(), build(), storage_view(), persistent()
 *   driver:           step(), plm_pickle_Load()
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "error.h"
#include "growbuf.h"
#include "lebytes.h"
#include "pickle.h"

#define MAXSTACK   ((size_t)1 << 20)
#define MAXMARKS   1024              /* nesting depth of MARK-delimited containers */
#define MAXMEMO    ((size_t)1 << 24)
#define MAXNODES   (1 << 26)
#define MAXLINE    256               /* GLOBAL module and name lines */

enum { G_REBUILD_V2, G_REBUILD, G_PARAMETER, G_ODICT, G_NAMESPACE, G_STORAGE };
#define NODTYPE (-1)   /* a storage type we recognise but cannot hold (float64, int16, int8) */

/* The only globals a checkpoint may name. Nothing is ever called: each is interpreted. */
static const struct known { const char *module, *name; int what, dtype; } known[] = {
  { "torch._utils", "_rebuild_tensor_v2",            G_REBUILD_V2, NODTYPE },
  { "torch._utils", "_rebuild_tensor",               G_REBUILD,    NODTYPE },
  { "torch._utils", "_rebuild_parameter",            G_PARAMETER,  NODTYPE },
  { "torch._utils", "_rebuild_parameter_with_state", G_PARAMETER,  NODTYPE },
  { "collections",  "OrderedDict",                   G_ODICT,      NODTYPE },
  { "argparse",     "Namespace",                     G_NAMESPACE,  NODTYPE },
  { "torch",        "FloatStorage",                  G_STORAGE,    PLM_F32 },
  { "torch",        "HalfStorage",                   G_STORAGE,    PLM_F16 },
  { "torch",        "BFloat16Storage",               G_STORAGE,    PLM_BF16 },
  { "torch",        "LongStorage",                   G_STORAGE,    PLM_I64 },
  { "torch",        "IntStorage",                    G_STORAGE,    PLM_I32 },
  { "torch",        "ByteStorage",                   G_STORAGE,    PLM_U8 },
  { "torch",        "BoolStorage",                   G_STORAGE,    PLM_U8 },
  { "torch",        "DoubleStorage",                 G_STORAGE,    NODTYPE },
  { "torch",        "ShortStorage",                  G_STORAGE,    NODTYPE },
  { "torch",        "CharStorage",                   G_STORAGE,    NODTYPE },
};
#define NKNOWN (int)(sizeof known / sizeof known[0])

typedef struct vm {
  const uint8_t *buf, *p, *end;
  plm_pickle    *pk;
  plm_pkobj    **stack;
  size_t         sp, stackalloc;
  size_t         marks[MAXMARKS];
  int            nmarks;
  plm_pkobj    **memo;
  size_t         memoalloc, nmemo;   /* nmemo: slots set, which MEMOIZE uses as its next index */
  char          *errbuf;
} vm;

static int __attribute__((format(printf, 3, 4)))
vfail(const vm *m, int code, const char *fmt, ...)
{
  char    msg[PLM_ERRBUFSIZE];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  return plm_Fail(m->errbuf, code, "pickle byte %zu: %s", (size_t)(m->p - m->buf), msg);
}

static int
new_node(vm *m, plm_pkkind kind, plm_pkobj **ret)
{
  plm_pickle *pk = m->pk;
  plm_pkobj  *o;

  if (pk->narena >= MAXNODES) return vfail(m, PLM_ELIMIT, "more than %d objects", MAXNODES);
  if (plm_grow((void **)&pk->arena, &pk->arenaalloc, (size_t)pk->narena + 1, sizeof *pk->arena) != PLM_OK ||
      (o = calloc(1, sizeof *o)) == NULL)
    return plm_Fail(m->errbuf, PLM_EMEM, "out of memory");
  o->kind = kind;
  pk->arena[pk->narena++] = o;
  *ret = o;
  return PLM_OK;
}

static int
push(vm *m, plm_pkobj *o)
{
  if (m->sp >= MAXSTACK) return vfail(m, PLM_ELIMIT, "stack deeper than %zu", MAXSTACK);
  if (plm_grow((void **)&m->stack, &m->stackalloc, m->sp + 1, sizeof *m->stack) != PLM_OK)
    return plm_Fail(m->errbuf, PLM_EMEM, "out of memory");
  m->stack[m->sp++] = o;
  return PLM_OK;
}

static int
new_pushed(vm *m, plm_pkkind kind, plm_pkobj **ret)
{
  int status = new_node(m, kind, ret);
  return status != PLM_OK ? status : push(m, *ret);
}

/* the topmost MARK fences the stack: ordinary opcodes cannot reach below it */
static size_t fence(const vm *m) { return m->nmarks ? m->marks[m->nmarks - 1] : 0; }

static int
pop(vm *m, plm_pkobj **ret)
{
  if (m->sp <= fence(m)) return vfail(m, PLM_EFORMAT, "stack underflow");
  *ret = m->stack[--m->sp];
  return PLM_OK;
}

static int
peek(const vm *m, plm_pkobj **ret)
{
  if (m->sp <= fence(m)) return vfail(m, PLM_EFORMAT, "stack underflow");
  *ret = m->stack[m->sp - 1];
  return PLM_OK;
}

static int
pop_mark(vm *m, size_t *ret_k)
{
  if (m->nmarks == 0) return vfail(m, PLM_EFORMAT, "no MARK on the stack");
  *ret_k = m->marks[--m->nmarks];
  return PLM_OK;
}

static int
take(vm *m, uint64_t n, const uint8_t **ret)
{
  if (n > (uint64_t)(m->end - m->p)) return vfail(m, PLM_EFORMAT, "truncated: %llu bytes wanted", (unsigned long long)n);
  *ret = m->p;
  m->p += n;
  return PLM_OK;
}

static int
add_item(vm *m, plm_pkobj *c, plm_pkobj *item)
{
  if (c->n >= MAXNODES) return vfail(m, PLM_ELIMIT, "container with more than %d items", MAXNODES);
  if (plm_grow((void **)&c->items, &c->nalloc, (size_t)c->n + 1, sizeof *c->items) != PLM_OK)
    return plm_Fail(m->errbuf, PLM_EMEM, "out of memory");
  c->items[c->n++] = item;
  return PLM_OK;
}

static int
load_int(vm *m, int nbytes, int is_signed)
{
  const uint8_t *q = NULL;
  plm_pkobj     *o = NULL;
  int            status;

  if ((status = take(m, (uint64_t)nbytes, &q)) != PLM_OK) return status;
  if ((status = new_pushed(m, PLM_PK_INT, &o)) != PLM_OK) return status;
  o->i = nbytes == 1 ? q[0] : nbytes == 2 ? plm_le16(q) : is_signed ? (int32_t)plm_le32(q) : (int64_t)plm_le32(q);
  return PLM_OK;
}

static int
new_bytes(vm *m, plm_pkkind kind, const uint8_t *src, size_t n, plm_pkobj **ret)
{
  int status = new_pushed(m, kind, ret);
  if (status != PLM_OK) return status;
  if (((*ret)->s = malloc(n + 1)) == NULL) return plm_Fail(m->errbuf, PLM_EMEM, "out of memory");
  memcpy((*ret)->s, src, n);
  (*ret)->s[n] = '\0';
  (*ret)->len  = n;
  return PLM_OK;
}

/* LONG1/LONG4: little-endian two's complement of any length; more than 64 bits stays bytes */
static int
load_long(vm *m, int lenbytes)
{
  const uint8_t *q = NULL, *d = NULL;
  uint64_t       n, v = 0;
  plm_pkobj     *o = NULL;
  int            status;

  if ((status = take(m, (uint64_t)lenbytes, &q)) != PLM_OK) return status;
  n = lenbytes == 1 ? q[0] : plm_le32(q);
  if (lenbytes == 4 && (int32_t)n < 0) return vfail(m, PLM_EFORMAT, "negative LONG4 length");
  if ((status = take(m, n, &d)) != PLM_OK) return status;
  if (n > 8) return new_bytes(m, PLM_PK_BIGINT, d, n, &o);
  for (uint64_t k = 0; k < n; k++) v |= (uint64_t)d[k] << (8 * k);
  if (n > 0 && n < 8 && (d[n - 1] & 0x80)) v |= ~UINT64_C(0) << (8 * n);   /* sign-extend */
  if ((status = new_pushed(m, PLM_PK_INT, &o)) != PLM_OK) return status;
  o->i = (int64_t)v;
  return PLM_OK;
}

static int
load_string(vm *m, plm_pkkind kind, int lenbytes)
{
  const uint8_t *q = NULL, *d = NULL;
  uint64_t       n;
  plm_pkobj     *o = NULL;
  int            status;

  if ((status = take(m, (uint64_t)lenbytes, &q)) != PLM_OK) return status;
  n = lenbytes == 1 ? q[0] : lenbytes == 4 ? plm_le32(q) : plm_le64(q);
  if ((status = take(m, n, &d)) != PLM_OK) return status;
  return new_bytes(m, kind, d, (size_t)n, &o);
}

static int
load_float(vm *m)
{
  const uint8_t *q = NULL;
  uint64_t       bits = 0;
  plm_pkobj     *o = NULL;
  int            status;

  if ((status = take(m, 8, &q)) != PLM_OK) return status;
  for (int k = 0; k < 8; k++) bits = bits << 8 | q[k];   /* BINFLOAT is big-endian */
  if ((status = new_pushed(m, PLM_PK_FLOAT, &o)) != PLM_OK) return status;
  memcpy(&o->f, &bits, 8);
  return PLM_OK;
}

/* a TUPLE or LIST of the stack items from position k up, which it replaces */
static int
collect(vm *m, plm_pkkind kind, size_t k)
{
  size_t     n = m->sp - k;
  plm_pkobj *o;
  int        status;

  m->sp = k;
  if ((status = new_node(m, kind, &o)) != PLM_OK) return status;
  for (size_t j = 0; j < n; j++)
    if ((status = add_item(m, o, m->stack[k + j])) != PLM_OK) return status;
  return push(m, o);
}

static int
load_tuple(vm *m, int n)   /* n < 0: up to the MARK */
{
  size_t k = 0;
  int    status;

  if (n < 0) {
    if ((status = pop_mark(m, &k)) != PLM_OK) return status;
  } else {
    if (m->sp < fence(m) + (size_t)n) return vfail(m, PLM_EFORMAT, "stack underflow");
    k = m->sp - (size_t)n;
  }
  return collect(m, PLM_PK_TUPLE, k);
}

static int
load_marked(vm *m, plm_pkkind kind)   /* LIST, DICT: items since the MARK */
{
  size_t k = 0;
  int    status;
  if ((status = pop_mark(m, &k)) != PLM_OK) return status;
  if (kind == PLM_PK_DICT && (m->sp - k) % 2) return vfail(m, PLM_EFORMAT, "DICT with an odd number of items");
  return collect(m, kind, k);
}

/* APPEND, SETITEM (n items from the top) or APPENDS, SETITEMS (from the MARK) into the container below */
static int
extend(vm *m, plm_pkkind kind, int n)
{
  size_t     k = 0;
  plm_pkobj *c;
  int        status;

  if (n < 0) {
    if ((status = pop_mark(m, &k)) != PLM_OK) return status;
  } else {
    if (m->sp < fence(m) + (size_t)n + 1) return vfail(m, PLM_EFORMAT, "stack underflow");
    k = m->sp - (size_t)n;
  }
  if (k == 0) return vfail(m, PLM_EFORMAT, "stack underflow");
  c = m->stack[k - 1];
  if (c->kind != kind)
    return vfail(m, PLM_EFORMAT, "adding items to a %s, not a %s", plm_pickle_KindName(c->kind), plm_pickle_KindName(kind));
  if (kind == PLM_PK_DICT && (m->sp - k) % 2) return vfail(m, PLM_EFORMAT, "SETITEMS with an odd number of items");
  for (size_t j = k; j < m->sp; j++)
    if ((status = add_item(m, c, m->stack[j])) != PLM_OK) return status;
  m->sp = k;
  return PLM_OK;
}

static int
memo_put(vm *m, uint64_t idx)
{
  plm_pkobj *top = NULL;
  int        status;

  if ((status = peek(m, &top)) != PLM_OK) return status;
  if (idx >= MAXMEMO || idx > (uint64_t)(m->end - m->buf))
    return vfail(m, PLM_ELIMIT, "memo index %llu out of range", (unsigned long long)idx);
  if (plm_grow((void **)&m->memo, &m->memoalloc, (size_t)idx + 1, sizeof *m->memo) != PLM_OK)
    return plm_Fail(m->errbuf, PLM_EMEM, "out of memory");
  if (!m->memo[idx]) m->nmemo++;
  m->memo[idx] = top;
  return PLM_OK;
}

static int
memo_get(vm *m, uint64_t idx)
{
  if (idx >= m->memoalloc || !m->memo[idx]) return vfail(m, PLM_EFORMAT, "memo index %llu not set", (unsigned long long)idx);
  return push(m, m->memo[idx]);
}

static int
memo_op(vm *m, int lenbytes, int is_get)
{
  const uint8_t *q = NULL;
  uint64_t       idx;
  int            status;

  if ((status = take(m, (uint64_t)lenbytes, &q)) != PLM_OK) return status;
  idx = lenbytes == 1 ? q[0] : plm_le32(q);
  return is_get ? memo_get(m, idx) : memo_put(m, idx);
}

static int
find_global(vm *m, const char *module, size_t mlen, const char *name, size_t nlen)
{
  plm_pkobj *o;
  char       full[2 * MAXLINE + 2];
  int        status;

  if (mlen >= MAXLINE || nlen >= MAXLINE) return vfail(m, PLM_EFORMAT, "global name too long");
  snprintf(full, sizeof full, "%.*s.%.*s", (int)mlen, module, (int)nlen, name);
  for (int g = 0; g < NKNOWN; g++) {
    if (strlen(known[g].module) != mlen || memcmp(known[g].module, module, mlen) != 0 ||
        strlen(known[g].name) != nlen || memcmp(known[g].name, name, nlen) != 0) continue;
    if ((status = new_bytes(m, PLM_PK_GLOBAL, (const uint8_t *)full, strlen(full), &o)) != PLM_OK) return status;
    o->i = g;
    return PLM_OK;
  }
  return vfail(m, PLM_EUNSUP, "refusing to load global %s", full);
}

/* GLOBAL: "module\nname\n" */
static int
load_global(vm *m)
{
  const uint8_t *mod = m->p, *nl1, *nl2;
  size_t         avail = (size_t)(m->end - m->p);

  if ((nl1 = memchr(mod, '\n', avail)) == NULL ||
      (nl2 = memchr(nl1 + 1, '\n', (size_t)(m->end - nl1 - 1))) == NULL)
    return vfail(m, PLM_EFORMAT, "truncated GLOBAL");
  m->p = nl2 + 1;
  return find_global(m, (const char *)mod, (size_t)(nl1 - mod), (const char *)nl1 + 1, (size_t)(nl2 - nl1 - 1));
}

static int
stack_global(vm *m)
{
  plm_pkobj *mod = NULL, *name = NULL;
  int        status;

  if ((status = pop(m, &name)) != PLM_OK || (status = pop(m, &mod)) != PLM_OK) return status;
  if (mod->kind != PLM_PK_STR || name->kind != PLM_PK_STR) return vfail(m, PLM_EFORMAT, "STACK_GLOBAL without two strings");
  return find_global(m, mod->s, mod->len, name->s, name->len);
}

/* a tuple of non-negative ints into shape or stride */
static int
int_tuple(vm *m, const plm_pkobj *t, int64_t *v, int *ret_n)
{
  if (t->kind != PLM_PK_TUPLE) return vfail(m, PLM_EFORMAT, "tensor size/stride is a %s, not a tuple", plm_pickle_KindName(t->kind));
  if (t->n > 8) return vfail(m, PLM_EUNSUP, "tensor of rank %d", t->n);
  for (int j = 0; j < t->n; j++) {
    if (t->items[j]->kind != PLM_PK_INT || t->items[j]->i < 0) return vfail(m, PLM_EFORMAT, "bad tensor size or stride");
    v[j] = t->items[j]->i;
  }
  *ret_n = t->n;
  return PLM_OK;
}

/* _rebuild_tensor_v2(storage, offset, size, stride, requires_grad, hooks[, metadata]) and
 * the older _rebuild_tensor(storage, offset, size, stride) */
static int
rebuild_tensor(vm *m, const plm_pkobj *args, plm_pkobj **ret)
{
  plm_pkobj *o, **a = args->items;
  int        nstride, status;

  if (args->n < 4 || a[0]->kind != PLM_PK_STORAGE || a[1]->kind != PLM_PK_INT || a[1]->i < 0)
    return vfail(m, PLM_EFORMAT, "malformed tensor rebuild arguments");
  if ((status = new_node(m, PLM_PK_TENSOR, &o)) != PLM_OK) return status;
  o->storage = a[0];
  o->offset  = a[1]->i;
  if ((status = int_tuple(m, a[2], o->shape, &o->rank)) != PLM_OK ||
      (status = int_tuple(m, a[3], o->stride, &nstride)) != PLM_OK) return status;
  if (nstride != o->rank) return vfail(m, PLM_EFORMAT, "tensor size and stride differ in rank");
  *ret = o;
  return PLM_OK;
}

/* REDUCE and NEWOBJ: interpret a known callable applied to args */
static int
call(vm *m, const plm_pkobj *f, const plm_pkobj *args, plm_pkobj **ret)
{
  int status;

  if (f->kind != PLM_PK_GLOBAL) return vfail(m, PLM_EFORMAT, "calling a %s", plm_pickle_KindName(f->kind));
  if (args->kind != PLM_PK_TUPLE) return vfail(m, PLM_EFORMAT, "call arguments are a %s", plm_pickle_KindName(args->kind));
  switch (known[f->i].what) {
  case G_REBUILD_V2: case G_REBUILD:
    return rebuild_tensor(m, args, ret);
  case G_PARAMETER:
    if (args->n < 1 || args->items[0]->kind != PLM_PK_TENSOR) return vfail(m, PLM_EFORMAT, "parameter without a tensor");
    *ret = args->items[0];
    return PLM_OK;
  case G_ODICT:
    if (args->n != 0) return vfail(m, PLM_EUNSUP, "%s with constructor arguments", f->s);
    return new_node(m, PLM_PK_DICT, ret);
  case G_NAMESPACE:
    if (args->n != 0) return vfail(m, PLM_EUNSUP, "%s with constructor arguments", f->s);
    if ((status = new_node(m, PLM_PK_OBJECT, ret)) != PLM_OK) return status;
    if (((*ret)->s = strdup(f->s)) == NULL) return plm_Fail(m->errbuf, PLM_EMEM, "out of memory");
    (*ret)->len = f->len;
    return PLM_OK;
  }
  return vfail(m, PLM_EFORMAT, "calling %s", f->s);
}

static int
reduce(vm *m)
{
  plm_pkobj *f = NULL, *args = NULL, *o = NULL;
  int        status;

  if ((status = pop(m, &args)) != PLM_OK || (status = pop(m, &f)) != PLM_OK) return status;
  if ((status = call(m, f, args, &o)) != PLM_OK) return status;
  return push(m, o);
}

/* BUILD sets an object's state: argparse.Namespace keeps its __dict__; the state of an
 * OrderedDict (a state dict's _metadata) or of a Parameter is not needed */
static int
build(vm *m)
{
  plm_pkobj *state = NULL, *o = NULL;
  int        status;

  if ((status = pop(m, &state)) != PLM_OK || (status = peek(m, &o)) != PLM_OK) return status;
  if (o->kind == PLM_PK_DICT || o->kind == PLM_PK_TENSOR) return PLM_OK;
  if (o->kind != PLM_PK_OBJECT) return vfail(m, PLM_EFORMAT, "BUILD on a %s", plm_pickle_KindName(o->kind));
  if (state->kind == PLM_PK_TUPLE && state->n == 2) state = state->items[0];   /* (dict, slots) */
  if (state->kind != PLM_PK_DICT) return vfail(m, PLM_EFORMAT, "object state is a %s", plm_pickle_KindName(state->kind));
  o->state = state;
  return PLM_OK;
}

/* view_metadata (legacy files only): (view_key, offset, size) within the stored key's data */
static int
storage_view(vm *m, const plm_pkobj *v, plm_pkobj *st)
{
  if (v->kind == PLM_PK_NONE) return PLM_OK;
  if (v->kind != PLM_PK_TUPLE || v->n != 3 || v->items[1]->kind != PLM_PK_INT || v->items[2]->kind != PLM_PK_INT ||
      v->items[1]->i < 0 || v->items[2]->i < 0)
    return vfail(m, PLM_EFORMAT, "malformed storage view");
  st->offset = v->items[1]->i;
  st->i      = v->items[2]->i;
  return PLM_OK;
}

/* BINPERSID: ('storage', storage_type, key, location, numel[, view_metadata]) */
static int
persistent(vm *m)
{
  plm_pkobj *pid = NULL, *st = NULL, **a;
  int        status;

  if ((status = pop(m, &pid)) != PLM_OK) return status;
  a = pid->items;
  if (pid->kind != PLM_PK_TUPLE || pid->n < 5 || pid->n > 6 || a[0]->kind != PLM_PK_STR || strcmp(a[0]->s, "storage") != 0 ||
      a[1]->kind != PLM_PK_GLOBAL || known[a[1]->i].what != G_STORAGE || a[2]->kind != PLM_PK_STR ||
      a[3]->kind != PLM_PK_STR || a[4]->kind != PLM_PK_INT || a[4]->i < 0)
    return vfail(m, PLM_EFORMAT, "unrecognised persistent id");
  if (known[a[1]->i].dtype == NODTYPE) return vfail(m, PLM_EUNSUP, "storage type %s not supported", a[1]->s);
  if ((status = new_bytes(m, PLM_PK_STORAGE, (const uint8_t *)a[2]->s, a[2]->len, &st)) != PLM_OK) return status;
  st->dtype = (plm_dtype)known[a[1]->i].dtype;
  st->i     = a[4]->i;
  if (pid->n == 6 && (status = storage_view(m, a[5], st)) != PLM_OK) return status;
  if (plm_grow((void **)&m->pk->storages, &m->pk->storagealloc, (size_t)m->pk->nstorages + 1, sizeof *m->pk->storages) != PLM_OK)
    return plm_Fail(m->errbuf, PLM_EMEM, "out of memory");
  m->pk->storages[m->pk->nstorages++] = st;
  return PLM_OK;
}

static int
simple(vm *m, plm_pkkind kind, int64_t i)   /* NONE, NEWTRUE, NEWFALSE, EMPTY_* */
{
  plm_pkobj *o;
  int        status = new_pushed(m, kind, &o);
  if (status == PLM_OK) o->i = i;
  return status;
}

static int
step(vm *m, int op)
{
  plm_pkobj     *o = NULL;
  const uint8_t *q = NULL;
  size_t         k = 0;
  int            status;

  switch (op) {
  case 0x80: /* PROTO */
    if ((status = take(m, 1, &q)) != PLM_OK) return status;
    return q[0] <= 5 ? PLM_OK : vfail(m, PLM_EUNSUP, "pickle protocol %d", q[0]);
  case 0x95: return take(m, 8, &q);   /* FRAME: a length hint only */
  case '(':
    if (m->nmarks >= MAXMARKS) return vfail(m, PLM_ELIMIT, "nesting deeper than %d", MAXMARKS);
    m->marks[m->nmarks++] = m->sp;
    return PLM_OK;
  case '0':  return pop(m, &o);
  case '1':  if ((status = pop_mark(m, &k)) == PLM_OK) m->sp = k; return status;
  case '2':  return (status = peek(m, &o)) != PLM_OK ? status : push(m, o);
  case 'N':  return simple(m, PLM_PK_NONE, 0);
  case 0x88: return simple(m, PLM_PK_BOOL, 1);
  case 0x89: return simple(m, PLM_PK_BOOL, 0);
  case 'J':  return load_int(m, 4, 1);
  case 'K':  return load_int(m, 1, 0);
  case 'M':  return load_int(m, 2, 0);
  case 0x8a: return load_long(m, 1);
  case 0x8b: return load_long(m, 4);
  case 'G':  return load_float(m);
  case 'X':  return load_string(m, PLM_PK_STR, 4);
  case 0x8c: return load_string(m, PLM_PK_STR, 1);
  case 0x8d: return load_string(m, PLM_PK_STR, 8);
  case 'T':  return load_string(m, PLM_PK_STR, 4);     /* py2 str: latin-1 text */
  case 'U':  return load_string(m, PLM_PK_STR, 1);
  case 'B':  return load_string(m, PLM_PK_BYTES, 4);
  case 'C':  return load_string(m, PLM_PK_BYTES, 1);
  case 0x8e: case 0x96: return load_string(m, PLM_PK_BYTES, 8);
  case ')':  return simple(m, PLM_PK_TUPLE, 0);
  case ']':  return simple(m, PLM_PK_LIST, 0);
  case '}':  return simple(m, PLM_PK_DICT, 0);
  case 't':  return load_tuple(m, -1);
  case 0x85: return load_tuple(m, 1);
  case 0x86: return load_tuple(m, 2);
  case 0x87: return load_tuple(m, 3);
  case 'l':  return load_marked(m, PLM_PK_LIST);
  case 'd':  return load_marked(m, PLM_PK_DICT);
  case 'a':  return extend(m, PLM_PK_LIST, 1);
  case 'e':  return extend(m, PLM_PK_LIST, -1);
  case 's':  return extend(m, PLM_PK_DICT, 2);
  case 'u':  return extend(m, PLM_PK_DICT, -1);
  case 'q':  return memo_op(m, 1, 0);
  case 'r':  return memo_op(m, 4, 0);
  case 'h':  return memo_op(m, 1, 1);
  case 'j':  return memo_op(m, 4, 1);
  case 0x94: return memo_put(m, m->nmemo);
  case 'c':  return load_global(m);
  case 0x93: return stack_global(m);
  case 'R':  case 0x81: return reduce(m);   /* REDUCE, NEWOBJ: both (callable, args) */
  case 'b':  return build(m);
  case 'Q':  return persistent(m);
  }
  return vfail(m, PLM_EUNSUP, "unsupported pickle opcode 0x%02x", op);
}

int
plm_pickle_Load(const uint8_t *buf, size_t len, plm_pickle **ret_pk, size_t *opt_used, char *errbuf)
{
  vm  m;
  int status;

  memset(&m, 0, sizeof m);
  m.buf = m.p = buf;
  m.end    = buf + len;
  m.errbuf = errbuf;
  *ret_pk  = NULL;
  if ((m.pk = calloc(1, sizeof *m.pk)) == NULL) PLM_XFAIL(PLM_EMEM, errbuf, "out of memory");
  for (;;) {
    if (m.p >= m.end) PLM_XCHECK(vfail(&m, PLM_EFORMAT, "truncated: no STOP"));
    int op = *m.p++;
    if (op == '.') break;
    PLM_XCHECK(step(&m, op));
  }
  PLM_XCHECK(pop(&m, &m.pk->root));
  if (opt_used) *opt_used = (size_t)(m.p - buf);
  free(m.stack);
  free(m.memo);
  *ret_pk = m.pk;
  return PLM_OK;

ERROR:
  free(m.stack);
  free(m.memo);
  plm_pickle_Destroy(m.pk);
  return status;
}

void
plm_pickle_Destroy(plm_pickle *pk)
{
  if (!pk) return;
  for (int j = 0; j < pk->narena; j++) {
    free(pk->arena[j]->s);
    free(pk->arena[j]->items);
    free(pk->arena[j]);
  }
  free(pk->arena);
  free(pk->storages);
  free(pk);
}

const plm_pkobj *
plm_pickle_DictGet(const plm_pkobj *dict, const char *key)
{
  size_t klen = strlen(key);
  if (!dict || dict->kind != PLM_PK_DICT) return NULL;
  for (int j = dict->n - 2; j >= 0; j -= 2) {   /* the last SETITEM wins, as in Python */
    const plm_pkobj *k = dict->items[j];
    if (k->kind == PLM_PK_STR && k->len == klen && memcmp(k->s, key, klen) == 0) return dict->items[j + 1];
  }
  return NULL;
}

const char *
plm_pickle_KindName(plm_pkkind kind)
{
  static const char *names[] = { "None", "bool", "int", "int", "float", "str", "bytes", "tuple", "list",
                                 "dict", "global", "object", "storage", "tensor" };
  return (int)kind >= 0 && (size_t)kind < sizeof names / sizeof names[0] ? names[kind] : "?";
}
