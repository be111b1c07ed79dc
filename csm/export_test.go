package csm

import "context"

// ResetForTest stops the process's reporter, discarding what it queued, so
// that the next test can start another with other settings.
func ResetForTest() {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_ = Get().Shutdown(ctx)
}
