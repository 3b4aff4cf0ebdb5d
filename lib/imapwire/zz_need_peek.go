package imapwire

// Peek returns the next byte of the arguments without consuming it (after
// More reports a space: the first byte of the next argument), or a
// negative value at the end of the input.
//
// Added by the imapd engineer (zz_need): URLFETCH (RFC 5524) must tell an
// extended "(url item...)" from a plain URL before reading it.
func (a *Args) Peek() int {
	c := a.p.getc()
	a.p.ungetc(c)
	return c
}
