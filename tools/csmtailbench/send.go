//go:build linux

package main

import (
	"fmt"
	"net"
	"os"
	"strings"
	"syscall"
	"time"
	"unsafe"
)

// apis are the Service/Api pairs the sender cycles through.
var apis = [][2]string{
	{"DynamoDB", "GetItem"}, {"DynamoDB", "PutItem"}, {"DynamoDB", "Query"}, {"S3", "GetObject"},
	{"S3", "PutObject"}, {"SQS", "SendMessage"}, {"SQS", "ReceiveMessage"}, {"STS", "GetCallerIdentity"},
}

// datagrams returns an ApiCall datagram per API, each of about 311 bytes,
// as csm-go writes them.
func datagrams() [][]byte {
	var out [][]byte
	for _, a := range apis {
		d := fmt.Sprintf(`{"ClientId":"bench","Api":%q,"Service":%q,"Timestamp":1700000000000,"Type":"ApiCall","AttemptCount":1,"Region":"us-west-2","UserAgent":"aws-sdk-go/1.55.8 (go1.24.0; linux; amd64)","FinalHttpStatusCode":200,"Latency":12,"MaxRetriesExceeded":0,"Version":1,"Fqdn":"%s.us-west-2.amazonaws.com"}`,
			a[1], a[0], strings.ToLower(a[0]))
		out = append(out, []byte(d))
	}
	return out
}

// mmsghdr is Linux's struct mmsghdr.
type mmsghdr struct {
	hdr syscall.Msghdr
	len uint32
}

// send writes rate datagrams per second to addr for duration, in bursts
// every millisecond (sendmmsg, 64 at most per call), and prints how many
// it wrote.
func send(addr string, rate int, duration time.Duration) error {
	ua, err := net.ResolveUDPAddr("udp", addr)
	if err != nil {
		return err
	}
	conn, err := net.DialUDP("udp", nil, ua)
	if err != nil {
		return err
	}
	defer conn.Close()
	_ = conn.SetWriteBuffer(8 << 20)
	rc, err := conn.SyscallConn()
	if err != nil {
		return err
	}
	ds := datagrams()
	const batch = 64
	var hdrs [batch]mmsghdr
	var iovs [batch]syscall.Iovec
	for i := range hdrs {
		d := ds[i%len(ds)]
		iovs[i].Base = &d[0]
		iovs[i].SetLen(len(d))
		hdrs[i].hdr.Iov = &iovs[i]
		hdrs[i].hdr.Iovlen = 1
	}
	start := time.Now()
	sent := 0
	for {
		elapsed := time.Since(start)
		if elapsed >= duration {
			break
		}
		due := int(float64(rate) * elapsed.Seconds())
		for sent < due {
			n := min(due-sent, batch)
			var r uintptr
			var errno syscall.Errno
			if err := rc.Write(func(fd uintptr) bool {
				r, _, errno = syscall.Syscall6(sysSendmmsg, fd, uintptr(unsafe.Pointer(&hdrs[0])), uintptr(n), 0, 0, 0)
				return errno != syscall.EAGAIN
			}); err != nil {
				return err
			}
			if errno != 0 && errno != syscall.ECONNREFUSED {
				return os.NewSyscallError("sendmmsg", errno)
			}
			sent += int(r)
			if r == 0 {
				sent += n // refused: counted as sent, as the receiver missed it
			}
		}
		time.Sleep(time.Millisecond)
	}
	fmt.Printf("sent %d\n", sent)
	return nil
}
