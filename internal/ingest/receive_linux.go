package ingest

import (
	"encoding/binary"
	"net"
	"syscall"
)

// run is the receive loop.
func (r *Receiver) run(max int, h Handler) error {
	return r.readOne(max, h)
}

// enableDropCount asks Linux to attach to each datagram read the number of
// datagrams the socket has dropped so far for want of buffer space
// (SO_RXQ_OVFL). It reports whether the kernel agreed.
func enableDropCount(conn *net.UDPConn) bool {
	rc, err := conn.SyscallConn()
	if err != nil {
		return false
	}
	var serr error
	if err := rc.Control(func(fd uintptr) {
		serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RXQ_OVFL, 1)
	}); err != nil || serr != nil {
		return false
	}
	return true
}

// dropCount returns the socket's drop count from a datagram's control
// messages; the kernel leaves it out while it is 0.
func dropCount(oob []byte) (uint32, bool) {
	msgs, err := syscall.ParseSocketControlMessage(oob)
	if err != nil {
		return 0, false
	}
	for _, m := range msgs {
		if m.Header.Level == syscall.SOL_SOCKET && m.Header.Type == syscall.SO_RXQ_OVFL && len(m.Data) >= 4 {
			return binary.NativeEndian.Uint32(m.Data), true
		}
	}
	return 0, false
}
