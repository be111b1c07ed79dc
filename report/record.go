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
func (m *Metric) recordStrings() [15]*string {
	return [15]*string{
		&m.ClientID, &m.API, &m.Service, &m.Fqdn, &m.SessionToken, &m.AccessKey,
		&m.XAmzID2, &m.XAmzRequestID, &m.XAmznRequestID, &m.UserAgent, &m.Region,
		&m.AWSException, &m.AWSExceptionMessage, &m.SDKException, &m.SDKExceptionMessage,
	}
}

// timings lists a metric's timing latencies in record order.
func (m *Metric) timings() [6]*int64 {
	return [6]*int64{
		&m.AcquireConnectionLatency, &m.ConnectLatency, &m.RequestLatency,
		&m.DNSLatency, &m.TCPLatency, &m.SSLLatency,
	}
}

// recordSize cuts m's strings to their limits and returns the size of its
// record, leaving the session token out if it would not fit.
func (m *Metric) recordSize() int {
	m.truncate()
	size := recordFixed
	for _, s := range m.recordStrings() {
		size += 2 + len(*s)
	}
	if size > maxRecordSize {
		size -= len(m.SessionToken)
		m.SessionToken = ""
	}
	return size
}

// putRecord writes m's record, of m.recordSize() bytes, into b.
func (m *Metric) putRecord(b []byte) {
	b[0] = byte(m.Kind)
	b[1] = boolByte(m.MaxRetriesExceeded)
	b[2] = byte(m.Timed)
	b[3] = boolByte(m.ConnectionReused)
	binary.LittleEndian.PutUint32(b[4:], uint32(int32(m.HTTPStatusCode)))
	binary.LittleEndian.PutUint32(b[8:], uint32(int32(m.AttemptCount)))
	binary.LittleEndian.PutUint64(b[12:], uint64(m.Timestamp))
	binary.LittleEndian.PutUint64(b[20:], uint64(m.Latency))
	binary.LittleEndian.PutUint64(b[28:], uint64(m.AttemptLatency))
	b[36] = 0
	if ip := m.DestinationIP; ip.IsValid() {
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
func readRecord(b []byte, m *Metric) {
	m.Kind = Kind(b[0])
	m.MaxRetriesExceeded = b[1] == 1
	m.Timed = TimingField(b[2])
	m.ConnectionReused = b[3] == 1
	m.HTTPStatusCode = int(int32(binary.LittleEndian.Uint32(b[4:])))
	m.AttemptCount = int(int32(binary.LittleEndian.Uint32(b[8:])))
	m.Timestamp = int64(binary.LittleEndian.Uint64(b[12:]))
	m.Latency = int64(binary.LittleEndian.Uint64(b[20:]))
	m.AttemptLatency = int64(binary.LittleEndian.Uint64(b[28:]))
	var a [16]byte
	copy(a[:], b[37:53])
	switch b[36] {
	case 4:
		m.DestinationIP = netip.AddrFrom16(a).Unmap()
	case 16:
		m.DestinationIP = netip.AddrFrom16(a)
	default:
		m.DestinationIP = netip.Addr{}
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
