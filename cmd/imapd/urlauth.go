package main

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha1"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"gyrus/lib/authz"
	"gyrus/lib/cyrusdb"
	"gyrus/lib/imapwire"
	"gyrus/lib/log"
	"gyrus/lib/mailbox"
	"gyrus/lib/mailbox/index"
	"gyrus/lib/mboxlist"
	"gyrus/lib/mboxname"
	"gyrus/lib/message"
)

// URLAUTH (RFC 4467) as Cyrus 3.6.1 has it: GENURLAUTH signs an IMAP URL
// with the INTERNAL mechanism (HMAC-SHA1 under a random 128-bit key per
// mailbox, kept in the user's mailbox-key database <user>.mboxkey, a
// cyrusdb of mboxkey_db whose values are a 16-bit version 1 and the
// key), URLFETCH returns what signed (or the user's own) URLs name, and
// RESETKEY forgets keys. Only the simple URLFETCH form is parsed (no
// RFC 5524 extended items).

// authURL is an IMAP URL taken apart as Cyrus's imapurl_fromURL does.
type authURL struct {
	user, server, mailbox string
	uidValidity, uid      uint32
	section               string
	hasSection            bool
	start, count          uint32
	partial               bool
	expire                time.Time
	access, mech, token   string
	rumpLen               int // the URL up to ":mech:token"
}

func parseAuthURL(s string) (u authURL, ok bool) {
	src := s
	base := 0 // offset of src in s
	if strings.HasPrefix(src, "imap://") {
		src = src[7:]
		base = 7
		slash := strings.IndexByte(src, '/')
		if slash < 0 {
			return u, false
		}
		host := src[:slash]
		if at := strings.IndexByte(host, '@'); at >= 0 {
			user, err := url.PathUnescape(host[:at])
			if err != nil {
				return u, false
			}
			u.user = user
			host = host[at+1:]
		}
		u.server = host
		src = src[slash+1:]
		base += slash + 1
	} else if strings.HasPrefix(src, "/") {
		src = src[1:]
		base = 1
	}
	mbox := src
	step := 0
	if i := strings.IndexByte(src, ';'); i >= 0 {
		mbox = strings.TrimSuffix(src[:i], "/")
		opts := src[i:]
		pos := base + i
		for len(opts) > 0 && opts[0] == ';' {
			opts = opts[1:]
			pos++
			j := strings.IndexByte(opts, ';')
			if j < 0 {
				j = len(opts)
			}
			item := opts[:j]
			next := opts[j:]
			lower := strings.ToLower(item)
			num := func(v string) (uint32, bool) {
				v = strings.TrimSuffix(v, "/")
				n, err := strconv.ParseUint(v, 10, 32)
				return uint32(n), err == nil
			}
			var good bool
			switch {
			case step == 0 && strings.HasPrefix(lower, "uidvalidity="):
				u.uidValidity, good = num(item[12:])
				step = 1
			case step <= 1 && strings.HasPrefix(lower, "uid="):
				u.uid, good = num(item[4:])
				step = 2
			case step == 2 && strings.HasPrefix(lower, "section="):
				u.section, u.hasSection, good = strings.TrimSuffix(item[8:], "/"), true, true
				step = 3
			case step >= 2 && step <= 3 && strings.HasPrefix(lower, "partial="):
				a, b, hasLen := strings.Cut(strings.TrimSuffix(item[8:], "/"), ".")
				var n uint32
				n, good = num(a)
				u.start, u.partial = n, true
				if good && hasLen {
					u.count, good = num(b)
				}
				step = 4
			case step >= 2 && step < 5 && strings.HasPrefix(lower, "expire="):
				t, err := time.Parse(time.RFC3339, strings.TrimSuffix(item[7:], "/"))
				u.expire, good = t, err == nil
				step = 5
			case step >= 2 && step < 6 && strings.HasPrefix(lower, "urlauth="):
				rest := item[8:]
				if k := strings.IndexByte(rest, ':'); k >= 0 {
					u.rumpLen = pos + 8 + k
					u.access = rest[:k]
					mech := rest[k+1:]
					if m := strings.IndexByte(mech, ':'); m >= 0 {
						u.token = mech[m+1:]
						mech = mech[:m]
					}
					u.mech = mech
				} else {
					u.access = rest
					u.rumpLen = len(s)
				}
				good = true
				step = 6
			}
			if !good {
				return u, false
			}
			pos += j
			opts = next
		}
	}
	if mbox != "" {
		dec, err := url.PathUnescape(mbox)
		if err != nil {
			return u, false
		}
		if enc, err := mboxname.EncodeUTF7(dec); err == nil {
			dec = enc
		}
		u.mailbox = dec
	}
	return u, true
}

const mboxKeyVersion = 1

// mboxKeys is a user's mailbox-key database.
type mboxKeys struct{ db *cyrusdb.DB }

func (s *Server) openMboxKeys(userid string, create bool) (*mboxKeys, error) {
	path := s.list.UserFileOf(userid, "mboxkey")
	fl := cyrusdb.Convert
	if create {
		fl |= cyrusdb.Create
		if err := cyrusdb.MkdirParents(path); err != nil {
			return nil, err
		}
	}
	backend := s.cfg.MboxkeyDb()
	if backend == "" {
		backend = "twoskip"
	}
	db, err := cyrusdb.Open(path, backend, fl)
	if err != nil {
		return nil, err
	}
	return &mboxKeys{db: db}, nil
}

func (k *mboxKeys) Close() { k.db.Close() }

func (k *mboxKeys) read(intname string) ([]byte, error) {
	v, err := k.db.Fetch([]byte(intname))
	if errors.Is(err, cyrusdb.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if len(v) < 2 || binary.BigEndian.Uint16(v) != mboxKeyVersion {
		return nil, errors.New("bad mailbox key record")
	}
	return v[2:], nil
}

func (k *mboxKeys) write(intname string, key []byte) error {
	v := make([]byte, 2, 2+len(key))
	binary.BigEndian.PutUint16(v, mboxKeyVersion)
	return k.db.Store([]byte(intname), append(v, key...))
}

// genURLAuthItem is one "url mechanism" pair of GENURLAUTH.
type genURLAuthItem struct{ url, mech string }

func parseGenURLAuth(a *imapwire.Args) (any, error) {
	var items []genURLAuthItem
	for {
		u, err := a.AString()
		if err != nil {
			return nil, err
		}
		m, err := a.Atom()
		if err != nil {
			return nil, err
		}
		items = append(items, genURLAuthItem{u, m})
		if !a.More() {
			break
		}
	}
	if err := a.End(); err != nil {
		return nil, err
	}
	return items, nil
}

// urlFetchItem is one URL of URLFETCH with its RFC 5524 items.
type urlFetchItem struct {
	url                     string
	extended                bool
	body, binary, structure bool
	badExt                  bool
}

type urlFetchArgs struct{ items []urlFetchItem }

func parseURLFetch(a *imapwire.Args) (any, error) {
	var out urlFetchArgs
	for {
		var it urlFetchItem
		if err := a.Space(); err != nil {
			return nil, err
		}
		if a.Peek() == '(' {
			it.extended = true
			n := 0
			err := a.List(func() error {
				n++
				if n == 1 {
					u, err := a.AString()
					it.url = u
					return err
				}
				p, err := a.Atom()
				if err != nil {
					return err
				}
				switch strings.ToUpper(p) {
				case "BODY":
					it.badExt = it.badExt || it.body || it.binary
					it.body = true
				case "BINARY":
					it.badExt = it.badExt || it.body || it.binary
					it.binary = true
				case "BODYPARTSTRUCTURE":
					it.badExt = it.badExt || it.structure
					it.structure = true
				default:
					it.badExt = true
				}
				return nil
			})
			if err != nil {
				return nil, err
			}
		} else {
			u, err := a.AString()
			if err != nil {
				return nil, err
			}
			it.url = u
		}
		out.items = append(out.items, it)
		if !a.More() {
			break
		}
	}
	if err := a.End(); err != nil {
		return nil, err
	}
	return &out, nil
}

type resetKeyArgs struct {
	mailbox string
	has     bool
}

func parseResetKey(a *imapwire.Args) (any, error) {
	var out resetKeyArgs
	if a.More() {
		m, err := a.AString()
		if err != nil {
			return nil, err
		}
		out.mailbox, out.has = m, true
		for a.More() {
			if _, err := a.Atom(); err != nil {
				return nil, err
			}
		}
	}
	if err := a.End(); err != nil {
		return nil, err
	}
	return &out, nil
}

// notCyrusDB is the text Cyrus prints for an error code that is not a
// database one (cyrusdb_strerror).
const notCyrusDB = "not a cyrusdb error"

func (s *Session) cmdGenURLAuth(tag string, items []genURLAuthItem) {
	keys, err := s.srv.openMboxKeys(s.userid, true)
	if err != nil {
		s.noText(tag, "Cannot open mailbox key db for "+s.userid+": System I/O error")
		return
	}
	defer keys.Close()
	w := s.wr()
	first := true
	for _, it := range items {
		if !strings.EqualFold(it.mech, "INTERNAL") {
			if !first {
				w.CRLF()
			}
			s.bad(tag, "Unknown auth mechanism to Genurlauth "+it.mech)
			return
		}
		u, ok := parseAuthURL(it.url)
		bad := !ok || u.user == "" || u.server == "" || u.mailbox == "" || u.uid == 0 ||
			(u.hasSection && u.section == "") || u.access == "" || u.user != s.userid ||
			u.server != s.srv.cfg.Servername() || (!u.expire.IsZero() && u.expire.Before(time.Now()))
		var key []byte
		if !bad {
			intname, err := s.internalName(u.mailbox)
			if err == nil {
				_, err = s.srv.list.Lookup(intname)
			}
			if err != nil {
				if !first {
					w.CRLF()
				}
				s.bad(tag, "Poorly specified URL to Genurlauth "+it.url)
				return
			}
			key, err = keys.read(intname)
			if err == nil && key == nil && !s.mboxKeysGone {
				key = make([]byte, 16)
				rand.Read(key)
				err = keys.write(intname, key)
			}
			if err != nil {
				log.Printf(log.LevelErr, "DBERROR: mailbox key of %s: %v", intname, err)
				bad = true
			} else if s.mboxKeysGone {
				// Cyrus 3.6.1 keeps a handle on the database RESETKEY
				// removed: no key can be read or written any more
				bad = true
			}
		}
		if bad {
			if !first {
				w.CRLF()
			}
			s.noText(tag, "Error authorizing "+it.url+": "+notCyrusDB)
			return
		}
		mac := hmac.New(sha1.New, key)
		mac.Write([]byte(it.url))
		token := append([]byte{0}, mac.Sum(nil)...)
		if first {
			w.RawString("* GENURLAUTH")
			first = false
		}
		w.SP().String(it.url + ":internal:" + hex.EncodeToString(token))
	}
	if !first {
		w.CRLF()
	}
	s.ok(tag)
}

func (s *Session) cmdURLFetch(tag string, a *urlFetchArgs) {
	w := s.wr()
	w.RawString("* URLFETCH")
	for _, it := range a.items {
		w.SP().String(it.url)
		if it.badExt {
			w.RawString(" NIL").CRLF()
			s.bad(tag, "Invalid extended URLFETCH parameters")
			return
		}
		data, structure, ok := s.urlAuthFetch(it)
		if !ok {
			w.RawString(" NIL")
			continue
		}
		// Cyrus index_urlfetch: the structure, then the data (as BODY
		// or decoded as BINARY), a literal8 when it holds NULs
		if it.structure {
			w.RawString(" (BODYPARTSTRUCTURE ")
			if len(structure) > 0 {
				w.Raw(structure)
			} else {
				w.RawString("NIL")
			}
			w.RawString(")")
		}
		switch {
		case it.body:
			w.RawString(" (BODY")
		case it.binary:
			w.RawString(" (BINARY")
			if data == nil {
				w.RawString(" NIL)")
				continue
			}
		case it.extended:
			continue
		}
		w.SP()
		binary := false
		for _, c := range data {
			if c == 0 {
				binary = true
				break
			}
		}
		if err := w.Literal(int64(len(data)), bytes.NewReader(data), binary); err != nil {
			s.closing = true
			return
		}
		if it.extended {
			w.RawString(")")
		}
	}
	w.CRLF()
	s.ok(tag)
}

// urlAuthFetch is one URL of URLFETCH (Cyrus cmd_urlfetch).
func (s *Session) urlAuthFetch(it urlFetchItem) (data, structure []byte, good bool) {
	raw := it.url
	u, ok := parseAuthURL(raw)
	if !ok || u.user == "" || u.server == "" || u.mailbox == "" || u.uid == 0 ||
		(u.hasSection && u.section == "") || (u.access != "" && (u.mech == "" || u.token == "")) ||
		u.server != s.srv.cfg.Servername() || (!u.expire.IsZero() && u.expire.Before(time.Now())) {
		return nil, nil, false
	}
	if u.access != "" {
		authorized := false
		if strings.EqualFold(u.mech, "INTERNAL") {
			acc := strings.ToLower(u.access)
			switch {
			case strings.HasPrefix(acc, "submit+"):
				authorized = authz.MemberOf(s.userid, strings.Fields(s.srv.cfg.Submitservers()))
			case strings.HasPrefix(acc, "user+"):
				authorized = u.access[5:] == s.userid
			case acc == "authuser":
				authorized = s.userid != "anonymous"
			case acc == "anonymous":
				authorized = true
			}
		}
		if !authorized {
			return nil, nil, false
		}
	}
	v := mboxname.Viewer{UserID: u.user}
	n, err := s.srv.ns.ParseExternal(u.mailbox, v)
	if err != nil {
		return nil, nil, false
	}
	intname := s.srv.ns.Internal(n)
	e, err := s.srv.list.Lookup(intname)
	if err != nil {
		return nil, nil, false
	}
	if u.token != "" {
		tok, err := hex.DecodeString(u.token)
		if err != nil || len(tok) < 1 || tok[0] != 0 {
			return nil, nil, false
		}
		keys, err := s.srv.openMboxKeys(u.user, false)
		if err != nil {
			return nil, nil, false
		}
		key, err := keys.read(intname)
		keys.Close()
		if err != nil || key == nil || u.rumpLen > len(raw) {
			return nil, nil, false
		}
		mac := hmac.New(sha1.New, key)
		mac.Write([]byte(raw[:u.rumpLen]))
		if !hmac.Equal(mac.Sum(nil), tok[1:]) {
			return nil, nil, false
		}
	}
	iu := imapURL{mailbox: u.mailbox, uidValidity: u.uidValidity, uid: u.uid,
		section: strings.ToUpper(u.section), partial: u.partial, start: u.start, n: u.count}
	data, err = s.fetchURLPart(raw, e, u.access == "", iu)
	if err != nil {
		return nil, nil, false
	}
	if it.binary {
		dec, ok := s.urlBinary(e, u, data)
		if !ok {
			return nil, structure, true
		}
		data = dec
	}
	if it.structure && !u.hasSection {
		structure = s.urlStructure(e, u)
	}
	return data, structure, true
}

func (s *Session) cmdResetKey(tag string, a *resetKeyArgs) {
	if !a.has {
		path := s.srv.list.UserFileOf(s.userid, "mboxkey")
		if err := removeIfExists(path); err != nil {
			s.noText(tag, "Error removing keys: "+notCyrusDB)
			return
		}
		s.mboxKeysGone = true
		s.okText(tag, "All keys removed")
		return
	}
	intname, err := s.internalName(a.mailbox)
	var e *mboxlist.Entry
	if err == nil {
		e, err = s.srv.list.Lookup(intname)
	}
	if err != nil {
		_, text := s.errText(err)
		s.noText(tag, "Error removing key: "+text)
		return
	}
	keys, err := s.srv.openMboxKeys(s.userid, true)
	if err == nil && s.mboxKeysGone {
		keys.Close()
		err = errIO
	} else if err == nil {
		err = keys.db.Delete([]byte(e.Name))
		if errors.Is(err, cyrusdb.ErrNotFound) {
			err = nil
		}
		keys.Close()
	}
	if err != nil {
		s.noText(tag, "Error removing key: "+notCyrusDB)
		return
	}
	s.okCode(tag, imapwire.Code("URLMECH INTERNAL"), "key removed")
}

func removeIfExists(path string) error {
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return nil
}

// withURLMessage runs fn on the cache entry of message uid of mailbox e
// (the selected mailbox's view when it is the one).
func (s *Session) withURLMessage(e *mboxlist.Entry, uid uint32, fn func(rec *index.Record, c index.CacheEntry)) bool {
	var view *mailbox.View
	if sel := s.sel; sel != nil && !sel.gone && sel.name == e.Name {
		view = sel.view
	} else {
		mb, err := s.srv.openMailbox(e, mailbox.ReadOnly)
		if err != nil {
			return false
		}
		defer mb.Close()
		if view, err = mb.NewView(); err != nil {
			return false
		}
		defer view.Close()
	}
	seq, ok := view.Seq(uid)
	if !ok {
		return false
	}
	rec, err := view.Record(seq)
	if err != nil {
		return false
	}
	c, err := view.CacheOf(&rec)
	if err != nil {
		return false
	}
	fn(&rec, c)
	return true
}

// urlBinary decodes the content transfer encoding of the part a URL
// names (URLFETCH BINARY); ok is false when it cannot.
func (s *Session) urlBinary(e *mboxlist.Entry, u authURL, data []byte) (dec []byte, ok bool) {
	enc := message.EncodingNone
	found := s.withURLMessage(e, u.uid, func(rec *index.Record, c index.CacheEntry) {
		if !u.hasSection {
			return
		}
		tree, err := message.DecodeSectionMap(c.Item(index.CacheBodyStructure), c.Item(index.CacheSection), rec.Size)
		if err != nil {
			return
		}
		if loc, ok := tree.Resolve(strings.ToUpper(u.section)); ok {
			enc = loc.Encoding
		}
	})
	if !found {
		return nil, false
	}
	return message.DecodeBody(data, enc)
}

// urlStructure is the BODYSTRUCTURE of the whole message a URL names.
func (s *Session) urlStructure(e *mboxlist.Entry, u authURL) []byte {
	var out []byte
	s.withURLMessage(e, u.uid, func(_ *index.Record, c index.CacheEntry) {
		out = append(out, c.Item(index.CacheBodyStructure)...)
	})
	return out
}
