package config

import (
	"fmt"
	"io"
	"strings"

	"gyrus/lib/config/internal/table"
	"gyrus/lib/version"
)

// WriteManPage writes imapd.conf(5) in roff, generated from the option
// table (`cyr_info --man`, `make man`). man/imapd.conf.5 is its output.
func WriteManPage(w io.Writer) error {
	var b strings.Builder
	b.WriteString(manHead)
	b.WriteString(".SH OPTIONS\n")
	b.WriteString("Each entry gives the option, its default (\\fI<none>\\fR when it has\n")
	b.WriteString("none), its type, and the Cyrus version that last changed it.\n")
	var impl []string
	for i := range table.Options {
		o := &table.Options[i]
		if o.Implemented {
			impl = append(impl, "\\fB"+roff(o.Key)+"\\fR")
		}
		def := o.Default
		if def == "" && (o.Type == table.String || o.Type == table.StringList || o.Type == table.Duration) {
			def = "<none>"
		}
		fmt.Fprintf(&b, ".TP\n.BR %s \": %s\"\n", roffArg(o.Key), roffArg(def))
		b.WriteString(roffLine(o.Doc) + "\n")
		var facts []string
		switch o.Type {
		case table.Enum, table.StringList:
			facts = append(facts, fmt.Sprintf("%s, one of: %s", o.Type, strings.Join(o.Values, ", ")))
		case table.Bitfield:
			facts = append(facts, "bitfield, any of: "+strings.Join(o.Values, " ")+
				" (a=b: b is an old spelling of a)")
		case table.Duration:
			facts = append(facts, "duration; a bare number counts "+unitName(o.Unit))
		default:
			facts = append(facts, o.Type.String())
		}
		if o.Extension {
			facts = append(facts, "not in Cyrus 3.6; from Cyrus "+o.Modified)
		} else if o.Modified == "UNRELEASED" {
			// Debian's 3.6.1 carries these from the 3.6.5 security fix.
			facts = append(facts, "added by the Cyrus 3.6.5 security fix")
		} else {
			facts = append(facts, "changed in Cyrus "+o.Modified)
		}
		if o.Deprecated() {
			d := "deprecated since " + o.DeprecatedSince
			if o.Replacement != "" {
				d += ", use " + o.Replacement
			}
			facts = append(facts, d)
		}
		b.WriteString(".br\n" + roffLine("("+strings.Join(facts, "; ")+".)") + "\n")
	}
	b.WriteString(".SH IMPLEMENTATION STATUS\n")
	b.WriteString("Gyrus reads every option above with the same syntax, defaults and\n")
	b.WriteString("checks as Cyrus 3.6.1. It acts on these so far:\n")
	b.WriteString(strings.Join(impl, ",\n") + ".\n")
	b.WriteString(".PP\nAny other option that is set is accepted, and one log line\n")
	b.WriteString("(\\fBconfig_not_implemented\\fR) lists them when a program starts.\n")
	b.WriteString(manTail)
	_, err := io.WriteString(w, b.String())
	return err
}

// roffLine escapes a text line for roff: backslashes, and a leading
// control character.
func roffLine(s string) string {
	s = strings.ReplaceAll(s, `\`, `\e`)
	s = strings.ReplaceAll(s, "-", `\-`)
	if strings.HasPrefix(s, ".") || strings.HasPrefix(s, "'") {
		s = `\&` + s
	}
	return s
}

// roffArg escapes a word used as a macro argument.
func roffArg(s string) string {
	s = strings.ReplaceAll(s, `\`, `\e`)
	s = strings.ReplaceAll(s, "-", `\-`)
	s = strings.ReplaceAll(s, `"`, `\(dq`)
	return s
}

func roff(s string) string { return roffArg(s) }

var manHead = `.\" Generated from Gyrus's option table (lib/config/internal/table)
.\" by "cyr_info --man" (make man). Do not edit by hand.
.TH IMAPD.CONF 5 "" "Gyrus ` + version.Version + `" "File Formats"
.SH NAME
imapd.conf \- configuration file of the Gyrus (Cyrus IMAP) programs
.SH SYNOPSIS
.B /etc/imapd.conf
.SH DESCRIPTION
Every Gyrus program, service or command\-line tool, reads
.B imapd.conf
at start\-up, or the file named by its
.B \-C
option.
When the environment variable
.B CYRUS_PREFIX
is set, that prefix followed by the file name is tried first.
The format and the options are those of Cyrus IMAP 3.6.1, so one file
serves both.
.SS Lines
Each setting is one line
.IP
.IB option ": " value
.PP
The option name is made of letters, digits, \(lq\-\(rq and \(lq_\(rq and
is folded to lower case; the colon follows it directly.
White space around the value is dropped; the value itself is taken
literally (quotes are part of it) and may not be empty.
A line whose first non\-blank character is \(lq#\(rq is a comment; a
\(lq#\(rq later on a line belongs to the value.
Blank lines are ignored.
.PP
A backslash as the very last character of a line joins the next line to
it, with nothing inserted in between.
Errors in a joined line are reported with the number of its last
physical line.
.PP
.B @include:
.I file
reads another file at that point, with the same rules.
Reading the same file twice is an error.
.PP
Giving the same option twice is an error.
Options this page does not list are kept as they are (see below); giving
one of those twice is an error too.
.SS Values
.TP
.B string
Any text.
When a string value starts with
.BR {configdirectory} ,
that word is replaced by the value of
.BR configdirectory .
.TP
.B int
A number as C reads it: decimal, hexadecimal after
.BR 0x ,
octal after a leading
.BR 0 ,
with an optional sign.
.TP
.B switch
On or off, judged by the first letters: \fB1\fR, \fBy\fR..., \fBt\fR...
or \fBon\fR... mean on; \fB0\fR, \fBn\fR..., \fBf\fR... or \fBof\fR... mean
off.
.TP
.B enum
One of the listed words (case matters).
The words yes, true, t and 1 stand for \fBon\fR, and no, false, f and 0
for \fBoff\fR.
.TP
.B stringlist
One of the listed words, taken literally.
.TP
.B bitfield
Any of the listed words, separated by white space.
Setting the option replaces its whole default.
.TP
.B duration
One or more groups of digits followed by a unit, \fBd\fR (days),
\fBh\fR (hours), \fBm\fR (minutes) or \fBs\fR (seconds), added up
(\fB1h30m\fR is 90 minutes), optionally preceded by \(lq\-\(rq.
A number at the end without a unit is counted in the unit the option
names below, which differs from option to option.
.SS Per\-service settings
Each program reads the file under a name: its own name for tools, and
for services started by
.BR master (8)
the name of their entry in
.BR cyrus.conf (5).
An option written
.IB name _ option
applies to that program only and wins over the plain
.IR option ,
wherever either appears in the file.
.SS Other keys
Keys that are not options are kept for the code that looks them up:
.BI partition\- name
(the spool directory of partition
.IR name ,
required by tools that need mail data),
.BI metapartition\- name\fR,
.BI archivepartition\- name\fR,
.B sasl_*
settings, and replication settings for one channel, written
.IB channel _sync_host
and so on.
They too may carry a program name in front.
Keys that nothing reads are reported once in the log, as are deprecated
option names, whose value goes to the option that replaced them.
.SS Errors
A setting that does not parse stops the program before it does anything
else, with exit status 78 (EX_CONFIG) and a message naming the file, the
line, the option and what was expected.
.B configdirectory
must be set.
`

const manTail = `.SH FILES
.TP
.B /etc/imapd.conf
the default location.
.SH SEE ALSO
.BR cyrus.conf (5),
.BR cyr_info (8),
.BR master (8)
`
