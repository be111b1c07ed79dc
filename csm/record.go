package csm

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
// Layout, little-endian: kind (1 byte), maxRetriesExceeded (1), timed (1),
// connectionReused (1), httpStatusCode (4), attemptCount (4), timestamp (8),
// latency (8), attemptLatency (8), the length of the destination IP address
// (1: 0, 4 or 16) and its 16 bytes, three bytes of padding, the six timing
// latencies (8 each); then each string of recordStrings as a 2-byte length
// and its bytes.
const recordFixed = 104

// maxRecordSize bounds a record. Cut to their limits, the strings other than
// the session token take at most about 3.3 KiB; a token that would make the
// record larger than this is left out, as it would not fit in a datagram.
const maxRecordSize = maxDatagramSize

// recordStrings lists a metric's string fields in record order.
func (m *metric) recordStrings() [15]*string {
	return [15]*string{
		&m.clientID, &m.api, &m.service, &m.fqdn, &m.sessionToken, &m.accessKey,
		&m.xAmzID2, &m.xAmzRequestID, &m.xAmznRequestID, &m.userAgent, &m.region,
		&m.awsException, &m.awsExceptionMessage, &m.sdkException, &m.sdkExceptionMessage,
	}
}

// timings lists a metric's timing latencies in record order.
func (m *metric) timings() [6]*int64 {
	return [6]*int64{
		&m.acquireConnectionLatency, &m.connectLatency, &m.requestLatency,
		&m.dnsLatency, &m.tcpLatency, &m.sslLatency,
	}
}

// recordSize cuts m's strings to their limits and returns the size of its
// record, leaving the session token out if it would not fit.
func (m *metric) recordSize() int {
	m.truncate()
	size := recordFixed
	for _, s := range m.recordStrings() {
		size += 2 + len(*s)
	}
	if size > maxRecordSize {
		size -= len(m.sessionToken)
		m.sessionToken = ""
	}
	return size
}

// putRecord writes m's record, of m.recordSize() bytes, into b.
func (m *metric) putRecord(b []byte) {
	b[0] = byte(m.kind)
	b[1] = boolByte(m.maxRetriesExceeded)
	b[2] = byte(m.timed)
	b[3] = boolByte(m.connectionReused)
	binary.LittleEndian.PutUint32(b[4:], uint32(int32(m.httpStatusCode)))
	binary.LittleEndian.PutUint32(b[8:], uint32(int32(m.attemptCount)))
	binary.LittleEndian.PutUint64(b[12:], uint64(m.timestamp))
	binary.LittleEndian.PutUint64(b[20:], uint64(m.latency))
	binary.LittleEndian.PutUint64(b[28:], uint64(m.attemptLatency))
	b[36] = 0
	if ip := m.destinationIP; ip.IsValid() {
		a := ip.As16()
		copy(b[37:53], a[:])
		b[36] = 16
		if ip.Is4() {
			b[36] = 4
		}
	}
	for i, v := range m.timings() {
		binary.LittleEndian.PutUint64(b[56+8*i:], uint64(*v))
	}
	at := recordFixed
	for _, s := range m.recordStrings() {
		binary.LittleEndian.PutUint16(b[at:], uint16(len(*s)))
		at += 2 + copy(b[at+2:], *s)
	}
}

func boolByte(v bool) byte {
	if v {
		return 1
	}
	return 0
}

// readRecord reads a record into m. m's strings share b's memory: they are
// valid only as long as b is not overwritten, which the queue guarantees
// until the record is released.
func readRecord(b []byte, m *metric) {
	m.kind = metricKind(b[0])
	m.maxRetriesExceeded = b[1] == 1
	m.timed = timingField(b[2])
	m.connectionReused = b[3] == 1
	m.httpStatusCode = int(int32(binary.LittleEndian.Uint32(b[4:])))
	m.attemptCount = int(int32(binary.LittleEndian.Uint32(b[8:])))
	m.timestamp = int64(binary.LittleEndian.Uint64(b[12:]))
	m.latency = int64(binary.LittleEndian.Uint64(b[20:]))
	m.attemptLatency = int64(binary.LittleEndian.Uint64(b[28:]))
	var a [16]byte
	copy(a[:], b[37:53])
	switch b[36] {
	case 4:
		m.destinationIP = netip.AddrFrom16(a).Unmap()
	case 16:
		m.destinationIP = netip.AddrFrom16(a)
	default:
		m.destinationIP = netip.Addr{}
	}
	for i, v := range m.timings() {
		*v = int64(binary.LittleEndian.Uint64(b[56+8*i:]))
	}
	at := recordFixed
	for _, s := range m.recordStrings() {
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
