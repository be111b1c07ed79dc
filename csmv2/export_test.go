package csmv2

import "context"

// ResetForTest stops the process's reporter, discarding what it queued, so
// that the next test can start another with other settings.
func ResetForTest() {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_ = Get().Shutdown(ctx)
}

// ClassifyForTest is classify.
var ClassifyForTest = classify

// RetriesExhaustedForTest is retriesExhausted.
var RetriesExhaustedForTest = retriesExhausted
