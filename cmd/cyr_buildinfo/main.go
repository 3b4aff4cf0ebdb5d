// Command cyr_buildinfo prints which optional parts this build of Gyrus
// has, in the JSON shape (and with the options) of Cyrus 3.6.1's
// cyr_buildinfo(8):
//
//	cyr_buildinfo [-C file] [pretty|dense|flat]
package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"gyrus/lib/sysexits"
	"gyrus/lib/tool"
)

// usageText is Cyrus's usage() text, word for word.
const usageText = `cyr_buildinfo [-C <file>] [format]
Where format is one of:

  * pretty        - pretty-print JSON (default)
  * dense         - print dense JSON
  * flat          - print as flattened properties

The -C option is accepted but ignored.
`

func main() {
	tool.Main(tool.Program{
		Name:      "cyr_buildinfo",
		Usage:     "show the optional components of this build",
		ArgsUsage: "[pretty|dense|flat]",
		UsageText: usageText,
		UsageExit: sysexits.Minus1,
		NoConfig:  true,
		Action: func(ctx *tool.Context) error {
			format := "pretty"
			if ctx.NArg() > 0 {
				format = ctx.Args().First()
			}
			w := bufio.NewWriter(os.Stdout)
			defer w.Flush()
			switch format {
			case "pretty":
				writeJSON(w, buildInfo, true)
			case "dense":
				writeJSON(w, buildInfo, false)
			case "flat":
				writeFlat(w, buildInfo)
			default:
				return tool.Usage("")
			}
			return nil
		},
	})
}

func jsonValue(v any) string {
	switch x := v.(type) {
	case bool:
		return strconv.FormatBool(x)
	case string:
		return jsonString(x)
	}
	panic(fmt.Sprintf("cyr_buildinfo: value %v of type %T", v, v))
}

// jsonString quotes like jansson: \" \\ and control characters escaped,
// nothing else.
func jsonString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\t':
			b.WriteString(`\t`)
		case r < 0x20:
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// writeJSON prints the object as jansson's json_dumps does, with
// JSON_INDENT(2) (pretty) or without (dense: ", " and ": " separators).
func writeJSON(w io.Writer, info []section, pretty bool) {
	nl := func(depth int) string {
		if !pretty {
			return ""
		}
		return "\n" + strings.Repeat("  ", depth)
	}
	sep := ", "
	if pretty {
		sep = ","
	}
	var b strings.Builder
	b.WriteString("{")
	for i, s := range info {
		if i > 0 {
			b.WriteString(sep)
		}
		b.WriteString(nl(1) + jsonString(s.name) + ": {")
		for j, it := range s.items {
			if j > 0 {
				b.WriteString(sep)
			}
			b.WriteString(nl(2) + jsonString(it.key) + ": " + jsonValue(it.value))
		}
		if len(s.items) > 0 {
			b.WriteString(nl(1))
		}
		b.WriteString("}")
	}
	b.WriteString(nl(0) + "}\n")
	io.WriteString(w, b.String())
}

// writeFlat prints one "section.key=value" line per value (empty
// sections print nothing).
func writeFlat(w io.Writer, info []section) {
	for _, s := range info {
		for _, it := range s.items {
			fmt.Fprintf(w, "%s.%s=%s\n", s.name, it.key, jsonValue(it.value))
		}
	}
}
