package config

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"gyrus/lib/config/internal/table"
)

// Load reads imapd.conf for the program ident (a tool's name, a service's
// cyrus.conf entry name; "" disables <ident>_<option> overrides). path ""
// means DefaultPath. Like Cyrus, when $CYRUS_PREFIX is set the file
// $CYRUS_PREFIX<path> is tried first; the same holds for @include files.
func Load(path, ident string) (*Config, error) {
	if path == "" {
		path = DefaultPath
	}
	l := newLoader(path, ident)
	if err := l.file(path, "", 0); err != nil {
		return nil, err
	}
	return l.finish()
}

// Parse reads imapd.conf text held in memory; name is used in errors.
// @include directives still read files.
func Parse(name string, data []byte, ident string) (*Config, error) {
	l := newLoader(name, ident)
	l.names[name] = true
	if err := l.text(name, data); err != nil {
		return nil, err
	}
	return l.finish()
}

// FromMap builds a Config from key/value pairs, as if each were a line
// "key: value" of a file named "FromMap" (in key order), for tests.
func FromMap(m map[string]string, ident string) (*Config, error) {
	l := newLoader("FromMap", ident)
	for i, k := range sortedKeys(m) {
		if err := l.line("FromMap", i+1, []byte(k+": "+m[k])); err != nil {
			return nil, err
		}
	}
	return l.finish()
}

// loader holds the state of one read of imapd.conf and its includes.
type loader struct {
	c     *Config
	read  func(string) ([]byte, os.FileInfo, error)
	names map[string]bool // files read so far, by name as written
	infos []os.FileInfo   // and by identity
}

func newLoader(file, ident string) *loader {
	c := &Config{file: file, ident: ident, over: map[string]overflow{}}
	c.vals = make([]value, len(defaults))
	copy(c.vals, defaults)
	return &loader{c: c, read: readConfigFile, names: map[string]bool{}}
}

// readConfigFile opens $CYRUS_PREFIX<name> if that exists, else name.
func readConfigFile(name string) ([]byte, os.FileInfo, error) {
	if p := prefixEnv(); p != "" {
		if data, fi, err := readWithInfo(p + name); err == nil {
			return data, fi, nil
		}
	}
	return readWithInfo(name)
}

func readWithInfo(name string) ([]byte, os.FileInfo, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, nil, err
	}
	if fi.IsDir() {
		return nil, nil, &os.PathError{Op: "read", Path: name, Err: fmt.Errorf("is a directory")}
	}
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(f); err != nil {
		return nil, nil, err
	}
	return buf.Bytes(), fi, nil
}

// file reads one file; from/fromLine name the @include line, if any.
func (l *loader) file(name, from string, fromLine int) error {
	data, fi, err := l.read(name)
	if err != nil {
		if from == "" {
			return &Error{File: name, Msg: "can't open configuration file: " + errText(err), Err: err}
		}
		return &Error{File: from, Line: fromLine, Key: "@include",
			Msg: fmt.Sprintf("can't open configuration file %s: %s", name, errText(err)), Err: err}
	}
	twice := l.names[name] || (fi != nil && l.sameAsRead(fi))
	if !twice {
		if abs, err := filepath.Abs(name); err == nil {
			twice = l.names[abs]
			l.names[abs] = true
		}
	}
	if twice {
		return &Error{File: from, Line: fromLine, Key: "@include",
			Msg: fmt.Sprintf("configuration file %s included twice", name)}
	}
	l.names[name] = true
	if fi != nil {
		l.infos = append(l.infos, fi)
	}
	return l.text(name, data)
}

func (l *loader) sameAsRead(fi os.FileInfo) bool {
	for _, o := range l.infos {
		if os.SameFile(o, fi) {
			return true
		}
	}
	return false
}

func errText(err error) string {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err.Error()
	}
	return err.Error()
}

// text splits a file into logical lines. A line whose last character
// before the newline is '\' continues on the next physical line (the
// backslash is dropped, nothing is inserted); a logical line is reported
// under the number of its last physical line. As in Cyrus, a NUL byte ends
// the physical line, and a continuation still open at the end of the file
// is dropped.
func (l *loader) text(name string, data []byte) error {
	var logical []byte
	lineno := 0
	for len(data) > 0 {
		var phys []byte
		terminated := false
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			phys, data, terminated = data[:i], data[i+1:], true
		} else {
			phys, data = data, nil
		}
		lineno++
		if i := bytes.IndexByte(phys, 0); i >= 0 {
			phys, terminated = phys[:i], false
		}
		if terminated && len(phys) > 0 && phys[len(phys)-1] == '\\' {
			logical = append(logical, phys[:len(phys)-1]...)
			continue
		}
		logical = append(logical, phys...)
		if err := l.line(name, lineno, logical); err != nil {
			return err
		}
		logical = logical[:0]
	}
	return nil
}

// line handles one logical line (imapd.conf(5); spec/config.md §B.1).
func (l *loader) line(name string, lineno int, b []byte) error {
	p := 0
	for p < len(b) && isSpace(rune(b[p])) {
		p++
	}
	if p == len(b) || b[p] == '#' {
		return nil
	}
	start := p
	if b[p] == '@' {
		p++
	}
	for p < len(b) && (isAlnum(b[p]) || b[p] == '-' || b[p] == '_') {
		p++
	}
	if p == len(b) || b[p] != ':' {
		word := b[start:]
		if i := bytes.IndexFunc(word, func(r rune) bool { return r == ':' || isSpace(r) }); i > 0 {
			word = word[:i]
		}
		if len(word) > 40 {
			word = word[:40]
		}
		return &Error{File: name, Line: lineno,
			Msg: fmt.Sprintf("invalid option name %q (want name: value, name made of letters, digits, - and _)", word)}
	}
	key := strings.ToLower(string(b[start:p]))
	val := strings.TrimFunc(string(b[p+1:]), isSpace)
	if val == "" {
		return &Error{File: name, Line: lineno, Key: key, Msg: "empty option value"}
	}
	if strings.HasPrefix(key, "@") {
		if key == "@include" {
			return l.file(val, name, lineno)
		}
		return &Error{File: name, Line: lineno, Key: key, Msg: "invalid directive (want @include)"}
	}
	return l.setting(name, lineno, key, val)
}

// setting stores key: val. A key "<ident>_<option>" of a known option
// sets that option for this program only and wins over the plain key
// wherever each appears; each form may appear once.
func (l *loader) setting(name string, lineno int, key, val string) error {
	c := l.c
	opt, service := -1, false
	if id := c.ident; id != "" && len(key) > len(id)+1 && strings.EqualFold(key[:len(id)], id) && key[len(id)] == '_' {
		if i, ok := index[key[len(id)+1:]]; ok {
			opt, service = i, true
		}
	}
	if opt < 0 {
		if i, ok := index[key]; ok {
			opt = i
		}
	}
	if opt < 0 {
		return l.addOverflow(name, lineno, key, val)
	}
	o := &table.Options[opt]
	cur := &c.vals[opt]
	switch {
	case cur.seen == 1 && !service, cur.seen == 2 && service:
		return &Error{File: name, Line: lineno, Key: key, Msg: "option specified twice (first" + where(name, cur.file, cur.line) + ")"}
	case cur.seen == 2 && !service:
		return nil // the service-specific value wins
	}
	if o.Deprecated() {
		// Keep the old spelling readable, as Cyrus does.
		if err := l.addOverflow(name, lineno, key, val); err != nil {
			return err
		}
	}
	v, msg := parseValue(o, val, func(old, preferred string) {
		c.notices = append(c.notices, Notice{Kind: DeprecatedValue, Key: o.Key, Value: old,
			Replacement: preferred, File: name, Line: lineno})
	})
	if msg != "" {
		return &Error{File: name, Line: lineno, Key: key, Msg: msg}
	}
	v.seen = 1
	if service {
		v.seen = 2
	}
	v.file, v.line = name, lineno
	*cur = v
	return nil
}

func where(name, file string, line int) string {
	if file == name {
		return fmt.Sprintf(" on line %d", line)
	}
	return fmt.Sprintf(" in %s on line %d", file, line)
}

func (l *loader) addOverflow(name string, lineno int, key, val string) error {
	if o, ok := l.c.over[key]; ok {
		return &Error{File: name, Line: lineno, Key: key, Msg: "option specified twice (first" + where(name, o.file, o.line) + ")"}
	}
	l.c.over[key] = overflow{val: val, file: name, line: lineno}
	return nil
}

// finish applies what Cyrus does once the whole file is read.
func (l *loader) finish() (*Config, error) {
	c := l.c
	cdi := index["configdirectory"]
	dir := c.vals[cdi]
	if dir.null {
		return nil, &Error{File: c.file, Key: "configdirectory", Msg: "option not specified in configuration file"}
	}

	// {configdirectory} at the start of a string value (defaults too).
	const macro = "{configdirectory}"
	for i := range c.vals {
		v := &c.vals[i]
		if i == cdi || v.null || table.Options[i].Type != table.String {
			continue
		}
		if len(v.str) >= len(macro) && strings.EqualFold(v.str[:len(macro)], macro) {
			v.str = dir.str + v.str[len(macro):]
		}
	}

	// Deprecated names hand their value to the replacement unless that
	// was set too.
	for i := range c.vals {
		o := &table.Options[i]
		v := &c.vals[i]
		if v.seen == 0 || !o.Deprecated() {
			continue
		}
		c.notices = append(c.notices, Notice{Kind: Deprecated, Key: o.Key, Replacement: o.Replacement,
			Since: o.DeprecatedSince, File: v.file, Line: v.line})
		if o.Replacement == "" {
			continue
		}
		r := &c.vals[index[o.Replacement]]
		if r.seen != 0 {
			continue
		}
		seen := v.seen
		*r = *v
		r.seen = seen
		switch o.Type {
		case table.String, table.StringList, table.Duration:
			// Cyrus moves (not copies) string values.
			*v = value{seen: v.seen, null: true, file: v.file, line: v.line}
		}
	}

	if i, ok := index["defaultpartition"]; ok && !c.vals[i].null {
		v := &c.vals[i]
		for j := 0; j < len(v.str); j++ {
			if !isAlnum(v.str[j]) {
				return nil, &Error{File: orFile(v.file, c.file), Line: v.line, Key: "defaultpartition",
					Msg: fmt.Sprintf("%q contains a non-alphanumeric character", v.str)}
			}
		}
		v.str = strings.ToLower(v.str)
	}

	for i := range c.vals {
		o := &table.Options[i]
		if o.Type == table.Duration && !c.vals[i].null {
			c.vals[i].secs, _ = parseDuration(c.vals[i].str, o.Unit)
		}
	}

	c.notices = append(c.notices, l.unknownNotices()...)
	var unimpl []string
	for i := range c.vals {
		o := &table.Options[i]
		if c.vals[i].seen != 0 && !o.Implemented && !o.Deprecated() {
			unimpl = append(unimpl, o.Key)
		}
	}
	if len(unimpl) > 0 {
		c.notices = append(c.notices, Notice{Kind: Unimplemented, Keys: unimpl, File: c.file})
	}
	return c, nil
}

func orFile(f, def string) string {
	if f == "" {
		return def
	}
	return f
}
