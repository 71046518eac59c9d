/* unlock.h — PPAP, the worker's side: open a password-protected archive in memory with libarchive
 * and keep its regular files in memory (unlock.c). Runs inside the sandboxed mugai-convert worker
 * (main.c --unlock); a library so that tests and the fuzzer can call it directly. */
#pragma once
#include "convert/convert.h"

/* Open the zip (or 7z, RAR) in LEN bytes of DATA with each of the N_PASSWORDS PASSWORDS in turn,
 * one full pass over the archive each, within LIMITS->max_expanded (all members), max_member and
 * max_entries. OUT is zeroed by the caller; it gets a status, a failure unless OPENED, the
 * members (mugai_unlocked_member *, archive order, names valid UTF-8 of at most
 * MUGAI_UNLOCK_MAX_NAME_BYTES) and the skipped count. Never touches the file system. */
void mugai_unlock_archive(const void *data, gsize len, const char *const *passwords,
                          guint n_passwords, const mugai_convert_limits *limits, mugai_unlock *out);
