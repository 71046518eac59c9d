/* sandbox.h — the worker's own confinement, applied by mugai-convert to itself before it reads a
 * document: resource limits, then a seccomp filter. Worker-only; never call it in the milter. */
#pragma once
#include <glib.h>

typedef struct {
  guint cpu_seconds;  /* RLIMIT_CPU: SIGXCPU at the soft limit, SIGKILL a second later */
  guint64 memory;     /* RLIMIT_AS in bytes; 0: none (an ASan build reserves terabytes) */
} mugai_sandbox_limits;

/* setrlimit: CPU, address space, no new files (FSIZE 0), no core, no processes, few descriptors.
 * FALSE with ERROR set when the kernel refuses one. */
gboolean mugai_sandbox_rlimits(const mugai_sandbox_limits *limits, GError **error);

/* The seccomp allowlist (sandbox.c says what and why); every other system call kills the process
 * with SIGSYS. Once installed it cannot be undone. */
gboolean mugai_sandbox_seccomp(GError **error);

/* Load the iconv modules of the charsets documents use while new code may still be mapped. */
void mugai_sandbox_preload_iconv(void);
