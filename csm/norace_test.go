//go:build !race

package csm_test

// raceEnabled is whether the tests run under the race detector, which makes
// sync.Pool drop items on purpose and so changes allocation counts.
const raceEnabled = false
