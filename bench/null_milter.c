/* null_milter -p SOCKET: the floor under mugai-milter in bench/compare/compare.py.
 *
 * It speaks the milter protocol through the same libmilter with the same options as mugai-milter
 * (no reply to connect, HELO, headers, end of headers and body chunks), reads the message and, at
 * its end, does what mugai-milter does to an ordinary inbound mail in kind: replaces the body
 * (with a fixed short text), changes one header and adds two. What Postfix with it costs over
 * Postfix alone is what any milter doing that costs, before any sanitizing. */
#include <libmilter/mfapi.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <sys/socket.h>
#include <string.h>

#define NOREPLY (SMFIP_NR_CONN | SMFIP_NR_HELO | SMFIP_NR_HDR | SMFIP_NR_EOH | SMFIP_NR_BODY)

static const char body[] = "This text replaced the body.\r\nこの本文は置き換えられました。\r\n";

static sfsistat on_negotiate(SMFICTX *ctx, unsigned long f0, unsigned long f1, unsigned long f2,
                             unsigned long f3, unsigned long *pf0, unsigned long *pf1,
                             unsigned long *pf2, unsigned long *pf3) {
  (void) ctx, (void) f2, (void) f3;
  *pf0 = f0 & (SMFIF_ADDHDRS | SMFIF_CHGHDRS | SMFIF_CHGBODY);
  *pf1 = f1 & (SMFIP_HDR_LEADSPC | SMFIP_NODATA | SMFIP_NOUNKNOWN | NOREPLY);
  *pf2 = *pf3 = 0;
  return SMFIS_CONTINUE;
}

static sfsistat no_reply(SMFICTX *ctx) {
  (void) ctx;
  return SMFIS_NOREPLY;
}

static sfsistat on_connect(SMFICTX *ctx, char *host, _SOCK_ADDR *addr) {
  (void) host, (void) addr;
  return no_reply(ctx);
}

static sfsistat on_helo(SMFICTX *ctx, char *helo) {
  (void) helo;
  return no_reply(ctx);
}

/* mugai-milter answers these (policy lookups at MAIL FROM, per-recipient rules): so does this. */
static sfsistat on_envelope(SMFICTX *ctx, char **argv) {
  (void) ctx, (void) argv;
  return SMFIS_CONTINUE;
}

static sfsistat on_header(SMFICTX *ctx, char *name, char *value) {
  (void) name, (void) value;
  return no_reply(ctx);
}

static sfsistat on_body(SMFICTX *ctx, unsigned char *chunk, size_t len) {
  (void) chunk, (void) len;
  return no_reply(ctx);
}

static sfsistat on_eom(SMFICTX *ctx) {
  if (smfi_chgheader(ctx, "Content-Type", 1, " text/plain; charset=UTF-8") != MI_SUCCESS ||
      smfi_addheader(ctx, "Content-Transfer-Encoding", " 8bit") != MI_SUCCESS ||
      smfi_addheader(ctx, "X-Null-Milter", " replaced") != MI_SUCCESS ||
      smfi_replacebody(ctx, (unsigned char *) body, (int) strlen(body)) != MI_SUCCESS)
    return SMFIS_TEMPFAIL;
  return SMFIS_CONTINUE;
}

int main(int argc, char **argv) {
  if (argc != 3 || strcmp(argv[1], "-p") != 0) {
    fprintf(stderr, "usage: null_milter -p SOCKET\n");
    return 2;
  }
  struct smfiDesc desc = {
      .xxfi_name = "null-milter",
      .xxfi_version = SMFI_VERSION,
      .xxfi_flags = SMFIF_ADDHDRS | SMFIF_CHGHDRS | SMFIF_CHGBODY,
      .xxfi_connect = on_connect,
      .xxfi_helo = on_helo,
      .xxfi_envfrom = on_envelope,
      .xxfi_envrcpt = on_envelope,
      .xxfi_header = on_header,
      .xxfi_eoh = no_reply,
      .xxfi_body = on_body,
      .xxfi_eom = on_eom,
      .xxfi_negotiate = on_negotiate,
  };
  if (smfi_register(desc) == MI_FAILURE || smfi_setconn(argv[2]) == MI_FAILURE ||
      smfi_opensocket(1) == MI_FAILURE) {
    fprintf(stderr, "null_milter: cannot listen on %s\n", argv[2]);
    return 1;
  }
  /* As mugai-milter does over TCP (src/milter/main.c): no Nagle on what libmilter writes. */
  for (int fd = 3; fd < 64; fd++) {
    int on = 0;
    socklen_t len = sizeof on;
    if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &on, &len) == 0 && on) {
      on = 1;
      (void) setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on); /* fails on a unix socket */
    }
  }
  return smfi_main() == MI_SUCCESS ? 0 : 1;
}
