/* archive_list.h — what is inside an archive attachment (zip, 7z, rar, tar, cab, iso, a .gz of one
 * file...), for the notice that names removed attachments: member names, sizes, password
 * protection (the Japanese "PPAP" zip), and members of archives nested inside, to a set depth.
 *
 * Listing reads headers only; member data is decompressed solely to look at a member that may be
 * an archive itself, and never past mugai_archive_limits. Hostile input (bombs, absurd counts,
 * corrupt headers, any bytes as names) gives a partial listing with flags, never a failure.
 * Pure: no globals, no logging; safe from any thread. TNEF (winmail.dat) is in tnef_list.h and
 * fills the same listing type.
 */
#pragma once
#include <glib.h>

typedef struct {
  char *name;          /* valid UTF-8 as stored ("dir/file.txt"), control characters as spaces,
                        * at most MUGAI_ARCHIVE_NAME_MAX bytes; "" when the format stores no name
                        * (a .bz2 of one file). A label to show, never a path to use. */
  guint64 size;        /* uncompressed size when the format says, else 0 */
  gboolean size_known;
  gboolean encrypted;  /* this entry is password-protected */
  guint depth;         /* 0: member of the attachment itself; 1: inside a nested archive... */
} mugai_archive_entry;

typedef struct {
  const char *format;  /* static short name: "zip", "7z", "rar", "tar", "gzip", "tnef"...;
                        * "unknown" when the data is no archive mugai can read */
  gboolean encrypted;  /* some entry, or the archive's headers, are password-protected */
  gboolean truncated;  /* stopped at a limit (entries, depth, nested size, scan bytes, deadline):
                        * more may be inside than is listed */
  gboolean damaged;    /* the reader met an error before the end: the listing may be incomplete */
  GPtrArray *entries;  /* mugai_archive_entry *, in archive order, nested entries right after
                        * their parent; owned, freed with the listing */
} mugai_archive_listing;

typedef struct {
  guint max_depth;          /* nested archives opened: 0 = list only the top archive's members
                             * (clamped to MUGAI_ARCHIVE_DEPTH_CAP) */
  guint max_entries;        /* total entries listed over all levels */
  guint64 max_nested_bytes; /* a nested archive member is read into memory only up to this size;
                             * bigger ones are listed, not opened (truncated = TRUE) */
  guint64 max_scan_bytes;   /* decompressed bytes read over the whole listing (a tar.gz is
                             * inflated to reach its headers); 0: the DEFAULT_SCAN_BYTES below */
  gint64 deadline;          /* g_get_monotonic_time() past which listing stops (truncated);
                             * 0 = none. Covers what 7z/rar inflate inside, which no count sees */
} mugai_archive_limits;

#define MUGAI_ARCHIVE_DEPTH_CAP 16
#define MUGAI_ARCHIVE_DEFAULT_SCAN_BYTES (256u << 20)
#define MUGAI_ARCHIVE_NAME_MAX 1024
/* The bytes mugai_archive_detect() needs to see every magic it knows (ISO 9660's is at 32769). */
#define MUGAI_ARCHIVE_DETECT_PREFIX 36864

/* Is DATA (the first LEN bytes of a decoded attachment) an archive mugai_archive_list() can list?
 * Cheap: magic bytes only. A compressed single file (.gz of a non-tar) counts: its one member is
 * listed. Text formats libarchive also reads (uuencode, WARC, mtree) do not count. */
gboolean mugai_archive_detect(const guint8 *data, gsize len);

/* List DATA (the whole decoded attachment) within LIMITS. Never NULL; entries may be empty.
 * (transfer full) */
mugai_archive_listing *mugai_archive_list(const guint8 *data, gsize len,
                                          const mugai_archive_limits *limits);

/* An empty listing of FORMAT (static string), for a lister to fill. (transfer full) */
mugai_archive_listing *mugai_archive_listing_new(const char *format);
void mugai_archive_listing_free(mugai_archive_listing *listing); /* NULL-safe */

/* PPAP: is LISTING a zip whose own members are password-protected, one the worker may open with
 * its password? Not 7z or RAR (libarchive cannot decrypt them), nor a protected zip inside an open
 * one. */
gboolean mugai_archive_listing_is_locked_zip(const mugai_archive_listing *listing);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(mugai_archive_listing, mugai_archive_listing_free)

/* Append an entry to LISTING; NAME is a displayable name made by mugai_archive_name_to_utf8()
 * (take: the listing owns it). (transfer none) the new entry, valid while LISTING lives. */
mugai_archive_entry *mugai_archive_listing_add(mugai_archive_listing *listing, char *take_name,
                                               guint depth);

/* A member name as the listing stores it: RAW (LEN bytes, any bytes) kept when it is valid UTF-8,
 * else decoded from LABEL (nullable: "CP932", what Japanese Windows writes) through
 * mugai_charset_to_utf8(), which detects EUC-JP and UTF-8 anyway; control characters become
 * spaces; cut at MUGAI_ARCHIVE_NAME_MAX bytes on a character boundary. (transfer full) */
char *mugai_archive_name_to_utf8(const char *raw, gsize len, const char *label);

/* The name of libarchive entry AE as above, from whichever form libarchive has of it (raw bytes
 * read in a C.UTF-8 locale, its UTF-8 form, its wide form). (transfer full) */
struct archive_entry;
char *mugai_archive_entry_name(struct archive_entry *ae);
