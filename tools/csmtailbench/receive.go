//go:build linux

package main

import (
	"fmt"
	"sync/atomic"
	"time"

	"github.com/opencsm/csm-go/internal/ingest"
)

// receiveBare reads a datagram per call and counts it, until SIGTERM;
// then it prints the count.
func receiveBare() error {
	ctx, stop := waitForTerm()
	defer stop()
	conn, err := listen()
	if err != nil {
		return err
	}
	var n atomic.Uint64
	go func() {
		<-ctx.Done()
		_ = conn.SetReadDeadline(time.Unix(1, 0))
	}()
	buf := make([]byte, 64<<10)
	for {
		if _, _, err := conn.ReadFromUDPAddrPort(buf); err != nil {
			if ctx.Err() != nil {
				break
			}
			return err
		}
		n.Add(1)
	}
	fmt.Printf("received %d\n", n.Load())
	return nil
}

// receiveIngest runs internal/ingest's receive loop with a handler that
// only counts, until SIGTERM; then it prints the count.
func receiveIngest() error {
	ctx, stop := waitForTerm()
	defer stop()
	conn, err := listen()
	if err != nil {
		return err
	}
	var n uint64
	r := &ingest.Receiver{Conn: conn}
	err = r.Run(ctx, func(batch []ingest.Packet, _ time.Time) { n += uint64(len(batch)) })
	if err != nil {
		return err
	}
	fmt.Printf("received %d\n", n)
	return nil
}
