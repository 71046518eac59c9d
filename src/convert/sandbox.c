/* sandbox.c — confine the mugai-convert worker (see sandbox.h).
 *
 * Limits come first, while the worker can still report a failure; the seccomp filter comes after
 * the libraries are initialised and the input is read, just before the document is parsed.
 *
 * The allowlist is what parsing needs and nothing that reaches outside the process:
 *   memory     brk, mmap/mprotect without PROT_EXEC (no new code), munmap, mremap, madvise
 *   I/O        read, readv, write, writev, lseek, close, fstat/newfstatat, fcntl (on open fds)
 *   files      openat only read-only (O_WRONLY, O_RDWR, O_CREAT, O_TRUNC masked out): poppler
 *              opens poppler-data's CMaps on first use; RLIMIT_FSIZE 0 and RLIMIT_NOFILE back it
 *              up. seccomp cannot check a path, so reading other readable files is not stopped by
 *              the filter; nothing read can leave the process except in the text on stdout.
 *   other      futex, getrandom, clock_gettime, gettimeofday, getpid, gettid, tgkill and
 *              rt_sigprocmask/rt_sigaction/rt_sigreturn (abort() on a failed allocation), exit,
 *              exit_group, sched_yield, getdents64 (a CMap directory listing)
 *   answered   getpeername (ENOTSOCK) and ioctl (ENOTTY): GLib asks whether stderr is journald
 *              or a terminal before logging; a refusal lets "failed to allocate" reach stderr
 * New code cannot be mapped, so glibc's iconv modules (each charset is a shared object dlopen()ed
 * on first use) are loaded before the filter by mugai_sandbox_preload_iconv(); a charset outside
 * that list then fails to open (mmap with PROT_EXEC returns EPERM instead of killing) and the
 * charset decoder falls back as it does for an unknown label.
 * Not on it, so fatal: socket/connect (no network), execve, fork/clone (no processes), ptrace,
 * kill of other processes, and everything else.
 * PPAP's --unlock (unlock.c) needs nothing more: libarchive reads the archive from memory, and
 * ZipCrypto, nettle's AES, PBKDF2 and HMAC, zlib, bzip2 and liblzma are computation only.
 */
#include "convert/sandbox.h"

#include <errno.h>
#include <fcntl.h>
#include <seccomp.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>

#define MUGAI_SANDBOX_ERROR (g_quark_from_static_string("mugai-sandbox-error"))

static gboolean
limit(int resource, rlim_t value, const char *what, GError **error)
{
  struct rlimit rl = {.rlim_cur = value, .rlim_max = value};
  if (resource == RLIMIT_CPU)
    rl.rlim_max = value + 1; /* SIGXCPU first (a clear reason), SIGKILL if it is ignored */
  if (setrlimit(resource, &rl) != 0) {
    g_set_error(error, MUGAI_SANDBOX_ERROR, 1, "setrlimit %s: %s", what, g_strerror(errno));
    return FALSE;
  }
  return TRUE;
}

gboolean
mugai_sandbox_rlimits(const mugai_sandbox_limits *limits, GError **error)
{
  if (limits->cpu_seconds && !limit(RLIMIT_CPU, limits->cpu_seconds, "CPU", error))
    return FALSE;
  if (limits->memory && !limit(RLIMIT_AS, limits->memory, "AS", error))
    return FALSE;
#ifndef MUGAI_ASAN
  /* (LeakSanitizer clones a tracer at exit: an ASan build keeps its process limit.) */
  if (!limit(RLIMIT_NPROC, 0, "NPROC", error))
    return FALSE;
#endif
  return limit(RLIMIT_FSIZE, 0, "FSIZE", error) && limit(RLIMIT_CORE, 0, "CORE", error) &&
         limit(RLIMIT_NOFILE, 16, "NOFILE", error);
}

gboolean
mugai_sandbox_seccomp(GError **error)
{
  scmp_filter_ctx f = seccomp_init(SCMP_ACT_KILL_PROCESS);
  if (f == NULL) {
    g_set_error(error, MUGAI_SANDBOX_ERROR, 2, "seccomp_init failed");
    return FALSE;
  }
  static const int plain[] = {
    SCMP_SYS(brk), SCMP_SYS(munmap), SCMP_SYS(mremap), SCMP_SYS(madvise), SCMP_SYS(read),
    SCMP_SYS(readv), SCMP_SYS(write), SCMP_SYS(writev), SCMP_SYS(lseek), SCMP_SYS(close),
    SCMP_SYS(fstat), SCMP_SYS(newfstatat), SCMP_SYS(fcntl), SCMP_SYS(futex), SCMP_SYS(getrandom),
    SCMP_SYS(clock_gettime), SCMP_SYS(gettimeofday), SCMP_SYS(getpid), SCMP_SYS(gettid),
    SCMP_SYS(tgkill), SCMP_SYS(rt_sigprocmask), SCMP_SYS(rt_sigaction), SCMP_SYS(rt_sigreturn),
    SCMP_SYS(exit), SCMP_SYS(exit_group), SCMP_SYS(sched_yield), SCMP_SYS(getdents64),
  };
  int rc = 0;
  for (gsize i = 0; i < G_N_ELEMENTS(plain) && rc == 0; i++)
    rc = seccomp_rule_add(f, SCMP_ACT_ALLOW, plain[i], 0);
  static const int no_exec[] = {SCMP_SYS(mmap), SCMP_SYS(mprotect)};
  for (gsize i = 0; i < G_N_ELEMENTS(no_exec) && rc == 0; i++) {
    rc = seccomp_rule_add(f, SCMP_ACT_ALLOW, no_exec[i], 1, SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0));
    if (rc == 0)
      rc = seccomp_rule_add(f, SCMP_ACT_ERRNO(EPERM), no_exec[i], 1,
                            SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, PROT_EXEC));
  }
  /* Questions GLib asks about stderr before it logs (is it a terminal? journald's socket?):
   * answered "no" rather than fatal, so an allocation failure still gets its message out. */
  if (rc == 0)
    rc = seccomp_rule_add(f, SCMP_ACT_ERRNO(ENOTSOCK), SCMP_SYS(getpeername), 0);
  if (rc == 0)
    rc = seccomp_rule_add(f, SCMP_ACT_ERRNO(ENOTTY), SCMP_SYS(ioctl), 0);
  if (rc == 0)
    rc = seccomp_rule_add(f, SCMP_ACT_ALLOW, SCMP_SYS(openat), 1,
                          SCMP_A2(SCMP_CMP_MASKED_EQ, O_ACCMODE | O_CREAT | O_TRUNC, 0));
  if (rc == 0)
    rc = seccomp_load(f);
  seccomp_release(f);
  if (rc != 0) {
    g_set_error(error, MUGAI_SANDBOX_ERROR, 3, "seccomp: %s", g_strerror(-rc));
    return FALSE;
  }
  return TRUE;
}

/* Held open until the worker exits, so glibc keeps the modules loaded. Worker-only state. */
static GIConv preloaded[32];

void
mugai_sandbox_preload_iconv(void)
{
  /* What charset.c, GLib (UTF-16 for PDF strings) and RTF code pages use, and common mail labels. */
  static const char *const names[] = {
    "CP932", "EUC-JP-MS", "EUC-JP", "ISO-2022-JP", "UTF-7", "UTF-16", "UTF-16BE", "UTF-16LE",
    "UTF-32", "WINDOWS-1250", "WINDOWS-1251", "WINDOWS-1253", "WINDOWS-1254", "GBK", "GB18030",
    "BIG5", "EUC-KR", "ISO-8859-2", "ISO-8859-5", "ISO-8859-7", "ISO-8859-15", "KOI8-R",
  };
  G_STATIC_ASSERT(G_N_ELEMENTS(names) <= G_N_ELEMENTS(preloaded));
  for (gsize i = 0; i < G_N_ELEMENTS(names); i++)
    preloaded[i] = g_iconv_open("UTF-8", names[i]);
}
