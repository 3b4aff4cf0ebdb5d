package mailboxtest

import (
	"fmt"
	"strings"
)

// corpus returns varied test messages (CRLF): plain, multipart with an
// attachment, encoded words, a forwarded message, a long header.
func corpus() [][]byte {
	crlf := func(s string) []byte { return []byte(strings.ReplaceAll(s, "\n", "\r\n")) }
	var out [][]byte
	out = append(out, crlf(`From: Bob <bob@example.com>
To: alice@example.com
Subject: Hi
Date: Tue, 14 Nov 2023 22:13:20 +0000
Message-ID: <1@example.com>

Hello
`))
	out = append(out, crlf(`From: "Carol Q. Public" <carol@example.org>
To: Alice <alice@example.com>, dave@example.net
Cc: eve@example.com
Subject: =?UTF-8?B?w4lsw6h2ZSBkdSBtb2lz?=
Date: Wed, 15 Nov 2023 08:00:00 +0100
Message-ID: <2@example.org>
In-Reply-To: <1@example.com>
References: <1@example.com>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="b1"
X-Mailer: test

--b1
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: quoted-printable

Caf=C3=A9 au lait
--b1
Content-Type: application/octet-stream; name="x.bin"
Content-Disposition: attachment; filename="x.bin"
Content-Transfer-Encoding: base64

AAECAwQFBgcICQ==
--b1--
`))
	out = append(out, crlf(`From: list@example.com
To: undisclosed-recipients:;
Subject: Fwd: report
Date: Thu, 16 Nov 2023 10:30:00 -0500
MIME-Version: 1.0
Content-Type: multipart/alternative; boundary=alt

--alt
Content-Type: text/plain

plain text
--alt
Content-Type: text/html

<p>html</p>
--alt--
`))
	out = append(out, crlf(`From: Frank <frank@example.com>
To: alice@example.com
Subject: forwarded
Date: Fri, 17 Nov 2023 12:00:00 +0000
MIME-Version: 1.0
Content-Type: message/rfc822

From: Old <old@example.com>
Subject: inner
Date: Mon, 13 Nov 2023 09:00:00 +0000

inner body
`))
	long := strings.Repeat("word ", 60)
	out = append(out, crlf(fmt.Sprintf(`From: Grace <grace@example.com>
To: alice@example.com
Subject: %s
Date: Sat, 18 Nov 2023 18:45:00 +0000
Priority: urgent
X-Spam-Score: 1.0

%s
`, long, strings.Repeat("line of text\n", 40))))
	return out
}
