#!/usr/bin/env python3
"""Record what REAL Cyrus 3.6.1 makes of every corpus message.

Starts a private cyrus-ref instance (shared/oracle/cyrus-ref) on free
loopback ports, stores every msgs/*.eml in user.alice's INBOX with IMAP
APPEND (which keeps the bytes as given; munge8bit is turned off so that
8-bit header bytes are kept too), and the few that APPEND refuses (bare LF,
NUL in a header, header names with blanks) by dropping the file into the
spool and running reconstruct. Then, per message, it records:

  - FETCH ENVELOPE, BODYSTRUCTURE, BODY (exact response bytes);
  - the raw cyrus.cache entry (from cache_offset of the cyrus.index
    record) and the record's sentdate, gmtime, size, header_size, GUID
    and cache_crc;
  - for a fixed list of body sections, the length and SHA-1 of
    BODY.PEEK[section] and BINARY.PEEK[section] as Cyrus serves them.

Results go to golden/<message>.json. Needs root (cyrus-ref does).

Run: python3 test/corpus/collect.py [--keep] [--only NAME-SUBSTRING]
"""

import argparse
import base64
import glob
import hashlib
import json
import os
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
MSGS = os.path.join(HERE, "msgs")
GOLDEN = os.path.join(HERE, "golden")
CYRUS_REF = os.environ.get("CYRUS_REF", os.path.join(HERE, "..", "..", "..", "shared", "oracle", "cyrus-ref"))
if not os.path.exists(CYRUS_REF):
    CYRUS_REF = "/work/shared/oracle/cyrus-ref"

# Settings given to the oracle; golden files record them.
ORACLE_OPTS = ["munge8bit=no"]

SECTIONS = ["1", "2", "3", "1.1", "1.2", "2.1", "2.2", "1.1.1", "HEADER", "TEXT",
            "1.MIME", "2.MIME", "1.1.MIME", "1.HEADER", "2.HEADER", "2.TEXT",
            "1.1.HEADER", "2.1.TEXT"]
BINARY_SECTIONS = ["1", "2", "1.1", "1.2", "2.1"]


def free_ports(n):
    socks, ports = [], []
    for _ in range(n):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        socks.append(s)
        ports.append(s.getsockname()[1])
    for s in socks:
        s.close()
    return ports


class IMAP:
    """Just enough IMAP client to keep response bytes exact."""

    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=60)
        self.buf = b""
        self.tagn = 0
        self.readline()  # greeting

    def readline(self):
        while b"\r\n" not in self.buf:
            d = self.sock.recv(65536)
            if not d:
                raise EOFError("connection closed")
            self.buf += d
        i = self.buf.index(b"\r\n") + 2
        line, self.buf = self.buf[:i], self.buf[i:]
        return line

    def readn(self, n):
        while len(self.buf) < n:
            d = self.sock.recv(65536)
            if not d:
                raise EOFError("connection closed")
            self.buf += d
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def read_response_line(self):
        """A full response line, literals included."""
        line = self.readline()
        while line.endswith(b"}\r\n"):
            j = line.rindex(b"{")
            try:
                n = int(line[j + 1:-3])
            except ValueError:
                break
            line += self.readn(n) + self.readline()
        return line

    def command(self, cmd, literal=None):
        self.tagn += 1
        tag = b"T%d" % self.tagn
        if literal is not None:
            self.sock.sendall(tag + b" " + cmd + b" {%d}\r\n" % len(literal))
            line = self.readline()
            if not line.startswith(b"+"):
                return line, []
            self.sock.sendall(literal + b"\r\n")
        else:
            self.sock.sendall(tag + b" " + cmd + b"\r\n")
        untagged = []
        while True:
            line = self.read_response_line()
            if line.startswith(tag + b" "):
                return line, untagged
            untagged.append(line)


def parse_value(b, i):
    """Return end index of the IMAP value starting at b[i]."""
    c = b[i:i + 1]
    if c == b"(":
        depth = 0
        while True:
            c = b[i:i + 1]
            if c == b"(":
                depth += 1
                i += 1
            elif c == b")":
                depth -= 1
                i += 1
                if depth == 0:
                    return i
            elif c == b'"' or c == b"{" or b[i:i + 2] == b"~{":
                i = parse_value(b, i)
            elif c == b"":
                raise ValueError("unbalanced list")
            else:
                i += 1
    if c == b'"':
        i += 1
        while b[i:i + 1] != b'"':
            if i >= len(b):
                raise ValueError("unterminated string")
            if b[i:i + 1] == b"\\":
                i += 1
            i += 1
        return i + 1
    if c == b"{" or b[i:i + 2] == b"~{":
        j = b.index(b"}", i)
        n = int(b[b.index(b"{", i) + 1:j])
        return j + 3 + n
    j = i
    while j < len(b) and b[j:j + 1] not in (b" ", b")"):
        j += 1
    return j


def parse_fetch(line):
    """'* n FETCH (NAME value NAME value)' -> {NAME: value bytes}."""
    i = line.index(b"(")
    i += 1
    items = {}
    while line[i:i + 1] != b")":
        j = i
        while line[j:j + 1] != b" ":
            if j >= len(line):
                raise ValueError("bad FETCH response %r" % line[:200])
            if line[j:j + 1] == b"[":
                j = line.index(b"]", j)
            j += 1
        name = line[i:j].decode()
        k = parse_value(line, j + 1)
        items[name] = line[j + 1:k]
        i = k
        if line[i:i + 1] == b" ":
            i += 1
    return items


def nstring_bytes(v):
    """Decode an IMAP nstring value; None for NIL."""
    if v == b"NIL":
        return None
    if v.startswith(b'"'):
        return v[1:-1]
    if v.startswith(b"{") or v.startswith(b"~{"):
        j = v.index(b"}")
        return v[j + 3:]
    return v


def ref(*args, check=True):
    r = subprocess.run([CYRUS_REF] + list(args), capture_output=True, text=True)
    if check and r.returncode != 0:
        sys.exit("cyrus-ref %s failed: %s%s" % (" ".join(args), r.stdout, r.stderr))
    return r.stdout


def read_records(mbdir):
    with open(os.path.join(mbdir, "cyrus.index"), "rb") as f:
        idx = f.read()
    cache = b""
    if os.path.exists(os.path.join(mbdir, "cyrus.cache")):
        with open(os.path.join(mbdir, "cyrus.cache"), "rb") as f:
            cache = f.read()
    start, recsize, num = struct.unpack(">III", idx[12:24])
    recs = {}
    for n in range(num):
        r = idx[start + n * recsize:start + (n + 1) * recsize]
        uid, internaldate, sentdate, size, header_size, gmtime, off_lo = struct.unpack(">IIIIIII", r[:28])
        verfield, = struct.unpack(">I", r[56:60])
        off = off_lo | ((verfield & 0xFFFF0000) << 16)
        guid = r[60:80].hex()
        cache_crc, = struct.unpack(">I", r[104:108])
        p = off
        for _ in range(10):
            ln, = struct.unpack(">I", cache[p:p + 4])
            p += 4 + ((ln + 3) & ~3)
        recs[uid] = dict(internaldate=internaldate, sentdate=sentdate, gmtime=gmtime, size=size, header_size=header_size,
                         guid=guid, cache_crc=cache_crc, cache_version=verfield & 0xFFFF,
                         cache=cache[off:p])
    return recs


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--keep", action="store_true", help="leave the instance running")
    ap.add_argument("--only", default="", help="only messages whose name contains this")
    args = ap.parse_args()

    files = sorted(glob.glob(os.path.join(MSGS, "*.eml")))
    files = [f for f in files if args.only in os.path.basename(f)]
    if not files:
        sys.exit("no messages")

    base = tempfile.mkdtemp(prefix="gyrus-corpus-", dir="/tmp")
    os.chmod(base, 0o755)
    inst = os.path.join(base, "cyrus")
    imap, pop, lmtp, sieve, sync = free_ports(5)
    optargs = []
    for o in ORACLE_OPTS:
        optargs += ["--opt", o]
    ref("start", inst, "--imap", str(imap), "--pop3", str(pop), "--lmtp", str(lmtp),
        "--sieve", str(sieve), "--sync", str(sync), "--no-tls", *optargs)
    try:
        ref("adduser", inst, "alice", "alicepw")
        c = IMAP(imap)
        c.command(b"LOGIN alice alicepw")
        uid_of = {}
        rejected = []
        for f in files:
            data = open(f, "rb").read()
            tagged, _ = c.command(b"APPEND INBOX", data)
            if b" OK " in tagged:
                uid = int(tagged.split(b"APPENDUID ")[1].split(b" ")[1].split(b"]")[0])
                uid_of[f] = ("append", uid)
            else:
                rejected.append(f)
        c.command(b"LOGOUT")

        # Messages APPEND refused go to their own mailbox, so that
        # reconstruct (which rewrites records it re-parses differently,
        # e.g. dates past 2106) never touches the APPENDed ones.
        mbdir = ref("tool", inst, "mbpath", "user.alice").strip().splitlines()[-1]
        recs = {"INBOX": read_records(mbdir)}
        if rejected:
            c = IMAP(imap)
            c.command(b"LOGIN alice alicepw")
            c.command(b"CREATE INBOX.raw")
            c.command(b"LOGOUT")
            rawdir = ref("tool", inst, "mbpath", "user.alice.raw").strip().splitlines()[-1]
            for k, f in enumerate(rejected):
                uid = 1 + k
                dst = os.path.join(rawdir, "%d." % uid)
                shutil.copyfile(f, dst)
                shutil.chown(dst, "cyrus", "mail")
                uid_of[f] = ("reconstruct", uid)
            ref("tool", inst, "reconstruct", "user.alice.raw")
            recs["INBOX.raw"] = read_records(rawdir)

        c = IMAP(imap)
        c.command(b"LOGIN alice alicepw")
        os.makedirs(GOLDEN, exist_ok=True)
        if not args.only:
            for old in glob.glob(os.path.join(GOLDEN, "*.json")):
                os.unlink(old)
        selected = None
        for f in files:
            how, uid = uid_of[f]
            box = "INBOX" if how == "append" else "INBOX.raw"
            if box != selected:
                c.command(b"EXAMINE " + box.encode())
                selected = box
            rec = recs[box][uid]
            data = open(f, "rb").read()
            if rec["guid"] != hashlib.sha1(data).hexdigest():
                sys.exit("%s: stored file differs from the corpus file" % f)
            items = " ".join(["ENVELOPE", "BODYSTRUCTURE", "BODY"] + ["BODY.PEEK[%s]" % s for s in SECTIONS])
            tagged, untagged = c.command(b"UID FETCH %d (%s)" % (uid, items.encode()))
            fetch = {}
            for u in untagged:
                if b" FETCH (" in u:
                    fetch.update(parse_fetch(u))
            sections = {}
            for s in SECTIONS:
                v = nstring_bytes(fetch.get("BODY[%s]" % s, b"NIL"))
                sections[s] = None if v is None else {"len": len(v), "sha1": hashlib.sha1(v).hexdigest()}
            binary = {}
            for s in BINARY_SECTIONS:
                tagged, untagged = c.command(b"UID FETCH %d (BINARY.PEEK[%s])" % (uid, s.encode()))
                if b" OK " not in tagged:
                    binary[s] = {"error": tagged.split(b" ", 2)[2].strip().decode("latin-1")}
                    continue
                got = None
                for u in untagged:
                    if b" FETCH (" in u:
                        got = parse_fetch(u).get("BINARY[%s]" % s)
                if got is None:
                    # Cyrus leaves the item out when it cannot decode
                    # the part (unknown transfer encoding).
                    binary[s] = {"error": "omitted"}
                    continue
                v = nstring_bytes(got)
                if got is not None and got.startswith(b"~{"):
                    j = got.index(b"}")
                    v = got[j + 3:]
                binary[s] = None if v is None else {"len": len(v), "sha1": hashlib.sha1(v).hexdigest()}
            out = {
                "message": os.path.basename(f),
                "delivery": how,
                "oracle": "cyrus-imapd 3.6.1 (Debian 12 cyrus-common) options: " + " ".join(ORACLE_OPTS),
                "envelope": base64.b64encode(fetch["ENVELOPE"]).decode(),
                "bodystructure": base64.b64encode(fetch["BODYSTRUCTURE"]).decode(),
                "body": base64.b64encode(fetch["BODY"]).decode(),
                "cache": base64.b64encode(rec["cache"]).decode(),
                "cache_crc": rec["cache_crc"],
                "cache_version": rec["cache_version"],
                "internaldate": rec["internaldate"],
                "sentdate": rec["sentdate"],
                "gmtime": rec["gmtime"],
                "size": rec["size"],
                "header_size": rec["header_size"],
                "guid": rec["guid"],
                "sections": sections,
                "binary": binary,
            }
            name = os.path.basename(f)[:-4]
            with open(os.path.join(GOLDEN, name + ".json"), "w") as g:
                json.dump(out, g, indent=1, sort_keys=True)
                g.write("\n")
        c.command(b"LOGOUT")
        print("%d messages recorded (%d by reconstruct) in %s" % (len(files), len(rejected), GOLDEN))
    finally:
        if args.keep:
            print("instance left running in", inst)
        else:
            ref("stop", inst, check=False)
            shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
