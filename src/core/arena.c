/* Arena: blocks carved from big chunks, all freed at once with the owner. */
#include "core/internal.h"

struct jf__arena_chunk {
    jf__arena_chunk *next;
    max_align_t data[];
};

#define CHUNK_BYTES (64u * 1024u)

static size_t align_up(size_t n) { return (n + 15) & ~(size_t)15; }

static int add_chunk(jf__arena *arena, size_t min_size)
{
    size_t size = JF__MAX(CHUNK_BYTES, align_up(min_size));
    jf__arena_chunk *chunk = jf__malloc(sizeof *chunk + size);
    if (!chunk)
        return -1;
    chunk->next = arena->head;
    arena->head = chunk;
    arena->used = 0;
    arena->size = size;
    return 0;
}

void *jf__arena_alloc(jf__arena *arena, size_t size)
{
    size = align_up(size ? size : 1);
    if (!arena->head || arena->size - arena->used < size) {
        if (add_chunk(arena, size) != 0)
            return NULL;
    }
    char *p = (char *)arena->head->data + arena->used;
    arena->used += size;
    return p;
}

char *jf__arena_strdup(jf__arena *arena, const char *s)
{
    size_t n = strlen(s) + 1;
    char *p = jf__arena_alloc(arena, n);
    if (p)
        memcpy(p, s, n);
    return p;
}

void jf__arena_free(jf__arena *arena)
{
    jf__arena_chunk *c = arena->head;
    while (c) {
        jf__arena_chunk *next = c->next;
        jf__free(c);
        c = next;
    }
    arena->head = NULL;
    arena->used = arena->size = 0;
}
