#!/usr/bin/env python3
"""Collect how the real Cyrus 3.6.1 treats mailbox names.

For each namespace setting (altnamespace, unixhierarchysep, virtdomains)
it starts a fresh cyrus-ref instance, logs in as a user and as the
admin, and tries CREATE, SELECT, RENAME and DELETE of many names. It
records Cyrus's answer, the internal name of what got created (from the
MAILBOXID in the CREATE answer and `ctl_mboxlist -d`) and the name LIST
shows for it, plus full LIST and mailboxes.db snapshots. The Go test
names_test.go checks lib/mboxname against every row.

usage: collect_names.py [-o testdata/names.json] [--keep] [--only ID,...] [--quick]
Needs root (cyrus-ref drops to the cyrus user itself); exits 77 without.
Takes 1-3 minutes; --quick (a sample, creates only) a few seconds.
"""

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import imapc  # noqa: E402

CYRUS_REF = os.environ.get("CYRUS_REF", "/work/shared/oracle/cyrus-ref")
ADMIN, ADMIN_PW = "cyrus", os.environ.get("CYRUS_REF_ADMIN_PW", "cyrus-admin-pw")

# Each setting needs a fresh DIR (cyrus-ref keeps imapd.conf once made).
CONFIGS = [
    {"id": "std-dot", "opts": {"altnamespace": "no", "unixhierarchysep": "no"}},
    {"id": "std-slash", "opts": {"altnamespace": "no", "unixhierarchysep": "yes"}},
    {"id": "alt-dot", "opts": {"altnamespace": "yes", "unixhierarchysep": "no"}},
    {"id": "alt-slash", "opts": {"altnamespace": "yes", "unixhierarchysep": "yes"}},
    {"id": "vd-std-dot", "opts": {"altnamespace": "no", "unixhierarchysep": "no", "virtdomains": "userid"}},
    {"id": "vd-alt-slash", "opts": {"altnamespace": "yes", "unixhierarchysep": "yes", "virtdomains": "userid"}},
    # By-name ("legacy") spool paths, as upgraded 3.4 spools have them.
    {"id": "legacy-vd-slash", "opts": {"altnamespace": "no", "unixhierarchysep": "yes", "virtdomains": "userid",
                                       "mailbox_legacy_dirs": "yes"}},
]

# Names tried by both the user and the admin, byte for byte the same in
# every configuration: how '.', '/', '^', case and odd bytes are read
# depends on the setting, which is the point.
LITERAL_NAMES = [
    "INBOX", "inbox", "Inbox", "iNbOx", "INBOX.", "INBOX/",
    "INBOX.a", "INBOX/a", "inbox.b", "inbox/b", "Inbox.c.d", "Inbox/c/d",
    "INBOX.a^b", "INBOX/a^b", "INBOX/a.b", "INBOX.a/b", "INBOX.a.b^c", "INBOX/a/b.c",
    "INBOX.^", "INBOX/^", "INBOX.x^", "INBOX..dd", "INBOX//dd", "INBOX.ee.", "INBOX/ee/",
    "INBOX.ee..", "INBOX/ee//", ".INBOX.ff", "/INBOX/ff", "INBOX...gg", "INBOX///gg",
    "INBOX.INBOX", "INBOX/INBOX", "INBOX.inbox.x", "INBOX/inbox/x", "INBOX.INBOX.y",
    "INBOX/Inbox/y", "INBOX.Inbox", "INBOX.gg hh", "INBOX/gg hh", "INBOX. lead", "INBOX.trail ",
    "INBOX.&AOk-", "INBOX/&AOk-", "INBOX.&-", "INBOX.a&-b", "INBOX.&-&-", "INBOX.&AOk-&AOk-",
    "INBOX.&AOk-&-", "INBOX.&-&AOk-", "INBOX.&AOk-x&AOk-", "INBOX.&AOkA6Q-", "INBOX.&AGE-",
    "INBOX.&AOk", "INBOX.&AO-", "INBOX.&AOl-", "INBOX.&Jjo-", "INBOX.&2D3eAA-", "INBOX.&2D0-",
    "INBOX.&ZeVnLIqe-", "INBOX.&", "INBOX.&&-", "INBOX.a&b-", "INBOX.&AOkA6QDp-", "INBOX.&AAk-",
    "INBOX.&AOkA-", "INBOX.&*-", "INBOX.&AOk-.x",
    "INBOX.~x", "~x", "INBOX.x~", "INBOX.%", "INBOX.*", "INBOX.a%b", "INBOX.a*b", "INBOX.!x",
    "INBOX.x!y", "INBOX.#x", "INBOX.$x", "$x", 'INBOX.x"y', "INBOX.x\\y", "INBOX.x;y",
    "INBOX.x<y", "INBOX.x>y", "INBOX.x`y", "INBOX.x{y", "INBOX.x|y", "INBOX.x}y", "INBOX.x:y",
    "INBOX.x=y", "INBOX.x?y", "INBOX.x@y", "INBOX.[x]", "INBOX.x'y", "INBOX.(x)", "INBOX.x+y",
    "INBOX.x,y", "INBOX.x-y", "INBOX.x_y", "INBOX.x\ty", "INBOX.caf\u00e9", "INBOX.x\x7fy",
    "INBOX.x\x01y", "INBOX.\u65e5\u672c",
    "user", "user.", "user/", "user.alice", "user/alice", "user.alice.s1", "user/alice/s1",
    "user.bob", "user/bob", "user.bob.s2", "user/bob/s2", "user.bob.s3.t", "user/bob/s3/t",
    "user.carol", "user/carol", "user.carol.x", "user.anyone", "user/anyone", "user.anonymous",
    "user.%x", "user/%x", "user.alice^x", "USER.alice", "user..bob", "user.bob^x.y",
    "shared", "shared.s4", "shared/s4", "shared.s5.t", "shared/s5/t",
    "Shared Folders", "Shared Folders.shared.s6", "Shared Folders/shared/s6",
    "Shared Folders.newtop", "Shared Folders/newtop2",
    "Other Users", "Other Users.bob", "Other Users/bob", "Other Users.bob.s7", "Other Users/bob/s7",
    "Other Users.alice.s8", "Other Users/alice/s8", "Other Users/nosuch/x",
    "Alt Folders", "Alt Folders.INBOX", "Alt Folders/INBOX", "Alt Folders.x1", "Alt Folders/x1",
    "Alt Folders.inbox", "Alt Folders/Other Users",
    "DELETED", "DELETED.x", "DELETED/x", "DELETED.user.alice.y.5F000000",
    "DELETED/user/alice/y/5F000000", "DELETED.user.bob.zz", "DELETED.shared.q.5F000001",
    "DELETED.INBOX.z.5F000002",
    "top1", "top1.sub", "top1/sub", "Top1", "a.b.c.d", "a/b/c/d", "inbox2", "INBOXX",
    "INBOX2.x", "x.INBOX", "x/INBOX", ".", "/", "..", "//", "^", "a^b", "a.^", "Trash",
    "alice", "bob.x", "bob/x", "user.alice@example.com", "user/alice@example.com",
    "user.bob@example.com.s9", "user/bob@example.com/s9", "user.alice.s10@example.com",
    "user/alice/s10@example.com", "user.dave@example.org", "shared.s11@example.com",
    "shared/s11@example.com", "example.com!user.alice", "INBOX.s12@example.com",
    "INBOX@example.com", "other.dom!x",
]

# Names written with the configuration's personal prefix {p} (INBOX+sep
# or ""), separator {s}, other-users prefix {o} and shared prefix {h}.
USER_TEMPLATES = [
    "{p}t1", "{p}t1{s}t2", "{p}t1{s}t2{s}t3", "{p}dot.in.name", "{p}caret^in^name",
    "{p}slash/in/name", "{p}Sent Items", "{p}Trash", "{p}~t7", "{p}t8{s}~t8",
    "{p}INBOX{s}t9", "{p}inbox{s}t10", "{p}InBoX", "{o}bob{s}t4", "{o}bob{s}t4{s}t5",
    "{o}bob", "{o}nosuchuser{s}x", "{o}alice{s}t6", "{h}shared{s}t11", "{h}newtop",
    "{h}shared{s}dot.t12", "{p}" + "x" * 200, "{p}" + "y" * 479, "{p}" + "z" * 480,
    "{p}" + "w" * 1000, "{p}t13{s}" + "v" * 470, "{p}t14{s}" + "u" * 467,
    "{p}{s}t15", "{p}t16{s}{s}t17", "{p}t18{s}", "{s}{p}t19",
]

ADMIN_TEMPLATES = [
    "user{s}alice{s}a1", "user{s}bob{s}a2", "user{s}bob{s}a2{s}a3", "user{s}newuser",
    "user{s}newuser2{s}x", "user{s}newuser{s}x", "user{s}john.doe", "user{s}john^doe",
    "user{s}ann.lee{s}f.g", "shared{s}a4", "shared{s}a4.dot", "a5", "a5{s}b5", "$a6", "~a7",
    "a8{s}$b8", "DELETED{s}user{s}alice{s}a9{s}5F000003", "DELETED{s}user{s}alice{s}5F000004",
    "DELETED{s}shared{s}a10{s}5F000005", "DELETED{s}a11{s}zz", "DELETED{s}user{s}alice{s}a12",
    "user{s}alice{s}" + "y" * 479, "user{s}alice{s}" + "z" * 480, "user{s}UPPER",
    "user{s}alice{s}INBOX", "user{s}alice{s}INBOX{s}INBOX",
    "user{s}zed@example.com", "user{s}zed@example.com{s}s1", "user{s}alice{s}a13@example.com",
    "shared{s}a14@example.com", "a15@example.com", "user{s}alice@internal{s}a16",
    "user{s}bob{s}a17@example.org",
]

# (from, to) pairs renamed by the user: {p}/{s}/{o}/{h} as above. The
# source is created first under a unique name.
USER_RENAMES = [
    ("{p}r1", "{p}r1new"), ("{p}r2", "{p}r2{s}deeper"), ("{p}r3", "{p}r3 space"),
    ("{p}r4", "{p}r4^caret"), ("{p}r5", "{p}r5.dot"), ("{p}r6", "{p}r6/slash"),
    ("{p}r7", "{p}r7&AOk-"), ("{p}r8", "{p}r8&AGE-"), ("{p}r9", "{p}r9%"),
    ("{p}r10", "{p}INBOX"), ("{p}r11", "{p}t1"), ("{p}r12", "{o}bob{s}r12"),
    ("{p}r13", "{h}shared{s}r13"), ("{p}r14", "newtop{s}r14"), ("{p}r15", "{p}" + "r" * 480),
    ("{p}r16", "{p}~r16"), ("{p}r17", "INBOX"), ("INBOX", "{p}oldinbox"),
]

ADMIN_RENAMES = [
    ("user{s}alice{s}ra1", "user{s}bob{s}ra1"), ("user{s}alice{s}ra2", "shared{s}ra2"),
    ("shared{s}ra3", "user{s}alice{s}ra3"), ("user{s}alice{s}ra4", "user{s}alice{s}ra4.x"),
    ("user{s}alice{s}ra5", "$ra5"), ("user{s}alice{s}ra6", "~ra6"),
    ("user{s}alice{s}ra7", "DELETED{s}user{s}alice{s}ra7{s}5F000006"),
]

USER_DELETES = ["{p}d1", "{p}d2{s}d3", "{p}d.4"]
ADMIN_DELETES = ["user{s}bob{s}da1", "shared{s}da2"]


def free_ports(n):
    socks, ports = [], []
    for _ in range(n):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        ports.append(s.getsockname()[1])
        socks.append(s)
    for s in socks:
        s.close()
    return ports


def run(*args, check=True):
    p = subprocess.run(args, capture_output=True, text=True)
    if check and p.returncode != 0:
        raise RuntimeError("%s: exit %d\n%s%s" % (" ".join(args), p.returncode, p.stdout, p.stderr))
    return p


class Instance:
    def __init__(self, base, cfg):
        self.dir = os.path.join(base, cfg["id"])
        os.makedirs(self.dir)
        os.chmod(self.dir, 0o755)
        self.port = None
        self.cfg = cfg

    def start(self):
        ports = free_ports(5)
        args = [CYRUS_REF, "start", self.dir, "--imap", str(ports[0]), "--pop3", str(ports[1]),
                "--lmtp", str(ports[2]), "--sieve", str(ports[3]), "--sync", str(ports[4]),
                "--no-tls"]
        for k, v in self.cfg["opts"].items():
            args += ["--opt", "%s=%s" % (k, v)]
        run(*args)
        self.port = ports[0]
        for _ in range(50):
            try:
                imapc.Conn(self.port).close()
                return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("imapd on %d did not answer" % self.port)

    def stop(self):
        run(CYRUS_REF, "stop", self.dir, check=False)

    def adduser(self, user, pw):
        p = run(CYRUS_REF, "adduser", self.dir, user, pw, check=False)
        return p.returncode == 0

    def dump(self):
        p = run(CYRUS_REF, "tool", self.dir, "ctl_mboxlist", "-d")
        return json.loads(p.stdout)

    def conn(self, user, pw):
        c = imapc.Conn(self.port)
        c.login(user, pw)
        return c


NAME_KEYS = ("altnamespace", "unixhierarchysep", "virtdomains", "defaultdomain", "userprefix",
             "sharedprefix", "altprefix", "deletedprefix", "hashimapspool", "fulldirhash",
             "crossdomains", "crossdomains_onlyother", "delete_mode", "admins", "mailbox_legacy_dirs")


def slim_mbpath(paths):
    """Keep what the test checks: the data path, the parts, and the user
    files once per user (they are the same for all of a user's folders)."""
    seen = set()
    out = []
    for p in paths:
        e = {"data": p.get("data"), "mbname": p.get("mbname", {})}
        uid = e["mbname"].get("userid")
        if p.get("user") and uid not in seen:
            seen.add(uid)
            e["user"] = p["user"]
        out.append(e)
    return out


def disk_facts(inst, admin_names):
    """What Cyrus keeps on disk for the names: raw mailboxes.db records,
    mbpath's view of every mailbox the admin lists, lock and user files.
    Paths are given relative to the instance directory ($D)."""
    d = inst.dir
    rel = lambda p: p.replace(d, "$D")  # noqa: E731
    raw = subprocess.run([CYRUS_REF, "tool", d, "cyr_dbtool", d + "/lib/mailboxes.db", "twoskip", "show"],
                         capture_output=True).stdout
    records = []
    for line in raw.split(b"\n"):
        if not line:
            continue
        if b"\t" not in line and records:
            records[-1][1] += "\n" + b2s(line)
            continue
        k, _, v = line.partition(b"\t")
        records.append([b2s(k), b2s(v)])
    out = subprocess.run([CYRUS_REF, "tool", d, "mbpath", "-7", "-j", "-q"] + admin_names,
                         capture_output=True).stdout.decode("utf-8", "surrogateescape")
    paths = []
    dec = json.JSONDecoder()
    i = 0
    while True:
        while i < len(out) and out[i] in " \n":
            i += 1
        if i >= len(out):
            break
        obj, i = dec.raw_decode(out, i)
        paths.append(json.loads(rel(json.dumps(obj))))
    paths = slim_mbpath(paths)
    files = []
    for top in ("run/lock", "lib/user", "lib/domain", "sieve"):
        for root, _dirs, names in os.walk(os.path.join(d, top)):
            for n in names:
                files.append(rel(os.path.join(root, n)))
    return {"db": records, "mbpath": paths, "files": sorted(files)}


def name_settings(d):
    """The imapd.conf keys that shape names, as the instance has them."""
    out = {}
    with open(os.path.join(d, "etc", "imapd.conf")) as f:
        for line in f:
            k, sep, v = line.partition(":")
            if sep and k.strip() in NAME_KEYS:
                out[k.strip()] = v.strip()
    return out


def fill(t, sep, alt, isadmin):
    """Expand a template for a viewer."""
    if alt and not isadmin:
        p, o, h = "", "Other Users" + sep, "Shared Folders" + sep
    else:
        p, o, h = "INBOX" + sep, "user" + sep, ""
    return t.replace("{p}", p).replace("{o}", o).replace("{h}", h).replace("{s}", sep)


def mailbox_id(text):
    m = __import__("re").search(r"\[MAILBOXID \(([^)]*)\)\]", text)
    return m.group(1) if m else None


def clean_text(text):
    return __import__("re").sub(r"^\[[^\]]*\] ?", "", text)


def b2s(b):
    return b.decode("utf-8", "surrogateescape") if b is not None else None


def snapshot(inst, logins):
    dump = inst.dump()
    mboxes = {}
    for name, e in dump.items():
        mboxes[name] = {"uniqueid": e.get("uniqueid", ""), "mbtype": e.get("mbtype", ""),
                        "acl": e.get("acl", {})}
    lists = {}
    for who, (user, pw) in logins.items():
        c = inst.conn(user, pw)
        st, text, lines = c.cmd(b"LIST", b'""', b'"*"', b"RETURN", b"(STATUS (MAILBOXID))")
        if st != "OK":
            raise RuntimeError("LIST as %s: %s %s" % (who, st, text))
        entries = []
        ids = {}
        for ln in lines:
            li = imapc.parse_list(ln)
            if li:
                entries.append({"name": b2s(li[2])})
                continue
            stt = imapc.parse_status(ln)
            if stt and "MAILBOXID" in stt[1]:
                ids[b2s(stt[0])] = b2s(stt[1]["MAILBOXID"][0])
        for e in entries:
            e["mailboxid"] = ids.get(e["name"], "")
        lists[who] = entries
        c.close()
    return {"mailboxes": mboxes, "lists": lists}


QUICK = False  # --quick: a sample of names, phase 1 only (for the Go test's live run)


def collect_config(base, cfg):
    inst = Instance(base, cfg)
    opts = cfg["opts"]
    sep = "/" if opts.get("unixhierarchysep") == "yes" else "."
    alt = opts.get("altnamespace") == "yes"
    vd = opts.get("virtdomains", "off") != "off"
    dom = "@example.com" if vd else ""
    users = {"alice": "alice" + dom, "bob": "bob" + dom}
    pws = {"alice": "alicepw", "bob": "bobpw"}
    out = {"id": cfg["id"], "opts": opts, "users": users, "admin": ADMIN, "rows": [], "snapshots": []}
    inst.start()
    try:
        out["imapd_conf"] = name_settings(inst.dir)
        for k, u in users.items():
            if not inst.adduser(u, pws[k]):
                raise RuntimeError("adduser %s failed" % u)
        extra = {}
        if sep == "/":
            extra["john.doe"] = "john.doe" + dom
        if vd:
            extra["carol"] = "carol@example.org"
            extra["dave"] = "dave"
        for k, u in extra.items():
            extra[k] = u if inst.adduser(u, k + "pw") else None
        out["extra_users"] = extra

        admin = inst.conn(ADMIN, ADMIN_PW)
        # Setup: alice may create below bob; bob may see alice's folders;
        # everyone may create below the shared top "shared".
        asep = lambda *p: sep.join(p)  # noqa: E731
        setup = []
        bobbox = asep("user", "bob" if not vd else "bob") + ("@example.com" if vd else "")
        alicebox = asep("user", "alice") + ("@example.com" if vd else "")
        setup.append(admin.cmd(b"SETACL", imapc.astring(bobbox), imapc.astring(users["alice"]),
                               b"lrswipkxtecdan"))
        setup.append(admin.cmd(b"SETACL", imapc.astring(alicebox), imapc.astring(users["bob"]),
                               b"lr"))
        shared = "shared" + ("@example.com" if vd else "")
        setup.append(admin.cmd(b"CREATE", imapc.astring(shared)))
        setup.append(admin.cmd(b"SETACL", imapc.astring(shared), b"anyone", b"lrswipkxtecdan"))
        for st, text, _ in setup:
            if st != "OK":
                raise RuntimeError("setup: %s %s" % (st, text))

        alice = inst.conn(users["alice"], pws["alice"])
        actors = {"alice": alice, "admin": admin}
        logins = {"alice": (users["alice"], pws["alice"]), "bob": (users["bob"], pws["bob"]),
                  "admin": (ADMIN, ADMIN_PW)}
        for k, u in extra.items():
            if u:
                logins[k] = (u, k + "pw")
        out["viewers"] = {k: v[0] for k, v in logins.items()}

        def do(actor, cmd, *names, phase):
            c = actors[actor]
            try:
                st, text, _ = c.cmd(cmd.encode(), *[imapc.astring(n) for n in names])
            except (OSError, imapc.Error) as e:
                # Record the drop and carry on with a new session.
                st, text = "DISCONNECT", str(e)
                actors[actor] = inst.conn(*logins[actor])
            row = {"phase": phase, "actor": actor, "cmd": cmd, "name": names[0],
                   "status": st, "text": clean_text(text)}
            if len(names) > 1:
                row["to"] = names[1]
            mid = mailbox_id(text)
            if mid:
                row["mailboxid"] = mid
            out["rows"].append(row)
            return row

        # Phase 1: CREATE.
        for actor in ("alice", "admin"):
            isadmin = actor == "admin"
            names = list(LITERAL_NAMES)
            names += [fill(t, sep, alt, isadmin) for t in (ADMIN_TEMPLATES if isadmin else USER_TEMPLATES)]
            if QUICK:
                names = names[::7]
            for n in names:
                do(actor, "CREATE", n, phase=1)
        out["snapshots"].append(snapshot(inst, logins))
        if QUICK:
            for c in actors.values():
                c.close()
            out["disk"] = disk_facts(inst, [e["name"] for e in out["snapshots"][-1]["lists"]["admin"]])
            return out

        # Phase 2: SELECT (no changes), RENAME, DELETE.
        for n in LITERAL_NAMES + [fill(t, sep, alt, False) for t in USER_TEMPLATES]:
            do("alice", "SELECT", n, phase=2)
        for n in LITERAL_NAMES[:40] + [fill(t, sep, alt, True) for t in ADMIN_TEMPLATES]:
            do("admin", "SELECT", n, phase=2)
        for actor, pairs in (("alice", USER_RENAMES), ("admin", ADMIN_RENAMES)):
            isadmin = actor == "admin"
            for src, dst in pairs:
                s, d = fill(src, sep, alt, isadmin), fill(dst, sep, alt, isadmin)
                if s != "INBOX":
                    do(actor, "CREATE", s, phase=2)
                do(actor, "RENAME", s, d, phase=2)
        for actor, names in (("alice", USER_DELETES), ("admin", ADMIN_DELETES)):
            isadmin = actor == "admin"
            for n in names:
                n = fill(n, sep, alt, isadmin)
                do(actor, "CREATE", n, phase=2)
                do(actor, "DELETE", n, phase=2)
        for c in actors.values():
            c.close()
        out["snapshots"].append(snapshot(inst, logins))
        out["disk"] = disk_facts(inst, [e["name"] for e in out["snapshots"][-1]["lists"]["admin"]])
    finally:
        inst.stop()
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("-o", default=os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                               "testdata", "names.json"))
    ap.add_argument("--keep", action="store_true", help="keep the instance directories")
    ap.add_argument("--only", help="collect these configurations (comma-separated ids)")
    ap.add_argument("--quick", action="store_true", help="a sample of the names, creates only")
    args = ap.parse_args()
    global QUICK
    QUICK = args.quick
    if os.geteuid() != 0:
        print("collect_names.py: needs root (cyrus-ref)", file=sys.stderr)
        return 77
    base = tempfile.mkdtemp(prefix="gyrus-names-", dir="/tmp")
    os.chmod(base, 0o755)
    ver = run("dpkg-query", "-W", "-f", "${Version}", "cyrus-common", check=False).stdout
    result = {"cyrus": "cyrus-common " + ver.strip(), "configs": []}
    try:
        for cfg in CONFIGS:
            if args.only and cfg["id"] not in args.only.split(","):
                continue
            t0 = time.time()
            result["configs"].append(collect_config(base, cfg))
            print("%s: %d rows in %.1fs" % (cfg["id"], len(result["configs"][-1]["rows"]),
                                             time.time() - t0), file=sys.stderr)
    finally:
        if not args.keep:
            shutil.rmtree(base, ignore_errors=True)
    with open(args.o, "w") as f:
        f.write(encode(result) + "\n")
    return 0


def encode(o, ind=0):
    """JSON with one record per line: short values compact, long ones split."""
    flat = json.dumps(o, separators=(",", ":"), sort_keys=True)
    if len(flat) <= 160 or not isinstance(o, (dict, list)) or not o:
        return flat
    pad = " " * (ind + 1)
    if isinstance(o, dict):
        items = [json.dumps(k) + ":" + encode(o[k], ind + 1) for k in sorted(o)]
        return "{\n" + ",\n".join(pad + i for i in items) + "}"
    return "[\n" + ",\n".join(pad + encode(v, ind + 1) for v in o) + "]"


if __name__ == "__main__":
    sys.exit(main())
