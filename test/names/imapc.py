"""A small raw IMAP client for the oracle collectors in test/names.

It writes every argument itself (quoted string or LITERAL+ literal) so
that odd mailbox names reach the server byte for byte, and it parses the
few response shapes the collectors need (LIST, STATUS, ACL, MYRIGHTS,
LISTRIGHTS). Python's imaplib re-quotes and re-encodes names, which is
exactly what these tests must avoid.
"""

import re
import socket


class Error(Exception):
    pass


def astring(s):
    """Quote bytes s as an IMAP astring: "..." when safe, else {n+} literal."""
    if isinstance(s, str):
        s = s.encode("utf-8", "surrogateescape")
    if all(0x20 <= b < 0x7F and b not in b'"\\' for b in s):
        return b'"' + s + b'"'
    return b"{%d+}\r\n" % len(s) + s


class Conn:
    def __init__(self, port, host="127.0.0.1", timeout=30):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.buf = b""
        self.tagn = 0
        self.greeting = self._line()

    def _fill(self):
        data = self.sock.recv(65536)
        if not data:
            raise Error("connection closed")
        self.buf += data

    def _line(self):
        """One response line with any literals inlined (CRLF stripped)."""
        out = b""
        while True:
            while b"\r\n" not in self.buf:
                self._fill()
            line, self.buf = self.buf.split(b"\r\n", 1)
            m = re.search(rb"\{(\d+)\}$", line)
            if not m:
                return out + line
            n = int(m.group(1))
            while len(self.buf) < n:
                self._fill()
            out += line + b"\r\n" + self.buf[:n]
            self.buf = self.buf[n:]

    def cmd(self, *args):
        """Send one command; return (status, text, untagged lines)."""
        self.tagn += 1
        tag = b"T%d" % self.tagn
        parts = [tag]
        for a in args:
            parts.append(a if isinstance(a, bytes) else a.encode())
        self.sock.sendall(b" ".join(parts) + b"\r\n")
        untagged = []
        while True:
            line = self._line()
            if line.startswith(tag + b" "):
                rest = line[len(tag) + 1:]
                st, _, text = rest.partition(b" ")
                return st.decode(), text.decode("utf-8", "replace"), untagged
            if line.startswith(b"+"):
                raise Error("unexpected continuation: %r" % line)
            untagged.append(line)

    def login(self, user, pw):
        st, text, _ = self.cmd(b"LOGIN", astring(user), astring(pw))
        if st != "OK":
            raise Error("login %s: %s %s" % (user, st, text))

    def close(self):
        try:
            self.cmd(b"LOGOUT")
        except Exception:
            pass
        self.sock.close()


class Tokens:
    """Tokenizer for the data part of an untagged response."""

    def __init__(self, data):
        self.d = data
        self.i = 0

    def ws(self):
        while self.i < len(self.d) and self.d[self.i] == 0x20:
            self.i += 1

    def peek(self):
        self.ws()
        return self.d[self.i:self.i + 1]

    def string(self):
        """atom, quoted, literal or NIL (None)."""
        self.ws()
        d = self.d
        if d[self.i:self.i + 1] == b'"':
            self.i += 1
            out = bytearray()
            while d[self.i] != 0x22:
                if d[self.i] == 0x5C:
                    self.i += 1
                out.append(d[self.i])
                self.i += 1
            self.i += 1
            return bytes(out)
        if d[self.i:self.i + 1] == b"{":
            m = re.match(rb"\{(\d+)\+?\}\r\n", d[self.i:])
            n = int(m.group(1))
            self.i += m.end()
            s = d[self.i:self.i + n]
            self.i += n
            return s
        m = re.match(rb"[^ ()\"\r\n]+", d[self.i:])
        if not m:
            raise Error("no string at %r" % d[self.i:])
        self.i += m.end()
        s = m.group(0)
        return None if s == b"NIL" else s

    def plist(self):
        """A parenthesised list, as nested Python lists of bytes."""
        self.ws()
        assert self.d[self.i:self.i + 1] == b"(", self.d[self.i:]
        self.i += 1
        out = []
        while True:
            self.ws()
            c = self.d[self.i:self.i + 1]
            if c == b")":
                self.i += 1
                return out
            if c == b"(":
                out.append(self.plist())
            else:
                out.append(self.string())

    def rest(self):
        self.ws()
        return self.d[self.i:]


def parse_list(line):
    """'* LIST (flags) "sep" name' -> (flags, sep, name bytes) or None."""
    if not line.startswith(b"* LIST "):
        return None
    t = Tokens(line[len(b"* LIST "):])
    flags = t.plist()
    sep = t.string()
    name = t.string()
    return flags, sep, name


def parse_status(line):
    """'* STATUS name (K V ...)' -> (name bytes, dict) or None."""
    if not line.startswith(b"* STATUS "):
        return None
    t = Tokens(line[len(b"* STATUS "):])
    name = t.string()
    items = t.plist()
    d = {}
    for k, v in zip(items[0::2], items[1::2]):
        d[k.decode()] = v
    return name, d
