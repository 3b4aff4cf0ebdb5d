package imapwire

// Lines the client sends outside commands: the DONE that ends IDLE
// (RFC 2177) and SASL responses during AUTHENTICATE (RFC 9051 6.2.2).

import (
	"encoding/base64"
	"errors"
	"io"
)

// ReadIdleDone reads the client's line that ends IDLE. It returns nil for
// DONE (any case); otherwise, after skipping the line, Cyrus's "BAD Invalid
// Idle continuation" for the IDLE command's tag. Other errors come from the
// connection. The session usually calls it from the goroutine that owns the
// parser while another one writes untagged updates.
func (p *Parser) ReadIdleDone() error {
	p.counting = false
	c := p.getword()
	if c < 0 && p.failed() {
		return p.stopErr()
	}
	if equalFold(p.tok, "DONE") && p.isEOL(&c) {
		return nil
	}
	p.skipLine(c)
	return p.result(newBAD(p.tag, TextIdleContinuation))
}

// ErrBadBase64 is returned by ReadSASLResponse and DecodeSASL for a
// response that is not base64.
var ErrBadBase64 = errors.New("imapwire: SASL response is not base64")

// ReadSASLResponse reads one client response during AUTHENTICATE and
// decodes it. A "*" line is the client cancelling: the error is Cyrus's
// "BAD Client canceled authentication". A line longer than Limits.MaxLine
// is skipped and refused with NO. ErrBadBase64 reports undecodable data;
// other errors come from the connection.
func (p *Parser) ReadSASLResponse() ([]byte, error) {
	p.counting = false
	line, err := p.readLine()
	if err != nil {
		return nil, err
	}
	if len(line) == 1 && line[0] == '*' {
		return nil, newBAD(p.tag, TextAuthCanceled)
	}
	return decodeBase64(line)
}

// DecodeSASL decodes an AUTHENTICATE initial response (RFC 4959: "=" is an
// empty response).
func DecodeSASL(s string) ([]byte, error) {
	if s == "=" {
		return []byte{}, nil
	}
	return decodeBase64([]byte(s))
}

func decodeBase64(b []byte) ([]byte, error) {
	out := make([]byte, base64.StdEncoding.DecodedLen(len(b)))
	n, err := base64.StdEncoding.Decode(out, b)
	if err != nil {
		return nil, ErrBadBase64
	}
	return out[:n], nil
}

// readLine reads a line without its CRLF (or LF), bounded by MaxLine.
func (p *Parser) readLine() ([]byte, error) {
	p.tok = p.tok[:0]
	for {
		c := p.getc()
		if c < 0 {
			if err := p.stopErr(); err != nil {
				return nil, err
			}
			return nil, io.ErrUnexpectedEOF
		}
		if c == '\n' {
			if n := len(p.tok); n > 0 && p.tok[n-1] == '\r' {
				p.tok = p.tok[:n-1]
			}
			return p.tok, nil
		}
		p.tok = append(p.tok, byte(c))
		if len(p.tok) > p.lim.MaxLine {
			for c != '\n' {
				if c = p.getc(); c < 0 {
					return nil, p.stopErr()
				}
			}
			p.lt.reset()
			p.nonSyncAtEOL = -1
			return nil, newNO(p.tag, "TOOBIG", "Line too long")
		}
	}
}
