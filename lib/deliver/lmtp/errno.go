package lmtp

import "syscall"

var (
	syscallENOSPC = syscall.ENOSPC
	syscallEDQUOT = syscall.EDQUOT
)
