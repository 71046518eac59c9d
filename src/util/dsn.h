/* dsn.h — a PostgreSQL connection string as it may be shown: in a log line, `mugai config check
 * -v`, an error. The password is the one part of it that must never be. */
#pragma once
#include <glib.h>

/* (transfer full) DSN (libpq "key=value" conninfo or a postgresql:// URI) with every password
 * written as "***": password=... in either form, and the one in a URI's user:password@. */
char *mugai_dsn_redact(const char *dsn);
