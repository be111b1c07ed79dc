package csmv2_test

import (
	"context"
	"log"
	"time"

	"github.com/opencsm/csm-go/csmv2"
)

// Stop the reporter when the program no longer makes calls: what is queued
// is written first, within the context's time, then its goroutine ends and
// its socket is closed.
func ExampleReporter_Shutdown() {
	r := csmv2.Get()
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if err := r.Shutdown(ctx); err != nil {
		log.Printf("CSM: metrics still queued at shutdown: %v", err)
	}
}
