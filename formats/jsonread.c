/* jsonread.c: JSON as a small tree, parsed with libyaml's event API (see jsonread.h).
 *
 *   builder:  new_node(), make_room(), attach(), on_scalar(), on_open(), on_event()
 *   public:   plm_json_Parse(), plm_json_Get(), plm_json_Free()
 */
#include <stdlib.h>
#include <string.h>
#include <yaml.h>
#include "error.h"
#include "growbuf.h"
#include "jsonread.h"

typedef struct builder {
  plm_json *root;
  plm_json *open[PLM_JSON_MAXDEPTH];   /* containers not yet closed */
  int       depth;
  char     *key;                        /* a mapping key waiting for its value */
} builder;

static int
new_node(plm_jsonkind kind, plm_json **ret, char *errbuf)
{
  if ((*ret = calloc(1, sizeof **ret)) == NULL) return plm_Fail(errbuf, PLM_EMEM, "out of memory");
  (*ret)->kind = kind;
  return PLM_OK;
}

/* room for one more child (and key, in a mapping) */
static int
make_room(plm_json *p)
{
  size_t before = p->nalloc;
  char **k;
  if (plm_grow((void **)&p->kids, &p->nalloc, (size_t)p->n + 1, sizeof *p->kids) != PLM_OK) return PLM_EMEM;
  if (p->kind != PLM_JSON_MAP || p->nalloc == before) return PLM_OK;
  if ((k = realloc(p->keys, p->nalloc * sizeof *k)) == NULL) return PLM_EMEM;
  p->keys = k;
  return PLM_OK;
}

/* hand a finished or opened node to its parent; takes ownership either way */
static int
attach(builder *b, plm_json *node, char *errbuf)
{
  plm_json *parent;

  if (b->depth == 0) {
    if (b->root) { plm_json_Free(node); return plm_Fail(errbuf, PLM_EFORMAT, "JSON: more than one document"); }
    b->root = node;
    return PLM_OK;
  }
  parent = b->open[b->depth - 1];
  if (make_room(parent) != PLM_OK) { plm_json_Free(node); return plm_Fail(errbuf, PLM_EMEM, "out of memory"); }
  if (parent->kind == PLM_JSON_MAP) { parent->keys[parent->n] = b->key; b->key = NULL; }
  parent->kids[parent->n++] = node;
  return PLM_OK;
}

static int
on_scalar(builder *b, const yaml_event_t *e, char *errbuf)
{
  plm_json *top = b->depth ? b->open[b->depth - 1] : NULL;
  plm_json *node;
  char     *text = strndup((const char *)e->data.scalar.value, e->data.scalar.length);
  int       status;

  if (!text) return plm_Fail(errbuf, PLM_EMEM, "out of memory");
  if (top && top->kind == PLM_JSON_MAP && !b->key) { b->key = text; return PLM_OK; }
  if ((status = new_node(PLM_JSON_SCALAR, &node, errbuf)) != PLM_OK) { free(text); return status; }
  node->value  = text;
  node->quoted = e->data.scalar.style != YAML_PLAIN_SCALAR_STYLE;
  return attach(b, node, errbuf);
}

static int
on_open(builder *b, plm_jsonkind kind, char *errbuf)
{
  plm_json *top = b->depth ? b->open[b->depth - 1] : NULL;
  plm_json *node;
  int       status;

  if (top && top->kind == PLM_JSON_MAP && !b->key) return plm_Fail(errbuf, PLM_EFORMAT, "JSON: a key that is not a string");
  if (b->depth >= PLM_JSON_MAXDEPTH) return plm_Fail(errbuf, PLM_ELIMIT, "JSON nested deeper than %d", PLM_JSON_MAXDEPTH);
  if ((status = new_node(kind, &node, errbuf)) != PLM_OK) return status;
  if ((status = attach(b, node, errbuf)) != PLM_OK) return status;
  b->open[b->depth++] = node;
  return PLM_OK;
}

static int
on_event(builder *b, const yaml_event_t *e, char *errbuf)
{
  switch (e->type) {
  case YAML_SCALAR_EVENT:         return on_scalar(b, e, errbuf);
  case YAML_MAPPING_START_EVENT:  return on_open(b, PLM_JSON_MAP, errbuf);
  case YAML_SEQUENCE_START_EVENT: return on_open(b, PLM_JSON_SEQ, errbuf);
  case YAML_MAPPING_END_EVENT:
  case YAML_SEQUENCE_END_EVENT:   b->depth--; return PLM_OK;
  case YAML_ALIAS_EVENT:          return plm_Fail(errbuf, PLM_EFORMAT, "JSON: YAML aliases are not allowed");
  default:                        return PLM_OK;
  }
}

int
plm_json_Parse(const char *text, size_t len, plm_json **ret_root, char *errbuf)
{
  yaml_parser_t parser;
  yaml_event_t  e;
  builder       b;
  int           done = 0, status = PLM_OK;

  memset(&b, 0, sizeof b);
  *ret_root = NULL;
  if (!yaml_parser_initialize(&parser)) return plm_Fail(errbuf, PLM_EMEM, "out of memory");
  yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
  while (!done) {
    if (!yaml_parser_parse(&parser, &e))
      /* libyaml's reader (bad UTF-8, control characters) says where in problem_offset, the
       * scanner and parser in problem_mark: reading the mark alone said "byte 0" for the first */
      PLM_XFAIL(PLM_EFORMAT, errbuf, "JSON syntax error at byte %zu: %s",
                parser.error == YAML_READER_ERROR ? parser.problem_offset : parser.problem_mark.index,
                parser.problem ? parser.problem : "unknown");
    done   = e.type == YAML_STREAM_END_EVENT;
    status = on_event(&b, &e, errbuf);
    yaml_event_delete(&e);
    if (status != PLM_OK) goto ERROR;
  }
  if (!b.root) PLM_XFAIL(PLM_EFORMAT, errbuf, "JSON: empty document");
  yaml_parser_delete(&parser);
  *ret_root = b.root;
  return PLM_OK;

ERROR:
  yaml_parser_delete(&parser);
  plm_json_Free(b.root);
  free(b.key);
  return status;
}

const plm_json *
plm_json_Get(const plm_json *map, const char *key)
{
  if (!map || map->kind != PLM_JSON_MAP) return NULL;
  for (int j = map->n - 1; j >= 0; j--)
    if (strcmp(map->keys[j], key) == 0) return map->kids[j];
  return NULL;
}

void
plm_json_Free(plm_json *j)
{
  if (!j) return;
  for (int k = 0; k < j->n; k++) {
    plm_json_Free(j->kids[k]);
    if (j->keys) free(j->keys[k]);
  }
  free(j->kids);
  free(j->keys);
  free(j->value);
  free(j);
}
