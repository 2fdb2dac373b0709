/* test_pickle.c: unit tests for formats/pickle: values, containers, memo, the
 * torch globals and tensor nodes, refused globals, and the limits that make it
 * safe on hostile input. Pickles are written out by hand, opcode by opcode
 * (X = BINUNICODE with a 4-byte length, K = BININT1, q/h = memo put/get, ...).
 */
#include <stdlib.h>
#include <string.h>
#include "error.h"
#include "pickle.h"
#include "test.h"

/* a C string literal holding a pickle, without its terminating NUL */
#define LOAD(lit, pk, err) plm_pickle_Load((const uint8_t *)(lit), sizeof(lit) - 1, (pk), NULL, (err))

/* {'a': 1, 'b': [1.5, None, True, -300], 'c': 'xy', 'd': 'xy' (memo)} */
static const char values[] =
  "\x80\x02}q\x00("
  "X\x01\x00\x00\x00" "aK\x01"
  "X\x01\x00\x00\x00" "b]q\x01(G?\xf8\x00\x00\x00\x00\x00\x00N\x88\x8a\x02\xd4\xfe" "e"
  "X\x01\x00\x00\x00" "cX\x02\x00\x00\x00xyq\x02"
  "X\x01\x00\x00\x00" "dh\x02"
  "u.";

static void
test_values(void)
{
  char             err[PLM_ERRBUFSIZE];
  plm_pickle      *pk = NULL;
  const plm_pkobj *b, *d;
  size_t           used = 0;
  int              status = plm_pickle_Load((const uint8_t *)values, sizeof values - 1, &pk, &used, err);

  TEST(status == PLM_OK, "plain values load (%s)", status ? err : "ok");
  if (status) return;
  TEST(used == sizeof values - 1, "used bytes end at STOP");
  TEST(pk->root->kind == PLM_PK_DICT && pk->root->n == 8, "root is a dict of 4 items");
  TEST(plm_pickle_DictGet(pk->root, "a")->i == 1, "int item");
  b = plm_pickle_DictGet(pk->root, "b");
  TEST(b && b->kind == PLM_PK_LIST && b->n == 4, "list item with 4 elements");
  if (b && b->n == 4) {
    TEST(b->items[0]->kind == PLM_PK_FLOAT && b->items[0]->f == 1.5, "BINFLOAT 1.5");
    TEST(b->items[1]->kind == PLM_PK_NONE, "None");
    TEST(b->items[2]->kind == PLM_PK_BOOL && b->items[2]->i == 1, "True");
    TEST(b->items[3]->kind == PLM_PK_INT && b->items[3]->i == -300, "LONG1 -300 sign-extended");
  }
  d = plm_pickle_DictGet(pk->root, "d");
  TEST(d && d == plm_pickle_DictGet(pk->root, "c") && strcmp(d->s, "xy") == 0, "memo get returns the same node");
  TEST(plm_pickle_DictGet(pk->root, "zz") == NULL, "absent key");
  plm_pickle_Destroy(pk);
}

/* LONG1 of 10 bytes (torch's legacy magic) is kept as bytes */
static void
test_bigint(void)
{
  char        err[PLM_ERRBUFSIZE];
  plm_pickle *pk = NULL;
  int         status = LOAD("\x80\x02\x8a\x0a\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19.", &pk, err);

  TEST(status == PLM_OK && pk->root->kind == PLM_PK_BIGINT && pk->root->len == 10 &&
       (uint8_t)pk->root->s[9] == 0x19, "LONG1 wider than 64 bits kept as bytes");
  plm_pickle_Destroy(pk);
}

/* {'w': _rebuild_tensor_v2(('storage', FloatStorage, '0', 'cpu', 6), 0, (2, 3), (3, 1), False, OrderedDict()),
 *  'ns': argparse.Namespace(layers=3)} */
static const char tensor[] =
  "\x80\x02}X\x01\x00\x00\x00w"
  "ctorch._utils\n_rebuild_tensor_v2\n"
  "((X\x07\x00\x00\x00storage" "ctorch\nFloatStorage\n" "X\x01\x00\x00\x00" "0" "X\x03\x00\x00\x00" "cpu" "K\x06" "tQ"
  "K\x00" "K\x02K\x03\x86" "K\x03K\x01\x86" "\x89" "ccollections\nOrderedDict\n)R" "tR" "s"
  "X\x02\x00\x00\x00ns" "cargparse\nNamespace\n)\x81" "}X\x06\x00\x00\x00layersK\x03s" "b" "s.";

static void
test_tensor(void)
{
  char             err[PLM_ERRBUFSIZE];
  plm_pickle      *pk = NULL;
  const plm_pkobj *t, *ns;
  int              status = LOAD(tensor, &pk, err);

  TEST(status == PLM_OK, "tensor rebuild loads (%s)", status ? err : "ok");
  if (status) return;
  t = plm_pickle_DictGet(pk->root, "w");
  TEST(t && t->kind == PLM_PK_TENSOR && t->rank == 2 && t->shape[0] == 2 && t->shape[1] == 3 &&
       t->stride[0] == 3 && t->stride[1] == 1 && t->offset == 0, "tensor node: shape, stride, offset");
  TEST(t && t->storage->kind == PLM_PK_STORAGE && t->storage->dtype == PLM_F32 && t->storage->i == 6 &&
       strcmp(t->storage->s, "0") == 0, "storage node: dtype, numel, key");
  TEST(pk->nstorages == 1 && pk->storages[0] == t->storage, "storage listed");
  ns = plm_pickle_DictGet(pk->root, "ns");
  TEST(ns && ns->kind == PLM_PK_OBJECT && strcmp(ns->s, "argparse.Namespace") == 0 &&
       plm_pickle_DictGet(ns->state, "layers")->i == 3, "Namespace with its BUILD state");
  plm_pickle_Destroy(pk);
}

static void
expect_error(const char *what, const char *pickle, size_t len, int code, const char *msg)
{
  char        err[PLM_ERRBUFSIZE] = "";
  plm_pickle *pk = NULL;
  int         status = plm_pickle_Load((const uint8_t *)pickle, len, &pk, NULL, err);

  TEST(status == code && (pk == NULL) == (code != PLM_OK) && strstr(err, msg), "%s: %s (%s)", what, plm_StatusName(status), err);
  plm_pickle_Destroy(pk);
}
#define EXPECT_ERROR(what, lit, code, msg) expect_error(what, lit, sizeof(lit) - 1, code, msg)

static void
test_refused(void)
{
  EXPECT_ERROR("GLOBAL os.system refused", "\x80\x02" "cos\nsystem\nX\x02\x00\x00\x00ls\x85R.", PLM_EUNSUP,
               "refusing to load global os.system");
  EXPECT_ERROR("STACK_GLOBAL builtins.eval refused",
               "\x80\x04\x8c\x08" "builtins\x8c\x04" "eval\x93\x8c\x01xR.", PLM_EUNSUP, "refusing to load global builtins.eval");
  EXPECT_ERROR("torch.load itself refused", "\x80\x02" "ctorch\nload\n.", PLM_EUNSUP, "refusing to load global torch.load");
  EXPECT_ERROR("float64 storage named, not loaded",
               "\x80\x02((X\x07\x00\x00\x00storage" "ctorch\nDoubleStorage\n" "X\x01\x00\x00\x00" "0"
               "X\x03\x00\x00\x00" "cpuK\x01tQ.", PLM_EUNSUP, "torch.DoubleStorage not supported");
  EXPECT_ERROR("unknown persistent id", "\x80\x02X\x01\x00\x00\x00xQ.", PLM_EFORMAT, "persistent id");
  EXPECT_ERROR("protocol 0 text opcodes", "I42\n.", PLM_EUNSUP, "unsupported pickle opcode 0x49");
}

static void
test_limits(void)
{
  size_t n = 5000;
  char  *deep = malloc(n + 4);

  EXPECT_ERROR("memo index never set", "\x80\x02h\x05.", PLM_EFORMAT, "memo index 5 not set");
  EXPECT_ERROR("memo index out of range", "\x80\x02Nr\xff\xff\xff\x7f.", PLM_ELIMIT, "out of range");
  EXPECT_ERROR("string longer than the input", "\x80\x02X\xff\xff\xff\xff" "abc.", PLM_EFORMAT, "truncated");
  EXPECT_ERROR("8-byte length near 2^64", "\x80\x04\x8d\xff\xff\xff\xff\xff\xff\xff\xff.", PLM_EFORMAT, "truncated");
  EXPECT_ERROR("LONG4 negative length", "\x80\x02\x8b\xff\xff\xff\xff.", PLM_EFORMAT, "negative");
  EXPECT_ERROR("no STOP", "\x80\x02N", PLM_EFORMAT, "no STOP");
  EXPECT_ERROR("empty input", "", PLM_EFORMAT, "no STOP");
  EXPECT_ERROR("TUPLE without MARK", "\x80\x02NNt.", PLM_EFORMAT, "no MARK");
  EXPECT_ERROR("stack underflow", "\x80\x02\x86.", PLM_EFORMAT, "underflow");
  EXPECT_ERROR("pop through a MARK", "\x80\x02N(0.", PLM_EFORMAT, "underflow");
  EXPECT_ERROR("SETITEM on a list", "\x80\x02]NNs.", PLM_EFORMAT, "not a dict");
  EXPECT_ERROR("BUILD on an int", "\x80\x02K\x01}b.", PLM_EFORMAT, "BUILD on a int");
  EXPECT_ERROR("calling a non-global", "\x80\x02K\x01)R.", PLM_EFORMAT, "calling a int");
  EXPECT_ERROR("tensor rebuild with bad arguments", "\x80\x02" "ctorch._utils\n_rebuild_tensor_v2\n)R.", PLM_EFORMAT,
               "malformed tensor rebuild");
  if (deep) {
    memcpy(deep, "\x80\x02", 2);
    memset(deep + 2, '(', n);
    memcpy(deep + 2 + n, "N.", 2);
    expect_error("5000 nested MARKs", deep, n + 4, PLM_ELIMIT, "nesting deeper");
    memset(deep + 2, ']', n);   /* 5000 empty lists: no limit hit, no recursion */
    expect_error("5000 lists, STOP with a full stack", deep, n + 4, PLM_OK, "");
  }
  free(deep);
}

int
main(void)
{
  test_values();
  test_bigint();
  test_tensor();
  test_refused();
  test_limits();
  return test_done();
}
