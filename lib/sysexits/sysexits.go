// Package sysexits holds the BSD sysexits.h exit codes that every Cyrus
// program returns (spec/tools.md §0). Scripts and MTAs depend on them:
// deliver's 75 makes an MTA retry, 67 bounces, 78 means "fix the config".
package sysexits

const (
	OK          = 0
	Usage       = 64 // EX_USAGE: command line usage error
	DataErr     = 65 // EX_DATAERR: data format error
	NoInput     = 66 // EX_NOINPUT: cannot open input
	NoUser      = 67 // EX_NOUSER: addressee unknown
	NoHost      = 68 // EX_NOHOST: host name unknown
	Unavailable = 69 // EX_UNAVAILABLE: service unavailable
	Software    = 70 // EX_SOFTWARE: internal software error
	OSErr       = 71 // EX_OSERR: system error
	OSFile      = 72 // EX_OSFILE: critical OS file missing
	CantCreat   = 73 // EX_CANTCREAT: can't create output file
	IOErr       = 74 // EX_IOERR: input/output error
	TempFail    = 75 // EX_TEMPFAIL: temporary failure, retry later
	Protocol    = 76 // EX_PROTOCOL: remote error in protocol
	NoPerm      = 77 // EX_NOPERM: permission denied
	Config      = 78 // EX_CONFIG: configuration error

	// Minus1 is what C's exit(-1) becomes: several Cyrus tools use it
	// for usage errors (cyr_info, ctl_cyrusdb, cyr_dbtool, chk_cyrus).
	Minus1 = 255
)
