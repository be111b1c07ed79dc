//go:build race

package v2test

// raceEnabled is whether the tests run under the race detector.
const raceEnabled = true
