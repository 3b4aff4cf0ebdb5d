#!/usr/bin/env python3
"""Record what a real Cyrus IMAP server answers to each probe.

Usage: cyrus_record.py HOST PORT USER PASSWORD PROBES OUT [TIMEOUT [EVERY]]

PROBES holds one probe per line: "<state>\t<bytes>", where <state> is
noauth, auth or selected and <bytes> is a Python bytes-literal body
(escapes such as \\r\\n are interpreted). Lines starting with # are
comments. Each probe runs on a fresh connection: the script logs in
(unless noauth), SELECTs INBOX (if selected), sends the bytes in one
write, then reads until every tag used in the probe has a tagged reply,
the server closes the connection, or TIMEOUT seconds pass (default 3).
With EVERY=n only every n-th probe is sent (a quicker sample). OUT receives one
JSON object per probe: {"state", "send", "recv"} with recv the raw
server lines after the setup (bytes decoded as latin-1).
"""
import ast, json, re, socket, sys, time

def readline(s, buf):
    while b"\n" not in buf[0]:
        d = s.recv(65536)
        if not d:
            raise EOFError
        buf[0] += d
    line, _, rest = buf[0].partition(b"\n")
    buf[0] = rest
    return line + b"\n"

def setup(host, port, user, pw, state, timeout=3.0):
    s = socket.create_connection((host, port))
    s.settimeout(30)  # logging in may be slow on a loaded machine
    buf = [b""]
    readline(s, buf)  # greeting
    if state in ("auth", "selected"):
        s.sendall(b"S1 LOGIN %s %s\r\n" % (user.encode(), pw.encode()))
        while not readline(s, buf).startswith(b"S1 "):
            pass
    if state == "selected":
        s.sendall(b"S2 SELECT INBOX\r\n")
        while not readline(s, buf).startswith(b"S2 "):
            pass
    s.settimeout(timeout)
    return s, buf

def tags_of(data):
    tags = []
    for line in re.split(rb"\r?\n", data):
        m = re.match(rb"([A-Za-z0-9.]+) ", line)
        if m and m.group(1) not in tags and not m.group(1).isdigit():
            tags.append(m.group(1))
    return tags

def main():
    host, port, user, pw, probes, out = sys.argv[1:7]
    port = int(port)
    timeout = float(sys.argv[7]) if len(sys.argv) > 7 else 3.0
    every = int(sys.argv[8]) if len(sys.argv) > 8 else 1
    # One message in INBOX so that FETCH/STORE 1 can succeed.
    s, buf = setup(host, port, user, pw, "auth")
    msg = b"From: a@example.com\r\nSubject: probe\r\n\r\nhello\r\n"
    s.sendall(b"S3 APPEND INBOX {%d+}\r\n%s\r\n" % (len(msg), msg))
    while not readline(s, buf).startswith(b"S3 "):
        pass
    s.close()
    res = []
    count = 0
    for raw in open(probes, encoding="utf-8"):
        raw = raw.rstrip("\n")
        if not raw or raw.startswith("#"):
            continue
        count += 1
        if (count - 1) % every:
            continue
        state, body = raw.split("\t", 1)
        data = ast.literal_eval("b'" + body.replace("'", "\\'") + "'")
        s, buf = setup(host, port, user, pw, state, timeout)
        s.sendall(data)
        want = set(t for t in tags_of(data))
        got, lines = set(), []
        deadline = time.time() + timeout
        try:
            while time.time() < deadline:
                line = readline(s, buf)
                lines.append(line.decode("latin-1"))
                t = line.split(b" ", 1)[0]
                if t in want:
                    got.add(t)
                    if got == want:
                        break
        except (EOFError, socket.timeout, ConnectionResetError):
            pass
        s.close()
        res.append({"state": state, "send": data.decode("latin-1"), "recv": lines})
    with open(out, "w", encoding="utf-8") as f:
        for r in res:
            f.write(json.dumps(r) + "\n")

main()
