/* html_arena.h — the bump allocator gumbo parses into (see html2text.c).
 *
 * gumbo allocates every node, attribute and buffer of its tree separately; the arena hands them
 * out of large chunks and frees them all at once in mugai_html_arena_clear(), which is both
 * cheaper than gumbo_destroy_output() and free of its recursion per nesting level.
 *
 * Chunks up to MUGAI_HTML_ARENA_KEEP bytes go back to a small process-wide pool instead of to
 * malloc: a fresh chunk's pages are faulted in and zeroed by the kernel on first touch, which
 * cost mugai-milter 4 % of its CPU on HTML mail (perf); a kept chunk's pages are already there.
 * The pool holds at most MUGAI_HTML_ARENA_POOL chunks, so it stays within a few MB whatever
 * the mail.
 */
#pragma once
#include <glib.h>

#define MUGAI_HTML_ARENA_KEEP ((gsize) 1 << 20)
#define MUGAI_HTML_ARENA_POOL 4

typedef struct mugai_html_arena_chunk mugai_html_arena_chunk;

/* Zero-initialise, set first_size: the size of the first chunk (later ones double, to 8 MB). */
typedef struct {
  mugai_html_arena_chunk *head; /* the chunks in use, newest first */
  char *cur, *end;              /* what is left of the newest */
  gsize next_size;
} mugai_html_arena;

/* gumbo's GumboAllocatorFunction and GumboDeallocatorFunction, USERDATA the arena. The
 * deallocator does nothing: what gumbo's growth copies leave behind keeps the peak within 1.4x
 * of malloc's (measured on newsletters and on hostile tag soup). */
void *mugai_html_arena_alloc(void *userdata, size_t size);
void mugai_html_arena_free(void *userdata, void *ptr);

/* Frees everything allocated from ARENA (chunks to the pool or to malloc); ARENA may be reused. */
void mugai_html_arena_clear(mugai_html_arena *arena);

/* The bytes the pool keeps now, at most MUGAI_HTML_ARENA_POOL * MUGAI_HTML_ARENA_KEEP. */
gsize mugai_html_arena_kept_bytes(void);

/* Gives the pool's chunks back to malloc (for tests, and for a process that parses no more). */
void mugai_html_arena_drain(void);
