package csm_test

import (
	"context"
	"log"
	"time"

	"github.com/opencsm/csm-go/csm"
)

// Stop the reporter when the program no longer makes calls: what is queued
// is written first, within the context's time, then its goroutine ends and
// its socket is closed. A program that simply exits need not do this for
// calls it made one at a time: their datagrams were written before each call
// returned.
func ExampleReporter_Shutdown() {
	r := csm.Get()
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if err := r.Shutdown(ctx); err != nil {
		log.Printf("CSM: metrics still queued at shutdown: %v", err)
	}
}
