package master_test

import (
	"net"
	"strconv"
)

func itoa(n int) string { return strconv.Itoa(n) }

func hasIPv6() bool {
	l, err := net.Listen("tcp6", "[::1]:0")
	if err != nil {
		return false
	}
	l.Close()
	return true
}
