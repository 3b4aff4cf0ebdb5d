package main

import (
	"fmt"
	"io"
	"strings"
)

// optString is ipurge's getopt(3) option string in Cyrus 3.6.1: the
// letters it knows, those followed by ':' take an argument.
const optString = "C:hxd:b:k:m:fsXionvM"

// badOption scans argv the way GNU getopt does (options may follow
// operands; "--" ends them) and returns getopt's complaint about the
// first unknown option or missing argument, or "". Cyrus's ipurge
// answers such a command line with its usage text on stdout and status
// 0, not with the EX_USAGE of the other tools, so this is checked
// before the common command line of lib/tool sees it. "--help" is left
// to lib/tool.
func badOption(argv []string) string {
	invoked := "ipurge"
	if len(argv) > 0 {
		invoked = argv[0]
	}
	for i := 1; i < len(argv); i++ {
		a := argv[i]
		if a == "--" {
			break
		}
		if len(a) < 2 || a[0] != '-' || strings.HasPrefix(a, "--") {
			continue
		}
		for j := 1; j < len(a); j++ {
			k := strings.IndexByte(optString, a[j])
			if k < 0 || a[j] == ':' {
				return fmt.Sprintf("%s: invalid option -- '%c'", invoked, a[j])
			}
			if k+1 < len(optString) && optString[k+1] == ':' {
				if j+1 == len(a) {
					if i+1 == len(argv) {
						return fmt.Sprintf("%s: option requires an argument -- '%c'", invoked, a[j])
					}
					i++
				}
				break
			}
		}
	}
	return ""
}

// checkOptions prints getopt's complaint on stderr and the usage text
// on stdout, as Cyrus's ipurge does, and says whether it did.
func checkOptions(argv []string, stdout, stderr io.Writer) bool {
	msg := badOption(argv)
	if msg == "" {
		return false
	}
	fmt.Fprintln(stderr, msg)
	usage(stdout)
	return true
}
