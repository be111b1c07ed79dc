//go:build !unix

package report

// msgDontWait is 0 where sends cannot be asked not to wait for room: the
// sender writes one datagram per write, and calls leave their datagrams to
// the sender goroutine.
const msgDontWait = 0
