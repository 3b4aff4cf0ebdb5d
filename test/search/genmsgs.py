#!/usr/bin/env python3
"""Writes the SEARCH/SORT/THREAD test corpus: msgs/NN.eml and
manifest.txt (one line per message: file, internal date, flags).
Our own messages, made to exercise every search key."""
import base64, os, quopri

here = os.path.dirname(os.path.abspath(__file__))
msgs = []

def add(headers, body, date, flags=""):
    h = "".join(f"{k}: {v}\r\n" for k, v in headers)
    data = h.encode("utf-8") + b"\r\n" + (body if isinstance(body, bytes) else body.encode("latin-1"))
    msgs.append((data, date, flags))

def b64(s):
    return base64.encodebytes(s).replace(b"\n", b"\r\n")

add([("From", "Alice Example <alice@example.com>"), ("To", "bob@example.org"), ("Subject", "Hello world"),
     ("Date", "Mon, 01 Jan 2018 10:00:00 +0000"), ("Message-ID", "<m1@example.com>")],
    "Plain text body with the word banana.\r\nSecond line.\r\n", "01-Jan-2018 10:00:00 +0000", "\\Seen")
add([("From", "Bob <bob@example.org>"), ("To", "Alice Example <alice@example.com>"), ("Cc", "carol@example.net"),
     ("Subject", "Re: Hello world"), ("Date", "Tue, 02 Jan 2018 23:30:00 -0500"), ("Message-ID", "<m2@example.org>"),
     ("In-Reply-To", "<m1@example.com>"), ("References", "<m1@example.com>")],
    "Reply: bananas are yellow.\r\n", "03-Jan-2018 04:30:00 +0000", "\\Answered")
add([("From", "=?utf-8?q?Andr=C3=A9_M=C3=BCller?= <andre@example.de>"), ("To", "alice@example.com"),
     ("Subject", "=?utf-8?b?w5xiZXJncsO2w59lIEdyw7zDn2U=?="), ("Date", "Wed, 10 Jan 2018 12:00:00 +0100"),
     ("Message-ID", "<m3@example.de>"), ("MIME-Version", "1.0"), ("Content-Type", "text/plain; charset=utf-8"),
     ("Content-Transfer-Encoding", "base64")],
    b64("Grüße aus Köln! Straße, Café, naïve résumé. Ελληνικά κείμενο. 日本語のテキスト。\r\n".encode()),
    "10-Jan-2018 11:00:00 +0000", "\\Flagged \\Seen")
add([("From", "carol@example.net"), ("To", "alice@example.com"), ("Subject", "=?iso-8859-1?q?Caf=E9_cr=E8me?="),
     ("Date", "Thu, 15 Feb 2018 08:00:00 +0000"), ("MIME-Version", "1.0"),
     ("Content-Type", "text/plain; charset=iso-8859-1"), ("Content-Transfer-Encoding", "quoted-printable")],
    "Un caf=E9 cr=E8me, s'il vous pla=EEt.=\r\nSoft break joins this.\r\n", "15-Feb-2018 08:00:00 +0000", "$Important")
add([("From", "dave@example.com"), ("To", "alice@example.com"), ("Subject", "Latin-1 long body"),
     ("Date", "Fri, 16 Feb 2018 09:00:00 +0000"), ("MIME-Version", "1.0"), ("Content-Type", "text/plain; charset=iso-8859-1")],
    ("start marker\r\n" + "filler words here\r\n" * 300 + "end marker\r\n"), "16-Feb-2018 09:00:00 +0000")
add([("From", "eve@example.com"), ("To", "alice@example.com"), ("Subject", "HTML newsletter"),
     ("Date", "Sat, 17 Mar 2018 10:00:00 +0000"), ("MIME-Version", "1.0"),
     ("Content-Type", "multipart/alternative; boundary=\"b1\"")],
    "--b1\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\nPlain part kiwi\r\n--b1\r\n"
    "Content-Type: text/html; charset=utf-8\r\n\r\n<html><body><p>Html <b>mango</b> &amp; more</p></body></html>\r\n--b1--\r\n",
    "17-Mar-2018 10:00:00 +0000", "\\Deleted")
add([("From", "frank@example.com"), ("To", "alice@example.com"), ("Subject", "Fwd: report attached"),
     ("Date", "Sun, 18 Mar 2018 10:00:00 +0000"), ("MIME-Version", "1.0"), ("X-Spam-score", "3.5"),
     ("Content-Type", "multipart/mixed; boundary=\"b2\"")],
    "--b2\r\nContent-Type: text/plain\r\n\r\nSee the attached report about papaya.\r\n--b2\r\n"
    "Content-Type: application/pdf; name=\"report.pdf\"\r\nContent-Disposition: attachment; filename=\"report.pdf\"\r\n"
    "Content-Transfer-Encoding: base64\r\n\r\n" + b64(b"%PDF-1.4 secret pineapple inside").decode() + "--b2--\r\n",
    "18-Mar-2018 10:00:00 +0000", "\\Draft")
add([("From", "grace@example.com"), ("To", "alice@example.com"), ("Subject", "Forwarded message"),
     ("Date", "Mon, 19 Mar 2018 10:00:00 +0000"), ("MIME-Version", "1.0"), ("List-Id", "Fruit list <fruit.example.com>"),
     ("Content-Type", "multipart/mixed; boundary=\"b3\"")],
    "--b3\r\nContent-Type: text/plain\r\n\r\nOriginal below.\r\n--b3\r\nContent-Type: message/rfc822\r\n\r\n"
    "From: inner@example.com\r\nSubject: Inner subject cherry\r\nX-Inner: yes\r\n\r\nInner body with lychee.\r\n--b3--\r\n",
    "19-Mar-2018 10:00:00 +0000")
add([("From", "=?koi8-r?b?8NLJ18XU?= <ivan@example.ru>"), ("To", "alice@example.com"),
     ("Subject", "=?koi8-r?b?8NLJ18XUIMPJ0g==?="), ("Date", "Tue, 20 Mar 2018 10:00:00 +0300"), ("MIME-Version", "1.0"),
     ("Content-Type", "text/plain; charset=koi8-r")],
    "\xf0\xd2\xc9\xd7\xc5\xd4, \xcd\xc9\xd2!\r\n".encode("latin-1"), "20-Mar-2018 07:00:00 +0000")
add([("From", "=?iso-2022-jp?b?GyRCRnxLXDhsGyhC?= <taro@example.jp>"), ("To", "alice@example.com"),
     ("Subject", "=?iso-2022-jp?b?GyRCJDMkcyRLJEEkTxsoQg==?="), ("Date", "Wed, 21 Mar 2018 10:00:00 +0900"),
     ("MIME-Version", "1.0"), ("Content-Type", "text/plain; charset=iso-2022-jp")],
    b"\x1b$BF|K\\8l$N%a!<%k\x1b(B ascii tail\r\n", "21-Mar-2018 01:00:00 +0000")
add([("From", "heidi@example.com"), ("To", "alice@example.com"), ("Subject", "[list] Re: Re[2]: fwd: Planning (fwd)"),
     ("Date", "Thu, 22 Mar 2018 10:00:00 +0000"), ("Message-ID", "<m11@example.com>"), ("References", "<m2@example.org> <m1@example.com>")],
    "Planning notes.\r\n", "22-Mar-2018 10:00:00 +0000")
add([("From", "ivan@example.com"), ("To", "alice@example.com"), ("Subject", "planning"),
     ("Date", "Fri, 23 Mar 2018 10:00:00 +0000"), ("Message-ID", "<m12@example.com>")],
    "More planning.\r\n", "23-Mar-2018 10:00:00 +0000")
add([("From", "judy@example.com"), ("To", "alice@example.com"), ("Subject", "[Fwd: Planning]"),
     ("Date", "Sat, 24 Mar 2018 10:00:00 +0000"), ("Message-ID", "<m13@example.com>"), ("In-Reply-To", "<missing@example.com>")],
    "Wrapped forward.\r\n", "24-Mar-2018 10:00:00 +0000")
add([("From", "mallory@example.com"), ("To", "alice@example.com"), ("Subject", "No date header")],
    "Body without date.\r\n", "25-Mar-2018 23:59:59 +0000")
add([("From", "oscar@example.com"), ("To", "alice@example.com"), ("Subject", "Whitespace   test\ttabs"),
     ("Date", "26 Mar 2018 10:00:00 -0800"), ("X-Mailer", "TestMailer 1.0"), ("X-Custom", "custom value here"),
     ("Priority", "urgent"), ("Resent-From", "someone@example.com"), ("X-Empty", "")],
    "Spaces    and\ttabs\r\n\r\nand  blank lines.\r\n", "26-Mar-2018 18:00:00 +0000", "$Label1 \\Seen")
add([("From", "peggy@example.com"), ("To", "alice@example.com"), ("Subject", "Encoded words adjacent"),
     ("Date", "Tue, 27 Mar 2018 10:00:00 +0000"), ("X-Encoded", "=?utf-8?q?caf=C3=A9?= =?utf-8?q?_au_lait?=")],
    "ok\r\n", "27-Mar-2018 10:00:00 +0000")
add([("From", "quinn@example.com"), ("To", "alice@example.com"), ("Subject", "Shift_JIS body"),
     ("Date", "Wed, 28 Mar 2018 10:00:00 +0000"), ("MIME-Version", "1.0"), ("Content-Type", "text/plain; charset=shift_jis")],
    "日本語の本文です".encode("shift_jis") + b"\r\n" + b"x" * 5000 + b"\r\n", "28-Mar-2018 10:00:00 +0000")
add([("From", "rupert@example.com"), ("To", "alice@example.com"), ("Subject", "Big message"),
     ("Date", "Thu, 29 Mar 2018 10:00:00 +0000")],
    "big " * 20000 + "\r\nneedle at the end\r\n", "29-Mar-2018 10:00:00 +0000")
add([("From", "sybil@example.com"), ("To", "alice@example.com"), ("Bcc", "hidden@example.com"),
     ("Subject", "Greek ἀρχή and ﬁne ligature"), ("Date", "Fri, 30 Mar 2018 10:00:00 +0000")],
    "straße STRASSE strasse. ﬁnal. Ǆemal. ΣΊΣΥΦΟΣ σίσυφος.\r\n".encode("utf-8"), "30-Mar-2018 10:00:00 +0000")
add([("From", "trent@example.com"), ("To", "alice@example.com"), ("Subject", "future message"),
     ("Date", "Mon, 01 Jan 2035 10:00:00 +0000"), ("Message-ID", "<m20@example.com>")],
    "From the future.\r\n", "01-Jan-2035 10:00:00 +0000", "\\Flagged")
add([("From", "victor@example.com"), ("To", "alice@example.com"), ("Subject", "UTF-7 and unknown charset"),
     ("Date", "Tue, 03 Apr 2018 10:00:00 +0000"), ("MIME-Version", "1.0"),
     ("Content-Type", "multipart/mixed; boundary=\"b4\"")],
    "--b4\r\nContent-Type: text/plain; charset=utf-7\r\n\r\nHi Mom -+Jjo--!\r\n--b4\r\n"
    "Content-Type: text/plain; charset=x-bogus-charset\r\n\r\nbogus charset text durian\r\n--b4--\r\n",
    "03-Apr-2018 10:00:00 +0000")
add([("From", "walter@example.com"), ("To", "alice@example.com"), ("Subject", "Re: planning"),
     ("Date", "Wed, 04 Apr 2018 10:00:00 +0000"), ("Message-ID", "<m22@example.com>"), ("References", "<m12@example.com>")],
    "Re planning body.\r\n", "04-Apr-2018 10:00:00 +0000")

with open(os.path.join(here, "manifest.txt"), "w") as mf:
    mf.write("# file\tinternaldate\tflags (written by genmsgs.py)\n")
    for i, (data, date, flags) in enumerate(msgs, 1):
        name = f"{i:02d}.eml"
        with open(os.path.join(here, "msgs", name), "wb") as f:
            f.write(data)
        mf.write(f"{name}\t{date}\t{flags}\n")
