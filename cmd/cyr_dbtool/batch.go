package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strconv"

	"gyrus/lib/cyrusdb"
)

// Cyrus error texts (imap/imap_err.et) that batch reports.
const (
	errBadParams   = "Syntax error in parameters"
	errLocked      = "Mailbox is locked"
	errNotFound    = "Item does not exist"
	errNonexistent = "Mailbox does not exist"
)

// batch runs the batch protocol on in: one command a line (BEGIN, SHOW
// [prefix], SET key value, GET key, DELETE key, COMMIT, ABORT) with IMAP
// atom, quoted or literal arguments; SHOW and GET answer with
// "key SP value LF" in the same syntax. The first error ends the batch
// with "FAILED: line <n> at cmd <c> with error <e>" on stderr (and aborts
// an open transaction).
func batch(db *cyrusdb.DB, r io.Reader, w, errw io.Writer) {
	in := bufio.NewReader(r)
	out := bufio.NewWriter(w)
	defer out.Flush()
	var tx *cyrusdb.Tx
	line := 0
	var cmd []byte
	fail := func(msg string) {
		out.Flush()
		if tx != nil {
			tx.Abort()
		}
		fmt.Fprintf(errw, "FAILED: line %d at cmd %s with error %s\n", line, cmd, msg)
	}
	for {
		line++
		var key, val []byte
		var c int
		cmd, c = getword(in)
		if c == eof {
			break
		}
		ok := true
		if c == ' ' {
			key, c, ok = getbastring(in)
		}
		if ok && c == ' ' {
			val, c, ok = getbastring(in)
		}
		if c == '\r' {
			c = getc(in)
		}
		if !ok || c != '\n' {
			fail(errBadParams)
			return
		}
		if len(cmd) == 0 {
			continue
		}
		var err error
		switch string(cmd) {
		case "BEGIN":
			if tx != nil {
				fail(errLocked)
				return
			}
			if tx, err = db.Begin(); err != nil {
				fail(err.Error())
				return
			}
		case "SHOW":
			show := func(k, v []byte) error {
				printamap(out, k)
				out.WriteByte(' ')
				printamap(out, v)
				out.WriteByte('\n')
				return nil
			}
			if tx != nil {
				err = tx.Foreach(key, show)
			} else {
				err = db.Foreach(key, show)
			}
			out.Flush()
		case "SET":
			if tx != nil {
				err = tx.Store(key, val)
			} else {
				err = db.Store(key, val)
			}
		case "GET":
			var v []byte
			if tx != nil {
				v, err = tx.Fetch(key)
			} else {
				v, err = db.Fetch(key)
			}
			if err == nil {
				printamap(out, key)
				out.WriteByte(' ')
				printamap(out, v)
				out.WriteByte('\n')
				out.Flush()
			} else if errors.Is(err, cyrusdb.ErrNotFound) {
				err = nil
			}
		case "DELETE":
			if tx != nil {
				err = tx.Delete(key)
			} else {
				err = db.Delete(key)
			}
		case "COMMIT", "ABORT":
			if tx == nil {
				fail(errNotFound)
				return
			}
			if string(cmd) == "COMMIT" {
				err = tx.Commit()
			} else {
				err = tx.Abort()
			}
			tx = nil
		default:
			fail(errNonexistent)
			return
		}
		if err != nil {
			fail(err.Error())
			return
		}
	}
	if tx != nil {
		// Cyrus leaves an unfinished batch transaction to be committed
		// by the caller's exit path; it commits with -T only. Abort.
		tx.Abort()
	}
}

const eof = -1

func getc(in *bufio.Reader) int {
	b, err := in.ReadByte()
	if err != nil {
		return eof
	}
	return int(b)
}

func isspace(c int) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'
}

// getword reads up to white space, a parenthesis or a double quote.
func getword(in *bufio.Reader) ([]byte, int) {
	var b []byte
	for {
		c := getc(in)
		if c == eof || isspace(c) || c == '(' || c == ')' || c == '"' {
			return b, c
		}
		b = append(b, byte(c))
	}
}

// getbastring reads an atom, a quoted string or a literal ({n} or {n+}
// then CRLF then n bytes); it returns the string and the next character.
func getbastring(in *bufio.Reader) ([]byte, int, bool) {
	c := getc(in)
	switch c {
	case eof, ' ', '(', ')', '\r', '\n':
		return nil, c, false
	case '"':
		var b []byte
		for {
			c = getc(in)
			if c == '\\' {
				c = getc(in)
			} else if c == '"' {
				return b, getc(in), true
			}
			if c == eof || c == '\r' || c == '\n' {
				return b, eof, false
			}
			b = append(b, byte(c))
		}
	case '{':
		var n int64
		digits := 0
		for c = getc(in); c >= '0' && c <= '9'; c = getc(in) {
			n = n*10 + int64(c-'0')
			digits++
			if n > 1<<31 {
				return nil, eof, false
			}
		}
		if c == '+' {
			c = getc(in)
		}
		if digits == 0 || c != '}' || getc(in) != '\r' || getc(in) != '\n' {
			return nil, eof, false
		}
		b := make([]byte, n)
		if _, err := io.ReadFull(in, b); err != nil {
			return nil, eof, false
		}
		return b, getc(in), true
	}
	b := []byte{byte(c)}
	for {
		c = getc(in)
		if c == eof || isspace(c) || c == '(' || c == ')' || c == '"' {
			return b, c, true
		}
		b = append(b, byte(c))
	}
}

// printamap writes s as an atom, a quoted string or a literal, choosing
// as Cyrus's prot_printamap does.
func printamap(w *bufio.Writer, s []byte) {
	if len(s) == 0 {
		w.WriteString(`""`)
		return
	}
	if isAtom(s) && string(s) != "NIL" {
		w.Write(s)
		return
	}
	if len(s) < 1024 {
		quoted := true
		for _, c := range s {
			if c == 0 || c&0x80 != 0 || c == '\r' || c == '\n' || c == '"' || c == '%' || c == '\\' {
				quoted = false
				break
			}
		}
		if quoted {
			w.WriteByte('"')
			w.Write(s)
			w.WriteByte('"')
			return
		}
	}
	w.WriteString("{" + strconv.Itoa(len(s)) + "}\r\n")
	w.Write(s)
}

// isAtom is Cyrus's imparse_isnatom (note: 0x1F itself is allowed).
func isAtom(s []byte) bool {
	if len(s) == 0 || s[0] == 0 || len(s) >= 1024 {
		return false
	}
	for _, c := range s {
		if c&0x80 != 0 || c < 0x1f || c == 0x7f || c == ' ' || c == '{' || c == '(' || c == ')' ||
			c == '"' || c == '%' || c == '*' || c == '\\' {
			return false
		}
	}
	return true
}
