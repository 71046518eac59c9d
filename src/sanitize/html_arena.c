/* html_arena.c — gumbo's bump allocator and its pool of kept chunks (see html_arena.h). */
#include "sanitize/html_arena.h"

#define ARENA_ALIGN     16
#define ARENA_CHUNK_MAX ((gsize) 8 << 20)

struct mugai_html_arena_chunk {
  mugai_html_arena_chunk *next;
  gsize size; /* with this header, which ARENA_ALIGN bytes hold */
};
G_STATIC_ASSERT(sizeof(mugai_html_arena_chunk) <= ARENA_ALIGN);

static struct {
  GMutex lock;
  mugai_html_arena_chunk *kept[MUGAI_HTML_ARENA_POOL];
  guint n;
} pool;

/* A kept chunk of at least SIZE bytes, else a new one of WANTED (≥ SIZE). */
static mugai_html_arena_chunk *
chunk_take(gsize size, gsize wanted)
{
  g_mutex_lock(&pool.lock);
  for (guint i = 0; i < pool.n; i++) {
    mugai_html_arena_chunk *c = pool.kept[i];
    if (c->size >= size) {
      pool.kept[i] = pool.kept[--pool.n];
      g_mutex_unlock(&pool.lock);
      return c;
    }
  }
  g_mutex_unlock(&pool.lock);
  mugai_html_arena_chunk *c = g_malloc(wanted);
  c->size = wanted;
  return c;
}

static void
chunk_give_back(mugai_html_arena_chunk *c)
{
  if (c->size <= MUGAI_HTML_ARENA_KEEP) {
    g_mutex_lock(&pool.lock);
    if (pool.n < MUGAI_HTML_ARENA_POOL) {
      pool.kept[pool.n++] = c;
      c = NULL;
    }
    g_mutex_unlock(&pool.lock);
  }
  g_free(c);
}

void *
mugai_html_arena_alloc(void *userdata, size_t size)
{
  mugai_html_arena *a = userdata;
  if (G_UNLIKELY(size >= G_MAXSIZE / 4))
    g_error("html2text: impossible allocation of %zu bytes", size);
  size = (size + ARENA_ALIGN - 1) & ~(size_t) (ARENA_ALIGN - 1);
  if (size > (gsize) (a->end - a->cur)) {
    gsize wanted = CLAMP(a->next_size, ARENA_ALIGN, ARENA_CHUNK_MAX);
    mugai_html_arena_chunk *c = chunk_take(size + ARENA_ALIGN, MAX(wanted, size + ARENA_ALIGN));
    c->next = a->head;
    a->head = c;
    a->cur = (char *) c + ARENA_ALIGN;
    a->end = (char *) c + c->size;
    a->next_size = MIN(wanted * 2, ARENA_CHUNK_MAX);
  }
  void *p = a->cur;
  a->cur += size;
  return p;
}

void
mugai_html_arena_free(void *userdata, void *ptr)
{
  (void) userdata, (void) ptr;
}

void
mugai_html_arena_clear(mugai_html_arena *a)
{
  while (a->head) {
    mugai_html_arena_chunk *next = a->head->next;
    chunk_give_back(a->head);
    a->head = next;
  }
  a->cur = a->end = NULL;
}

gsize
mugai_html_arena_kept_bytes(void)
{
  gsize bytes = 0;
  g_mutex_lock(&pool.lock);
  for (guint i = 0; i < pool.n; i++)
    bytes += pool.kept[i]->size;
  g_mutex_unlock(&pool.lock);
  return bytes;
}

void
mugai_html_arena_drain(void)
{
  g_mutex_lock(&pool.lock);
  while (pool.n > 0)
    g_free(pool.kept[--pool.n]);
  g_mutex_unlock(&pool.lock);
}
