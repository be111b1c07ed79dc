#!/usr/bin/env bash
# Exit safety and the CPU cost of a real call: the child-process exit tests
# of both SDKs, every datagram required from programs that return from main
# or call os.Exit without Flush: 40 runs of one call, 20 of one call with
# credentials from an STS AssumeRole call made inside it, and 20 runs each of
# 5 calls back to back, 4 goroutines x 3 calls, and a call right after a
# Flush; and a short smoke run of the CPU-per-call benchmark (not a timed
# assertion: it checks that the benchmark runs, and prints what it
# measured).
set -euo pipefail
cd "$(dirname "$0")/.."

log=$(mktemp)
trap 'rm -f "$log"' EXIT

# exit_test NAME DIR PKG: runs the exit tests of PKG in module DIR.
exit_test() {
	if ! (cd "$2" && go test -count=1 -run '^TestExitDelivers(Everything|EverythingAssumingRole|EveryCall)$' -v "$3") >"$log" 2>&1; then
		cat "$log"
		echo "FAILED: exit test ($1)"
		exit 1
	fi
	for t in TestExitDeliversEverything TestExitDeliversEverythingAssumingRole \
		TestExitDeliversEveryCall/back-to-back TestExitDeliversEveryCall/fan-out TestExitDeliversEveryCall/after-flush; do
		if ! grep -q -E "^ *--- PASS: $t " "$log"; then
			cat "$log"
			echo "FAILED: $t ($1) did not run"
			exit 1
		fi
	done
	echo "exit test ($1): every datagram received from 40 runs of one call, 20 with an assumed role, 20 each of 5 calls in a row, 4 goroutines x 3 calls, a call after Flush"
}

exit_test "aws-sdk-go, csm.NewSession" . ./csm
exit_test "aws-sdk-go-v2, csmv2.Enable" csmv2/v2test .

if ! (cd csmv2/v2test && go run ./cpuload -smoke) >"$log" 2>&1; then
	cat "$log"
	echo "FAILED: cpuload smoke run"
	exit 1
fi
grep '^cpuload smoke:' "$log"
