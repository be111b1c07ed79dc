//go:build unix

package report

import "syscall"

// msgDontWait is the flag that makes a send return at once, with EAGAIN,
// when the socket's buffer is full.
const msgDontWait = syscall.MSG_DONTWAIT
