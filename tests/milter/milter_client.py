#!/usr/bin/env python3
"""milter_client.py: the MTA side of the milter protocol (version 6), standard library only.

It plays Postfix's part towards a milter: option negotiation, connect, HELO, MAIL, RCPT, DATA,
headers, end of headers, body chunks, end of message, abort and quit, with macros sent before the
command they belong to. It parses every reply the milter may send and collects the end-of-message
modifications. delivered_message() then applies them the way Postfix's cleanup server does and
returns the bytes Postfix would deliver.

split_message() turns a message file into what Postfix hands a milter: (name, value) headers with
folded lines joined by "\\n", the value with its leading space (SMFIP_HDR_LEADSPC) or with one space
eaten, and the body with CRLF line ends, as Postfix's milter8.c hands them over.

Used by test_milter_protocol.py; knows nothing about mugai.
"""
import dataclasses
import socket
import struct

# Commands (MTA -> milter), from libmilter's mfdef.h.
SMFIC_ABORT = b"A"
SMFIC_BODY = b"B"
SMFIC_CONNECT = b"C"
SMFIC_MACRO = b"D"
SMFIC_BODYEOB = b"E"
SMFIC_HELO = b"H"
SMFIC_QUIT_NC = b"K"
SMFIC_HEADER = b"L"
SMFIC_MAIL = b"M"
SMFIC_EOH = b"N"
SMFIC_OPTNEG = b"O"
SMFIC_QUIT = b"Q"
SMFIC_RCPT = b"R"
SMFIC_DATA = b"T"
SMFIC_UNKNOWN = b"U"

# Replies (milter -> MTA).
SMFIR_ADDRCPT = b"+"
SMFIR_DELRCPT = b"-"
SMFIR_ADDRCPT_PAR = b"2"
SMFIR_SHUTDOWN = b"4"
SMFIR_ACCEPT = b"a"
SMFIR_REPLBODY = b"b"
SMFIR_CONTINUE = b"c"
SMFIR_DISCARD = b"d"
SMFIR_CHGFROM = b"e"
SMFIR_CONN_FAIL = b"f"
SMFIR_ADDHEADER = b"h"
SMFIR_INSHEADER = b"i"
SMFIR_SETSYMLIST = b"l"
SMFIR_CHGHEADER = b"m"
SMFIR_PROGRESS = b"p"
SMFIR_QUARANTINE = b"q"
SMFIR_REJECT = b"r"
SMFIR_SKIP = b"s"
SMFIR_TEMPFAIL = b"t"
SMFIR_REPLYCODE = b"y"

# Action flags the MTA offers (SMFIF_*).
SMFIF_ADDHDRS = 0x001
SMFIF_CHGBODY = 0x002
SMFIF_ADDRCPT = 0x004
SMFIF_DELRCPT = 0x008
SMFIF_CHGHDRS = 0x010
SMFIF_QUARANTINE = 0x020
SMFIF_CHGFROM = 0x040
SMFIF_ADDRCPT_PAR = 0x080
SMFIF_SETSYMLIST = 0x100
SMFI_CURR_ACTS = 0x1FF

# Protocol flags (SMFIP_*).
SMFIP_NOCONNECT = 0x000001
SMFIP_NOHELO = 0x000002
SMFIP_NOMAIL = 0x000004
SMFIP_NORCPT = 0x000008
SMFIP_NOBODY = 0x000010
SMFIP_NOHDRS = 0x000020
SMFIP_NOEOH = 0x000040
SMFIP_NR_HDR = 0x000080
SMFIP_NOUNKNOWN = 0x000100
SMFIP_NODATA = 0x000200
SMFIP_SKIP = 0x000400
SMFIP_RCPT_REJ = 0x000800
SMFIP_NR_CONN = 0x001000
SMFIP_NR_HELO = 0x002000
SMFIP_NR_MAIL = 0x004000
SMFIP_NR_RCPT = 0x008000
SMFIP_NR_DATA = 0x010000
SMFIP_NR_UNKN = 0x020000
SMFIP_NR_EOH = 0x040000
SMFIP_NR_BODY = 0x080000
SMFIP_HDR_LEADSPC = 0x100000
SMFI_CURR_PROT = 0x1FFFFF

SMFI_PROT_VERSION = 6
MILTER_CHUNK_SIZE = 65535  # largest body chunk an MTA sends
MAX_PACKET = 16 * 1024 * 1024  # a reply longer than this is a protocol error

# Which "no send" and "no reply" flag goes with each command.
_NO_SEND = {
    SMFIC_CONNECT: SMFIP_NOCONNECT, SMFIC_HELO: SMFIP_NOHELO, SMFIC_MAIL: SMFIP_NOMAIL,
    SMFIC_RCPT: SMFIP_NORCPT, SMFIC_DATA: SMFIP_NODATA, SMFIC_HEADER: SMFIP_NOHDRS,
    SMFIC_EOH: SMFIP_NOEOH, SMFIC_BODY: SMFIP_NOBODY, SMFIC_UNKNOWN: SMFIP_NOUNKNOWN,
}
_NO_REPLY = {
    SMFIC_CONNECT: SMFIP_NR_CONN, SMFIC_HELO: SMFIP_NR_HELO, SMFIC_MAIL: SMFIP_NR_MAIL,
    SMFIC_RCPT: SMFIP_NR_RCPT, SMFIC_DATA: SMFIP_NR_DATA, SMFIC_HEADER: SMFIP_NR_HDR,
    SMFIC_EOH: SMFIP_NR_EOH, SMFIC_BODY: SMFIP_NR_BODY, SMFIC_UNKNOWN: SMFIP_NR_UNKN,
}
# Replies that end a command, and the verdict name each stands for.
_FINAL = {
    SMFIR_CONTINUE: "continue", SMFIR_ACCEPT: "accept", SMFIR_REJECT: "reject",
    SMFIR_TEMPFAIL: "tempfail", SMFIR_DISCARD: "discard", SMFIR_SKIP: "skip",
    SMFIR_CONN_FAIL: "conn_fail", SMFIR_SHUTDOWN: "shutdown",
}
# Replies that are only valid during end of message.
_MODIFICATIONS = {
    SMFIR_ADDHEADER, SMFIR_INSHEADER, SMFIR_CHGHEADER, SMFIR_REPLBODY, SMFIR_ADDRCPT,
    SMFIR_DELRCPT, SMFIR_ADDRCPT_PAR, SMFIR_CHGFROM, SMFIR_QUARANTINE,
}


class MilterProtocolError(Exception):
    """The milter broke the protocol, or closed the connection."""


@dataclasses.dataclass
class Reply:
    """The milter's answer to one command. action: continue, accept, reject, tempfail, discard,
    skip, conn_fail, shutdown, or "none" when the protocol says no reply is sent.
    At end of message, modifications holds (letter, fields) in the order they arrived."""
    action: str
    code: str = None  # the SMFIR_REPLYCODE text ("552 5.3.4 ..."), when one came
    modifications: list = dataclasses.field(default_factory=list)
    quarantine: str = None

    @property
    def final(self):
        """Does this reply end the message (the MTA sends nothing more for it)?"""
        return self.action not in ("continue", "none", "skip")


@dataclasses.dataclass
class Header:
    """One header as the MTA holds it. raw is everything after the colon, leading white space
    and folded lines ("\\n" between them) included; Postfix keeps it verbatim for delivery."""
    name: str
    raw: bytes
    name_part: bytes = None  # the bytes before the colon (a space before it is legal, if obsolete)

    def value(self, leadspc):
        """The value Postfix hands a milter (milter8_header()): everything after the colon with
        SMFIP_HDR_LEADSPC; without it, one space after the colon is eaten (one, and not a tab),
        as Sendmail does."""
        if leadspc or not self.raw.startswith(b" "):
            return self.raw
        return self.raw[1:]

    def line(self):
        label = self.name_part if self.name_part is not None else self.name.encode()
        return label + b":" + self.raw


def _cstr(data, pos):
    """A NUL-terminated string at POS: (bytes, position after the NUL)."""
    end = data.find(b"\0", pos)
    if end < 0:
        raise MilterProtocolError(f"unterminated string in reply data {data[pos:pos + 40]!r}")
    return data[pos:end], end + 1


def _b(s):
    return s if isinstance(s, bytes) else s.encode("utf-8", "surrogateescape")


class MilterClient:
    """One milter connection, as an MTA holds it. Commands return a Reply (or None when the
    negotiated protocol says the command is not sent)."""

    def __init__(self, host, port, timeout=60.0, unix_path=None):
        """To HOST:PORT over TCP, or to the Unix socket UNIX_PATH when it is given."""
        if unix_path is not None:
            self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            self.sock.settimeout(timeout)
            self.sock.connect(unix_path)
        else:
            self.sock = socket.create_connection((host, port), timeout=timeout)
            self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._pending = b""  # macros wait to go out with their command, as Postfix sends them
        self.version = None
        self.actions = None
        self.protocol = 0
        self.symlists = {}
        self.leadspc = False
        self.closed = False

    # -- packets --------------------------------------------------------------------------------
    @staticmethod
    def packet(cmd, data=b""):
        return struct.pack(">I", len(data) + 1) + cmd + data

    def send_packet(self, cmd, data=b""):
        out, self._pending = self._pending + self.packet(cmd, data), b""
        self.sock.sendall(out)

    def _recv_exact(self, n):
        parts = []
        while n > 0:
            chunk = self.sock.recv(min(n, 1 << 20))
            if not chunk:
                raise MilterProtocolError("the milter closed the connection")
            parts.append(chunk)
            n -= len(chunk)
        return b"".join(parts)

    def read_packet(self):
        (length,) = struct.unpack(">I", self._recv_exact(4))
        if length < 1 or length > MAX_PACKET:
            raise MilterProtocolError(f"bad packet length {length}")
        packet = self._recv_exact(length)
        return packet[:1], packet[1:]

    def read_reply(self, at_eom=False):
        """Read packets up to a final one. PROGRESS just means "keep waiting"; modifications are
        only accepted at end of message."""
        reply = Reply("none")
        while True:
            cmd, data = self.read_packet()
            if cmd == SMFIR_PROGRESS:
                continue
            if cmd in _MODIFICATIONS:
                if not at_eom:
                    raise MilterProtocolError(f"modification {cmd!r} outside end of message")
                reply.modifications.append((cmd, self._parse_modification(cmd, data)))
                if cmd == SMFIR_QUARANTINE:
                    reply.quarantine = reply.modifications[-1][1][0].decode(errors="replace")
                continue
            if cmd == SMFIR_SETSYMLIST:
                (stage,) = struct.unpack(">I", data[:4])
                self.symlists[stage] = _cstr(data, 4)[0].decode()
                continue
            if cmd == SMFIR_REPLYCODE:
                text, _ = _cstr(data, 0)
                reply.code = text.decode("utf-8", "replace")
                reply.action = {"4": "tempfail", "5": "reject"}.get(reply.code[:1], "invalid")
                if reply.action == "invalid":
                    raise MilterProtocolError(f"reply code not 4xx or 5xx: {reply.code!r}")
                return reply
            if cmd in _FINAL:
                reply.action = _FINAL[cmd]
                return reply
            raise MilterProtocolError(f"unexpected reply {cmd!r} {data[:60]!r}")

    @staticmethod
    def _parse_modification(cmd, data):
        if cmd == SMFIR_REPLBODY:
            return (data,)
        if cmd in (SMFIR_INSHEADER, SMFIR_CHGHEADER):
            if len(data) < 4:
                raise MilterProtocolError(f"short {cmd!r} reply")
            (index,) = struct.unpack(">I", data[:4])
            name, pos = _cstr(data, 4)
            value, _ = _cstr(data, pos)
            return (index, name, value)
        fields, pos = [], 0
        while pos < len(data):  # ADDHEADER: name, value; ADDRCPT_PAR/CHGFROM: address, args
            field, pos = _cstr(data, pos)
            fields.append(field)
        return tuple(fields)

    def command(self, cmd, data=b"", at_eom=False):
        """Send CMD unless the milter asked not to get it; read its reply unless it asked not to
        reply. Returns None for a command not sent."""
        if self.protocol & _NO_SEND.get(cmd, 0):
            if self._pending:
                self.sock.sendall(self._pending)
                self._pending = b""
            return None
        self.send_packet(cmd, data)
        if self.protocol & _NO_REPLY.get(cmd, 0):
            return Reply("none")
        return self.read_reply(at_eom)

    # -- the session ----------------------------------------------------------------------------
    def negotiate(self, leadspc=True, actions=SMFI_CURR_ACTS, protocol=None, version=SMFI_PROT_VERSION):
        """SMFIC_OPTNEG. Offers ACTIONS and PROTOCOL (default: every protocol flag, with
        SMFIP_HDR_LEADSPC only when LEADSPC). Returns (version, actions, protocol) agreed."""
        if protocol is None:
            protocol = SMFI_CURR_PROT if leadspc else SMFI_CURR_PROT & ~SMFIP_HDR_LEADSPC
        self.send_packet(SMFIC_OPTNEG, struct.pack(">III", version, actions, protocol))
        cmd, data = self.read_packet()
        if cmd != SMFIC_OPTNEG or len(data) < 12:
            raise MilterProtocolError(f"negotiation answered with {cmd!r} {data[:40]!r}")
        self.version, self.actions, self.protocol = struct.unpack(">III", data[:12])
        if self.actions & ~actions:
            raise MilterProtocolError(f"milter wants actions {self.actions:#x}, offered {actions:#x}")
        if self.protocol & ~protocol & SMFI_CURR_PROT:
            raise MilterProtocolError(f"milter wants protocol {self.protocol:#x}, offered {protocol:#x}")
        pos = 12
        while pos + 4 <= len(data):  # optional macro lists (smfi_setsymlist)
            (stage,) = struct.unpack(">I", data[pos:pos + 4])
            names, pos = _cstr(data, pos + 4)
            self.symlists[stage] = names.decode()
        self.leadspc = bool(self.protocol & SMFIP_HDR_LEADSPC)
        return self.version, self.actions, self.protocol

    def macro(self, stage, macros):
        """SMFIC_MACRO for the command STAGE (e.g. SMFIC_MAIL). No reply. Like Postfix's
        milter8_event(), the macros go even when the command itself is not sent (SMFIP_NO*)."""
        if not macros:
            return
        data = stage + b"".join(_b(k) + b"\0" + _b(v) + b"\0" for k, v in macros.items())
        self._pending += self.packet(SMFIC_MACRO, data)

    def connect(self, hostname, address, port, family="4", macros=None):
        self.macro(SMFIC_CONNECT, macros)
        data = _b(hostname) + b"\0" + family.encode()
        if family in ("4", "6"):
            data += struct.pack(">H", port) + _b(address) + b"\0"
        elif family == "L":
            data += struct.pack(">H", 0) + _b(address) + b"\0"
        return self.command(SMFIC_CONNECT, data)

    def helo(self, name, macros=None):
        self.macro(SMFIC_HELO, macros)
        return self.command(SMFIC_HELO, _b(name) + b"\0")

    def mail(self, sender, args=(), macros=None):
        self.macro(SMFIC_MAIL, macros)
        return self.command(SMFIC_MAIL, b"".join(_b(a) + b"\0" for a in (f"<{sender}>", *args)))

    def rcpt(self, recipient, args=(), macros=None):
        self.macro(SMFIC_RCPT, macros)
        return self.command(SMFIC_RCPT, b"".join(_b(a) + b"\0" for a in (f"<{recipient}>", *args)))

    def data(self, macros=None):
        self.macro(SMFIC_DATA, macros)
        return self.command(SMFIC_DATA)

    def header(self, name, value):
        return self.command(SMFIC_HEADER, _b(name) + b"\0" + _b(value) + b"\0")

    def eoh(self, macros=None):
        self.macro(SMFIC_EOH, macros)
        return self.command(SMFIC_EOH)

    def body(self, chunk):
        if len(chunk) > MILTER_CHUNK_SIZE:
            raise ValueError("a body chunk is at most 65535 bytes")
        return self.command(SMFIC_BODY, chunk)

    def eom(self, macros=None):
        self.macro(SMFIC_BODYEOB, macros)
        self.send_packet(SMFIC_BODYEOB)
        return self.read_reply(at_eom=True)

    def abort(self):
        self.send_packet(SMFIC_ABORT)  # no reply

    def quit(self):
        if not self.closed:
            self.send_packet(SMFIC_QUIT)
            self.close()

    def quit_nc(self):
        """QUIT, new connection follows on this socket: negotiate again next."""
        self.send_packet(SMFIC_QUIT_NC)

    def close(self):
        if not self.closed:
            self.closed = True
            self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # -- one whole message ----------------------------------------------------------------------
    def send_message(self, headers, body, chunks=None, sender="sender@example.co.jp",
                     recipients=("taro@city.example.lg.jp",), queue_id=None,
                     mail_args=(), stop_after=None):
        """Send one message as Postfix does from MAIL FROM to end of data and return a
        MessageResult. HEADERS: list of Header; BODY: bytes with CRLF line ends; CHUNKS: iterable
        of body chunk sizes (default: 64 KB chunks). {i} goes with MAIL, DATA, EOH and EOM (Postfix's
        default milter_*_macros). STOP_AFTER (bytes of body) sends ABORT after that much body and
        returns None: the client gave up mid-message."""
        qid = {"i": queue_id} if queue_id else {}
        steps = [
            ("mail", lambda: self.mail(sender, mail_args, macros={**qid, "{mail_addr}": sender})),
        ]
        for r in recipients:
            steps.append(("rcpt", lambda r=r: self.rcpt(r, macros={"{rcpt_addr}": r})))
        steps.append(("data", lambda: self.data(macros=qid)))
        for h in headers:
            steps.append(("header", lambda h=h: self.header(h.name, h.value(self.leadspc))))
        steps.append(("eoh", lambda: self.eoh(macros=qid)))
        for stage, step in steps:
            reply = step()
            if reply is not None and reply.final:
                return MessageResult(stage, reply)
        sent = 0
        for size in _chunk_sizes(len(body), chunks):
            if stop_after is not None and sent >= stop_after:
                self.abort()
                return None
            reply = self.body(body[sent:sent + size])
            sent += size
            if reply is not None and reply.action == "skip":
                break  # the milter has seen enough of the body
            if reply is not None and reply.final:
                return MessageResult("body", reply)
        if stop_after is not None:
            self.abort()
            return None
        return MessageResult("eom", self.eom(macros=qid))


def _chunk_sizes(total, chunks):
    if chunks is None:
        chunks = iter(lambda: MILTER_CHUNK_SIZE, None)
    left = total
    for size in chunks:
        if left <= 0:
            return
        size = max(1, min(int(size), MILTER_CHUNK_SIZE, left))
        yield size
        left -= size


@dataclasses.dataclass
class MessageResult:
    stage: str  # where the milter gave its final word (eom when it saw the whole message)
    reply: Reply

    @property
    def action(self):
        return self.reply.action

    @property
    def delivered(self):
        """Would Postfix deliver the message? CONTINUE or ACCEPT; ACCEPT before EOM means the
        milter let it through unchanged."""
        return self.reply.action in ("continue", "accept") and self.reply.quarantine is None


# -- what Postfix does with the message -------------------------------------------------------------

def _is_header(line):
    """Postfix is_header(): a label of printable ASCII other than ':', optional blanks, ':'.
    Returns the label's length, 0 when LINE is not a header."""
    n = 0
    state = 0  # 0 start, 1 in label, 2 blanks after label
    for c in line:
        if c == 0x3A:
            return n if state else 0
        if c in (0x20, 0x09):
            if state == 0:
                return 0
            state = 2
            continue
        if c >= 0x80 or c < 0x20 or c == 0x7F or state == 2:
            return 0
        state = 1
        n += 1
    return 0


def split_message(data):
    """A message file as Postfix hands it to a milter: (headers, body). A leading mbox "From " line is
    dropped; lines end at LF with a CR before it removed (a last line without LF is still a line);
    headers run to the empty line (consumed) or to the first line that is not a header (it starts
    the body); the body gets CRLF after every line, as Postfix hands it to a milter."""
    lines = data.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()  # the file ended with LF
    lines = [l[:-1] if l.endswith(b"\r") else l for l in lines]
    if lines and lines[0].startswith(b"From "):
        lines.pop(0)
    headers = []
    i = 0
    while i < len(lines):
        line = lines[i]
        if line == b"":
            i += 1
            break
        if line[:1] in (b" ", b"\t") and headers:
            headers[-1].raw += b"\n" + line
            i += 1
            continue
        n = _is_header(line)
        if n == 0:
            break
        colon = line.index(b":")
        headers.append(Header(line[:n].decode("ascii"), line[colon + 1:], line[:colon]))
        i += 1
    body = b"".join(l + b"\r\n" for l in lines[i:])
    return headers, body


def _replaced_body(chunks):
    """Postfix splits a replaced body at LF, drops a CR before it, and stores lines; a last
    unterminated line is kept. Delivered, every line ends in CRLF."""
    data = b"".join(chunks)
    lines = data.split(b"\n")
    last = lines.pop()
    out = [(l[:-1] if l.endswith(b"\r") else l) + b"\r\n" for l in lines]
    if last:
        out.append(last + b"\r\n")
    return b"".join(out)


def _crlf(text):
    """Postfix stores a header as lines split at LF (a CR before it stays part of the line) and
    ends every line with CRLF on delivery."""
    return text.replace(b"\n", b"\r\n")


def delivered_message(headers, body, reply, leadspc):
    """The message Postfix delivers after the milter's end-of-message REPLY: the original headers
    with CHGHEADER edits (by name and 1-based occurrence among headers still present; an empty
    value deletes; an occurrence past the last adds), INSHEADER at its position, ADDHEADER at the
    end; the body replaced when any REPLBODY came. Headers the milter set are "Name:" + value when
    LEADSPC was agreed, "Name: " + value otherwise. Lines end in CRLF."""
    sep = b"" if leadspc else b" "
    current = [h.line() for h in headers]
    names = [h.name.lower() for h in headers]
    replaced = []
    for cmd, fields in reply.modifications:
        if cmd == SMFIR_ADDHEADER:
            name, value = fields[0], fields[1]
            current.append(name + b":" + sep + value)
            names.append(name.decode("latin-1").lower())
        elif cmd == SMFIR_INSHEADER:
            index, name, value = fields
            pos = min(index, len(current))
            current.insert(pos, name + b":" + sep + value)
            names.insert(pos, name.decode("latin-1").lower())
        elif cmd == SMFIR_CHGHEADER:
            index, name, value = fields
            key = name.decode("latin-1").lower()
            where = [i for i, n in enumerate(names) if n == key]
            index = max(index, 1)
            if index <= len(where):
                at = where[index - 1]
                if value:
                    current[at] = name + b":" + sep + value
                else:
                    del current[at]
                    del names[at]
            elif value:
                current.append(name + b":" + sep + value)
                names.append(key)
        elif cmd == SMFIR_REPLBODY:
            replaced.append(fields[0])
    head = b"".join(_crlf(h) + b"\r\n" for h in current)
    return head + b"\r\n" + (_replaced_body(replaced) if replaced else body)
