package cyrusconf

import (
	"errors"
	"strings"
)

// maxUnixPath is the longest UNIX socket path: sun_path holds 108 bytes
// including the terminating NUL.
const maxUnixPath = 107

// Listen is a parsed listen= value (config.md §A.3).
type Listen struct {
	// Path is set for a UNIX-domain socket (listen= starting with '/').
	Path string
	// Host is the address or host name to bind; "" means every interface.
	Host string
	// Port is a number or a service name from /etc/services.
	Port string
}

// Unix reports whether l names a UNIX-domain socket.
func (l Listen) Unix() bool { return l.Path != "" }

func (l Listen) String() string {
	switch {
	case l.Path != "":
		return l.Path
	case l.Host == "":
		return l.Port
	case strings.Contains(l.Host, ":") || l.Host[0] == '/':
		return "[" + l.Host + "]:" + l.Port
	}
	return l.Host + ":" + l.Port
}

// ParseListen splits a listen= value as master.c parse_inet_listen does:
// "/path", "[host]:port", "host:port" (split at the last ':'), or "port".
// A port is required; master disables a service whose listen= fails here.
func ParseListen(s string) (Listen, error) {
	switch {
	case s == "":
		return Listen{}, errors.New("empty listen")
	case s[0] == '/':
		if len(s) > maxUnixPath {
			return Listen{}, errors.New("UNIX socket path too long")
		}
		return Listen{Path: s}, nil
	case s[0] == '[':
		end := strings.LastIndexByte(s, ']')
		if end < 0 {
			return Listen{}, errors.New("missing ']'")
		}
		rest := s[end+1:]
		if rest == "" {
			return Listen{}, errors.New("no port after ']'")
		}
		if rest[0] != ':' || len(rest) == 1 {
			return Listen{}, errors.New("expected ':port' after ']'")
		}
		if end == 1 {
			return Listen{}, errors.New("empty host")
		}
		return Listen{Host: s[1:end], Port: rest[1:]}, nil
	}
	if i := strings.LastIndexByte(s, ':'); i >= 0 {
		if i == len(s)-1 {
			return Listen{}, errors.New("empty port")
		}
		if i == 0 {
			// getaddrinfo("") fails: ":143" is not "every interface".
			return Listen{}, errors.New("empty host")
		}
		return Listen{Host: s[:i], Port: s[i+1:]}, nil
	}
	return Listen{Port: s}, nil
}
