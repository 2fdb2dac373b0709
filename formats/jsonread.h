/* jsonread.h: JSON documents (config.json, safetensors headers) as a small tree.
 *
 * JSON is YAML's flow syntax, so libyaml (already on the design card for YAML
 * configs) parses it and the suite needs no JSON library. The tree keeps every
 * scalar as the text written, with a flag telling strings ("null") from bare
 * words (null, true, 1e-05). Aliases are refused and nesting is bounded.
 *
 *   plm_json_Parse()  text -> tree
 *   plm_json_Get()    value of a key in a mapping (the last one), or NULL
 *   plm_json_Free()
 */
#ifndef PLM_JSONREAD_H
#define PLM_JSONREAD_H
#include <stddef.h>

#define PLM_JSON_MAXDEPTH 64

typedef enum plm_jsonkind { PLM_JSON_SCALAR, PLM_JSON_MAP, PLM_JSON_SEQ } plm_jsonkind;

typedef struct plm_json {
  plm_jsonkind      kind;
  char             *value;    /* SCALAR: its text */
  int               quoted;   /* SCALAR: written as a string */
  char            **keys;     /* MAP: n keys */
  struct plm_json **kids;     /* MAP: n values; SEQ: n items */
  int               n;
  size_t            nalloc;
} plm_json;

int             plm_json_Parse(const char *text, size_t len, plm_json **ret_root, char *errbuf);
const plm_json *plm_json_Get(const plm_json *map, const char *key);
void            plm_json_Free(plm_json *j);

#endif
