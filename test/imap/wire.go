package imap

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
)

// Response is one server response: text segments with a literal between
// each two (RFC 3501 7: a line that ends in {N} continues after N bytes).
// len(Lits) == len(Texts)-1. Texts carry no CRLF.
type Response struct {
	Texts []string
	Lits  [][]byte
}

// maxLiteral bounds a literal the runner accepts from a server.
const maxLiteral = 64 << 20

// maxLine bounds one line of server text.
const maxLine = 1 << 20

var reLitTail = regexp.MustCompile(`~?\{(\d+)\}$`)

// errLineTooLong is returned for a server line over maxLine bytes.
var errLineTooLong = errors.New("server line longer than 1 MiB")

// ReadResponse reads one complete response, following literals.
func ReadResponse(r *bufio.Reader) (*Response, error) {
	resp := &Response{}
	for {
		line, err := readLine(r)
		if err != nil {
			if len(resp.Texts) > 0 && (err == io.EOF || errors.Is(err, io.ErrUnexpectedEOF)) {
				// a response cut by the end of the connection
				resp.Texts = append(resp.Texts, line)
				return resp, io.ErrUnexpectedEOF
			}
			if line != "" {
				resp.Texts = append(resp.Texts, line)
				return resp, io.ErrUnexpectedEOF
			}
			return nil, err
		}
		resp.Texts = append(resp.Texts, line)
		m := reLitTail.FindStringSubmatch(line)
		if m == nil {
			return resp, nil
		}
		n, err := strconv.Atoi(m[1])
		if err != nil || n > maxLiteral {
			return resp, fmt.Errorf("server literal of %s bytes is over the %d limit", m[1], maxLiteral)
		}
		buf := make([]byte, n)
		if _, err := io.ReadFull(r, buf); err != nil {
			resp.Lits = append(resp.Lits, buf)
			resp.Texts = append(resp.Texts, "")
			return resp, io.ErrUnexpectedEOF
		}
		resp.Lits = append(resp.Lits, buf)
	}
}

// readLine reads up to LF. A line that does not end in CRLF keeps a
// visible marker, because that is a protocol error worth seeing.
func readLine(r *bufio.Reader) (string, error) {
	var b []byte
	for {
		chunk, err := r.ReadSlice('\n')
		b = append(b, chunk...)
		if len(b) > maxLine {
			return "", errLineTooLong
		}
		if err == bufio.ErrBufferFull {
			continue
		}
		if err != nil {
			return string(b), err
		}
		break
	}
	s := string(b)
	switch {
	case strings.HasSuffix(s, "\r\n"):
		return s[:len(s)-2], nil
	default:
		return s[:len(s)-1] + "<<BARE-LF>>", nil
	}
}

// Tagged reports whether the response is the tagged completion of tag.
func (r *Response) Tagged(tag string) bool {
	return tag != "" && strings.HasPrefix(r.Texts[0], tag+" ")
}

// Continuation reports whether the response is a "+" request.
func (r *Response) Continuation() bool {
	return r.Texts[0] == "+" || strings.HasPrefix(r.Texts[0], "+ ")
}

// Bye reports whether the response is an untagged BYE.
func (r *Response) Bye() bool {
	return strings.HasPrefix(strings.ToUpper(r.Texts[0]), "* BYE")
}

// Status returns the status word of a tagged response (OK, NO, BAD).
func (r *Response) Status() string {
	f := strings.SplitN(r.Texts[0], " ", 3)
	if len(f) < 2 {
		return ""
	}
	return strings.ToUpper(f[1])
}

// String is the response as it came on the wire (for messages).
func (r *Response) String() string {
	var b strings.Builder
	for i, t := range r.Texts {
		b.WriteString(t)
		if i < len(r.Lits) {
			b.WriteString("\r\n")
			b.Write(r.Lits[i])
		}
	}
	return b.String()
}
