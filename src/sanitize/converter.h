/* converter.h — attachment → text as the sanitizer sees it: an interface (vtable + ctx), like
 * scanner.h.
 *
 * The sanitizer asks for the text of a removed attachment whose type the policy converts; it never
 * knows how the text is made (convert/converter_worker.c runs the sandboxed mugai-convert worker).
 * Header-only on purpose: sanitize/ includes it without linking the worker client, and the
 * document libraries (poppler, libxml2) never enter the milter's address space.
 *
 * Lifetime: created once per process, shared by all threads, freed by its owner after the last
 * message; its convert() must be callable from many threads at once.
 */
#pragma once
#include <glib.h>
#include "config/policy.h"

/* What a conversion found besides the text (bits, in the order of their names below). */
typedef enum {
  MUGAI_CONVERT_WARN_MACROS = 1 << 0,         /* VBA project, ODF Basic/Scripts: not run */
  MUGAI_CONVERT_WARN_EMBEDDED = 1 << 1,       /* OLE objects, embedded files: not converted */
  MUGAI_CONVERT_WARN_EXTERNAL_LINKS = 1 << 2, /* external link parts / targets: not fetched */
  MUGAI_CONVERT_WARN_ENCRYPTED = 1 << 3,      /* cannot be read without a password */
  MUGAI_CONVERT_WARN_TRUNCATED = 1 << 4,      /* a limit cut the text */
  MUGAI_CONVERT_WARN_SKIPPED = 1 << 5,        /* members of a zip were left out (type, depth) */
} mugai_convert_warning;

/* The name of warning bit 1 << I ("macros"), as the report and the worker's wire format spell
 * it; NULL past the last bit. */
static inline const char *
mugai_convert_warning_name(guint i)
{
  static const char *const names[] = {"macros", "embedded", "external_links", "encrypted",
                                      "truncated", "skipped"};
  return i < G_N_ELEMENTS(names) ? names[i] : NULL;
}

/* The bounds of one conversion, from the policy ([convert] and the message's time left). */
typedef struct {
  guint64 timeout_ms;   /* wall clock for the worker, spawn to exit */
  guint cpu_seconds;    /* its CPU time */
  guint memory_mb;      /* its address space */
  guint64 max_output;   /* bytes of text for this file */
  guint64 max_expanded; /* bytes inflated from zips, all members and levels together */
  guint64 max_member;   /* bytes of one zip member */
  guint max_entries;    /* zip members looked at */
  guint max_depth;      /* zips inside zips */
  guint max_xml_depth;  /* element nesting in one XML part */
  guint max_pages;      /* PDF pages, sheets, slides */
  guint max_cells;      /* spreadsheet cells */
} mugai_conversion_limits;

/* The bounds [convert] P sets for one file, before the message's own (its time and text left). */
static inline void
mugai_conversion_limits_of(const mugai_convert_policy *p, mugai_conversion_limits *limits)
{
  *limits = (mugai_conversion_limits){
      .timeout_ms = p->timeout * 1000,
      .cpu_seconds = (guint) MIN(p->cpu_time, p->timeout),
      .memory_mb = (guint) (p->memory >> 20),
      .max_output = p->text_per_file,
      .max_expanded = p->expanded_size,
      .max_member = p->member_size,
      .max_entries = p->entries,
      .max_depth = p->depth,
      .max_xml_depth = p->xml_depth,
      .max_pages = p->pages,
      .max_cells = p->cells,
  };
}

typedef struct {
  gboolean done;    /* TRUE: TEXT holds what the file says (maybe empty, maybe truncated) */
  char *failure;    /* (nullable) !done: why not, for the notice and the report ("encrypted",
                     * "timeout after 30000 ms", "crashed (signal 11)", "memory limit") */
  char *kind;       /* (nullable) what the worker read it as ("pdf", "docx") */
  char *unit;       /* (nullable) "pages", "sheets", "slides", "files" */
  guint count;      /* how many UNIT */
  guint warnings;   /* mugai_convert_warning bits */
  GString *text;    /* (nullable) UTF-8, "\n" line ends, when done */
} mugai_conversion;

/* Frees the members and zeroes the struct, so it can be reused. */
static inline void
mugai_conversion_clear(mugai_conversion *c)
{
  g_clear_pointer(&c->failure, g_free);
  g_clear_pointer(&c->kind, g_free);
  g_clear_pointer(&c->unit, g_free);
  if (c->text)
    g_string_free(c->text, TRUE);
  *c = (mugai_conversion){0};
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(mugai_conversion, mugai_conversion_clear)

/* PPAP: one file taken out of a password-protected archive, in memory only. NAME is the
 * archive's own (made valid UTF-8): it may hold "/", "..", or anything at all, so it is a label
 * for the notice and a MIME file name, never a path anything is written to. */
typedef struct {
  char *name;
  GBytes *data;
} mugai_unlocked_member;

typedef enum {
  MUGAI_UNLOCK_OPENED,         /* one of the passwords opened it: MEMBERS hold its files */
  MUGAI_UNLOCK_WRONG_PASSWORD, /* none of them did */
  MUGAI_UNLOCK_UNSUPPORTED,    /* an encryption the worker cannot read (7-Zip AES, RAR) */
  MUGAI_UNLOCK_REFUSED,        /* damaged, or a limit (a bomb, too many entries) */
  MUGAI_UNLOCK_FAILED,         /* the worker crashed, timed out or could not start */
} mugai_unlock_status;

typedef struct {
  mugai_unlock_status status;
  char *failure;      /* (nullable) !OPENED: why, one line for the notice and the log */
  int password_index; /* OPENED: which of the passwords opened it (from 0); else -1 */
  GPtrArray *members; /* mugai_unlocked_member *, archive order, regular files only (never
                       * NULL); empty unless OPENED */
  guint skipped;      /* OPENED: entries that are not regular files (links, devices), left out */
} mugai_unlock;

static inline void
mugai_unlocked_member_free(mugai_unlocked_member *member) /* NULL-safe */
{
  if (member == NULL)
    return;
  g_free(member->name);
  g_clear_pointer(&member->data, g_bytes_unref);
  g_free(member);
}

/* Frees the members and resets the struct, so it can be reused (members stays a valid array). */
static inline void
mugai_unlock_clear(mugai_unlock *u)
{
  g_clear_pointer(&u->failure, g_free);
  g_clear_pointer(&u->members, g_ptr_array_unref);
  *u = (mugai_unlock){.password_index = -1};
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(mugai_unlock, mugai_unlock_clear)

typedef struct mugai_converter mugai_converter;

typedef struct {
  /* Convert LEN bytes of DATA (libmagic type MIME and file NAME, both nullable) within LIMITS
   * into OUT (zeroed by the caller). Never fails silently: !done always has a failure. */
  void (*convert)(gpointer ctx, const guint8 *data, gsize len, const char *mime, const char *name,
                  const mugai_conversion_limits *limits, mugai_conversion *out);
  /* PPAP: open the password-protected archive in LEN bytes of DATA with each of PASSWORDS
   * (NULL-terminated, 1 to 32 of them, each 1 to 128 bytes without NUL, CR or LF: otherwise
   * FAILED) in turn, in the worker, within LIMITS (max_expanded for all its members together,
   * max_member for one, max_entries, and the worker's time, CPU and memory as for convert()).
   * OUT is zeroed by the caller (members NULL); it always gets a status, a failure unless
   * OPENED, and a members array. */
  void (*unlock)(gpointer ctx, const guint8 *data, gsize len, const char *const *passwords,
                 const mugai_conversion_limits *limits, mugai_unlock *out);
} mugai_converter_vtable;

struct mugai_converter {
  const mugai_converter_vtable *vtable;
  gpointer ctx;
};

static inline void
mugai_converter_convert(mugai_converter *converter, const guint8 *data, gsize len,
                        const char *mime, const char *name, const mugai_conversion_limits *limits,
                        mugai_conversion *out)
{
  g_return_if_fail(converter != NULL && out != NULL && limits != NULL);
  converter->vtable->convert(converter->ctx, data, len, mime, name, limits, out);
  if (!out->done && out->failure == NULL)
    out->failure = g_strdup("no text produced");
}

static inline void
mugai_converter_unlock(mugai_converter *converter, const guint8 *data, gsize len,
                       const char *const *passwords, const mugai_conversion_limits *limits,
                       mugai_unlock *out)
{
  g_return_if_fail(converter != NULL && out != NULL && limits != NULL && passwords != NULL);
  converter->vtable->unlock(converter->ctx, data, len, passwords, limits, out);
  if (out->members == NULL)
    out->members = g_ptr_array_new_with_free_func((GDestroyNotify) mugai_unlocked_member_free);
  if (out->status != MUGAI_UNLOCK_OPENED && out->failure == NULL)
    out->failure = g_strdup("not opened");
}
