package tool

import (
	"strings"

	"github.com/urfave/cli/v2"
)

// normalize rewrites a command line the way glibc getopt reads it, into a
// form Go's flag package parses: every flag on its own ("-rf" → "-r",
// "-f"; "-Cfile" → "-C", "file"), then "--", then the operands. With
// permute, flags after operands count too (GNU behaviour); otherwise the
// first operand ends the flags (POSIX). Long flags ("--help",
// "--name=value") are passed through.
// A value-taking flag at the very end lacks its value: missing names it.
func normalize(args []string, flags []cli.Flag, permute bool) (norm []string, missing string) {
	takes := map[string]bool{}
	for _, f := range flags {
		v := false
		if d, ok := f.(cli.DocGenerationFlag); ok {
			v = d.TakesValue()
		}
		for _, n := range f.Names() {
			takes[n] = v
		}
	}
	var out, operands []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			operands = append(operands, args[i+1:]...)
			i = len(args)
		case strings.HasPrefix(a, "--"):
			out = append(out, a)
			if name := a[2:]; !strings.Contains(name, "=") && takes[name] {
				if i+1 == len(args) {
					return nil, name
				}
				out = append(out, args[i+1])
				i++
			}
		case len(a) > 1 && a[0] == '-':
			for j := 1; j < len(a); j++ {
				name := a[j : j+1]
				v, known := takes[name]
				out = append(out, "-"+name)
				if known && v {
					if j+1 < len(a) {
						out = append(out, a[j+1:])
					} else if i+1 < len(args) {
						out = append(out, args[i+1])
						i++
					} else {
						return nil, name
					}
					break
				}
			}
		default:
			if !permute {
				operands = append(operands, args[i:]...)
				i = len(args)
				continue
			}
			operands = append(operands, a)
		}
	}
	out = append(out, "--")
	return append(out, operands...), ""
}
