/* main.c — mugai-convert: the sandboxed converter worker. One document on stdin, its text on
 * stdout, then exit. Started by convert_client.c with posix_spawn, one process per document, so
 * a hostile file can crash or hang only this process. With --unlock N (PPAP, unlock_client.c) it
 * opens a password-protected archive instead and gives back its files (unlock.c).
 *
 * Order matters: resource limits first (before any input is read), then the input (capped), the
 * libraries' setup, the seccomp filter, and only then the parse. Writes nothing but the result;
 * stderr gets diagnostics (the client keeps a capped tail of it), never a password.
 *
 * Output (the client parses it): header lines "key: value" — status (ok|failed), kind, unit,
 * count, warnings (comma list), reason (one line, failed only), length (bytes of text) — then an
 * empty line, then exactly LENGTH bytes of UTF-8 text.
 *
 * --unlock N: stdin is N lines, each one password ("\n" ends it; no NUL or CR, 1 to 128 bytes,
 * at most 32 of them: passwords never go on the command line or in the environment, where ps
 * shows them), then the archive's bytes to the end. Output: header lines "key: value" — status
 * (opened|wrong_password|unsupported|refused), reason (one line, not opened only), password (the
 * index, from 0, of the one that opened it; opened only), members (count), skipped (links,
 * devices: left out) — then an empty line, then for each member a line "member: NAMELEN DATALEN"
 * followed by exactly NAMELEN bytes of its name (valid UTF-8, no NUL, at most 1024 bytes: a label,
 * maybe "../x" or "/etc/y", never a path used) and DATALEN bytes of its content.
 *
 * Exit status: 0 converted (opened), 1 not convertible (not opened; reason given: damaged,
 * encrypted, unsupported, wrong password), 2 usage error (malformed passwords too), 3 input
 * larger than --max-input, 4 the sandbox could not be set up. Killed by a signal: SIGXCPU/SIGKILL
 * for the CPU limit, SIGSYS for a forbidden system call, SIGABRT/SIGSEGV for an allocation over
 * the memory limit or a crash.
 */
#include <errno.h>
#include <stdio.h>
#include <sys/stat.h>
#include <string.h>
#include <unistd.h>

#include "convert/convert.h"
#include "convert/sandbox.h"
#include "convert/unlock.h"

typedef struct {
  char *type, *name;
  gint64 max_input, max_output, max_expanded, max_member, max_entries, max_depth, max_pages,
      max_cells, max_xml_depth, cpu, memory_mb, unlock;
} options;

static gboolean
parse_options(int *argc, char ***argv, options *o)
{
  GOptionEntry entries[] = {
    {"type", 't', 0, G_OPTION_ARG_STRING, &o->type, "libmagic type of the input", "MIME"},
    {"name", 'n', 0, G_OPTION_ARG_FILENAME, &o->name, "file name (a hint for text types)",
     "NAME"}, /* FILENAME: bytes as given, no locale conversion (the worker runs in the C locale) */
    {"max-input", 0, 0, G_OPTION_ARG_INT64, &o->max_input, "input bytes read at most", "BYTES"},
    {"max-output", 0, 0, G_OPTION_ARG_INT64, &o->max_output, "text bytes written at most", "BYTES"},
    {"max-expanded", 0, 0, G_OPTION_ARG_INT64, &o->max_expanded, "bytes inflated from zips", "BYTES"},
    {"max-member", 0, 0, G_OPTION_ARG_INT64, &o->max_member, "bytes of one zip member", "BYTES"},
    {"max-entries", 0, 0, G_OPTION_ARG_INT64, &o->max_entries, "zip members looked at", "N"},
    {"max-depth", 0, 0, G_OPTION_ARG_INT64, &o->max_depth, "zips inside zips", "N"},
    {"max-pages", 0, 0, G_OPTION_ARG_INT64, &o->max_pages, "pages, sheets or slides", "N"},
    {"max-cells", 0, 0, G_OPTION_ARG_INT64, &o->max_cells, "spreadsheet cells", "N"},
    {"max-xml-depth", 0, 0, G_OPTION_ARG_INT64, &o->max_xml_depth, "element nesting", "N"},
    {"cpu", 0, 0, G_OPTION_ARG_INT64, &o->cpu, "CPU seconds (RLIMIT_CPU)", "SECONDS"},
    {"memory", 0, 0, G_OPTION_ARG_INT64, &o->memory_mb, "address space (RLIMIT_AS), 0: none", "MB"},
    {"unlock", 0, 0, G_OPTION_ARG_INT64, &o->unlock, "open the archive after N password lines "
     "on stdin (PPAP)", "N"},
    {NULL, 0, 0, 0, NULL, NULL, NULL}};
  g_autoptr(GOptionContext) ctx = g_option_context_new("< FILE > TEXT");
  g_option_context_set_summary(ctx, "Convert one document to text inside a sandbox (mugai's worker).");
  g_option_context_add_main_entries(ctx, entries, NULL);
  g_autoptr(GError) error = NULL;
  if (!g_option_context_parse(ctx, argc, argv, &error)) {
    fprintf(stderr, "mugai-convert: %s\n", error->message);
    return FALSE;
  }
  return TRUE;
}

static void
apply(gint64 v, gsize *field)
{
  if (v > 0)
    *field = (gsize) v;
}

static void
apply_u(gint64 v, guint *field)
{
  if (v > 0)
    *field = (guint) MIN(v, (gint64) G_MAXUINT);
}

/* Read stdin up to MAX bytes; *OVER when there was more. */
static GByteArray *
read_input(gsize max, gboolean *over)
{
  GByteArray *in = g_byte_array_new();
  guint8 buf[65536];
  *over = FALSE;
  for (;;) {
    ssize_t n = read(STDIN_FILENO, buf, sizeof buf);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      break;
    if (in->len + (gsize) n > max) {
      *over = TRUE;
      break;
    }
    g_byte_array_append(in, buf, (guint) n);
  }
  return in;
}

static void
write_all(const char *s, gsize len)
{
  while (len > 0) {
    ssize_t n = write(STDOUT_FILENO, s, len);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return;
    s += n;
    len -= (gsize) n;
  }
}

static int
report_failure(const char *reason, int status)
{
  g_autofree char *head = g_strdup_printf("status: failed\nreason: %s\nlength: 0\n\n", reason);
  write_all(head, strlen(head));
  return status;
}

static int
report(const mugai_convert_result *r)
{
  g_autofree char *warnings = mugai_convert_warnings_to_string(r->warnings);
  GString *head = g_string_new(NULL);
  g_string_append_printf(head, "status: %s\nkind: %s\n", r->failure ? "failed" : "ok", r->kind);
  if (r->unit)
    g_string_append_printf(head, "unit: %s\ncount: %u\n", r->unit, r->count);
  g_string_append_printf(head, "warnings: %s\n", warnings);
  if (r->failure) {
    g_autofree char *one_line = g_strdelimit(g_strdup(r->failure), "\r\n", ' ');
    g_string_append_printf(head, "reason: %s\n", one_line);
  }
  g_string_append_printf(head, "length: %zu\n\n", r->text->len);
  write_all(head->str, head->len);
  write_all(r->text->str, r->text->len);
  g_string_free(head, TRUE);
  return r->failure ? 1 : 0;
}

/* --unlock: the N password lines at the start of IN, checked as the client checks them; the
 * archive is what follows (*ARCHIVE, from the offset). FALSE when they are malformed. */
static gboolean
split_passwords(GByteArray *in, guint n, GPtrArray *passwords, gsize *archive)
{
  gsize pos = 0;
  for (guint i = 0; i < n; i++) {
    const guint8 *nl = memchr(in->data + pos, '\n', in->len - pos);
    gsize len = nl ? (gsize) (nl - (in->data + pos)) : 0;
    if (nl == NULL || len == 0 || len > MUGAI_UNLOCK_MAX_PASSWORD_BYTES ||
        memchr(in->data + pos, '\0', len) || memchr(in->data + pos, '\r', len))
      return FALSE;
    g_ptr_array_add(passwords, g_strndup((const char *) in->data + pos, len));
    pos += len + 1;
  }
  g_ptr_array_add(passwords, NULL);
  *archive = pos;
  return TRUE;
}

static int
report_unlock(const mugai_unlock *u)
{
  GString *head = g_string_new(NULL);
  g_string_append_printf(head, "status: %s\n", mugai_unlock_status_name(u->status));
  if (u->status == MUGAI_UNLOCK_OPENED) {
    g_string_append_printf(head, "password: %d\n", u->password_index);
  } else {
    g_autofree char *one_line = g_strdelimit(g_strdup(u->failure ? u->failure : "not opened"),
                                             "\r\n", ' ');
    g_string_append_printf(head, "reason: %s\n", one_line);
  }
  g_string_append_printf(head, "members: %u\nskipped: %u\n\n", u->members->len, u->skipped);
  write_all(head->str, head->len);
  for (guint i = 0; i < u->members->len; i++) {
    const mugai_unlocked_member *m = u->members->pdata[i];
    gsize len = 0;
    const char *data = g_bytes_get_data(m->data, &len);
    g_string_printf(head, "member: %zu %zu\n%s", strlen(m->name), len, m->name);
    write_all(head->str, head->len);
    write_all(data, len);
  }
  g_string_free(head, TRUE);
  return u->status == MUGAI_UNLOCK_OPENED ? 0 : 1;
}

static int
unlock(GByteArray *in, guint n, const mugai_convert_limits *limits)
{
  g_autoptr(GPtrArray) passwords = g_ptr_array_new_with_free_func(g_free);
  gsize at = 0;
  if (!split_passwords(in, n, passwords, &at)) {
    fputs("mugai-convert: --unlock: malformed password lines on stdin\n", stderr);
    return 2;
  }
  g_auto(mugai_unlock) u = {0};
  mugai_unlock_archive(in->data + at, in->len - at, (const char *const *) passwords->pdata, n,
                       limits, &u);
  return report_unlock(&u);
}

int
main(int argc, char **argv)
{
  options o = {.max_input = 64 << 20, .cpu = 30, .memory_mb = 1024, .unlock = -1};
  gboolean parsed = parse_options(&argc, &argv, &o);
  g_autofree char *type = o.type, *name = o.name; /* freed on every return */
  if (!parsed)
    return 2;
  if (o.unlock == 0 || o.unlock > MUGAI_UNLOCK_MAX_PASSWORDS) {
    fprintf(stderr, "mugai-convert: --unlock takes 1 to %d passwords\n", MUGAI_UNLOCK_MAX_PASSWORDS);
    return 2;
  }
  /* RLIMIT_FSIZE 0 forbids writing any regular file, stdout included: the result goes to a pipe. */
  struct stat st;
  if (fstat(STDOUT_FILENO, &st) == 0 && S_ISREG(st.st_mode)) {
    fputs("mugai-convert: standard output must be a pipe (try: mugai-convert < FILE | cat)\n", stderr);
    return 2;
  }
  mugai_sandbox_limits sl = {.cpu_seconds = (guint) CLAMP(o.cpu, 1, 3600),
                             .memory = (guint64) CLAMP(o.memory_mb, 0, 1 << 20) << 20};
#ifdef MUGAI_ASAN
  sl.memory = 0; /* ASan reserves terabytes of address space at start: RLIMIT_AS would kill it */
#endif
  g_autoptr(GError) error = NULL;
  if (!mugai_sandbox_rlimits(&sl, &error)) {
    fprintf(stderr, "mugai-convert: %s\n", error->message);
    return report_failure("sandbox setup failed", 4);
  }
  mugai_convert_limits limits;
  mugai_convert_limits_init(&limits);
  apply(o.max_output, &limits.max_output);
  apply(o.max_expanded, &limits.max_expanded);
  apply(o.max_member, &limits.max_member);
  apply_u(o.max_entries, &limits.max_entries);
  apply_u(o.max_depth, &limits.max_depth);
  apply_u(o.max_pages, &limits.max_pages);
  apply_u(o.max_cells, &limits.max_cells);
  apply_u(o.max_xml_depth, &limits.max_xml_depth);

  gboolean over = FALSE;
  /* The password lines do not count against the archive's cap. */
  gsize framing = o.unlock > 0 ? (gsize) o.unlock * (MUGAI_UNLOCK_MAX_PASSWORD_BYTES + 1) : 0;
  g_autoptr(GByteArray) in = read_input((gsize) MAX(o.max_input, 0) + framing, &over);
  if (over)
    return report_failure("input too large", 3);
  mugai_convert_init();
  mugai_sandbox_preload_iconv();
#ifndef MUGAI_ASAN
  /* ASan's leak checker runs a ptrace thread at exit, which the filter would kill; the filter is
   * tested in the plain build. */
  if (!mugai_sandbox_seccomp(&error)) {
    fprintf(stderr, "mugai-convert: %s\n", error->message);
    return report_failure("sandbox setup failed", 4);
  }
#endif
  if (o.unlock > 0)
    return unlock(in, (guint) o.unlock, &limits);
  g_autoptr(mugai_convert_result) r = mugai_convert(in->data, in->len, type, name, &limits);
  return report(r);
}
