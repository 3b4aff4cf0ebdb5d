package main

import (
	"bytes"
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/emersion/go-imap/v2"

	"gyrus/lib/acl"
	"gyrus/lib/imapwire"
	"gyrus/lib/log"
	"gyrus/lib/mailbox"
	"gyrus/lib/mailbox/index"
	"gyrus/lib/message"
)

// FETCH (RFC 9051 6.4.5, RFC 3516 BINARY, RFC 7162 CONDSTORE/QRESYNC,
// RFC 8474 OBJECTID, RFC 8514 SAVEDATE, RFC 8970 PREVIEW, RFC 5257
// ANNOTATION) answered as Cyrus's index_fetch/index_fetchreply do: the
// items in Cyrus's order, everything but body data from the index and
// cyrus.cache, body data from the message file located through the
// SECTION cache item (never re-parsing the message).

// cmdFetch runs FETCH and UID FETCH.
func (s *Session) cmdFetch(tag string, uid bool, f *imapwire.Fetch) {
	start := time.Now()
	sel := s.sel
	if f.Vanished && f.Options.ChangedSince == 0 {
		s.bad(tag, "Missing required argument to "+fetchCmdName(uid))
		return
	}
	if f.Options.ModSeq && !s.condstore {
		s.condstore = true
		s.wr().StatusResponse("", imapwire.StatusOK, imapwire.CodeHighestModSeq(sel.highestModSeq()), "CONDSTORE enabled by MODSEQ fetch")
	}
	if err := s.refresh(); err != nil {
		code, text := s.errText(err)
		s.wr().StatusResponse(tag, imapwire.StatusNO, code,
			text+fmt.Sprintf(" (%.3f sec)", time.Since(start).Seconds()))
		return
	}
	seqs := partialWindow(s.matchSeqs(f.Set, uid), f.Partial) // partial.go
	if fetchSetsSeen(f) && !sel.examine && sel.rights.Has(acl.SetSeen) {
		if err := s.setSeen(seqs); err != nil {
			log.Printf(log.LevelErr, "IOERROR: %s: set \\Seen: %v", sel.name, err)
		}
	}
	var vanished []uint32
	if f.Vanished {
		vanished = s.vanishedSince(sel.view.Header().UIDValidity, f.Options.ChangedSince, f.Set, nil)
	}
	s.checkFlagNames(true)
	if len(vanished) > 0 {
		s.wr().Vanished(true, uidSetOf(vanished))
	}
	if sel.oldExists != sel.view.Len() {
		s.tellExists()
	}
	fx := &fetchCtx{s: s, f: f, uid: uid}
	fx.prepare()
	fetched := false
	var ferr error
	// A bitmap of the asked sequence numbers, not a map: FETCH 1:* of a
	// large mailbox spent a sixth of its time hashing them.
	n := sel.view.Len()
	in := make([]uint64, n/64+1)
	for _, q := range seqs {
		if q <= n {
			in[q/64] |= 1 << (q % 64)
		}
	}
	for seq := uint32(1); seq <= sel.view.Len(); seq++ {
		if seq > n || in[seq/64]&(1<<(seq%64)) == 0 {
			m := sel.view.Msg(seq)
			if sel.extra[seq-1].told != 0 && m.ModSeq > sel.extra[seq-1].told {
				s.printFlags(seq, uid, false)
			}
			continue
		}
		s.progress.report(seq-1, n) // inprogress.go
		if ferr = fx.reply(seq); ferr != nil {
			break
		}
		fetched = true
	}
	s.tellPending(uid, uid, false)
	secs := fmt.Sprintf("%.3f", time.Since(start).Seconds())
	// Cyrus index_fetch stops at a message it cannot answer and says no
	// more about it than whether something was fetched before
	if ferr != nil && !errors.Is(ferr, errUnknownCTE) {
		log.Printf(log.LevelErr, "IOERROR: fetch %s: %v", sel.name, ferr)
	}
	switch {
	case fetched || uid:
		s.okText(tag, "Completed ("+secs+" sec)")
	default:
		s.noText(tag, "No matching messages ("+secs+" sec)")
	}
}

func fetchCmdName(uid bool) string {
	if uid {
		return "UID Fetch"
	}
	return "Fetch"
}

// fetchSetsSeen: BODY[...] and BINARY[...] without PEEK, RFC822 and
// RFC822.TEXT set \Seen (RFC 9051 6.4.5).
func fetchSetsSeen(f *imapwire.Fetch) bool {
	if f.Items&(imapwire.FetchRFC822|imapwire.FetchRFC822Text) != 0 {
		return true
	}
	for _, b := range f.Options.BodySection {
		if !b.Peek {
			return true
		}
	}
	for _, b := range f.Options.BinarySection {
		if !b.Peek {
			return true
		}
	}
	return false
}

// setSeen sets \Seen on the messages seqs for this user (Cyrus
// _fetch_setseen): in the index for the owner, in the seen database for
// others; either way each record gets a new modseq, so the new FLAGS are
// reported.
func (s *Session) setSeen(seqs []uint32) error {
	sel := s.sel
	var uids []uint32
	for _, q := range seqs {
		m := sel.view.Msg(q)
		if m.Expunged() || sel.isSeen(q) {
			continue
		}
		uids = append(uids, m.UID)
		if !sel.internalSeen {
			sel.extra[q-1].seen = true
			sel.seenDirty = true
		}
	}
	if len(uids) == 0 {
		return nil
	}
	tx, err := sel.mb.Begin()
	if err != nil {
		return err
	}
	if sel.internalSeen {
		_, err = tx.SetFlags(uids, mailbox.FlagChange{Mode: mailbox.StoreAdd, System: index.FlagSeen})
	} else {
		_, err = tx.TouchRecords(uids)
	}
	if err != nil {
		tx.Abort()
		return err
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	if !sel.internalSeen {
		s.writeSeen(sel)
	}
	return s.refresh()
}

// fetchCtx is one FETCH command's fixed part.
type fetchCtx struct {
	s   *Session
	f   *imapwire.Fetch
	uid bool
	// body sections split as Cyrus does: HEADER.FIELDS ones first
	fields []*imap.FetchItemBodySection
	bodies []*imap.FetchItemBodySection
	// the cached-headers shortcut (top-level HEADER.FIELDS of cached
	// fields only) per fields section
	fromCache   []bool
	linesCached bool // RFC822.HEADER.LINES can use the cache
	needFile    bool
	needCache   bool
	needSection bool
	viewOnly    bool // every item asked is in mailbox.Msg (prepare)
	previewAnno string
}

func (fx *fetchCtx) prepare() {
	o := &fx.f.Options
	for _, b := range o.BodySection {
		if b.Specifier == imap.PartSpecifierHeader && (b.HeaderFields != nil || b.HeaderFieldsNot != nil) {
			fx.fields = append(fx.fields, b)
			cached := len(b.Part) == 0 && b.HeaderFieldsNot == nil
			for _, h := range b.HeaderFields {
				if headerCacheVersion(h) > index.CacheVersion {
					cached = false
				}
			}
			fx.fromCache = append(fx.fromCache, cached)
			if !cached {
				fx.needFile, fx.needSection = true, true
			}
			fx.needCache = true
			continue
		}
		fx.bodies = append(fx.bodies, b)
	}
	if len(fx.bodies) > 0 || len(o.BinarySection) > 0 || len(o.BinarySectionSize) > 0 {
		fx.needFile, fx.needCache, fx.needSection = true, true, true
	}
	it := fx.f.Items
	if it&(imapwire.FetchRFC822|imapwire.FetchRFC822Peek|imapwire.FetchRFC822Header|
		imapwire.FetchRFC822Text|imapwire.FetchRFC822TextPeek|imapwire.FetchRFC822SHA1) != 0 {
		fx.needFile = true
	}
	if fx.f.HeaderLines != nil || fx.f.HeaderLinesNot != nil {
		fx.linesCached = fx.f.HeaderLinesNot == nil
		for _, h := range fx.f.HeaderLines {
			if headerCacheVersion(h) > index.CacheVersion {
				fx.linesCached = false
			}
		}
		if fx.linesCached {
			fx.needCache = true
		} else {
			fx.needFile = true
		}
	}
	if o.Envelope || o.BodyStructure != nil {
		fx.needCache = true
	}
	if it&imapwire.FetchPreview != 0 {
		if a := fx.s.srv.cfg.JmapPreviewAnnot(); strings.HasPrefix(a, "/shared/") {
			fx.previewAnno = a[len("/shared"):]
		}
	}
	// Only what the session's view holds for each message: no index
	// record is read (FETCH 1:* (FLAGS UID RFC822.SIZE), the most common
	// resynchronisation of a client).
	fx.viewOnly = it == 0 && !fx.needFile && !fx.needCache && !o.InternalDate &&
		!o.Envelope && o.BodyStructure == nil && len(o.BodySection) == 0 &&
		len(o.BinarySection) == 0 && len(o.BinarySectionSize) == 0 &&
		fx.f.HeaderLines == nil && fx.f.HeaderLinesNot == nil && fx.f.Annotation == nil
}

// reply writes the FETCH response of one message (Cyrus
// index_fetchreply). An error stops the command (Cyrus's "break").
func (fx *fetchCtx) reply(seq uint32) error {
	s := fx.s
	sel := s.sel
	f := fx.f
	o := &f.Options
	m := sel.view.Msg(seq)
	if o.ChangedSince != 0 && m.ModSeq <= o.ChangedSince {
		return nil
	}
	var rec index.Record
	var err error
	if fx.viewOnly {
		// FLAGS, UID, RFC822.SIZE, MODSEQ: the view has them all
		if m.RecNo == 0 {
			return nil // expunged (as Record's ErrExpunged)
		}
		rec = index.Record{UID: m.UID, ModSeq: m.ModSeq, Size: m.Size}
	} else if rec, err = sel.view.Record(seq); err != nil {
		if errors.Is(err, mailbox.ErrExpunged) {
			return nil
		}
		s.msgGone(seq)
		return nil
	}
	var file *os.File
	if fx.needFile {
		file, err = sel.view.OpenMessage(seq)
		if err != nil {
			s.msgGone(seq)
			return nil
		}
		defer file.Close()
	}
	var cache index.CacheEntry
	if fx.needCache {
		// written out before the next message's: no copy
		cache, err = sel.view.CacheOfShared(&rec)
		if err != nil {
			log.Printf(log.LevelErr, "IOERROR: %s uid %d: cache: %v", sel.name, rec.UID, err)
			s.msgGone(seq)
			return nil
		}
	}
	it := f.Items
	changed := sel.extra[seq-1].told < m.ModSeq
	size := int64(rec.Size)
	var tree *message.SectionTree
	if fx.needSection {
		tree, err = message.DecodeSectionMap(cache.Item(index.CacheBodyStructure), cache.Item(index.CacheSection), rec.Size)
		if err != nil {
			log.Printf(log.LevelErr, "IOERROR: %s uid %d: section map: %v", sel.name, rec.UID, err)
		}
	}
	// Cyrus starts a FETCH response with its first item: when that item
	// is a BINARY section it cannot decode, nothing is written at all
	if !(o.Flags || changed || o.UID || fx.uid || it != 0 || o.InternalDate || o.ModSeq || o.RFC822Size ||
		o.Envelope || o.BodyStructure != nil || f.HeaderLines != nil || f.HeaderLinesNot != nil ||
		len(fx.fields) > 0 || len(fx.bodies) > 0) {
		var first []int
		switch {
		case len(o.BinarySection) > 0:
			first = o.BinarySection[0].Part
		case len(o.BinarySectionSize) > 0:
			first = o.BinarySectionSize[0].Part
		}
		if first != nil {
			if _, err := fx.binary(tree, file, size, first); err != nil {
				return err
			}
		}
	}
	w := s.wr()
	fw := s.fetchStart(seq, rec.UID) // uidonly.go
	if o.Flags || changed {
		fw.Flags(s.flagList(seq))
		sel.extra[seq-1].told = m.ModSeq
	}
	if (o.UID || fx.uid || (changed && s.qresync)) && !s.uidonly {
		fw.UID(imap.UID(rec.UID))
	}
	if it&imapwire.FetchDigestSHA1 != 0 {
		fw.Raw("DIGEST.SHA1", []byte(hex.EncodeToString(rec.GUID[:])))
	}
	if o.InternalDate {
		fw.Raw("INTERNALDATE", cyrusDateTime(time.Unix(int64(rec.InternalDate), 0)))
	}
	if it&imapwire.FetchLastUpdated != 0 {
		fw.Raw("LASTUPDATED", cyrusDateTime(time.Unix(int64(rec.LastUpdated), 0)))
	}
	if o.ModSeq || (changed && s.condstore) {
		fw.ModSeq(rec.ModSeq)
	}
	if o.RFC822Size {
		fw.RFC822Size(int64(rec.Size))
	}
	if it&imapwire.FetchAnnotation != 0 && f.Annotation != nil {
		fw.Raw("ANNOTATION", fx.annotations(rec.UID))
	}
	if it&imapwire.FetchPreview != 0 {
		if fx.previewAnno != "" {
			v, _ := sel.mb.Annotation(rec.UID, fx.previewAnno, "")
			if len(v) > 256 {
				v = v[:256]
			}
			fw.Raw("PREVIEW", astringBytes(w, string(v)))
		} else {
			fw.Raw("PREVIEW", []byte("NIL"))
		}
	}
	if it&imapwire.FetchRFC822FileSize != 0 {
		size := int64(rec.Size)
		if file != nil {
			if st, err := file.Stat(); err == nil {
				size = st.Size()
			}
		} else if st, err := os.Stat(msgPath(sel.mb, rec.UID)); err == nil {
			size = st.Size()
		} else {
			log.Printf(log.LevelErr, "IOERROR: stat on %s: %v", msgPath(sel.mb, rec.UID), err)
		}
		fw.Number("RFC822.FILESIZE", uint64(size))
	}
	if it&imapwire.FetchRFC822SHA1 != 0 {
		h := sha1.New()
		io.Copy(h, io.NewSectionReader(file, 0, 1<<62))
		fw.Raw("RFC822.SHA1", []byte(hex.EncodeToString(h.Sum(nil))))
	}
	if it&imapwire.FetchEmailID != 0 {
		fw.Raw("EMAILID", []byte("(M"+hex.EncodeToString(rec.GUID[:])[:24]+")"))
	}
	if it&imapwire.FetchThreadID != 0 {
		if rec.CID == 0 {
			fw.Raw("THREADID", []byte("(NIL)"))
		} else {
			fw.Raw("THREADID", []byte(fmt.Sprintf("(T%016x)", rec.CID)))
		}
	}
	if it&imapwire.FetchSaveDate != 0 {
		d := rec.SaveDate
		if d == 0 {
			d = rec.InternalDate
		}
		fw.Raw("SAVEDATE", cyrusDateTime(time.Unix(int64(d), 0)))
	}
	if it&imapwire.FetchCreatedModSeq != 0 {
		fw.Raw("CREATEDMODSEQ", []byte("("+strconv.FormatUint(rec.CreatedModSeq, 10)+")"))
	}
	if it&imapwire.FetchFolder != 0 {
		fw.Raw("FOLDER", astringBytes(w, s.extOrSame(sel.name, sel.name)))
	}
	if it&imapwire.FetchUIDValidity != 0 {
		fw.Number("UIDVALIDITY", uint64(sel.view.Header().UIDValidity))
	}
	if o.Envelope {
		fw.Raw("ENVELOPE", cache.Item(index.CacheEnvelope))
	}
	if o.BodyStructure != nil {
		if o.BodyStructure.Extended {
			fw.Raw("BODYSTRUCTURE", cache.Item(index.CacheBodyStructure))
		} else {
			fw.Raw("BODY", cache.Item(index.CacheBody))
		}
	}
	if it&imapwire.FetchRFC822Header != 0 {
		fx.rawSection(fw, "RFC822.HEADER", file, 0, int64(rec.HeaderSize), nil, false)
	} else if f.HeaderLines != nil || f.HeaderLinesNot != nil {
		var hdr []byte
		if fx.linesCached {
			hdr = cache.Item(index.CacheHeaders)
		} else {
			hdr = readAt(file, 0, int64(rec.HeaderSize), size)
		}
		pruned := pruneHeader(hdr, f.HeaderLines, f.HeaderLinesNot, s.srv.msgopts.MaxHeaderLines)
		if fx.linesCached {
			fx.crlfSection(fw, "RFC822.HEADER", pruned, nil)
		} else {
			pruned = append(pruned, '\r', '\n')
			fw.Literal("RFC822.HEADER", int64(len(pruned)), bytes.NewReader(pruned))
		}
	}
	if it&(imapwire.FetchRFC822Text|imapwire.FetchRFC822TextPeek) != 0 {
		fx.rawSection(fw, "RFC822.TEXT", file, int64(rec.HeaderSize), size-int64(rec.HeaderSize), nil, false)
	}
	if it&(imapwire.FetchRFC822|imapwire.FetchRFC822Peek) != 0 {
		fx.rawSection(fw, "RFC822", file, 0, size, nil, false)
	}
	for i, b := range fx.fields {
		name := fieldsSectionName(w, b)
		if fx.fromCache[i] {
			pruned := pruneHeader(cache.Item(index.CacheHeaders), b.HeaderFields, nil, s.srv.msgopts.MaxHeaderLines)
			fx.crlfSection(fw, name, pruned, b.Partial)
			continue
		}
		spec := partSpec(b.Part, "HEADER")
		var loc message.Location
		ok := tree != nil
		if ok {
			loc, ok = tree.Resolve(spec)
		}
		if !ok || loc.Length == 0 {
			fw.Raw(name, []byte("NIL"))
			continue
		}
		hdr := readAt(file, int64(loc.Offset), int64(loc.Length), size)
		pruned := pruneHeader(hdr, b.HeaderFields, b.HeaderFieldsNot, s.srv.msgopts.MaxHeaderLines)
		fx.crlfSection(fw, name, pruned, b.Partial)
	}
	for _, b := range fx.bodies {
		name := string(imapwire.AppendSectionName(nil, b))
		if len(b.Part) == 0 && b.Specifier == imap.PartSpecifierNone {
			fx.rawSection(fw, name, file, 0, size, b.Partial, true)
			continue
		}
		spec := bodySpec(b)
		var loc message.Location
		ok := tree != nil
		if ok {
			loc, ok = tree.Resolve(spec)
		}
		if !ok {
			fw.Raw(name, []byte("NIL"))
			continue
		}
		fx.rawSection(fw, name, file, int64(loc.Offset), int64(loc.Length), b.Partial, true)
	}
	for _, b := range o.BinarySection {
		name := binaryName(b.Part, b.Partial, "BINARY")
		data, err := fx.binary(tree, file, size, b.Part)
		if err != nil {
			fw.End()
			return err
		}
		if data == nil {
			fw.Raw(name, []byte("NIL"))
			continue
		}
		fx.sendData(fw, name, data, b.Partial)
	}
	for _, b := range o.BinarySectionSize {
		name := binaryName(b.Part, nil, "BINARY.SIZE")
		data, err := fx.binary(tree, file, size, b.Part)
		if err != nil {
			fw.End()
			return err
		}
		fw.Number(name, uint64(len(data)))
	}
	fw.End()
	return w.Err()
}

// msgGone is Cyrus's "* OK Message %d no longer exists".
func (s *Session) msgGone(seq uint32) {
	s.wr().RawString("* OK Message " + strconv.FormatUint(uint64(seq), 10) + " no longer exists\r\n")
}

// binary returns the decoded content of part (BINARY[part]): the whole
// message for an empty part, nil for a part that does not exist, and
// errUnknownCTE when the transfer encoding cannot be undone.
func (fx *fetchCtx) binary(tree *message.SectionTree, file *os.File, size int64, part []int) ([]byte, error) {
	if len(part) == 0 {
		return readAt(file, 0, size, size), nil
	}
	if tree == nil {
		return nil, nil
	}
	loc, ok := tree.Resolve(partSpec(part, ""))
	if !ok {
		return nil, nil
	}
	if !loc.InFile(size) {
		log.Printf(log.LevelErr, "invalid part offset in %s", fx.s.sel.name)
		return nil, errIO
	}
	raw := readAt(file, int64(loc.Offset), int64(loc.Length), size)
	dec, ok := message.DecodeBody(raw, loc.Encoding)
	if !ok {
		return nil, errUnknownCTE
	}
	return dec, nil
}

// rawSection writes the bytes [off, off+length) of the message as
// Cyrus's index_fetchmsg does: "" for no data, the PARTIAL range applied,
// space padding where the file is shorter than the recorded size, and a
// literal8 when the data holds a NUL.
func (fx *fetchCtx) rawSection(fw *imapwire.FetchWriter, name string, file *os.File, off, length int64, partial *imap.SectionPartial, _ bool) {
	if file == nil {
		fw.Raw(name, []byte("NIL"))
		return
	}
	if partial != nil {
		if length <= partial.Offset {
			length = 0
		} else {
			length -= partial.Offset
		}
		if length > partial.Size {
			length = partial.Size
		}
		off += partial.Offset
	}
	if length == 0 {
		fw.Raw(name, []byte(`""`))
		return
	}
	st, err := file.Stat()
	flen := length
	if err == nil && off+length > st.Size() {
		if st.Size() > off {
			flen = st.Size() - off
		} else {
			fw.Raw(name, []byte(`""`))
			return
		}
	}
	binary := hasNUL(file, off, flen)
	var r io.Reader = io.NewSectionReader(file, off, flen)
	if flen < length {
		r = io.MultiReader(r, spaces(length-flen))
	}
	if binary {
		literal8(fw, fx.s.wr(), name, length, r)
		return
	}
	fw.Literal(name, length, r)
}

// sendData writes data held in memory (decoded BINARY) with the same
// rules as rawSection.
func (fx *fetchCtx) sendData(fw *imapwire.FetchWriter, name string, data []byte, partial *imap.SectionPartial) {
	if partial != nil {
		off := partial.Offset
		if off > int64(len(data)) {
			off = int64(len(data))
		}
		data = data[off:]
		if int64(len(data)) > partial.Size {
			data = data[:partial.Size]
		}
	}
	if len(data) == 0 {
		fw.Raw(name, []byte(`""`))
		return
	}
	if bytes.IndexByte(data, 0) >= 0 {
		literal8(fw, fx.s.wr(), name, int64(len(data)), bytes.NewReader(data))
		return
	}
	fw.Literal(name, int64(len(data)), bytes.NewReader(data))
}

// crlfSection writes a pruned header block followed by the blank line,
// with PARTIAL applied to the whole (Cyrus index_fetchfsection and
// index_fetchcacheheader).
func (fx *fetchCtx) crlfSection(fw *imapwire.FetchWriter, name string, hdr []byte, partial *imap.SectionPartial) {
	data := make([]byte, 0, len(hdr)+2)
	data = append(data, hdr...)
	data = append(data, '\r', '\n')
	if partial != nil {
		off := partial.Offset
		if off > int64(len(data)) {
			off = int64(len(data))
		}
		data = data[off:]
		if int64(len(data)) > partial.Size {
			data = data[:partial.Size]
		}
	}
	if len(data) == 0 {
		fw.Raw(name, []byte(`""`))
		return
	}
	fw.Literal(name, int64(len(data)), bytes.NewReader(data))
}

// annotations renders FETCH ANNOTATION's value (RFC 5257 4.2).
func (fx *fetchCtx) annotations(uid uint32) []byte {
	return fx.s.fetchAnnotations(uid, fx.f.Annotation)
}

// literal8 writes "NAME ~{size}" data (RFC 3516), for data with NUL.
func literal8(fw *imapwire.FetchWriter, w *imapwire.Writer, name string, size int64, r io.Reader) {
	fw.Raw(name, nil)
	w.Literal(size, r, true)
}

// readAt reads length bytes at off, limited to the file (size is the
// recorded message size, used when the file cannot be statted).
func readAt(f *os.File, off, length, size int64) []byte {
	if f == nil || length <= 0 {
		return nil
	}
	if st, err := f.Stat(); err == nil {
		size = st.Size()
	}
	if off >= size {
		return nil
	}
	if off+length > size {
		length = size - off
	}
	b := make([]byte, length)
	n, _ := f.ReadAt(b, off)
	return b[:n]
}

func hasNUL(f *os.File, off, n int64) bool {
	var buf [32 << 10]byte
	for n > 0 {
		k := int64(len(buf))
		if k > n {
			k = n
		}
		got, err := f.ReadAt(buf[:k], off)
		if bytes.IndexByte(buf[:got], 0) >= 0 {
			return true
		}
		if err != nil || got == 0 {
			return false
		}
		off += int64(got)
		n -= int64(got)
	}
	return false
}

type spaceReader struct{ n int64 }

func spaces(n int64) io.Reader { return &spaceReader{n} }

func (r *spaceReader) Read(b []byte) (int, error) {
	if r.n <= 0 {
		return 0, io.EOF
	}
	k := int64(len(b))
	if k > r.n {
		k = r.n
	}
	for i := int64(0); i < k; i++ {
		b[i] = ' '
	}
	r.n -= k
	return int(k), nil
}

// partSpec is "1.2" + "." + suffix ("HEADER"), or suffix alone.
func partSpec(part []int, suffix string) string {
	var b strings.Builder
	for i, p := range part {
		if i > 0 {
			b.WriteByte('.')
		}
		b.WriteString(strconv.Itoa(p))
	}
	if suffix != "" {
		if len(part) > 0 {
			b.WriteByte('.')
		}
		b.WriteString(suffix)
	}
	return b.String()
}

func bodySpec(b *imap.FetchItemBodySection) string {
	return partSpec(b.Part, string(b.Specifier))
}

// fieldsSectionName is "BODY[1.HEADER.FIELDS (A B)]<o>" with the field
// names as astrings, as Cyrus echoes them.
func fieldsSectionName(w *imapwire.Writer, b *imap.FetchItemBodySection) string {
	var sb strings.Builder
	sb.WriteString("BODY[")
	fields := b.HeaderFields
	spec := "HEADER.FIELDS"
	if b.HeaderFieldsNot != nil {
		fields = b.HeaderFieldsNot
		spec = "HEADER.FIELDS.NOT"
	}
	sb.WriteString(partSpec(b.Part, spec))
	sb.WriteString(" (")
	for i, f := range fields {
		if i > 0 {
			sb.WriteByte(' ')
		}
		sb.Write(astringBytes(w, f))
	}
	sb.WriteString(")]")
	if b.Partial != nil {
		sb.WriteString("<" + strconv.FormatInt(b.Partial.Offset, 10) + ">")
	}
	return sb.String()
}

func binaryName(part []int, partial *imap.SectionPartial, item string) string {
	n := item + "[" + partSpec(part, "") + "]"
	if partial != nil {
		n += "<" + strconv.FormatInt(partial.Offset, 10) + ">"
	}
	return n
}

// astringBytes renders s as Cyrus's prot_printastring would.
func astringBytes(_ *imapwire.Writer, s string) []byte {
	var buf bytes.Buffer
	tw := imapwire.NewWriter(&buf)
	tw.AString(s)
	tw.Flush()
	return buf.Bytes()
}

// pruneHeader is Cyrus's message_pruneheader: keep the header fields
// named in keep, or those not named in drop; stop at the blank line or
// after maxLines fields. Like Cyrus it looks for the colon anywhere
// ahead (strchr), so a line without one takes the next line's name.
func pruneHeader(hdr []byte, keep, drop []string, maxLines int) []byte {
	if i := bytes.IndexByte(hdr, 0); i >= 0 {
		hdr = hdr[:i] // a C string ends at NUL
	}
	out := make([]byte, 0, 256)
	p := 0
	count := 0
	for p < len(hdr) && hdr[p] != '\r' {
		colon := bytes.IndexByte(hdr[p:], ':')
		good := false
		if colon >= 0 && len(drop) > 0 {
			good = true
			name := hdr[p : p+colon]
			for _, d := range drop {
				if len(name) == len(d) && strings.EqualFold(string(name), d) {
					good = false
					break
				}
			}
		}
		if colon >= 0 && len(keep) > 0 {
			name := hdr[p : p+colon]
			for _, k := range keep {
				if len(name) == len(k) && strings.EqualFold(string(name), k) {
					good = true
					break
				}
			}
		}
		next := p
		for {
			nl := bytes.IndexByte(hdr[next:], '\n')
			if nl < 0 {
				next = len(hdr)
				break
			}
			next += nl + 1
			if next >= len(hdr) || (hdr[next] != ' ' && hdr[next] != '\t') {
				break
			}
		}
		if good {
			out = append(out, hdr[p:next]...)
		}
		p = next
		if maxLines > 0 {
			count++
			if count > maxLines {
				break
			}
		}
	}
	return out
}

// headerCacheVersion is Cyrus's is_cached_header
// (imap/mailbox_header_cache.gperf): the cache version from which a
// header field is in the HEADERS cache item; ^0 for never.
func headerCacheVersion(name string) uint32 {
	const never = ^uint32(0)
	if len(name) >= 32 {
		return never
	}
	if v, ok := cachedHeaderTable[strings.ToLower(name)]; ok {
		return v
	}
	if len(name) >= 2 && (name[0] == 'x' || name[0] == 'X') && name[1] == '-' {
		return never
	}
	return 1
}

var cachedHeaderTable = func() map[string]uint32 {
	const never = ^uint32(0)
	m := map[string]uint32{
		"priority": 0, "references": 0, "resent-from": 0, "newsgroups": 0, "followup-to": 0,
		"x-mailer": 1, "x-trace": 1, "x-ref": 2, "x-priority": 2, "x-msmail-priority": 2,
		"x-msoesrec": 2, "x-spam-score": 3, "x-resolved-to": 3, "x-delivered-to": 3,
		"x-mail-from": 3, "x-truedomain-domain": 3, "x-me-message-id": 4, "x-cyrus-session-id": 4,
		"reply-to": 7, "sender": 7, "x-universally-unique-identifier": 6,
		"x-uniform-type-identifier": 6, "x-apple-base-url": 6, "x-apple-mail-remote-attachments": 6,
	}
	for _, n := range []string{"bcc", "cc", "date", "delivery-date", "envelope-to", "from",
		"in-reply-to", "mime-version", "received", "return-path", "subject", "to",
		"dkim-signature", "domainkey-signature", "domainkey-x509", "message-id", "arc-seal",
		"arc-message-signature", "arc-authentication-results", "authentication-results",
		"received-spf", "archived-at", "listbox-message-date", "topicbox-message-uuid",
		"topicbox-policy-reasoning"} {
		m[n] = never
	}
	return m
}()

// cyrusDateTime is an IMAP date-time quoted as Cyrus's time_to_rfc3501
// prints it: the day of the month padded with a space (" 4-Jan-2024").
func cyrusDateTime(t time.Time) []byte {
	b := make([]byte, 0, 28)
	b = append(b, '"')
	if t.Day() < 10 {
		b = append(b, ' ')
	}
	b = t.AppendFormat(b, "2-Jan-2006 15:04:05 -0700")
	return append(b, '"')
}
