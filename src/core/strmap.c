/* Open-addressing map from id strings to task indices; keys live elsewhere
 * (in the job's arena), the table stores only indices. */
#include "core/internal.h"

uint64_t jf__hash_str(const char *s)
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a, then a final mix */
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    return h;
}

int jf__strmap_find(const jf__strmap *map, const char *key, jf__key_fn key_of, const void *ctx,
                    uint32_t *out)
{
    if (!map->slots)
        return 0;
    for (size_t i = jf__hash_str(key) & map->mask;; i = (i + 1) & map->mask) {
        uint32_t slot = map->slots[i];
        if (slot == 0)
            return 0;
        if (strcmp(key_of(ctx, slot - 1), key) == 0) {
            *out = slot - 1;
            return 1;
        }
    }
}

static void place(uint32_t *slots, size_t mask, size_t hash, uint32_t slot)
{
    size_t i = hash & mask;
    while (slots[i])
        i = (i + 1) & mask;
    slots[i] = slot;
}

static int rehash(jf__strmap *map, jf__key_fn key_of, const void *ctx)
{
    size_t size = map->slots ? (map->mask + 1) * 2 : 64;
    uint32_t *slots = jf__calloc(size, sizeof *slots);
    if (!slots)
        return -1;
    for (size_t i = 0; map->slots && i <= map->mask; i++) {
        uint32_t slot = map->slots[i];
        if (slot)
            place(slots, size - 1, jf__hash_str(key_of(ctx, slot - 1)), slot);
    }
    jf__free(map->slots);
    map->slots = slots;
    map->mask = size - 1;
    return 0;
}

int jf__strmap_insert(jf__strmap *map, uint32_t value, jf__key_fn key_of, const void *ctx)
{
    if (!map->slots || (map->count + 1) * 2 > map->mask + 1) {
        if (rehash(map, key_of, ctx) != 0)
            return -1;
    }
    place(map->slots, map->mask, jf__hash_str(key_of(ctx, value)), value + 1);
    map->count++;
    return 0;
}

void jf__strmap_free(jf__strmap *map)
{
    jf__free(map->slots);
    memset(map, 0, sizeof *map);
}
