package imapwire

// AddExt turns on more of the grammar beyond Cyrus 3.6.1 for the rest of
// the connection. imapd calls it when the client enables an extension
// whose grammar must stay refused before (ENABLE IMAP4rev2 allows STATUS
// DELETED, RFC 9051 6.3.11). RFC 5161 has no way to disable an
// extension; only ResetEnabled (RFC 8437 UNAUTHENTICATE) turns bits off.
// Not safe for use while a command is being parsed. It returns the bits
// that were off before.
func (p *Parser) AddExt(e Ext) Ext {
	added := e &^ p.opt.Ext
	p.opt.Ext |= e
	return added
}

// HasExt reports whether all the bits of e are on.
func (p *Parser) HasExt(e Ext) bool { return p.opt.Ext&e == e }

// ResetEnabled forgets every capability recorded by Enable and turns off
// the grammar bits in drop (RFC 8437 UNAUTHENTICATE returns the
// connection to its first state).
func (p *Parser) ResetEnabled(drop Ext) {
	clear(p.enabled)
	p.opt.Ext &^= drop
}
