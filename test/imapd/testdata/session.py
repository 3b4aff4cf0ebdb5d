#!/usr/bin/env python3
"""A mail client's session with Python's imaplib, for test/imapd.

Usage: session.py HOST PORT USER PASSWORD [--tls starttls|imaps]

Modes:
  (default)  the full session on the user's INBOX: SELECT, header sync
             FETCH 1:* (UID FLAGS RFC822.SIZE ENVELOPE), body sync
             BODY.PEEK[] in batches, STORE, UID SEARCH, UID MOVE, IDLE.
             While idling it prints "IDLING" and waits (at most 10 s) for
             an EXISTS, then prints "EXISTS <n>"; the Go test delivers a
             message when it reads "IDLING".
  --tls X    STARTTLS (X=starttls) or implicit TLS (X=imaps), then
             LOGIN, SELECT INBOX and LOGOUT.

The last line is a JSON object of what the server answered; the Go test
(python_test.go) compares it with the corpus. Nothing is asserted here
beyond the protocol status of each command (an error ends the script
with a traceback and a non-zero status).
"""
import hashlib
import imaplib
import json
import re
import socket
import ssl
import sys
import time


def ok(res, what):
    typ, data = res
    if typ != "OK":
        raise SystemExit("%s: %s %r" % (what, typ, data))
    return data


def fetch_records(data):
    """Split imaplib's FETCH data into (header text, [literals]) per message."""
    recs = []
    for el in data:
        if isinstance(el, tuple):
            head, lit = el
            if re.match(rb"^\d+ \(", head):
                recs.append([head, [lit]])
            else:
                recs[-1][0] += head
                recs[-1][1].append(lit)
        elif el == b")":
            continue
        elif re.match(rb"^\d+ \(", el):
            recs.append([el, []])
        elif recs:
            recs[-1][0] += el
    return recs


def tls_check(host, port, user, password, mode):
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    if mode == "imaps":
        c = imaplib.IMAP4_SSL(host, port, ssl_context=ctx)
    else:
        c = imaplib.IMAP4(host, port)
        caps_before = list(c.capabilities)
        ok(c.starttls(ssl_context=ctx), "STARTTLS")
    out = {"mode": mode, "cipher": c.sock.cipher()[0], "version": c.sock.version()}
    if mode == "starttls":
        out["caps_before"] = caps_before
    out["caps"] = list(c.capabilities)
    ok(c.login(user, password), "LOGIN")
    out["exists"] = int(ok(c.select("INBOX"), "SELECT")[0])
    c.logout()
    print(json.dumps(out))


def session(host, port, user, password):
    out = {"timings": []}
    t_start = time.time()
    out["t_launch"] = t_start

    def mark(label):
        out["timings"].append("%s %.3f" % (label, time.time() - t_start))

    c = imaplib.IMAP4(host, port)
    out["greeting"] = c.welcome.decode()
    ok(c.login(user, password), "LOGIN")
    out["caps"] = list(c.capabilities)
    mark("login")
    n = int(ok(c.select("INBOX"), "SELECT")[0])
    out["exists"] = n
    out["uidvalidity"] = int(c.untagged_responses.get("UIDVALIDITY", [b"0"])[0])

    # header sync
    t0 = time.time()
    data = ok(c.fetch("1:*", "(UID FLAGS RFC822.SIZE ENVELOPE)"), "FETCH headers")
    out["t_fetch_headers"] = time.time() - t0
    recs = fetch_records(data)
    uids, sizes, msgids = [], [], []
    for head, lits in recs:
        text = head + b"".join(lits)
        uids.append(int(re.search(rb"UID (\d+)", head).group(1)))
        sizes.append(int(re.search(rb"RFC822\.SIZE (\d+)", head).group(1)))
        # the message-id is the envelope's 10th field: take the last <...>
        # of the envelope text (no In-Reply-To after it holds one)
        ids = re.findall(rb'"<([^<>"]+)>"', text)
        msgids.append(ids[-1].decode() if ids else "")
    out["fetched"] = len(recs)
    out["uids"] = uids
    out["sizes"] = sizes
    out["message_ids"] = msgids

    # body sync, 500 at a time; sha256 over all bodies in UID order
    t0 = time.time()
    h = hashlib.sha256()
    bodies = 0
    for start in range(1, n + 1, 500):
        stop = min(start + 499, n)
        data = ok(c.fetch("%d:%d" % (start, stop), "(UID BODY.PEEK[])"), "FETCH bodies")
        for head, lits in fetch_records(data):
            if len(lits) != 1:
                raise SystemExit("FETCH BODY.PEEK[]: %r has %d literals" % (head, len(lits)))
            h.update(lits[0])
            bodies += 1
    out["t_fetch_bodies"] = time.time() - t0
    out["bodies"] = bodies
    out["bodies_sha256"] = h.hexdigest()

    mark("bodies")
    # flags
    ok(c.store("1:20", "+FLAGS", "(\\Flagged)"), "STORE +FLAGS")
    ok(c.store("21:40", "+FLAGS.SILENT", "(\\Seen $Later)"), "STORE +FLAGS.SILENT")
    ok(c.uid("STORE", "5", "-FLAGS", "(\\Flagged)"), "UID STORE -FLAGS")

    mark("store")
    def usearch(*crit):
        data = ok(c.uid("SEARCH", *crit), "UID SEARCH %s" % " ".join(crit))
        return [int(x) for x in data[0].split()]

    out["search_flagged"] = usearch("FLAGGED")
    out["search_keyword"] = usearch("KEYWORD", "$Later")
    out["search_seen"] = usearch("SEEN")
    out["search_body"] = usearch("BODY", "zephyrine")
    out["search_or"] = usearch("OR", "FLAGGED", "KEYWORD", "$Later")
    out["search_larger"] = usearch("LARGER", "5000")

    mark("search")
    # UID MOVE (RFC 6851) of UIDs 1:10 to INBOX.Archive
    typ, data = c.uid("MOVE", "1:10", "INBOX.Archive")
    out["move"] = typ
    out["move_copyuid"] = [x.decode() if isinstance(x, bytes) else x for x in c.untagged_responses.pop("COPYUID", [])]
    out["status_archive"] = ok(c.status("INBOX.Archive", "(MESSAGES UIDNEXT)"), "STATUS")[0].decode()
    out["after_move"] = int(ok(c.select("INBOX"), "SELECT again")[0])

    mark("move")
    # IDLE (RFC 2177): imaplib 3.11 has no idle(); speak it
    tag = c._new_tag()
    c.send(tag + b" IDLE\r\n")
    line = c.readline()
    if not line.startswith(b"+"):
        raise SystemExit("IDLE: %r" % line)
    print("IDLING", flush=True)
    c.sock.settimeout(10)
    exists = None
    t0 = time.time()
    try:
        while exists is None:
            line = c.readline()
            m = re.match(rb"\* (\d+) EXISTS", line)
            if m:
                exists = int(m.group(1))
    except socket.timeout:
        pass
    out["idle_exists"] = exists
    out["idle_wait"] = time.time() - t0
    print("EXISTS %s" % exists, flush=True)
    c.sock.settimeout(30)
    c.send(b"DONE\r\n")
    while True:
        line = c.readline()
        if line.startswith(tag):
            out["idle_done"] = line.decode().strip()
            break
    mark("idle")
    data = ok(c.uid("FETCH", "*", "(UID ENVELOPE)"), "UID FETCH *")
    out["newest"] = b"".join(x[0] + x[1] if isinstance(x, tuple) else x for x in data).decode("utf-8", "replace")
    out["logout"] = c.logout()[0]
    mark("logout")
    print(json.dumps(out))


def main():
    host, port, user, password = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
    if "--tls" in sys.argv:
        tls_check(host, port, user, password, sys.argv[sys.argv.index("--tls") + 1])
    else:
        session(host, port, user, password)


if __name__ == "__main__":
    main()
