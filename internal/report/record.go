package report

import (
	"encoding/binary"
	"net/netip"
	"unsafe"
)

// A record is a metric as the queue holds it: the metric's numbers and its
// strings, already cut to their limits, copied into the queue's ring. The
// API call's goroutine writes it (a few copies, no encoding); the sender
// reads it back and encodes the datagram.
//
// Layout, little-endian: the numbers (see numbers) as 8 bytes each, the
// length of the destination IP address (1 byte: 0, 4 or 16) and its 16
// bytes; then each string (see stringPtrs) as a 2-byte length and its
// bytes.
const (
	recordAddr  = 8 * numNumbers
	recordFixed = recordAddr + 1 + 16
)

// maxRecordSize bounds a record. Cut to their limits, the strings other than
// the session token take at most about 3.3 KiB; a token that would make the
// record larger than this is left out, as it would not fit in a datagram.
const maxRecordSize = maxDatagramSize

// recordSize cuts m's strings to their limits and returns the size of its
// record, leaving the session token out if it would not fit.
func (m *Metric) recordSize() int {
	size := recordFixed
	for i, s := range m.stringPtrs() {
		if limit := stringLimits[i]; limit > 0 && len(*s) > limit {
			*s = truncateString(*s, limit)
		}
		size += 2 + len(*s)
	}
	if size > maxRecordSize {
		size -= len(m.sessionToken)
		m.sessionToken = ""
	}
	return size
}

// putRecord writes m's record, of m.recordSize() bytes, into b.
func (m *Metric) putRecord(b []byte) {
	b = b[:len(b):len(b)]
	nums := b[:recordAddr]
	for i, v := range m.numbers() {
		binary.LittleEndian.PutUint64(nums[8*i:8*i+8], uint64(v))
	}
	b[recordAddr] = 0
	if ip := m.destinationIP; ip.IsValid() {
		a := ip.As16()
		copy(b[recordAddr+1:recordFixed], a[:])
		b[recordAddr] = 16
		if ip.Is4() {
			b[recordAddr] = 4
		}
	}
	at := recordFixed
	for _, s := range m.stringPtrs() {
		n := len(*s)
		b[at], b[at+1] = byte(n), byte(n>>8)
		at += 2
		if n > 0 {
			at += copy(b[at:], *s)
		}
	}
}

// readRecord reads a record into m. m's strings share b's memory: they are
// valid only as long as b is not overwritten, which the queue guarantees
// until the record is released.
func readRecord(b []byte, m *Metric) {
	var v [numNumbers]int64
	for i := range v {
		v[i] = int64(binary.LittleEndian.Uint64(b[8*i:]))
	}
	m.setNumbers(&v)
	var a [16]byte
	copy(a[:], b[recordAddr+1:recordFixed])
	switch b[recordAddr] {
	case 4:
		m.destinationIP = netip.AddrFrom16(a).Unmap()
	case 16:
		m.destinationIP = netip.AddrFrom16(a)
	default:
		m.destinationIP = netip.Addr{}
	}
	at := recordFixed
	for _, s := range m.stringPtrs() {
		n := int(binary.LittleEndian.Uint16(b[at:]))
		*s = unsafeString(b[at+2 : at+2+n])
		at += 2 + n
	}
}

// unsafeString returns a string that shares b's bytes, without copying them.
// The sender encodes tens of thousands of records a second; copying each of
// their strings would make that much garbage. The bytes must not change
// while the string is in use.
func unsafeString(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return *(*string)(unsafe.Pointer(&b))
}
