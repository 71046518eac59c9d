"""A stand-in for OpenDMARC in the end-to-end tests: a milter (Python standard library only) that
Postfix runs before mugai-milter in smtpd_milters, and that inserts its Authentication-Results
header where OpenDMARC, OpenDKIM and rspamd insert theirs, at position 1 (just below Postfix's
own Received header). No DNS is asked: the From domain decides the result, "dmarc=fail
(p=reject dis=none)" for a domain that starts with "spoofed.", "dmarc=pass" otherwise.

  with AuthresMilter("mx.lab.example") as auth:   # auth.port: inet:127.0.0.1:PORT
      ...
"""
import re, socketserver, struct, threading

SMFIF_ADDHDRS = 0x01
# Events it needs not see: connect, helo, mail, rcpt, body, end of headers, unknown, data.
SMFIP_SKIP = 0x01 | 0x02 | 0x04 | 0x08 | 0x10 | 0x40 | 0x100 | 0x200
NO_REPLY = {b"D", b"A", b"K", b"Q"}  # macros, abort, quit (new connection), quit


def _read(sock, n):
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise EOFError
        data += chunk
    return data


def _send(sock, cmd, data=b""):
    sock.sendall(struct.pack(">I", len(data) + 1) + cmd + data)


class _Handler(socketserver.BaseRequestHandler):
    def handle(self):
        sock, from_domain = self.request, ""
        try:
            while True:
                (length,) = struct.unpack(">I", _read(sock, 4))
                packet = _read(sock, length)
                cmd, data = packet[:1], packet[1:]
                if cmd == b"O":
                    _, actions, protocol = struct.unpack(">III", data[:12])
                    _send(sock, b"O", struct.pack(">III", 6, SMFIF_ADDHDRS & actions,
                                                  SMFIP_SKIP & protocol))
                elif cmd == b"L":
                    name, value = data.split(b"\0")[:2]
                    m = re.search(rb"@([A-Za-z0-9.-]+)", value)
                    if name.lower() == b"from" and m:
                        from_domain = m.group(1).decode().lower()
                    _send(sock, b"c")
                elif cmd == b"E":
                    if from_domain.startswith("spoofed."):
                        result = f"dmarc=fail (p=reject dis=none) header.from={from_domain}"
                    else:
                        result = f"dmarc=pass (p=none dis=none) header.from={from_domain}"
                    value = f"{self.server.authserv_id}; {result}".encode()
                    _send(sock, b"i", struct.pack(">I", 1) + b"Authentication-Results\0" + value + b"\0")
                    _send(sock, b"c")
                    from_domain = ""
                elif cmd == b"Q":
                    return
                elif cmd in NO_REPLY:
                    from_domain = "" if cmd in (b"A", b"K") else from_domain
                else:
                    _send(sock, b"c")
        except (EOFError, ConnectionError, OSError):
            return


class AuthresMilter:
    def __init__(self, authserv_id):
        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _Handler)
        self.server.daemon_threads = True
        self.server.authserv_id = authserv_id
        self.port = self.server.server_address[1]

    def __enter__(self):
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
