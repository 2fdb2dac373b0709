/* idmap.h: a string -> int64 hash map, for record ids and alignment row names.
 *
 * Keys are copied. Open addressing with linear probing, grown at half load, so
 * a lookup stays O(1) however many ids a dataset holds.
 *
 *   plm_idmap_Create() / plm_idmap_Destroy()
 *   plm_idmap_Get()    value of a key: PLM_OK, or PLM_ENOTFOUND
 *   plm_idmap_Put()    insert or overwrite
 *   plm_idmap_Count()  number of keys
 */
#ifndef PLM_IDMAP_H
#define PLM_IDMAP_H
#include <stdint.h>

typedef struct plm_idmap plm_idmap;

int     plm_idmap_Create(plm_idmap **ret_map, char *errbuf);
void    plm_idmap_Destroy(plm_idmap *map);
int     plm_idmap_Get(const plm_idmap *map, const char *key, int64_t *ret_value);
int     plm_idmap_Put(plm_idmap *map, const char *key, int64_t value, char *errbuf);
int64_t plm_idmap_Count(const plm_idmap *map);

#endif
