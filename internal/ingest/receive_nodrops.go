//go:build !linux

package ingest

import "net"

// enableDropCount reports false: only Linux tells a socket's drops.
func enableDropCount(*net.UDPConn) bool { return false }

// dropCount is never called where enableDropCount reports false.
func dropCount([]byte) (uint32, bool) { return 0, false }
