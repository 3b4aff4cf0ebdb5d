package common

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"math"
	"math/rand/v2"
	"mime"
	"mime/quotedprintable"
	"strings"
	"time"
)

// Corpus makes realistic messages deterministically: message i depends
// only on the corpus's fields and i. About a third of the messages
// reply to an earlier one (In-Reply-To, References, "Re:" subject) so
// that THREAD has threads to build; dates jitter around arrival order
// so that SORT (DATE) has work to do; bodies are text/plain (some
// quoted-printable with UTF-8), multipart/alternative (text and HTML)
// or multipart/mixed with a base64 attachment; some subjects and names
// are RFC 2047 encoded.
type Corpus struct {
	Seed     uint64
	MinSize  int       // smallest target size in bytes (default 2,000)
	MaxSize  int       // largest (default 50,000); sizes are log-uniform
	Senders  int       // distinct From addresses (default 100: each in ~1%)
	Rare     string    // a word no other text contains (default "zephyrine")
	RareRate float64   // share of messages that contain Rare (default 0.01)
	Start    time.Time // date of message 0 (default 2023-01-02 08:00 UTC)
	To       string    // the To address (default bench@localhost)
}

// Message is one generated message.
type Message struct {
	Index     int
	Raw       []byte    // CRLF line ends
	Date      time.Time // the Date header's instant; use it as internal date
	From      string    // the From address
	MessageID string
	Rare      bool // the body contains Corpus.Rare
}

func (c *Corpus) defaults() {
	if c.MinSize == 0 {
		c.MinSize = 2000
	}
	if c.MaxSize == 0 {
		c.MaxSize = 50000
	}
	if c.Senders == 0 {
		c.Senders = 100
	}
	if c.Rare == "" {
		c.Rare = "zephyrine"
	}
	if c.RareRate == 0 {
		c.RareRate = 0.01
	}
	if c.Start.IsZero() {
		c.Start = time.Date(2023, 1, 2, 8, 0, 0, 0, time.UTC)
	}
	if c.To == "" {
		c.To = "bench@localhost"
	}
}

// independent random streams per message, so that cheap facts
// (sender, rare word, parent) need not make the whole message
const (
	streamParent = iota + 1
	streamSender
	streamDate
	streamRare
	streamSubject
	streamBody
)

func (c *Corpus) rng(i, stream int) *rand.Rand {
	return rand.New(rand.NewPCG(c.Seed, uint64(i)<<8|uint64(stream)))
}

// Parent is the index of the message i replies to, or -1.
func (c *Corpus) Parent(i int) int {
	if i == 0 {
		return -1
	}
	r := c.rng(i, streamParent)
	if r.Float64() >= 0.35 {
		return -1
	}
	return i - 1 - r.IntN(min(i, 40))
}

// SenderIndex is which of the Senders wrote message i.
func (c *Corpus) SenderIndex(i int) int {
	c.defaults()
	return c.rng(i, streamSender).IntN(c.Senders)
}

// Sender is the address of sender k.
func (c *Corpus) Sender(k int) string {
	return fmt.Sprintf("%s.%s%d@%s", strings.ToLower(firstNames[k%len(firstNames)]),
		strings.ToLower(lastNames[(k/len(firstNames)+k)%len(lastNames)]), k, domains[k%len(domains)])
}

func (c *Corpus) senderName(k int) string {
	return firstNames[k%len(firstNames)] + " " + lastNames[(k/len(firstNames)+k)%len(lastNames)]
}

// HasRare reports whether message i contains the rare word.
func (c *Corpus) HasRare(i int) bool {
	c.defaults()
	return c.rng(i, streamRare).Float64() < c.RareRate
}

// MessageID is message i's Message-ID (with angle brackets).
func (c *Corpus) MessageID(i int) string {
	return fmt.Sprintf("<%d.%x@bench.gyrus.example>", i, c.Seed)
}

// Date is message i's date.
func (c *Corpus) Date(i int) time.Time {
	c.defaults()
	r := c.rng(i, streamDate)
	jitter := time.Duration(r.IntN(6*3600)-3*3600) * time.Second
	return c.Start.Add(time.Duration(i)*7*time.Minute + jitter)
}

func (c *Corpus) baseSubject(i int) string {
	for p := c.Parent(i); p >= 0; p = c.Parent(i) {
		i = p
	}
	r := c.rng(i, streamSubject)
	n := 3 + r.IntN(5)
	w := make([]string, n)
	for k := range w {
		w[k] = vocabulary[r.IntN(len(vocabulary))]
	}
	w[0] = strings.ToUpper(w[0][:1]) + w[0][1:]
	if r.IntN(10) == 0 {
		w = append(w, utf8Words[r.IntN(len(utf8Words))])
	}
	return strings.Join(w, " ")
}

// Message makes message i.
func (c *Corpus) Message(i int) Message {
	c.defaults()
	m := Message{Index: i, Date: c.Date(i), MessageID: c.MessageID(i), Rare: c.HasRare(i)}
	k := c.SenderIndex(i)
	m.From = c.Sender(k)
	r := c.rng(i, streamBody)
	zones := []*time.Location{time.UTC, time.FixedZone("", 3600), time.FixedZone("", -5*3600), time.FixedZone("", 9*3600)}

	var h bytes.Buffer
	hdr := func(name, value string) { fmt.Fprintf(&h, "%s: %s\r\n", name, value) }
	hdr("Return-Path", "<"+m.From+">")
	hdr("Received", fmt.Sprintf("from mx%d.example.net (mx%d.example.net [192.0.2.%d])\r\n\tby mail.bench.example with ESMTPS id %x\r\n\tfor <%s>; %s",
		k%5, k%5, 1+k%250, r.Uint64(), c.To, m.Date.In(time.UTC).Add(3*time.Second).Format(time.RFC1123Z)))
	name := c.senderName(k)
	if k%20 == 3 {
		name = mime.QEncoding.Encode("utf-8", name+" "+utf8Words[k%len(utf8Words)])
	}
	hdr("From", fmt.Sprintf("%s <%s>", name, m.From))
	hdr("To", "Bench User <"+c.To+">")
	if r.IntN(4) == 0 {
		var cc []string
		for n := 1 + r.IntN(3); n > 0; n-- {
			cc = append(cc, c.Sender(r.IntN(c.Senders)))
		}
		hdr("Cc", strings.Join(cc, ", "))
	}
	subject := c.baseSubject(i)
	if p := c.Parent(i); p >= 0 {
		subject = "Re: " + subject
		var refs []string
		for a := p; a >= 0 && len(refs) < 10; a = c.Parent(a) {
			refs = append([]string{c.MessageID(a)}, refs...)
		}
		hdr("In-Reply-To", c.MessageID(p))
		hdr("References", strings.Join(refs, "\r\n "))
	}
	if !isASCII(subject) {
		subject = mime.BEncoding.Encode("utf-8", subject)
	}
	hdr("Subject", subject)
	hdr("Date", m.Date.In(zones[r.IntN(len(zones))]).Format(time.RFC1123Z))
	hdr("Message-ID", m.MessageID)
	hdr("MIME-Version", "1.0")
	if r.IntN(3) == 0 {
		hdr("X-Mailer", "Bench Mailer 4.2")
	}

	// target size, log-uniform in [MinSize, MaxSize]
	lo, hi := math.Log(float64(c.MinSize)), math.Log(float64(c.MaxSize))
	size := int(math.Exp(lo + r.Float64()*(hi-lo)))
	bodySize := max(size-h.Len()-2, 200)

	var b bytes.Buffer
	boundary := fmt.Sprintf("=_bench_%d_%x", i, r.Uint32())
	switch kind := r.IntN(20); {
	case kind < 11: // text/plain
		if kind < 2 {
			hdr("Content-Type", "text/plain; charset=utf-8")
			hdr("Content-Transfer-Encoding", "quoted-printable")
			b.Write(qp(c.text(r, bodySize*9/10, m.Rare, true)))
		} else {
			hdr("Content-Type", "text/plain; charset=us-ascii; format=flowed")
			hdr("Content-Transfer-Encoding", "7bit")
			b.WriteString(c.text(r, bodySize, m.Rare, false))
		}
	case kind < 15: // multipart/alternative
		hdr("Content-Type", `multipart/alternative; boundary="`+boundary+`"`)
		txt := c.text(r, bodySize*2/5, m.Rare, false)
		b.WriteString("This is a multi-part message in MIME format.\r\n\r\n")
		fmt.Fprintf(&b, "--%s\r\nContent-Type: text/plain; charset=us-ascii\r\nContent-Transfer-Encoding: 7bit\r\n\r\n%s\r\n", boundary, txt)
		fmt.Fprintf(&b, "--%s\r\nContent-Type: text/html; charset=us-ascii\r\nContent-Transfer-Encoding: 7bit\r\n\r\n%s\r\n", boundary, html(txt))
		fmt.Fprintf(&b, "--%s--\r\n", boundary)
	default: // multipart/mixed with an attachment
		hdr("Content-Type", `multipart/mixed; boundary="`+boundary+`"`)
		txtSize := min(bodySize/3, 300+r.IntN(2500))
		txt := c.text(r, txtSize, m.Rare, false)
		att := attachments[r.IntN(len(attachments))]
		raw := make([]byte, max(64, (bodySize-txtSize-400)*3/4))
		for j := 0; j < len(raw); j += 8 {
			v := r.Uint64()
			for k := 0; k < 8 && j+k < len(raw); k++ {
				raw[j+k] = byte(v >> (8 * k))
			}
		}
		fmt.Fprintf(&b, "--%s\r\nContent-Type: text/plain; charset=us-ascii\r\nContent-Transfer-Encoding: 7bit\r\n\r\n%s\r\n", boundary, txt)
		fmt.Fprintf(&b, "--%s\r\nContent-Type: %s; name=\"%s\"\r\nContent-Disposition: attachment; filename=\"%s\"\r\nContent-Transfer-Encoding: base64\r\n\r\n",
			boundary, att[1], att[0], att[0])
		enc := base64.StdEncoding.EncodeToString(raw)
		for len(enc) > 76 {
			b.WriteString(enc[:76] + "\r\n")
			enc = enc[76:]
		}
		b.WriteString(enc + "\r\n")
		fmt.Fprintf(&b, "--%s--\r\n", boundary)
	}
	h.WriteString("\r\n")
	h.Write(b.Bytes())
	m.Raw = h.Bytes()
	return m
}

// text makes paragraphs of about n bytes with CRLF lines of at most 72
// characters (60 when the text is to be quoted-printable encoded, which
// may add UTF-8 words); rare puts the corpus's rare word in the middle.
func (c *Corpus) text(r *rand.Rand, n int, rare, utf8 bool) string {
	width := 72
	if utf8 {
		width = 60
	}
	var b strings.Builder
	line := 0
	rareAt := -1
	if rare {
		rareAt = n / 2
	}
	sentence := 0
	for b.Len() < n {
		var w string
		switch {
		case rareAt >= 0 && b.Len() >= rareAt:
			w = c.Rare
			rareAt = -1
		case utf8 && r.IntN(25) == 0:
			w = utf8Words[r.IntN(len(utf8Words))]
		default:
			w = vocabulary[r.IntN(len(vocabulary))]
		}
		newSentence := sentence == 0
		if newSentence {
			w = strings.ToUpper(w[:1]) + w[1:]
		}
		sentence++
		if sentence > 6 && r.IntN(6) == 0 {
			w += "."
			sentence = 0
		} else if r.IntN(12) == 0 {
			w += ","
		}
		if line > 0 && line+1+len(w) > width {
			b.WriteString("\r\n")
			line = 0
			if newSentence && r.IntN(5) == 0 {
				b.WriteString("\r\n")
			}
		}
		if line > 0 {
			b.WriteByte(' ')
			line++
		}
		b.WriteString(w)
		line += len(w)
	}
	if rareAt >= 0 { // n was too small to reach the middle
		b.WriteString(" " + c.Rare)
	}
	b.WriteString("\r\n")
	return b.String()
}

func qp(s string) []byte {
	var b bytes.Buffer
	w := quotedprintable.NewWriter(&b)
	w.Write([]byte(s))
	w.Close()
	return bytes.ReplaceAll(bytes.ReplaceAll(b.Bytes(), []byte("\r\n"), []byte("\n")), []byte("\n"), []byte("\r\n"))
}

func html(txt string) string {
	var b strings.Builder
	b.WriteString("<html><head><meta http-equiv=\"Content-Type\" content=\"text/html\"></head>\r\n<body>\r\n<p>")
	for _, l := range strings.Split(strings.TrimRight(txt, "\r\n"), "\r\n") {
		if l == "" {
			b.WriteString("</p>\r\n<p>")
			continue
		}
		b.WriteString(l + "\r\n")
	}
	b.WriteString("</p>\r\n</body></html>")
	return b.String()
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

var (
	firstNames = []string{"Alice", "Bruno", "Chloe", "Dmitri", "Elena", "Farid", "Greta", "Hiro", "Ines", "Jonas",
		"Kaveh", "Lena", "Marco", "Nadia", "Oscar", "Priya", "Quentin", "Rosa", "Samir", "Tessa", "Umar", "Vera"}
	lastNames = []string{"Andersen", "Bianchi", "Castro", "Dubois", "Eriksen", "Fischer", "Garcia", "Haddad",
		"Ivanova", "Jensen", "Kowalski", "Lindqvist", "Moreau", "Nakamura", "Okafor", "Petrov", "Quinn"}
	domains     = []string{"example.com", "example.org", "example.net", "corp.example", "mail.example", "uni.example", "lab.example"}
	attachments = [][2]string{{"report.pdf", "application/pdf"}, {"photo.jpg", "image/jpeg"},
		{"data.bin", "application/octet-stream"}, {"slides.zip", "application/zip"}}
	utf8Words  = []string{"café", "naïve", "Überprüfung", "résumé", "Straße", "señor", "smörgåsbord", "façade", "東京", "Ålesund"}
	vocabulary = strings.Fields(`the of and to in is that for it as with was on be at by this had not are but
	from or have an they which one you were all we when there can more if out so said what up its about into
	than them only other new some could time these two may then first any like now my such make over our even
	most after also did many before must through back years where much your way well down should because each
	just those people how too little state good very world still own see men work long get here between both
	life being under never day same another know while last might great old year off come since against go
	came right used take three meeting budget report project schedule review draft deadline invoice agenda
	release server backup quarterly update proposal contract customer support ticket network storage mailbox
	calendar travel expenses office holiday training security patch upgrade migration planning summary notes`)
)
