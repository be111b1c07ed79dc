package ingest

import (
	"encoding/binary"
	"net"
	"syscall"
)

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
// messages; the kernel leaves it out while it is 0. It allocates nothing.
func dropCount(oob []byte) (uint32, bool) {
	// struct cmsghdr: a size_t length, then the level and type (int32).
	const hdrLen = syscall.SizeofCmsghdr
	const lenSize = hdrLen - 8
	for len(oob) >= hdrLen {
		var clen int
		if lenSize == 8 {
			clen = int(binary.NativeEndian.Uint64(oob))
		} else {
			clen = int(binary.NativeEndian.Uint32(oob))
		}
		level := int32(binary.NativeEndian.Uint32(oob[lenSize:]))
		typ := int32(binary.NativeEndian.Uint32(oob[lenSize+4:]))
		if clen < hdrLen || clen > len(oob) {
			return 0, false
		}
		if level == syscall.SOL_SOCKET && typ == syscall.SO_RXQ_OVFL && clen >= hdrLen+4 {
			return binary.NativeEndian.Uint32(oob[hdrLen:]), true
		}
		next := (clen + lenSize - 1) &^ (lenSize - 1) // CMSG_ALIGN
		if next >= len(oob) {
			return 0, false
		}
		oob = oob[next:]
	}
	return 0, false
}
