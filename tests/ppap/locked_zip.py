"""Password-protected zips for the PPAP tests, written here byte by byte so a test controls what
no archiver would write: traversal names, a member that inflates past every limit, a password
in any charset. Traditional PKWARE encryption ("ZipCrypto", APPNOTE 6.1), deflated or stored.
Python's zipfile reads them back (the self-check below), so they are real zips.

Usage as a script: locked_zip.py OUT.zip PASSWORD NAME=TEXT... (for a shell test)."""
import os, struct, sys, zlib


def _crc_byte(key, byte):
    # CRC-32 of one byte without zlib's pre/post inversion, as the cipher needs.
    return zlib.crc32(bytes([byte]), key ^ 0xFFFFFFFF) ^ 0xFFFFFFFF


class _Cipher:
    def __init__(self, password):
        self.k = [0x12345678, 0x23456789, 0x34567890]
        for b in password:
            self._update(b)

    def _update(self, b):
        k = self.k
        k[0] = _crc_byte(k[0], b)
        k[1] = ((k[1] + (k[0] & 0xFF)) * 134775813 + 1) & 0xFFFFFFFF
        k[2] = _crc_byte(k[2], k[1] >> 24)

    def encrypt(self, data):
        out = bytearray()
        for p in data:
            t = (self.k[2] | 2) & 0xFFFF
            out.append(p ^ (((t * (t ^ 1)) >> 8) & 0xFF))
            self._update(p)
        return bytes(out)


def locked_zip(members, password, deflate=True, encrypt=True):
    """The bytes of a zip holding MEMBERS ([(name, bytes)] in order), each encrypted with
    PASSWORD (str, UTF-8) when ENCRYPT."""
    pw = password.encode("utf-8") if isinstance(password, str) else password
    local, central = bytearray(), bytearray()
    for name, data in members:
        raw_name = name.encode("utf-8")
        crc = zlib.crc32(data) & 0xFFFFFFFF
        if deflate:
            c = zlib.compressobj(9, zlib.DEFLATED, -15)
            body = c.compress(data) + c.flush()
        else:
            body = data
        flags = 0x800  # UTF-8 names
        if encrypt:
            flags |= 1
            header = os.urandom(11) + bytes([crc >> 24])  # the check byte: the CRC's high byte
            body = _Cipher(pw).encrypt(header + body)
        method = 8 if deflate else 0
        offset = len(local)
        local += struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, flags, method, 0, 0x21, crc,
                             len(body), len(data), len(raw_name), 0) + raw_name + body
        central += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, flags, method, 0, 0x21,
                               crc, len(body), len(data), len(raw_name), 0, 0, 0, 0, 0o100644 << 16,
                               offset) + raw_name
    eocd = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(members), len(members), len(central),
                       len(local), 0)
    return bytes(local + central + eocd)


def _self_check():
    import io, zipfile
    data = locked_zip([("a/メモ.txt", "中身です\n".encode()), ("b.bin", b"\0" * 1000)], "p@ss")
    z = zipfile.ZipFile(io.BytesIO(data))
    assert z.read("a/メモ.txt", pwd=b"p@ss") == "中身です\n".encode()
    assert z.read("b.bin", pwd=b"p@ss") == b"\0" * 1000
    try:
        z.read("b.bin", pwd=b"wrong")
    except RuntimeError:
        pass  # "Bad password"
    except zipfile.BadZipFile:
        pass  # the 1-in-256 check byte passed, the CRC did not
    else:
        raise AssertionError("a wrong password opened it")


if __name__ == "__main__":
    _self_check()
    if len(sys.argv) >= 4:
        members = [(a.split("=", 1)[0], a.split("=", 1)[1].encode()) for a in sys.argv[3:]]
        with open(sys.argv[1], "wb") as f:
            f.write(locked_zip(members, sys.argv[2]))
