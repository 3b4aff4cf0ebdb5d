#!/usr/bin/env python3
"""Generate the Gyrus message corpus (test/corpus/msgs/*.eml).

Every message is written here, by hand or from small templates; none is
real mail. Files are stored as Cyrus stores messages: CRLF line endings,
except the few "raw" ones that exist to test what Cyrus does with bytes
IMAP APPEND would refuse (bare LF, NUL in a header, header names with
blanks); collect.py delivers those by dropping the file into the spool and
running reconstruct.

Run: python3 test/corpus/gen.py      (rewrites msgs/ deterministically)
"""

import base64
import os
import random
import shutil
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "msgs")

corpus = []  # (name, bytes)


def crlf(s):
    """Text with \\n line ends -> bytes with CRLF (str is UTF-8 encoded)."""
    if isinstance(s, str):
        s = s.encode("utf-8")
    return s.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


def add(name, data, raw=False):
    if not raw:
        data = crlf(data)
    corpus.append((name, data))


def hdrs(**kw):
    base = {
        "From": "Alice Example <alice@example.com>",
        "To": "Bob Example <bob@example.org>",
        "Subject": "Test message",
        "Date": "Tue, 14 Nov 2023 22:13:20 +0000",
        "Message-ID": "<test@example.com>",
    }
    return base


def simple(name, headers, body="Hello.\n", raw=False):
    """headers: list of (name, value) or a raw header block string/bytes."""
    if isinstance(headers, (list, tuple)):
        h = b""
        for k, v in headers:
            if isinstance(v, str):
                v = v.encode("utf-8")
            h += k.encode() + b": " + v + b"\n"
    else:
        h = headers if isinstance(headers, bytes) else headers.encode("utf-8")
    if isinstance(body, str):
        body = body.encode("utf-8")
    add(name, h + b"\n" + body, raw=raw)


STD = [
    ("From", "Alice Example <alice@example.com>"),
    ("To", "Bob Example <bob@example.org>"),
    ("Subject", "Test message"),
    ("Date", "Tue, 14 Nov 2023 22:13:20 +0000"),
    ("Message-ID", "<std@example.com>"),
]


def std(**override):
    """Standard headers with overrides; value None drops a header."""
    out = []
    seen = set()
    for k, v in STD:
        if k in override:
            seen.add(k)
            if override[k] is None:
                continue
            out.append((k, override[k]))
        else:
            out.append((k, v))
    for k, v in override.items():
        if k not in seen and v is not None:
            out.append((k.replace("_", "-"), v))
    return out


def ew(text, charset, enc="B"):
    """Encode text as one RFC 2047 encoded word."""
    if isinstance(text, str):
        try:
            data = text.encode(charset)
        except LookupError:  # a charset Python does not know: send UTF-8
            data = text.encode("utf-8")
    else:
        data = text
    if enc.upper() == "B":
        payload = base64.b64encode(data).decode()
    else:
        payload = ""
        for b in data:
            c = chr(b)
            if c == " ":
                payload += "_"
            elif c.isalnum() and b < 128:
                payload += c
            else:
                payload += "=%02X" % b
    return "=?%s?%s?%s?=" % (charset, enc, payload)


# ---------------------------------------------------------------- basics
simple("basic-plain", STD)
simple("basic-no-headers-but-blank", "", "Body only after blank line.\n")
add("basic-headers-only-no-blank", "From: a@example.com\nSubject: no body\n")
add("basic-headers-only-no-crlf", b"From: a@example.com\r\nSubject: x", raw=True)
simple("basic-empty-body", STD, "")
add("basic-body-no-final-crlf", b"From: a@example.com\r\nSubject: x\r\n\r\nno newline at end", raw=True)
simple("basic-multiline-body", STD, "".join("line %d\n" % i for i in range(200)))
simple("basic-blank-lines-body", STD, "\n\n\n\nend\n\n")
simple("basic-lone-cr-body", STD, b"one\rtwo\r\nthree\r\n")
simple("basic-long-line", STD, "x" * 100000 + "\n")
simple("basic-large", STD, "".join("%07d " % i + "abcdefghij" * 6 + "\n" for i in range(4000)))
simple("basic-dashes-in-body", STD, "--not-a-boundary\n--\n----\n-- \nend\n")
simple("basic-mime-version", std(MIME_Version="1.0", Content_Type="text/plain; charset=us-ascii"))
simple("basic-only-blank", "", "")

# ---------------------------------------------------------------- dates
dates = [
    "Tue, 14 Nov 2023 22:13:20 +0000",
    "14 Nov 2023 22:13:20 +0000",
    "Tue, 14 Nov 2023 22:13:20 -0800",
    "Tue, 14 Nov 2023 22:13:20 +0530",
    "Tue, 14 Nov 2023 23:59:59 -1200",
    "Wed, 15 Nov 2023 00:00:01 +1400",
    "Tue, 14 Nov 2023 22:13:20 EST",
    "Tue, 14 Nov 2023 22:13:20 EDT",
    "Tue, 14 Nov 2023 22:13:20 PDT",
    "Tue, 14 Nov 2023 22:13:20 PST",
    "Tue, 14 Nov 2023 22:13:20 CST",
    "Tue, 14 Nov 2023 22:13:20 MDT",
    "Tue, 14 Nov 2023 22:13:20 HST",
    "Tue, 14 Nov 2023 22:13:20 GMT",
    "Tue, 14 Nov 2023 22:13:20 UT",
    "Tue, 14 Nov 2023 22:13:20 UTC",
    "Tue, 14 Nov 2023 22:13:20 CET",
    "Tue, 14 Nov 2023 22:13:20 Z",
    "Tue, 14 Nov 2023 22:13:20 A",
    "Tue, 14 Nov 2023 22:13:20 M",
    "Tue, 14 Nov 2023 22:13:20 N",
    "Tue, 14 Nov 2023 22:13:20 Y",
    "Tue, 14 Nov 2023 22:13:20 a",
    "Tue, 14 Nov 2023 22:13:20 +5",
    "Tue, 14 Nov 2023 22:13:20 0130",
    "Tue, 14 Nov 2023 22:13:20 +00000",
    "Tue, 14 Nov 2023 22:13:20",
    "Tue, 14 Nov 2023 22:13",
    "Tue, 14 Nov 2023 22.13.20 +0100",
    "Tue, 14 Nov 2023 22:13:20 +0000 (UTC)",
    "Tue, 14 Nov 2023 22:13:20+0200",
    "Tue,14 Nov 2023 22:13:20 +0000",
    "Tue , 14 Nov 2023 22:13:20 +0000",
    "Tue 14 Nov 2023 22:13:20 +0000",
    "Xyz, 14 Nov 2023 22:13:20 +0000",
    "Tuesday, 14 Nov 2023 22:13:20 +0000",
    "14-Nov-2023 22:13:20 +0000",
    "14 nov 2023 22:13:20 +0000",
    "14 NOVEMBER 2023 22:13:20 +0000",
    "14 Nox 2023 22:13:20 +0000",
    "  14   Nov    2023   22:13:20   +0000  ",
    "1 Jan 70 00:00:00 +0000",
    "1 Jan 69 00:00:00 +0000",
    "31 Dec 99 23:59:59 +0000",
    "1 Jan 00 12:00:00 +0000",
    "31 Dec 1969 23:59:59 +0000",
    "1 Jan 1970 00:00:00 +0100",
    "1 Jan 1970 00:30:00 -0100",
    "31 Feb 2023 10:00:00 +0000",
    "30 Nov 2023 25:61:61 +0000",
    "99 Nov 2023 10:00:00 +0000",
    "0 Jan 2000 10:00:00 +0000",
    "29 Feb 2024 12:00:00 +0000",
    "1 Jan 2038 03:14:08 +0000",
    "7 Feb 2106 06:28:16 +0000",
    "1 Jan 1899 00:00:00 +0000",
    "1 Jan 123 00:00:00 +0000",
    "1 Jan 12345 00:00:00 +0000",
    "14 Nov 2023",
    "14 Nov",
    "Nov 14 2023 22:13:20 +0000",
    "2023-11-14T22:13:20Z",
    "garbage",
    "",
    "   ",
    "Tue, 14 Nov 2023 22:13:20 +0000 extra tokens here",
    "Tue, 14 Nov 2023 8:3:2 +0000",
    "Tue, 4 Nov 2023 22:13:20 +0000",
]
for i, d in enumerate(dates):
    simple("date-%02d" % i, std(Date=d))
simple("date-missing", std(Date=None))
simple("date-folded", std(Date="Tue, 14 Nov 2023\n 22:13:20 +0000"))
simple("date-twice", std(Date="Mon, 13 Nov 2023 10:00:00 +0000") + [("Date", "Wed, 15 Nov 2023 10:00:00 +0000")])
simple("date-tab", [("Date", "\tTue, 14 Nov 2023 22:13:20 +0000")] + std(Date=None))

# ---------------------------------------------------------------- subjects
texts = {
    "utf-8": "Grüße aus Köln – 東京 ✓",
    "iso-8859-1": "Café crème à la française",
    "iso-8859-2": "Zażółć gęślą jaźń",
    "iso-8859-4": "Ąčęėįšųūž",
    "iso-8859-5": "Привет мир",
    "iso-8859-6": "مرحبا",
    "iso-8859-7": "Καλημέρα κόσμε",
    "iso-8859-8": "שלום עולם",
    "iso-8859-9": "Günaydın dünya ışık",
    "iso-8859-10": "Ŋŧŋ",
    "iso-8859-13": "Ąčęėįšųūž lietuvių",
    "iso-8859-14": "Ḃḃ Ċċ Ḋḋ",
    "iso-8859-15": "Prix 10 € œuvre",
    "windows-1250": "Příliš žluťoučký kůň",
    "windows-1251": "Съешь же ещё этих",
    "windows-1252": "Smart “quotes” and … dash —",
    "windows-1253": "Ελληνικά",
    "windows-1254": "Türkçe ğüşıöç",
    "windows-1255": "עברית",
    "windows-1256": "العربية",
    "windows-1257": "Latviešu āčēģ",
    "windows-1258": "Xin chào Việt",
    "koi8-r": "Съешь же ещё этих мягких",
    "koi8-u": "Їжак ґанок",
    "iso-2022-jp": "日本語の件名です",
    "shift_jis": "シフトジス",
    "euc-jp": "日本語EUC",
    "gb2312": "简体中文主题",
    "gbk": "中文标题测试",
    "gb18030": "中文标题",
    "big5": "繁體中文",
    "euc-kr": "한국어 제목",
    "ks_c_5601-1987": "한국어",
    "us-ascii": "plain ascii",
    "cp1252": "cp1252 “x”",
    "latin1": "latin1 café",
    "utf8": "utf8 alias ü",
    "UTF-8": "upper UTF-8 ü",
    "iso8859-1": "iso8859-1 é",
    "tis-620": "ภาษาไทย",
    "windows-874": "ภาษาไทย 874",
    "iso-8859-11": "ภาษาไทย",
    "macintosh": "Mac Roman é",
    "cp850": "DOS é",
    "ibm866": "Привет 866",
    "cp866": "Привет cp866",
}
for i, (cs, t) in enumerate(sorted(texts.items())):
    pycs = {"ks_c_5601-1987": "euc-kr", "tis-620": "cp874", "iso-8859-11": "cp874",
            "windows-874": "cp874", "macintosh": "mac-roman", "utf8": "utf-8",
            "iso8859-1": "latin-1", "latin1": "latin-1", "ibm866": "cp866"}.get(cs, cs)
    data = t.encode(pycs, errors="replace")
    simple("subj-b-%02d-%s" % (i, cs.lower()), std(Subject=ew(data, cs, "B")))
    simple("subj-q-%02d-%s" % (i, cs.lower()), std(Subject=ew(data, cs, "Q")))

u8 = "Ünïcødé ✓ 日本".encode()
subjects = {
    "subj-adjacent-words": ew("Hello ", "utf-8") + " " + ew("world", "utf-8"),
    "subj-adjacent-tab": ew("Hello", "utf-8") + "\t" + ew("world", "utf-8"),
    "subj-word-text-word": ew("A", "utf-8") + " and " + ew("B", "utf-8"),
    "subj-text-word-text": "before " + ew("mid", "utf-8") + " after",
    "subj-word-no-space": "x" + ew("mid", "utf-8") + "y",
    "subj-split-utf8-b": "=?utf-8?B?" + base64.b64encode(u8[:5]).decode() + "?= =?utf-8?B?" + base64.b64encode(u8[5:]).decode() + "?=",
    "subj-split-utf8-q": ew(u8[:5], "utf-8", "Q") + " " + ew(u8[5:], "utf-8", "Q"),
    "subj-split-utf8-mixed-enc": ew(u8[:5], "utf-8", "B") + " " + ew(u8[5:], "utf-8", "Q"),
    "subj-split-sjis": ew("シフト".encode("shift_jis")[:3], "shift_jis") + " " + ew("シフト".encode("shift_jis")[3:], "shift_jis"),
    "subj-b64-nopad-carry": "=?utf-8?B?SGVsbG8gd29ybG?= =?utf-8?B?Q=?=",
    "subj-unknown-charset": ew("text", "x-nonexistent"),
    "subj-unknown-between": "a " + ew("b", "x-bogus") + " c",
    "subj-lang-suffix": "=?utf-8*en?Q?Hello_language?=",
    "subj-lang-suffix-b": "=?iso-8859-1*fr-CA?B?" + base64.b64encode("Été".encode("latin-1")).decode() + "?=",
    "subj-lowercase-q": "=?utf-8?q?lower_q=C3=BC?=",
    "subj-lowercase-b": "=?utf-8?b?" + base64.b64encode("lower b ü".encode()).decode() + "?=",
    "subj-bad-encoding-letter": "=?utf-8?X?abc?=",
    "subj-missing-end": "=?utf-8?Q?no_end",
    "subj-missing-question": "=?utf-8?Q=abc?=",
    "subj-empty-text": "=?utf-8?Q??=",
    "subj-empty-charset": "=??Q?abc?=",
    "subj-question-inside": "=?utf-8?Q?a?b?=",
    "subj-nested-marker": "=?utf-8?Q?a=?b?= c ?=",
    "subj-equals-question-equals": "=?utf-8?Q?a=?=b?=",
    "subj-qp-bad-hex": "=?utf-8?Q?bad=ZZhex=4?=",
    "subj-qp-soft-end": "=?utf-8?Q?soft=?=",
    "subj-qp-trailing-space": "=?utf-8?Q?trail___?=",
    "subj-b64-invalid-chars": "=?utf-8?B?SGVs*bG8=?=",
    "subj-b64-mid-padding": "=?utf-8?B?SGk=SGk=?=",
    "subj-qp-nul": "=?utf-8?Q?before=00after?=",
    "subj-utf8-overlong": "=?utf-8?Q?a=C0=AFb=E0=80=80c?=",
    "subj-utf8-invalid": "=?utf-8?Q?a=FFb=80c=E2=82?=",
    "subj-utf8-surrogate": "=?utf-8?Q?a=ED=A0=80b?=",
    "subj-utf8-4byte": "=?utf-8?Q?emoji_=F0=9F=98=80_x?=",
    "subj-utf8-bigcp": "=?utf-8?Q?=F4=90=80=80?=",
    "subj-iso2022jp-noreset": "=?iso-2022-jp?B?" + base64.b64encode(b"\x1b$B$3$s\x1b(Babc").decode() + "?=",
    "subj-iso2022jp-unterminated": "=?iso-2022-jp?B?" + base64.b64encode(b"\x1b$B$3$s").decode() + "?=",
    "subj-gbk-truncated": "=?gbk?B?" + base64.b64encode("中文".encode("gbk")[:3]).decode() + "?=",
    "subj-win1252-undefined": "=?windows-1252?Q?a=81b=8Dc=9Dd?=",
    "subj-iso8859-3-undefined": "=?iso-8859-3?Q?a=A5b=AEc?=",
    "subj-iso8859-16": "=?iso-8859-16?Q?=AA=BA?=",
    "subj-ascii-8bit-word": "=?us-ascii?Q?a=E9b?=",
    "subj-utf7": "=?utf-7?Q?Hi_+AOk-?=",
    "subj-utf16": "=?utf-16?B?" + base64.b64encode("UTF16 ü".encode("utf-16")).decode() + "?=",
    "subj-utf16le": "=?utf-16le?B?" + base64.b64encode("LE ü".encode("utf-16-le")).decode() + "?=",
    "subj-many-words": " ".join(ew("w%d " % i, "utf-8", "Q") for i in range(40)),
    "subj-long-1100": "L" * 1100,
    "subj-long-1023": "L" * 1023,
    "subj-long-1024": "L" * 1024,
    "subj-quote": 'He said "hi"',
    "subj-percent": "100% sure",
    "subj-backslash": "C:\\path\\file",
    "subj-folded": "This subject\n is folded\n\tacross lines",
    "subj-folded-words": ew("first", "utf-8") + "\n " + ew("second", "utf-8"),
    "subj-empty": "",
    "subj-spaces": "   ",
    "subj-re-fwd": "Re: Fwd: RE: [list] topic",
    "subj-word-then-cr": ew("x", "utf-8") + " tail\r",
}
for k, v in subjects.items():
    simple(k, std(Subject=v))
simple("subj-missing", std(Subject=None))
simple("subj-twice", std(Subject="first") + [("Subject", "second")])
simple("subj-8bit-raw", std(Subject="Raw 8-bit: café ünï".encode("utf-8")))
simple("subj-8bit-latin1", std(Subject="Latin-1 raw: caf\xe9".encode("latin-1")))
simple("subj-8bit-plus-word", std(Subject="ünï ".encode() + ew("x", "utf-8").encode()))
simple("subj-no-space-after-colon", [("From", "a@example.com")] + [("Subject", "x")], "b\n")
add("subj-nospace", "From: a@example.com\nSubject:nospace\n\nb\n")
add("subj-tab-after-colon", "From: a@example.com\nSubject:\ttabbed\n\nb\n")
add("subj-empty-then-fold", "From: a@example.com\nSubject:\n continued\n\nb\n")
add("subj-lowercase-name", "from: a@example.com\nsubject: lowercase names\n\nb\n")
add("subj-uppercase-name", "FROM: a@example.com\nSUBJECT: UPPER NAMES\n\nb\n")

# ---------------------------------------------------------------- addresses
addrs = {
    "plain": "alice@example.com",
    "angle": "<alice@example.com>",
    "name-angle": "Alice <alice@example.com>",
    "quoted-name": '"Alice Q. Example" <alice@example.com>',
    "quoted-name-escape": '"Alice \\"Al\\" Example" <alice@example.com>',
    "quoted-name-backslash": '"Back\\\\slash" <a@example.com>',
    "quoted-name-comma": '"Example, Alice" <alice@example.com>',
    "empty-quoted-name": '"" <alice@example.com>',
    "comment-name": "alice@example.com (Alice Example)",
    "comment-nested": "alice@example.com (Alice (the first) Example)",
    "comment-before": "(comment) alice@example.com",
    "comment-in-angle": "Alice <alice(c)@(d)example.com>",
    "comment-after-angle": "Alice <alice@example.com> (trailing)",
    "multiple": "a@example.com, b@example.org, C <c@example.net>",
    "multiple-semicolon": "a@example.com; b@example.org",
    "group-empty": "undisclosed-recipients:;",
    "group-members": "Friends: a@example.com, B <b@example.org>;",
    "group-then-addr": "Team: a@example.com; c@example.net",
    "group-unclosed": "Team: a@example.com, b@example.org",
    "group-two": "G1: a@example.com;, G2: b@example.org;",
    "group-nested-colon": "Outer: Inner: a@example.com;;",
    "route": "<@relay1.example.com,@relay2.example.org:alice@example.com>",
    "route-name": "Alice <@relay.example.com:alice@example.com>",
    "route-broken": "<@relay.example.com alice@example.com>",
    "no-domain": "<alice>",
    "no-domain-bare": "alice",
    "name-no-domain": "Alice Example",
    "at-only": "@",
    "empty-angle": "<>",
    "name-empty-angle": "Nobody <>",
    "two-at": "alice@bob@example.com",
    "ip-literal": "alice@[192.0.2.1]",
    "ipv6-literal": "alice@[IPv6:2001:db8::1]",
    "trailing-dot": "alice@example.com.",
    "double-dot": "alice@example..com",
    "leading-dot-domain": "alice@.example.com",
    "upper": "Alice <ALICE@EXAMPLE.COM>",
    "quoted-local": '"alice smith"@example.com',
    "quoted-local-angle": 'A <"a b"@example.com>',
    "unterminated-quote": '"Alice <alice@example.com>',
    "unterminated-angle": "Alice <alice@example.com",
    "unterminated-comment": "alice@example.com (Alice",
    "folded": "Alice\n <alice@example.com>,\n Bob <bob@example.org>",
    "folded-in-quote": '"Alice\n Example" <alice@example.com>',
    "tab-separated": "Alice\t<alice@example.com>",
    "encoded-name": ew("Ålice Exämple", "utf-8") + " <alice@example.com>",
    "encoded-name-latin1": ew("José", "iso-8859-1", "Q") + " <jose@example.com>",
    "encoded-name-koi8": ew("Вася", "koi8-r") + " <vasya@example.ru>",
    "encoded-name-jis": ew("山田太郎", "iso-2022-jp") + " <yamada@example.jp>",
    "encoded-in-quotes": '"' + ew("Quoted Ü", "utf-8") + '" <q@example.com>',
    "encoded-partial": "Mr " + ew("Ü", "utf-8") + " Smith <s@example.com>",
    "encoded-special": ew('Smith, "John"', "utf-8", "Q") + " <j@example.com>",
    "name-specials": "John (Jr.) Smith <j@example.com>",
    "name-atext": "J!m#$%&'*+-/=?^_`{|}~ <j@example.com>",
    "name-dots": "J. R. R. Tolkien <jrr@example.com>",
    "name-8bit": "Jösé <jose@example.com>",
    "name-unknown-charset": ew("x", "x-bogus") + " <b@example.com>",
    "many": ", ".join("User%d <user%d@example.com>" % (i, i) for i in range(150)),
    "empty": "",
    "spaces": "   ",
    "only-comma": ",",
    "commas": ",,a@example.com,,",
    "semicolon-only": ";",
    "colon-in-name": '"Re: x" <x@example.com>',
    "angle-in-quotes": '"<not@addr>" <real@example.com>',
    "percent": "user%host@example.com",
    "plus": "user+tag@example.com",
    "unicode-local": "üser@example.com",
    "quoted-pair-outside": "a\\b@example.com",
    "domain-comment-mid": "alice@example(c).com",
}
for i, (k, v) in enumerate(addrs.items()):
    simple("addr-from-%s" % k, std(From=v))
for k in ["group-members", "multiple", "encoded-name", "route", "no-domain", "comment-name", "upper", "many"]:
    simple("addr-to-%s" % k, std(To=addrs[k]))
    simple("addr-cc-%s" % k, std(Cc=addrs[k]))
    simple("addr-bcc-%s" % k, std(Bcc=addrs[k]))
simple("addr-no-from", std(From=None))
simple("addr-no-to", std(To=None))
simple("addr-sender-replyto", std(Sender="Secretary <sec@example.com>", Reply_To="List <list@example.org>"))
simple("addr-empty-sender", std(Sender="", Reply_To=""))
simple("addr-sender-only", std(From=None, Sender="Sender Only <s@example.com>"))
simple("addr-twice-from", std() + [("From", "Second <second@example.com>")])
simple("addr-twice-to-second-empty", std() + [("To", "")])
simple("addr-in-reply-to", std(In_Reply_To="<parent@example.com>", References="<a@example.com> <parent@example.com>"))
simple("addr-msgid-odd", std(Message_ID="  <odd id with spaces@example.com>  "))
simple("addr-msgid-empty", std(Message_ID=""))
simple("addr-msgid-long", std(Message_ID="<" + "m" * 1100 + "@example.com>"))
simple("addr-msgid-8bit", std(Message_ID="<idé@example.com>".encode()))

# ---------------------------------------------------------------- headers / cache
cached_names = ["References", "Priority", "Resent-From", "Newsgroups", "Followup-To",
                "X-Mailer", "X-Trace", "X-Ref", "X-Priority", "X-MSMail-Priority",
                "X-MSOESRec", "X-Spam-Score", "X-Resolved-To", "X-Delivered-To",
                "X-Mail-From", "X-TrueDomain-Domain", "X-ME-Message-ID",
                "X-Cyrus-Session-Id", "X-Universally-Unique-Identifier",
                "X-Uniform-Type-Identifier", "X-Apple-Base-URL",
                "X-Apple-Mail-Remote-Attachments", "Reply-To", "Sender",
                "Content-Type", "Content-Transfer-Encoding", "List-Id", "Organization",
                "User-Agent", "Thread-Topic", "Importance", "Keywords", "Comments"]
uncached = ["Bcc", "Cc", "Date", "Delivery-Date", "Envelope-To", "In-Reply-To",
            "MIME-Version", "Received", "Return-Path", "DKIM-Signature",
            "DomainKey-Signature", "DomainKey-X509", "ARC-Seal", "ARC-Message-Signature",
            "ARC-Authentication-Results", "Authentication-Results", "Received-SPF",
            "Archived-At", "Listbox-Message-Date", "Topicbox-Message-UUID",
            "Topicbox-Policy-Reasoning", "X-Spam-Status", "X-Original-To", "x-lower-custom"]
hl = [("Return-Path", "<bounce@example.com>"),
      ("Received", "from mx.example.com by mail.example.org; Tue, 14 Nov 2023 22:13:21 +0000")]
for n in cached_names:
    val = "value of " + n
    if n == "Content-Type":
        val = "text/plain; charset=utf-8"
    if n == "Content-Transfer-Encoding":
        val = "8bit"
    if n in ("Reply-To", "Sender", "Resent-From"):
        val = "Someone <someone@example.com>"
    hl.append((n, val))
for n in uncached:
    hl.append((n, "value of " + n if n not in ("Bcc", "Cc") else "x@example.com"))
simple("hdr-cache-selection", hl + std())
simple("hdr-cache-folded", std(References="<a@example.com>\n <b@example.com>\n\t<c@example.com>",
                               X_Mailer="Mailer\n continued"))
simple("hdr-name-31", std(**{"X" * 0: None}) + [("A" * 31, "thirty-one"), ("B" * 32, "thirty-two"), ("C" * 40, "forty")])
simple("hdr-x-custom", std() + [("X-Custom", "not cached"), ("x-mailer", "lower x-mailer"), ("X-MAILER", "upper")])
simple("hdr-empty-values", std() + [("Keywords", ""), ("Comments", " ")])
add("hdr-colon-no-space", "From:a@example.com\nTo:b@example.org\nKeywords:kw\nSubject:s\n\nb\n")
add("hdr-space-before-colon", "From: a@example.com\nSubject : spaced name\nKeywords : kw\n\nb\n", raw=False)
add("hdr-continuation-first", " starts with space\nFrom: a@example.com\n\nb\n")
add("hdr-no-colon-line", "From: a@example.com\nThis line has no colon\nSubject: s\n\nb\n")
add("hdr-colon-first", "From: a@example.com\n: empty name\nSubject: s\n\nb\n")
add("hdr-from-line", "From someone@example.com Tue Nov 14 22:13:20 2023\nFrom: a@example.com\nSubject: mbox\n\nb\n")
simple("hdr-very-long-line", std(Keywords="k" * 20000))
simple("hdr-long-folded", std(References="\n ".join("<ref%d@example.com>" % i for i in range(500))))
many = std() + [("X-Line-%d" % i if i % 3 else "Keywords", "v%d" % i) for i in range(1100)]
simple("hdr-over-maxheaderlines", many)
many2 = [("Keywords", "k%d" % i) for i in range(998)] + [("Subject", "late subject"), ("References", "<late@x>"), ("To", "late@example.com")]
simple("hdr-at-maxheaderlines", [("From", "a@example.com")] + many2)
many3 = [("Keywords", "k%d" % i) for i in range(1001)] + [("Subject", "after limit"), ("Comments", "first\n cont1\n cont2")]
simple("hdr-past-maxheaderlines", many3)
simple("hdr-8bit-name-value", std() + [("Keywords", "café".encode()), ("X-Mailer", "Ünï".encode())])
simple("hdr-dup-content-type", std(Content_Type="text/html") + [("Content-Type", "text/plain; charset=iso-8859-1")])
simple("hdr-dup-ct-second-bad", std(Content_Type="text/html") + [("Content-Type", "garbage")])
simple("hdr-crlf-in-middle", std(Keywords="a\rb"))
add("hdr-cr-cr-lf", b"From: a@example.com\r\nSubject: s\r\r\n\r\nbody\r\n", raw=True)
add("hdr-blank-with-space", "From: a@example.com\nSubject: s\n \nKeywords: after space line\n\nbody\n")

# raw (reconstruct) cases: bytes APPEND refuses
add("raw-bare-lf", b"From: a@example.com\nSubject: bare LF\n\nbody\nline2\n", raw=True)
add("raw-bare-lf-multipart", b"From: a@example.com\nContent-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: text/plain\n\npart\n--b--\n", raw=True)
add("raw-nul-in-header", b"From: a@example.com\r\nSubject: nul\x00here\r\nKeywords: k\r\n\r\nbody\r\n", raw=True)
add("raw-nul-in-body", b"From: a@example.com\r\nSubject: s\r\n\r\nbody\x00with nul\r\n", raw=True)
add("raw-space-in-name", b"From: a@example.com\r\nX Bad Name: v\r\nSubject: s\r\n\r\nb\r\n", raw=True)
add("raw-colon-first", b"From: a@example.com\r\n:no name\r\nSubject: s\r\n\r\nb\r\n", raw=True)
add("raw-mixed-endings", b"From: a@example.com\r\nSubject: mixed\nKeywords: k\r\n\r\nline\nline2\r\n", raw=True)
add("raw-lf-blank-line", b"From: a@example.com\r\nSubject: s\r\n\nnot a blank line for cyrus\r\n\r\nbody\r\n", raw=True)
add("raw-nul-subject-start", b"From: a@example.com\r\nSubject: \x00\r\n\r\nbody\r\n", raw=True)
add("raw-boundary-after-lf-line", b"Content-Type: multipart/mixed; boundary=q\r\n\r\n--q\r\n\n--q\r\n\r\nx\r\n--q--\r\n", raw=True)

# ---------------------------------------------------------------- content-type & params
cts = {
    "missing": None,
    "text-plain": "text/plain",
    "text-plain-charset": "text/plain; charset=utf-8",
    "charset-quoted": 'text/plain; charset="iso-8859-1"',
    "charset-upper": "text/plain; CHARSET=UTF-8",
    "charset-unknown": "text/plain; charset=x-unknown-thing",
    "charset-icu-unknown": "text/plain; charset=iso-8859-16",
    "charset-empty": "text/plain; charset=",
    "charset-empty-quoted": 'text/plain; charset=""',
    "charset-twice": "text/plain; charset=utf-8; charset=iso-8859-2",
    "charset-twice-unknown": "text/plain; charset=utf-8; charset=bogus",
    "charset-long": "text/plain; charset=windows-1252-this-is-long",
    "charset-utf8-alias": "text/plain; charset=utf8",
    "charset-latin1": "text/plain; charset=latin1",
    "charset-gb2312": "text/plain; charset=gb2312",
    "charset-sjis": "text/plain; charset=Shift_JIS",
    "charset-koi8": "text/plain; charset=KOI8-R",
    "charset-12": "text/plain; charset=iso-8859-1x",
    "charset-4": "text/plain; charset=abcd",
    "charset-on-image": "image/png; charset=utf-8",
    "text-html": "text/html; charset=utf-8",
    "text-upper": "TEXT/PLAIN",
    "text-mixed-case": "Text/Html; Charset=UTF-8",
    "comments": "text/plain (comment) ; (c2) charset=utf-8 (c3)",
    "spaces": "text / plain ; charset = utf-8",
    "no-slash": "textplain",
    "no-subtype": "text/",
    "empty-type": "/plain",
    "trailing-garbage": "text/plain garbage",
    "tspecial-in-type": "te@xt/plain",
    "8bit-in-type": "tëxt/plain".encode(),
    "empty": "",
    "only-semicolon": "text/plain;",
    "bare-token-param": "text/plain; foo; charset=utf-8",
    "empty-value-param": "text/plain; a=; charset=utf-8",
    "empty-value-end": "text/plain; charset=utf-8; name=",
    "quoted-escape": 'text/plain; name="a \\"quoted\\" \\\\ name"',
    "quoted-unterminated": 'text/plain; name="unterminated; charset=utf-8',
    "param-folded": "text/plain;\n charset=utf-8;\n format=flowed",
    "param-folded-in-quotes": 'text/plain; name="folded\n name.txt"',
    "param-folded-token": "text/plain; name=folded\n token",
    "param-8bit": "text/plain; name=fïlé.txt".encode(),
    "param-8bit-quoted": 'text/plain; name="fïlé.txt"'.encode(),
    "param-ctl": "text/plain; name=a\x01b; charset=utf-8",
    "param-tspecial-attr": "text/plain; na@me=x; charset=utf-8",
    "param-no-equals": "text/plain; name x; charset=utf-8",
    "param-comment-value": "text/plain; name=x(comment); charset=utf-8",
    "param-trailing-space": "text/plain; name=value   ; charset=utf-8",
    "param-inner-space": "text/plain; name=two words; charset=utf-8",
    "rfc2231-simple": "application/octet-stream; name*=utf-8''na%C3%AFve.txt",
    "rfc2231-lang": "application/octet-stream; name*=iso-8859-1'fr'caf%E9.txt",
    "rfc2231-cont": "application/octet-stream; name*0=long; name*1=file; name*2=name.txt",
    "rfc2231-cont-ext": "application/octet-stream; name*0*=utf-8''%C3%A9t%C3%A9; name*1*=%20deux; name*2=.txt",
    "rfc2231-cont-mixed": "application/octet-stream; name*0=simple; name*1*=%C3%A9xt",
    "rfc2231-cont-out-of-order": "application/octet-stream; name*2=c; name*0=a; name*1=b",
    "rfc2231-cont-gap": "application/octet-stream; name*0=a; name*2=c",
    "rfc2231-cont-11": "application/octet-stream; " + "; ".join("name*%d=p%d" % (i, i) for i in range(12)),
    "rfc2231-cont-leading-zero": "application/octet-stream; name*0=a; name*01=b",
    "rfc2231-cont-quoted": 'application/octet-stream; name*0="quoted part "; name*1="two"',
    "rfc2231-cont-special": "application/octet-stream; name*0*=''a; name*1=b c%'*",
    "rfc2231-star-only": "application/octet-stream; name*=plain",
    "rfc2231-bad-hex": "application/octet-stream; name*=utf-8''%ZZ",
    "rfc2231-unknown-cs": "application/octet-stream; name*=x-bogus''abc",
    "ew-content-type": "=?us-ascii?Q?text/plain;_name=3D=22x.txt=22?=",
    "ew-content-type-8bit": "=?utf-8?Q?application/octet-stream;_name=3D=22f=C3=AFl=C3=A9.txt=22?=",
    "application-octet": "application/octet-stream",
    "image-png": "image/png",
    "audio": "audio/mpeg",
    "message-delivery-status": "message/delivery-status",
    "message-partial": "message/partial; id=\"abc@example.com\"; number=1; total=2",
    "message-global": "message/global",
    "multipart-no-boundary": "multipart/mixed",
    "x-type": "x-custom/x-sub",
    "very-long-param": "text/plain; name=" + "n" * 1500,
}
for k, v in cts.items():
    simple("ct-%s" % k, std(Content_Type=v), "Content body.\nSecond line.\n")
disps = {
    "inline": "inline",
    "attachment-filename": 'attachment; filename="report.pdf"',
    "attachment-size": 'attachment; filename=a.txt; size=1234; creation-date="Tue, 14 Nov 2023 22:13:20 +0000"',
    "upper": "ATTACHMENT; FILENAME=X.TXT",
    "rfc2231": "attachment; filename*=utf-8''r%C3%A9sum%C3%A9.pdf",
    "bad": "attach ment",
    "empty": "",
    "params-only": "; filename=x",
    "comment": "inline (comment)",
}
for k, v in disps.items():
    simple("disp-%s" % k, std(Content_Type="text/plain", Content_Disposition=v))
langs = {"en": "en", "en-us": "en-US", "multi": "en, fr, de-CH", "digits": "de-1996",
         "comment": "en (English)", "empty": "", "bad-sep": "en; fr", "space": "en fr"}
for k, v in langs.items():
    simple("lang-%s" % k, std(Content_Type="text/plain", Content_Language=v))
simple("ct-all-fields", std(Content_Type="text/plain; charset=utf-8; format=flowed",
                            Content_ID="<cid123@example.com>", Content_Description="A description",
                            Content_MD5="Q2hlY2sgSW50ZWdyaXR5IQ==", Content_Location="http://example.com/x",
                            Content_Language="en", Content_Disposition="inline"))
simple("ct-desc-8bit", std(Content_Type="text/plain", Content_Description="Déscription".encode()))
simple("ct-location-folded", std(Content_Type="text/plain", Content_Location="http://example.com/\n very/long"))

# ---------------------------------------------------------------- transfer encodings
body_text = "Line one with some text.\nLine two: café.\n"
qp_body = "Soft=\n break and =C3=A9 and =c3=a9 lower.\nTrailing spaces   \nTabs\t\t\nBad =ZZ and =4 end=\nLast line =3D=\n"
b64_body = base64.encodebytes("Binary-ish payload with ünïcode and more text to span lines. ".encode() * 5).decode()
ctes = {
    "7bit": ("7bit", "plain ascii\n"),
    "8bit": ("8bit", "eight bit café\n"),
    "binary": ("binary", "binary ünï\x01\x02\n"),
    "qp": ("quoted-printable", qp_body),
    "qp-upper": ("QUOTED-PRINTABLE", qp_body),
    "qp-long-line": ("quoted-printable", "a" * 2500 + "   \n" + "b" * 999 + "\n"),
    "qp-long-line-spaces": ("quoted-printable", ("x" * 990 + "         ") * 3 + "\n"),
    "qp-no-final-newline": ("quoted-printable", "ends without newline="),
    "b64": ("base64", b64_body),
    "b64-upper": ("BASE64", b64_body),
    "b64-invalid-chars": ("base64", "SGVsbG8*gV29y!bGQ=\n"),
    "b64-whitespace": ("base64", "SGVs bG8g\tV29y bGQ=\n"),
    "b64-early-pad": ("base64", "SGk=SGk=\nSGk=\n"),
    "b64-no-pad": ("base64", "SGVsbG8gd29ybG\n"),
    "b64-one-char": ("base64", "S\n"),
    "b64-crlf-body-end": ("base64", "SGVsbG8=\n\n\n"),
    "unknown-x-uuencode": ("x-uuencode", "begin 644 x\n`\nend\n"),
    "unknown-7-bit": ("7-bit", "seven dash bit\n"),
    "unknown-uuencode": ("uuencode", "data\n"),
    "cte-comment": ("base64 (comment)", "SGVsbG8=\n"),
    "cte-trailing-garbage": ("base64 garbage", "SGVsbG8=\n"),
    "cte-empty": ("", "empty cte\n"),
    "cte-8bit-value": ("bäse64", "x\n"),
    "cte-quoted": ('"base64"', "SGVsbG8=\n"),
    "cte-utf8": ("utf-8", "rubbish cte\n"),
    "cte-none": ("none", "none cte\n"),
}
for k, (cte, body) in ctes.items():
    simple("cte-%s" % k, std(Content_Type="text/plain; charset=utf-8", Content_Transfer_Encoding=cte), body)
simple("cte-twice", std(Content_Type="text/plain", Content_Transfer_Encoding="base64") + [("Content-Transfer-Encoding", "quoted-printable")], "a=3Db\n")
simple("cte-twice-second-bad", std(Content_Type="text/plain", Content_Transfer_Encoding="base64") + [("Content-Transfer-Encoding", "bad value")], "SGk=\n")
simple("cte-on-multipart", std(Content_Type="multipart/mixed; boundary=zz", Content_Transfer_Encoding="base64"),
       "--zz\nContent-Type: text/plain\n\nx\n--zz--\n")
simple("cte-b64-on-nonboundary-multipart", std(Content_Type="multipart/mixed", Content_Transfer_Encoding="base64"), "SGVsbG8=\n")
simple("cte-qp-on-message", std(Content_Type="message/rfc822", Content_Transfer_Encoding="quoted-printable"),
       "Subject: inner\n\ninner body =3D\n")

# ---------------------------------------------------------------- multipart


def mp(boundary, parts, preamble="", epilogue="", close=True, subtype="mixed", extra_ct=""):
    s = preamble
    for p in parts:
        s += "--" + boundary + "\n" + p
        if not p.endswith("\n"):
            s += "\n"
    if close:
        s += "--" + boundary + "--\n" + epilogue
    return s


tp = "Content-Type: text/plain; charset=utf-8\n\nPlain part.\n"
th = "Content-Type: text/html; charset=utf-8\n\n<p>HTML part</p>\n"
att = ("Content-Type: application/pdf; name=\"doc.pdf\"\nContent-Transfer-Encoding: base64\n"
       "Content-Disposition: attachment; filename=\"doc.pdf\"\n\n" + base64.encodebytes(bytes(range(256)) * 3).decode())
img = ("Content-Type: image/png\nContent-ID: <img1@example.com>\nContent-Transfer-Encoding: base64\n\n"
       + base64.encodebytes(b"\x89PNG\r\n\x1a\n" + bytes(100)).decode())


def mpmsg(name, ct, body, **hdr):
    simple(name, std(MIME_Version="1.0", Content_Type=ct, **hdr), body)


mpmsg("mp-mixed", 'multipart/mixed; boundary="b1"', mp("b1", [tp, att]))
mpmsg("mp-alternative", "multipart/alternative; boundary=alt", mp("alt", [tp, th]))
mpmsg("mp-related", 'multipart/related; boundary="rel"; type="text/html"', mp("rel", [th, img]))
mpmsg("mp-nested", 'multipart/mixed; boundary="outer"',
      mp("outer", ['Content-Type: multipart/alternative; boundary="inner"\n\n' + mp("inner", [tp, th]), att]))
mpmsg("mp-nested-3", 'multipart/mixed; boundary="L1"',
      mp("L1", ['Content-Type: multipart/related; boundary="L2"\n\n' +
                mp("L2", ['Content-Type: multipart/alternative; boundary="L3"\n\n' + mp("L3", [tp, th]), img]), att]))
deep = tp
for lvl in range(8, 0, -1):
    deep = 'Content-Type: multipart/mixed; boundary="deep%d"\n\n' % lvl + mp("deep%d" % lvl, [deep, tp])
mpmsg("mp-nested-8", 'multipart/mixed; boundary="deep0"', mp("deep0", [deep]))
mpmsg("mp-preamble-epilogue", "multipart/mixed; boundary=pe",
      mp("pe", [tp, th], preamble="This is a preamble.\nIt has two lines.\n", epilogue="Epilogue text.\nMore.\n"))
mpmsg("mp-missing-close", "multipart/mixed; boundary=mc", mp("mc", [tp, th], close=False))
mpmsg("mp-missing-close-no-newline", "multipart/mixed; boundary=mc", mp("mc", [tp, "Content-Type: text/plain\n\nlast"], close=False).rstrip("\n"))
mpmsg("mp-no-boundaries-in-body", "multipart/mixed; boundary=never", "There are no boundaries here.\nAt all.\n")
mpmsg("mp-only-close", "multipart/mixed; boundary=oc", "preamble\n--oc--\nepilogue\n")
mpmsg("mp-empty-parts", "multipart/mixed; boundary=ep", "--ep\n--ep\n\n--ep\n\n\n--ep--\n")
mpmsg("mp-part-no-headers", "multipart/mixed; boundary=nh", mp("nh", ["\nNo headers in this part.\n", tp]))
mpmsg("mp-part-headers-hit-boundary", "multipart/mixed; boundary=hb", "--hb\nContent-Type: text/plain\n--hb\nContent-Type: text/html\n\nx\n--hb--\n")
mpmsg("mp-part-first-line-boundary", "multipart/mixed; boundary=fb", "--fb\n--fb--\n")
mpmsg("mp-boundary-trailing-space", "multipart/mixed; boundary=ts", "--ts   \n" + tp + "--ts \n" + th + "--ts--  \n")
mpmsg("mp-boundary-trailing-garbage", "multipart/mixed; boundary=tg", "--tgX\nnot a part\n--tg\n" + tp + "--tg--\n")
mpmsg("mp-boundary-trailing-one-char", "multipart/mixed; boundary=tg", "--tg\n" + tp + "--tgX")
mpmsg("mp-boundary-prefix", 'multipart/mixed; boundary="abc"',
      "--abc\nContent-Type: multipart/alternative; boundary=\"abcdef\"\n\n--abcdef\n" + tp + "--abcdef--\n--abc--\n")
mpmsg("mp-boundary-prefix-reverse", 'multipart/mixed; boundary="abcdef"',
      "--abcdef\nContent-Type: multipart/alternative; boundary=\"abc\"\n\n--abc\n" + tp + "--abc--\n--abcdef--\n")
mpmsg("mp-outer-close-inside", 'multipart/mixed; boundary="o"',
      "--o\nContent-Type: multipart/alternative; boundary=\"i\"\n\n--i\n" + tp + "--o--\nafter outer close\n")
mpmsg("mp-outer-sep-inside", 'multipart/mixed; boundary="o"',
      "--o\nContent-Type: multipart/alternative; boundary=\"i\"\n\n--i\n" + tp + "--o\n" + th + "--i--\n--o--\n")
mpmsg("mp-same-boundary-nested", 'multipart/mixed; boundary="same"',
      "--same\nContent-Type: multipart/alternative; boundary=\"same\"\n\n--same\n" + tp + "--same--\n--same--\n")
mpmsg("mp-digest", 'multipart/digest; boundary="dg"',
      mp("dg", ["\nFrom: d1@example.com\nSubject: digest one\n\nFirst digest body.\n",
                "\nFrom: d2@example.com\nSubject: digest two\n\nSecond.\n",
                "Content-Type: text/plain\n\nexplicit text in digest\n"]))
mpmsg("mp-digest-multipart-inner", 'multipart/digest; boundary="dg"',
      mp("dg", ["\nFrom: d@example.com\nContent-Type: multipart/mixed; boundary=dd\n\n" + mp("dd", [tp, th])]))
mpmsg("mp-no-boundary-param", "multipart/mixed; charset=utf-8", "--x\nContent-Type: text/plain\n\nno boundary param\n--x--\n")
mpmsg("mp-boundary-rfc2231", "multipart/mixed; boundary*=us-ascii''b%3Dx", mp("b=x", [tp]))
mpmsg("mp-boundary-rfc2231-bad", "multipart/mixed; boundary*=bogus", mp("bogus", [tp]))
mpmsg("mp-boundary-cont", "multipart/mixed; boundary*0=part1; boundary*1=part2", mp("part1part2", [tp, th]))
mpmsg("mp-boundary-special-chars", "multipart/mixed; boundary=\"=_?:() ',+/.\"", mp("=_?:() ',+/.", [tp, th]))
longb = "L" * 70
mpmsg("mp-boundary-long", 'multipart/mixed; boundary="%s"' % longb, mp(longb, [tp, th]))
vlongb = "V" * 5000
mpmsg("mp-boundary-very-long", 'multipart/mixed; boundary="%s"' % vlongb, mp(vlongb, [tp, th]))
mpmsg("mp-boundary-empty", 'multipart/mixed; boundary=""', "--\n" + tp + "----\n")
mpmsg("mp-boundary-case", "multipart/mixed; boundary=Case", "--case\n" + tp + "--Case\n" + th + "--Case--\n")
mpmsg("mp-part-no-crlf-before-boundary", "multipart/mixed; boundary=nc", "--nc\nContent-Type: text/plain\n\nx--nc\n--nc--\n")
mpmsg("mp-part-one-char", "multipart/mixed; boundary=oc", "--oc\nContent-Type: text/plain\n\nx\n--oc\n\n\n--oc--\n")
mpmsg("mp-adjacent-boundaries", "multipart/mixed; boundary=ad", "--ad\n--ad\n--ad--\n")
mpmsg("mp-subtype-upper", "MULTIPART/ALTERNATIVE; BOUNDARY=UP", mp("UP", [tp, th]))
mpmsg("mp-unknown-subtype", "multipart/x-custom; boundary=xc", mp("xc", [tp]))
mpmsg("mp-signed", 'multipart/signed; protocol="application/pgp-signature"; micalg=pgp-sha256; boundary="sig"',
      mp("sig", [tp, "Content-Type: application/pgp-signature; name=\"signature.asc\"\n\n-----BEGIN PGP SIGNATURE-----\nAAAA\n-----END PGP SIGNATURE-----\n"]))
mpmsg("mp-report", 'multipart/report; report-type=delivery-status; boundary="rp"',
      mp("rp", [tp, "Content-Type: message/delivery-status\n\nReporting-MTA: dns; mx.example.com\n\nFinal-Recipient: rfc822; x@example.com\nAction: failed\n",
                "Content-Type: text/rfc822-headers\n\nFrom: a@example.com\nSubject: orig\n"]))
mpmsg("mp-part-extensions", "multipart/mixed; boundary=ex",
      mp("ex", ["Content-Type: text/plain; charset=iso-8859-1; format=flowed\nContent-ID: <p1@example.com>\n"
                "Content-Description: part one\nContent-MD5: abc=\nContent-Disposition: inline; filename=a.txt\n"
                "Content-Language: en, fr\nContent-Location: part1.txt\nContent-Transfer-Encoding: quoted-printable\n\ncaf=E9\n"]),
      Content_Disposition="inline", Content_Language="de", Content_Location="top.txt")
mpmsg("mp-parts-encodings", "multipart/mixed; boundary=enc",
      mp("enc", ["Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: base64\n\n" + base64.encodebytes("b64 part ü\n".encode()).decode(),
                 "Content-Type: text/plain; charset=iso-8859-1\nContent-Transfer-Encoding: quoted-printable\n\ncaf=E9=\nsoft\n",
                 "Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n8bit ü\n",
                 "Content-Type: application/octet-stream\nContent-Transfer-Encoding: binary\n\n\x00\x01\x02binary\n",
                 "Content-Type: text/plain\nContent-Transfer-Encoding: x-unknown\n\nunknown enc\n",
                 "Content-Type: application/x-foo\nContent-Transfer-Encoding: 7bit\n\nfoo\n"]))
mpmsg("mp-parts-charsets", "multipart/mixed; boundary=chs",
      mp("chs", ["Content-Type: text/plain; charset=%s\n\ntext\n" % c for c in
                 ["utf-8", "UTF-8", "us-ascii", "iso-8859-1", "ISO-8859-15", "windows-1252", "koi8-r", "x-unknown", "bogus-cs",
                  "iso-8859-16", "gb2312", "Shift_JIS", "euc-jp", "big5", "abc", "abcdefgh", "utf-16", "unicode-1-1-utf-8"]]))
mpmsg("mp-nonleaf-zero-part", "multipart/mixed; boundary=z",
      mp("z", ["Content-Type: multipart/alternative\n\nno boundary inside\n", tp]))
mpmsg("mp-nonleaf-zero-part-b64", "multipart/mixed; boundary=z",
      mp("z", ["Content-Type: multipart/alternative\nContent-Transfer-Encoding: base64\n\nSGVsbG8=\n", tp]))
mpmsg("mp-nonleaf-only-zero-part", "multipart/mixed; boundary=z",
      mp("z", ["Content-Type: multipart/alternative\n\nno boundary inside\n"]))
mpmsg("mp-inner-missing-close", 'multipart/mixed; boundary="o"',
      "--o\nContent-Type: multipart/alternative; boundary=\"i\"\n\n--i\n" + tp + "--i\n" + th + "--o\n" + att + "--o--\n")
mpmsg("mp-inner-no-parts-then-outer", 'multipart/mixed; boundary="o"',
      "--o\nContent-Type: multipart/alternative; boundary=\"i\"\n\npreamble only\n--o\n" + tp + "--o--\n")
mpmsg("mp-crlf-only-body", "multipart/mixed; boundary=c", "\n")
mpmsg("mp-empty-body", "multipart/mixed; boundary=c", "")
mpmsg("mp-close-then-more", "multipart/mixed; boundary=cm", mp("cm", [tp], epilogue="--cm\n" + th))
mpmsg("mp-many-parts", "multipart/mixed; boundary=many", mp("many", ["Content-Type: text/plain\n\npart %d\n" % i for i in range(120)]))
mpmsg("mp-boundary-limit-deep", 'multipart/mixed; boundary="d0"',
      "".join('--d%d\nContent-Type: multipart/mixed; boundary="d%d"\n\n' % (i, i + 1) for i in range(30)) + "--d30\n" + tp)
mpmsg("mp-html-only-related", 'multipart/related; boundary="r"', mp("r", [th]))
mpmsg("mp-preamble-looks-like-part", "multipart/mixed; boundary=pl",
      "Content-Type: text/html\n\n<p>preamble</p>\n--pl\n" + tp + "--pl--\n")
mpmsg("mp-part-header-only-last", "multipart/mixed; boundary=ho", "--ho\nContent-Type: text/plain\n--ho--\n")
mpmsg("mp-whitespace-before-boundary", "multipart/mixed; boundary=wb", " --wb\n" + tp + "--wb\n" + th + "--wb--\n")

# ---------------------------------------------------------------- message/rfc822
inner = "From: Inner <inner@example.org>\nTo: outer@example.com\nSubject: Inner message\nDate: Mon, 13 Nov 2023 10:00:00 +0100\nMessage-ID: <inner@example.org>\n\nInner body.\n"
inner_mp = ("From: inner@example.org\nSubject: inner multipart\nMIME-Version: 1.0\nContent-Type: multipart/alternative; boundary=\"ia\"\n\n"
            + mp("ia", [tp, th]))
mpmsg("rfc822-attached", "multipart/mixed; boundary=r1",
      mp("r1", [tp, "Content-Type: message/rfc822\nContent-Disposition: attachment\n\n" + inner]))
mpmsg("rfc822-attached-mp", "multipart/mixed; boundary=r1",
      mp("r1", [tp, "Content-Type: message/rfc822\n\n" + inner_mp]))
simple("rfc822-top", std(Content_Type="message/rfc822"), inner)
simple("rfc822-top-mp", std(Content_Type="message/rfc822"), inner_mp)
simple("rfc822-top-empty", std(Content_Type="message/rfc822"), "")
simple("rfc822-top-headers-only", std(Content_Type="message/rfc822"), "Subject: only headers\n")
nest = inner
for lvl in range(5):
    nest = ("From: level%d@example.com\nSubject: level %d\nContent-Type: message/rfc822\n\n" % (lvl, lvl)) + nest
simple("rfc822-nested-5", std(Content_Type="message/rfc822"), nest)
nest2 = inner_mp
for lvl in range(3):
    nest2 = ("From: l%d@example.com\nSubject: mp level %d\nContent-Type: multipart/mixed; boundary=\"n%d\"\n\n" % (lvl, lvl, lvl)
             + mp("n%d" % lvl, [tp, "Content-Type: message/rfc822\n\n" + nest2]))
simple("rfc822-nested-mp-3", std(MIME_Version="1.0", Content_Type=None), nest2)
add("rfc822-nested-mp-3-fixed", "From: a@example.com\nSubject: nested\n" + nest2)
mpmsg("rfc822-headers-hit-boundary", "multipart/mixed; boundary=hh",
      "--hh\nContent-Type: message/rfc822\n--hh\n" + tp + "--hh--\n")
mpmsg("rfc822-inner-headers-hit-boundary", "multipart/mixed; boundary=hh",
      "--hh\nContent-Type: message/rfc822\n\nFrom: x@example.com\nSubject: cut\n--hh\n" + tp + "--hh--\n")
mpmsg("rfc822-no-inner-body", "multipart/mixed; boundary=nb",
      mp("nb", ["Content-Type: message/rfc822\n\nFrom: x@example.com\nSubject: no body\n\n"]))
mpmsg("rfc822-inner-zero-mp", "multipart/mixed; boundary=zm",
      mp("zm", ["Content-Type: message/rfc822\n\nSubject: zero mp\nContent-Type: multipart/mixed\n\nno boundary\n"]))
simple("rfc822-top-zero-mp", std(Content_Type="message/rfc822"), "Subject: zero mp\nContent-Type: multipart/mixed\n\nno boundary\n")
mpmsg("rfc822-b64-cte", "multipart/mixed; boundary=bc",
      mp("bc", ["Content-Type: message/rfc822\nContent-Transfer-Encoding: base64\n\n" + base64.encodebytes(inner.replace("\n", "\r\n").encode()).decode()]))
mpmsg("rfc822-with-attachment-inside", "multipart/mixed; boundary=wa",
      mp("wa", [tp, "Content-Type: message/rfc822; name=\"fwd.eml\"\n\n" +
                "From: f@example.com\nSubject: fwd\nContent-Type: multipart/mixed; boundary=wi\n\n" + mp("wi", [tp, att])]))
mpmsg("rfc822-global", "multipart/mixed; boundary=gl",
      mp("gl", ["Content-Type: message/global\n\nFrom: g@example.com\nSubject: global\n\nbody\n"]))
mpmsg("rfc822-partial", "multipart/mixed; boundary=pa",
      mp("pa", ["Content-Type: message/partial; id=x; number=1\n\npartial data\n"]))
mpmsg("rfc822-inner-missing-close", "multipart/mixed; boundary=om",
      "--om\nContent-Type: message/rfc822\n\nSubject: inner\nContent-Type: multipart/mixed; boundary=im\n\n--im\n" + tp + "--om\n" + th + "--om--\n")
mpmsg("rfc822-inner-closes-outer", "multipart/mixed; boundary=co",
      "--co\nContent-Type: message/rfc822\n\nSubject: inner\nContent-Type: multipart/mixed; boundary=ci\n\n--ci\n" + tp + "--co--\ntrailing\n")
mpmsg("rfc822-envelope-rich", "multipart/mixed; boundary=er",
      mp("er", ["Content-Type: message/rfc822\n\nFrom: " + ew("Ïnner", "utf-8") + " <i@example.com>\nSender: s@example.com\n"
                "Reply-To: grp: a@example.com, b@example.com;\nTo: undisclosed-recipients:;\nCc: c@example.com\nBcc: hidden@example.com\n"
                "Subject: " + ew("Ïnner subject", "utf-8") + "\nDate: bad date\nIn-Reply-To: <x@y>\nMessage-ID: <inner-rich@example.com>\n\nbody\n"]))
mpmsg("rfc822-digest-nested", 'multipart/digest; boundary="dn"',
      mp("dn", ["\n" + inner, "\n" + inner_mp]))
simple("rfc822-uppercase", std(Content_Type="MESSAGE/RFC822"), inner)
simple("rfc822-deep-20", std(Content_Type="message/rfc822"),
       "".join("Subject: d%d\nContent-Type: message/rfc822\n\n" % i for i in range(20)) + "Subject: bottom\n\nbottom body\n")

# ---------------------------------------------------------------- realistic mixes
random.seed(42)
words = ("lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor incididunt ut "
         "labore et dolore magna aliqua caf\u00e9 \u00fcber na\u00efve \u65e5\u672c").split()
charsets_pick = ["utf-8", "iso-8859-1", "iso-8859-15", "windows-1252", "koi8-r", "utf-8"]
for i in range(40):
    cs = random.choice(charsets_pick)
    nparts = random.randint(1, 4)
    parts = []
    for j in range(nparts):
        kind = random.choice(["text", "html", "b64", "qp", "att"])
        txt = " ".join(random.choice(words) for _ in range(random.randint(5, 60))) + "\n"
        if kind == "text":
            parts.append("Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n" + txt)
        elif kind == "html":
            parts.append("Content-Type: text/html; charset=utf-8\n\n<html><body>" + txt + "</body></html>\n")
        elif kind == "b64":
            parts.append("Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: base64\n\n" + base64.encodebytes(txt.encode()).decode())
        elif kind == "qp":
            q = "".join(c if ord(c) < 128 and c != "=" else "".join("=%02X" % b for b in c.encode()) for c in txt)
            parts.append("Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: quoted-printable\n\n" + q)
        else:
            parts.append("Content-Type: application/octet-stream; name=f%d.bin\nContent-Transfer-Encoding: base64\n"
                         "Content-Disposition: attachment; filename=f%d.bin\n\n" % (j, j)
                         + base64.encodebytes(bytes(random.randrange(256) for _ in range(random.randint(0, 3000)))).decode())
    subj = " ".join(random.choice(words) for _ in range(random.randint(1, 8)))
    try:
        subj_h = ew(subj, cs, random.choice("BQ"))
    except UnicodeEncodeError:
        subj_h = ew(subj, "utf-8", "B")
    hdr = [("From", "%s <%s@example.com>" % (ew(random.choice(words).title(), "utf-8", "Q"), "user%d" % i)),
           ("To", ", ".join("r%d@example.org" % k for k in range(random.randint(1, 5)))),
           ("Subject", subj_h),
           ("Date", "%s, %d %s %d %02d:%02d:%02d %s" % (random.choice(["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]),
                                                         random.randint(1, 28), random.choice(["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]),
                                                         random.randint(1995, 2030), random.randint(0, 23), random.randint(0, 59), random.randint(0, 59),
                                                         random.choice(["+0000", "-0700", "+0100", "+0900", "-0330", "+1245"]))),
           ("Message-ID", "<gen%d.%d@example.com>" % (i, random.randint(0, 10**9))),
           ("MIME-Version", "1.0")]
    if random.random() < 0.3:
        hdr.append(("References", " ".join("<r%d@example.com>" % k for k in range(random.randint(1, 10)))))
    if random.random() < 0.3:
        hdr.append(("X-Mailer", "GenMailer %d.%d" % (random.randint(1, 9), random.randint(0, 9))))
    if nparts == 1 and random.random() < 0.5:
        h, b = parts[0].split("\n\n", 1)
        for line in h.split("\n"):
            k, v = line.split(": ", 1)
            hdr.append((k, v))
        simple("mix-%02d" % i, hdr, b)
    else:
        bd = "----=_Part_%d_%d" % (i, random.randint(0, 10**6))
        hdr.append(("Content-Type", 'multipart/%s; boundary="%s"' % (random.choice(["mixed", "alternative", "related"]), bd)))
        simple("mix-%02d" % i, hdr, mp(bd, parts, preamble=random.choice(["", "This is a multi-part message in MIME format.\n"])))


# ---------------------------------------------------------------- limits and oddities found by differential testing
add("deep-rfc822-150", b"Subject: deep\r\n" + b"Content-Type: message/rfc822\r\n\r\n" * 150 + b"bottom\r\n", raw=True)
add("deep-multipart-1005", b"Subject: deep mp\r\n" + b"".join(
    b"Content-Type: multipart/mixed; boundary=b%d\r\n\r\n--b%d\r\n" % (i, i) for i in range(1005)) + b"\r\nbottom\r\n", raw=True)
add("deep-mixed-120", b"Subject: deep mixed\r\n" + b"".join(
    b"Content-Type: multipart/mixed; boundary=b%d\r\n\r\n--b%d\r\nContent-Type: message/rfc822\r\n\r\n" % (i, i)
    for i in range(120)) + b"Subject: bottom\r\n\r\nbody\r\n", raw=True)
simple("charset-name-punct", std(Subject="=?utf<8?Q?punct_in_name_=C3=A9?= =?iso_8859:1?Q?caf=E9?="))
simple("charset-algorithmic", std(Subject="=?iso-2022?B?GyRCJDMkcxsoQmFiYw==?= =?ISO_2022,locale=ja?B?GyRCJDMkcxsoQg==?="))
simple("charset-options", std(Subject="=?utf-8,version=1?Q?opt?= =?iscii,version=3?Q?x?="))
simple("ct-ew-address-param", std(Content_Type="=?utf-8?Q?application/octet-stream;_name=3D=22f=C3=AFl=3D@C3=A9.txt=22?="))
simple("ct-ew-long-8bit", std(Content_Type="=?utf-8?B?" + base64.b64encode(("text/plain; name=\"" + "é" * 60 + "\"").encode()).decode() + "?="))
simple("date-8bit-ff", std(Date=b"Tue, 14 Nov 2023 22:13\xff:20 +0000"))
simple("date-8bit-zone", std(Date=b"Tue, 14 Nov 2023 22:13:20 +00\xc90"))
simple("date-8bit-digit", std(Date=b"Tue, 14 Nov 2023 22:1\x80:20 +0000"))
simple("date-8bit-weekday", std(Date=b"T\xe9e, 14 Nov 2023 22:13:20 +0000"))
simple("rfc2231-many", std(Content_Type="text/plain; " + "; ".join("p%d*0=a; p%d*1=b" % (i, i) for i in range(60))))
simple("hdr-names-long", std() + [("X-" + "n" * 29, "x31 cached? no"), ("N" * 31, "thirty-one cached"), ("N" * 32, "thirty-two")])
mpmsg("mp-boundary-line-long-garbage", "multipart/mixed; boundary=lg", "--lg" + "x" * 70000 + "\n" + tp + "--lg\n" + th + "--lg--\n")
mpmsg("mp-boundary-line-long-ws", "multipart/mixed; boundary=lw", "--lw" + " " * 70000 + "\n" + tp + "--lw--\n")


def main():
    if os.path.isdir(OUT):
        shutil.rmtree(OUT)
    os.makedirs(OUT)
    names = set()
    for i, (name, data) in enumerate(corpus):
        if name in names:
            sys.exit("duplicate name " + name)
        names.add(name)
        with open(os.path.join(OUT, "%04d-%s.eml" % (i, name)), "wb") as f:
            f.write(data)
    print("%d messages in %s" % (len(corpus), OUT))


if __name__ == "__main__":
    main()
