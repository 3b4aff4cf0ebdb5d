#!/usr/bin/env python3
"""Records real Cyrus 3.6.1's answers to commands.txt over the corpus of
msgs/ (manifest.txt, stores.txt) into golden.txt.

  python3 record.py [--keep]     (root; uses shared/oracle/cyrus-ref)

golden.txt: "= FETCH" lines give each message's UID, FLAGS and MODSEQ
after the setup; then for each command "> command", its untagged answer
lines, and "< STATUS" (OK/NO/BAD). Non-ASCII literals «...» are sent as
non-synchronizing literals."""
import os, re, socket, subprocess, sys, tempfile, time

here = os.path.dirname(os.path.abspath(__file__))
oracle = os.path.join(here, "..", "..", "..", "shared", "oracle", "cyrus-ref")
if not os.path.exists(oracle):
    oracle = "/work/shared/oracle/cyrus-ref"

def free_port():
    s = socket.socket(); s.bind(("127.0.0.1", 0)); p = s.getsockname()[1]; s.close(); return p

def expand(cmd):
    """«text» / «cs:text» to literal{n+} bytes."""
    out = b""
    pos = 0
    for m in re.finditer("«([^»]*)»", cmd):
        out += cmd[pos:m.start()].encode()
        text, cs = m.group(1), "utf-8"
        mm = re.match(r"^([a-z0-9_-]+):(.*)$", text)
        if mm:
            cs, text = mm.group(1), mm.group(2)
        b = text.encode(cs)
        out += b"{%d+}\r\n" % len(b) + b
        pos = m.end()
    return out + cmd[pos:].encode()

class Client:
    def __init__(self, port):
        self.s = socket.create_connection(("127.0.0.1", port))
        self.f = self.s.makefile("rb")
        self.n = 0
        self.f.readline()
    def cmd(self, raw):
        self.n += 1
        tag = b"t%d" % self.n
        self.s.sendall(tag + b" " + raw + b"\r\n")
        lines = []
        while True:
            l = self.f.readline()
            if not l:
                raise EOFError
            m = re.match(rb"\{(\d+)\}\r\n$", l[-12:]) if l.endswith(b"}\r\n") else None
            if m:
                n = int(re.search(rb"\{(\d+)\}\r\n$", l).group(1))
                l = l + self.f.read(n) + self.f.readline()
            if l.startswith(tag + b" "):
                return lines, l[len(tag) + 1:].split(b" ")[0].decode()
            lines.append(l.rstrip(b"\r\n"))

def main():
    keep = "--keep" in sys.argv
    top = tempfile.mkdtemp(prefix="searchrec", dir="/tmp")
    os.chmod(top, 0o755)
    d = os.path.join(top, "cy")
    ports = [free_port() for _ in range(5)]
    subprocess.run([oracle, "start", d, "--imap", str(ports[0]), "--pop3", str(ports[1]), "--lmtp", str(ports[2]),
                    "--sieve", str(ports[3]), "--sync", str(ports[4]), "--no-tls"], check=True, stdout=subprocess.DEVNULL)
    try:
        subprocess.run([oracle, "adduser", d, "alice", "alicepw"], check=True, stdout=subprocess.DEVNULL)
        c = Client(ports[0])
        c.cmd(b"LOGIN alice alicepw")
        for line in open(os.path.join(here, "manifest.txt")):
            if line.startswith("#") or not line.strip():
                continue
            name, date, flags = line.rstrip("\n").split("\t")
            data = open(os.path.join(here, "msgs", name), "rb").read()
            _, st = c.cmd(b'APPEND INBOX (%s) "%s" {%d+}\r\n' % (flags.encode(), date.encode(), len(data)) + data)
            assert st == "OK", (name, st)
        c.cmd(b"SELECT INBOX")
        for line in open(os.path.join(here, "stores.txt")):
            if line.startswith("#") or not line.strip():
                continue
            seq, mode, flags = line.split(None, 2)
            item = {"+": "+FLAGS.SILENT", "-": "-FLAGS.SILENT"}.get(mode, "FLAGS.SILENT")
            _, st = c.cmd(b"STORE %s %s (%s)" % (seq.encode(), item.encode(), flags.strip().encode()))
            assert st == "OK"
        out = []
        lines, _ = c.cmd(b"FETCH 1:* (UID FLAGS MODSEQ)")
        out += [b"= " + l for l in lines]
        for cmd in open(os.path.join(here, "commands.txt"), encoding="utf-8"):
            cmd = cmd.rstrip("\n")
            if not cmd or cmd.startswith("#"):
                continue
            lines, st = c.cmd(expand(cmd))
            out.append(b"> " + cmd.encode())
            out += lines
            out.append(b"< " + st.encode())
        c.cmd(b"LOGOUT")
        with open(os.path.join(here, "golden.txt"), "wb") as f:
            f.write(b"# Real Cyrus 3.6.1 answers, written by record.py (TZ=%s)\n" % time.strftime("%Z").encode())
            f.write(b"\n".join(out) + b"\n")
    finally:
        if not keep:
            subprocess.run([oracle, "stop", d], stdout=subprocess.DEVNULL)

main()
