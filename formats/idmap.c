/* idmap.c: a string -> int64 hash map (see idmap.h). */
#include <stdlib.h>
#include <string.h>
#include "error.h"
#include "idmap.h"

typedef struct { char *key; int64_t value; } slot;

struct plm_idmap {
  slot   *slots;
  size_t  cap;      /* a power of two */
  int64_t n;
};

/* FNV-1a: ids are short and this is neither hot nor adversarial enough to need more */
static size_t
hash(const char *s)
{
  uint64_t h = UINT64_C(14695981039346656037);
  for (; *s; s++) h = (h ^ (unsigned char)*s) * UINT64_C(1099511628211);
  return (size_t)h;
}

/* the slot holding key, or the empty slot where it belongs */
static slot *
find(const plm_idmap *map, const char *key)
{
  size_t i = hash(key) & (map->cap - 1);
  while (map->slots[i].key && strcmp(map->slots[i].key, key) != 0) i = (i + 1) & (map->cap - 1);
  return &map->slots[i];
}

static int
grow(plm_idmap *map, char *errbuf)
{
  slot  *old = map->slots;
  size_t oldcap = map->cap;

  if ((map->slots = calloc(oldcap * 2, sizeof *map->slots)) == NULL) {
    map->slots = old;
    return plm_Fail(errbuf, PLM_EMEM, "out of memory growing an id table to %zu entries", oldcap * 2);
  }
  map->cap = oldcap * 2;
  for (size_t i = 0; i < oldcap; i++)
    if (old[i].key) *find(map, old[i].key) = old[i];
  free(old);
  return PLM_OK;
}

int
plm_idmap_Create(plm_idmap **ret_map, char *errbuf)
{
  plm_idmap *map = calloc(1, sizeof *map);

  *ret_map = NULL;
  if (map) map->slots = calloc(64, sizeof *map->slots);
  if (!map || !map->slots) { free(map); return plm_Fail(errbuf, PLM_EMEM, "out of memory"); }
  map->cap = 64;
  *ret_map = map;
  return PLM_OK;
}

void
plm_idmap_Destroy(plm_idmap *map)
{
  if (!map) return;
  for (size_t i = 0; i < map->cap; i++) free(map->slots[i].key);
  free(map->slots);
  free(map);
}

int
plm_idmap_Get(const plm_idmap *map, const char *key, int64_t *ret_value)
{
  const slot *s = find(map, key);
  if (!s->key) return PLM_ENOTFOUND;
  if (ret_value) *ret_value = s->value;
  return PLM_OK;
}

int
plm_idmap_Put(plm_idmap *map, const char *key, int64_t value, char *errbuf)
{
  slot *s = find(map, key);
  int   status;

  if (s->key) { s->value = value; return PLM_OK; }
  if ((size_t)map->n + 1 > map->cap / 2) {
    if ((status = grow(map, errbuf)) != PLM_OK) return status;
    s = find(map, key);
  }
  if ((s->key = strdup(key)) == NULL) return plm_Fail(errbuf, PLM_EMEM, "out of memory");
  s->value = value;
  map->n++;
  return PLM_OK;
}

int64_t plm_idmap_Count(const plm_idmap *map) { return map->n; }
