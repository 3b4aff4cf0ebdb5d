package imapwire

// REPLACE and UID REPLACE (RFC 8508 section 6):
//
//	replace = "REPLACE" SP seq-number SP mailbox append-message
//
// with UID REPLACE taking a UID. append-message is one message of APPEND
// (flags, date, literal or literal8, CATENATE, and what the session's
// grammar allows): MULTIAPPEND's further messages are refused. Cyrus 3.6.1
// has no REPLACE; the command is known only with ExtReplace.

// Replace holds REPLACE's arguments: the message to replace (a sequence
// number, or a UID for UID REPLACE; the parser only checks that it is a
// number) and the APPEND of its replacement, iterated as an APPEND's with
// Append.Next, which yields exactly one message.
type Replace struct {
	Num    uint32
	Append *Append
}

func init() {
	handlers["REPLACE"] = parseReplace
	uidHandlers["REPLACE"] = parseReplace
	knownNames["REPLACE"] = [2]string{"REPLACE", displayName("REPLACE")}
}

// parseReplace reads the number and the mailbox, as the later Cyrus
// releases do (a number that is not one is a bad sequence), and leaves
// the message to the Append iterator.
func parseReplace(p *Parser, c int, uid bool) (any, error) {
	if c != ' ' {
		return nil, p.missingArgs(c)
	}
	c = p.getword()
	if c == '\r' {
		return nil, p.missingArgs(c)
	}
	n, ok := parseNumber(p.tok)
	if c != ' ' || !ok {
		return nil, p.badSequence(c)
	}
	name, c := p.astring()
	if c != ' ' {
		return nil, p.missingArgs(c)
	}
	return &Replace{Num: n, Append: &Append{Mailbox: name, p: p, c: ' ', single: true}}, nil
}

// parseNumber reads a decimal number of at most 32 bits (0 included: the
// session answers it as no such message).
func parseNumber(b []byte) (uint32, bool) {
	if len(b) == 0 || len(b) > 10 {
		return 0, false
	}
	var n uint64
	for _, ch := range b {
		if ch < '0' || ch > '9' {
			return 0, false
		}
		n = n*10 + uint64(ch-'0')
	}
	if n > 0xFFFFFFFF {
		return 0, false
	}
	return uint32(n), true
}
