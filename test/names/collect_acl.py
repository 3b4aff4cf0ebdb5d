#!/usr/bin/env python3
"""Collect how the real Cyrus 3.6.1 handles ACLs.

Part "sequences": SETACL/DELETEACL steps by the admin, the owner and
other users on a user's folder and on a shared folder; after each step
the ACL as the admin's GETACL shows it. Part "evals": a table of ACLs;
for each, MYRIGHTS, GETACL, EXAMINE and LISTRIGHTS as several users and
as the admin. lib/acl's oracle_test.go replays both against lib/acl.

usage: collect_acl.py [-o ../../lib/acl/testdata/cyrus_acl.json]
Needs root (cyrus-ref). Takes well under a minute.
"""

import argparse
import grp
import json
import os
import pwd
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import imapc  # noqa: E402
from collect_names import ADMIN, ADMIN_PW, CYRUS_REF, Instance, encode, run  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))

# "mail" is also a system user whose primary group is "mail", so a login
# as mail carries that group (auth_unix asks getgrouplist).
USERS = {"alice": "alicepw", "bob": "bobpw", "carol": "carolpw", "mail": "mailpw"}

OWNED = "user.alice.acl1"
SHARED = "acl2"

# (actor, mailbox, identifier, rights or None for DELETEACL)
SEQUENCES = [
    ("admin", OWNED, "bob", "lrs"), ("admin", OWNED, "bob", "+w"), ("admin", OWNED, "bob", "-r"),
    ("admin", OWNED, "bob", "lrswipkxtecdan"), ("admin", OWNED, "bob", "c"), ("admin", OWNED, "bob", "d"),
    ("admin", OWNED, "bob", "cd"), ("admin", OWNED, "bob", "ck"), ("admin", OWNED, "bob", "dt"),
    ("admin", OWNED, "bob", "x"), ("admin", OWNED, "bob", "lrsX"), ("admin", OWNED, "bob", ""),
    ("admin", OWNED, "bob", "lr"), ("admin", OWNED, "bob", None), ("admin", OWNED, "-bob", "w"),
    ("admin", OWNED, "-bob", "+r"), ("admin", OWNED, "anyone", "lr"), ("admin", OWNED, "anonymous", "l"),
    ("admin", OWNED, "Bob", "lr"), ("admin", OWNED, "BOB", "+s"), ("admin", OWNED, "group:nosuchgroup", "l"),
    ("admin", OWNED, "group:mail", "l"), ("admin", OWNED, "-group:mail", "r"), ("admin", OWNED, "alice", "l"),
    ("admin", OWNED, "alice", "-a"), ("admin", OWNED, "alice", None), ("admin", OWNED, "", "l"),
    ("admin", OWNED, "a b", "l"), ("admin", OWNED, "x%y", "l"), ("admin", OWNED, "bob@internal", "w"),
    ("admin", OWNED, "u" * 90, "l"), ("admin", OWNED, "u" * 80, "l"), ("admin", OWNED, "u" * 81, "l"),
    ("admin", OWNED, "nosuch", None), ("admin", OWNED, "x%y", None),
    ("admin", OWNED, "bob", "+"), ("admin", OWNED, "bob", "0123456789"), ("admin", OWNED, "bob", "+c"),
    ("admin", OWNED, "bob", "-c"), ("admin", OWNED, "carol", "l r"), ("admin", OWNED, "bob", "+-l"),
    ("admin", OWNED, "bob", "p"), ("admin", OWNED, "-alice", "l"), ("admin", OWNED, "-alice", "lrs"),
    ("admin", OWNED, "anyone", None), ("admin", OWNED, "-bob", None), ("admin", OWNED, "-group:mail", None),
    ("admin", OWNED, "anybody", "l"), ("admin", OWNED, "cyrus", "lr"),
    ("alice", OWNED, "bob", "lr"), ("alice", OWNED, "alice", "lr"), ("alice", OWNED, "alice", "+lr"),
    ("alice", OWNED, "alice", "-a"), ("alice", OWNED, "alice", "-r"), ("alice", OWNED, "alice", None),
    ("alice", OWNED, "alice", ""), ("alice", OWNED, "anyone", "l"), ("alice", OWNED, "-alice", "l"),
    ("alice", OWNED, "-alice", "r"), ("alice", OWNED, "alice", "lrswipkxtecdan"), ("alice", OWNED, "bob", ""),
    ("alice", OWNED, "bob", "lrsQ"),
    ("bob", OWNED, "carol", "l"), ("admin", OWNED, "bob", "l"), ("bob", OWNED, "carol", "l"),
    ("bob", OWNED, "carol", "lrsQ"), ("admin", OWNED, "bob", "la"), ("bob", OWNED, "carol", "lr"),
    ("bob", OWNED, "alice", "l"), ("bob", OWNED, "alice", "+r"), ("bob", OWNED, "alice", "-k"),
    ("bob", OWNED, "alice", "-a"), ("bob", OWNED, "alice", None), ("bob", OWNED, "bob", ""),
    ("admin", OWNED, "alice", "lrswipkxtecdan"), ("admin", OWNED, "alice", "-a"), ("alice", OWNED, "bob", "l"),
    ("admin", SHARED, "anyone", None), ("admin", SHARED, "bob", "lrs"), ("admin", SHARED, "group:mail", "lr"),
    ("admin", SHARED, "bob", "lrswipkxtecdan"), ("bob", SHARED, "anyone", "lrs"), ("bob", SHARED, "bob", ""),
    ("admin", SHARED, "carol", "la"), ("carol", SHARED, "carol", None), ("admin", SHARED, "alice", "l"),
    ("alice", SHARED, "alice", "lrs"), ("mail", SHARED, "mail", "lrs"), ("admin", SHARED, "group:mail", "lra"),
    ("mail", SHARED, "mail", "lrs"), ("mail", SHARED, "-group:mail", "a"), ("mail", SHARED, "bob", "l"),
]

# ACLs for the evaluation table, set in this order on a fresh mailbox.
EVALS = [
    [], [("anyone", "lrs")], [("bob", "lrs")], [("bob", "lrswipkxtecdan")],
    [("anyone", "lrswipkxtecdan"), ("-bob", "w")], [("anyone", "lr"), ("-anyone", "r")],
    [("bob", "r")], [("bob", "a")], [("bob", "l")], [("group:mail", "lrs")],
    [("group:mail", "lrswipkxtecdan"), ("-mail", "s")], [("anyone", "lrs"), ("-group:mail", "lrs")],
    [("bob", "lrs"), ("-bob", "l")], [("bob", "i")], [("bob", "p")], [("bob", "x")], [("bob", "k")],
    [("carol", "lrswipkxtecdan"), ("bob", "k")], [("anonymous", "lrs")], [("bob", "0123456789")],
    [("bob", "lrcd")], [("bob", "lwa")], [("-anyone", "l"), ("bob", "lr")], [("bob", "t")], [("bob", "e")],
    [("bob", "n")], [("bob", "s")], [("alice", "lr")], [("-alice", "lr")], [("cyrus", "lr")],
]

VIEWERS = ["alice", "bob", "carol", "mail", "admin"]
LISTRIGHTS_IDS = ["alice", "bob", "anyone", "anybody", "anonymous", "group:mail", "cyrus", "Bob", "x%y",
                  "bob@internal", ""]


def groups_of(user):
    """What auth_unix gives a login: getgrouplist of the system user."""
    try:
        pw = pwd.getpwnam(user)
    except KeyError:
        return []
    return sorted({grp.getgrgid(g).gr_name for g in os.getgrouplist(user, pw.pw_gid)})


def parse_acl(lines):
    for ln in lines:
        if ln.startswith(b"* ACL "):
            t = imapc.Tokens(ln[len(b"* ACL "):])
            t.string()
            pairs = []
            while t.peek():
                k = t.string()
                v = t.string()
                pairs.append([k.decode(), v.decode()])
            return pairs
    return None


def untagged(lines, prefix):
    for ln in lines:
        if ln.startswith(prefix):
            return ln[len(prefix):].decode("utf-8", "replace")
    return None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("-o", default=os.path.join(HERE, "..", "..", "lib", "acl", "testdata", "cyrus_acl.json"))
    ap.add_argument("--keep", action="store_true")
    ap.add_argument("--quick", action="store_true", help="every third ACL of the table only")
    args = ap.parse_args()
    if os.geteuid() != 0:
        print("collect_acl.py: needs root (cyrus-ref)", file=sys.stderr)
        return 77
    base = tempfile.mkdtemp(prefix="gyrus-acl-", dir="/tmp")
    os.chmod(base, 0o755)
    inst = Instance(base, {"id": "acl", "opts": {"altnamespace": "no", "unixhierarchysep": "no"}})
    out = {"cyrus": "cyrus-common " + run("dpkg-query", "-W", "-f", "${Version}", "cyrus-common",
                                          check=False).stdout.strip()}
    inst.start()
    try:
        for u, pw in USERS.items():
            if not inst.adduser(u, pw):
                raise RuntimeError("adduser %s" % u)
        conns = {u: inst.conn(u, pw) for u, pw in USERS.items()}
        conns["admin"] = inst.conn(ADMIN, ADMIN_PW)
        admin = conns["admin"]
        out["identities"] = {v: {"userid": ADMIN if v == "admin" else v, "groups": groups_of(ADMIN if v == "admin" else v),
                                 "admin": v == "admin"} for v in VIEWERS}
        with open(os.path.join(inst.dir, "etc", "imapd.conf")) as f:
            conf = dict(l.split(":", 1) for l in f if ":" in l)
        out["imapd_conf"] = {k.strip(): v.strip() for k, v in conf.items()
                             if k.strip() in ("deleteright", "implicit_owner_rights", "defaultacl",
                                              "anyoneuseracl", "username_tolower", "admins",
                                              "acl_admin_implies_write", "defaultdomain")}

        def getacl(mbox):
            st, text, lines = admin.cmd(b"GETACL", imapc.astring(mbox))
            return parse_acl(lines) if st == "OK" else None

        # Sequences.
        st = conns["alice"].cmd(b"CREATE", imapc.astring(OWNED))
        st2 = admin.cmd(b"CREATE", imapc.astring(SHARED))
        if st[0] != "OK" or st2[0] != "OK":
            raise RuntimeError("setup: %r %r" % (st, st2))
        seq = {"owned": OWNED, "shared": SHARED, "owner": {OWNED: "alice", SHARED: ""},
               "start": {OWNED: getacl(OWNED), SHARED: getacl(SHARED)}, "steps": []}
        for actor, mbox, ident, rights in SEQUENCES:
            c = conns[actor]
            if rights is None:
                st, text, _ = c.cmd(b"DELETEACL", imapc.astring(mbox), imapc.astring(ident))
            else:
                st, text, _ = c.cmd(b"SETACL", imapc.astring(mbox), imapc.astring(ident), imapc.astring(rights))
            seq["steps"].append({"actor": actor, "mailbox": mbox, "identifier": ident, "rights": rights,
                                 "status": st, "text": text, "acl": getacl(mbox)})
        out["sequences"] = seq

        # Evaluation table.
        evals = []
        for i, spec in enumerate(EVALS):
            if args.quick and i % 3:
                continue
            for kind, mbox in (("owned", "user.alice.ev%d" % i), ("shared", "ev%d" % i)):
                st, text, _ = admin.cmd(b"CREATE", imapc.astring(mbox))
                if st != "OK":
                    raise RuntimeError("create %s: %s %s" % (mbox, st, text))
                for k, _v in getacl(mbox):
                    admin.cmd(b"DELETEACL", imapc.astring(mbox), imapc.astring(k))
                for k, v in spec:
                    admin.cmd(b"SETACL", imapc.astring(mbox), imapc.astring(k), imapc.astring(v))
                row = {"kind": kind, "mailbox": mbox, "spec": spec, "acl": getacl(mbox), "views": {},
                       "listrights": {}}
                for v in VIEWERS:
                    c = conns[v]
                    view = {}
                    st, text, lines = c.cmd(b"MYRIGHTS", imapc.astring(mbox))
                    view["myrights"] = [st, text, untagged(lines, b"* MYRIGHTS ")]
                    st, text, lines = c.cmd(b"GETACL", imapc.astring(mbox))
                    view["getacl"] = [st, text, parse_acl(lines)]
                    st, text, _ = c.cmd(b"EXAMINE", imapc.astring(mbox))
                    view["examine"] = [st, text]
                    c.cmd(b"UNSELECT")
                    st, text, lines = c.cmd(b"LISTRIGHTS", imapc.astring(mbox), b"bob")
                    view["listrights_bob"] = [st, text, untagged(lines, b"* LISTRIGHTS ")]
                    row["views"][v] = view
                for ident in LISTRIGHTS_IDS:
                    st, text, lines = admin.cmd(b"LISTRIGHTS", imapc.astring(mbox), imapc.astring(ident))
                    row["listrights"][ident] = [st, text, untagged(lines, b"* LISTRIGHTS ")]
                evals.append(row)
        out["evals"] = evals
        for c in conns.values():
            c.close()
    finally:
        inst.stop()
        if not args.keep:
            shutil.rmtree(base, ignore_errors=True)
    with open(args.o, "w") as f:
        f.write(encode(out) + "\n")
    print("%d steps, %d evaluated ACLs -> %s" % (len(SEQUENCES), len(out["evals"]), args.o), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
