#!/usr/bin/env bash
# CI for csmtail and the demo: Debian's prometheus (prometheus, promtool)
# and tmux, csmtail's tests on its own go.mod (with internal/ingest) with the real
# Prometheus and the terminal test required, go mod tidy, fuzzing the
# datagram parser, and the demo, the README's main command, which must see
# every datagram it sent received.
set -euo pipefail
cd "$(dirname "$0")/.."

log=$(mktemp)
trap 'rm -f "$log"' EXIT
. .ci/lib.sh # run, require, step

echo "== csmtail: Debian's prometheus and tmux"
if ! command -v prometheus >/dev/null || ! command -v promtool >/dev/null || ! command -v tmux >/dev/null; then
	run "apt-get update" apt-get update
	run "apt-get install" env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends prometheus tmux
fi
# The package starts a Prometheus service on some systems; the tests run
# their own and need no other.
prometheus --version 2>&1 | head -1
tmux -V

# The tests that need prometheus, promtool and tmux fail instead of
# skipping when CI is set.
export CI=${CI:-true}

echo "== csmtail on its own go.mod: no SDK, no library module of this repository, tidy"
# csmtail requires internal/ingest by version and has no replace (go install
# of a version refuses one): a work file of csmtail and internal/ingest
# alone gives it the working tree, and the module graph of its own go.mod.
scratch=$(mktemp -d)
trap 'rm -f "$log"; rm -rf "$scratch"' EXIT
printf 'go 1.24\n\nuse (\n\t%s/cmd/csmtail\n\t%s/internal/ingest\n)\n\nreplace github.com/opencsm/csm-go/internal/ingest v0.1.0 => %s/internal/ingest\n' "$PWD" "$PWD" "$PWD" >"$scratch/go.work"
export CSMTAIL_WORK="$scratch/go.work"
mods=$(GOWORK=$CSMTAIL_WORK go -C cmd/csmtail list -m all)
bad=$(echo "$mods" | grep -E '^github.com/(aws/|opencsm/csm-go )|^github.com/opencsm/csm-go/(csmv2|internal/report)' || true)
if [ -n "$bad" ]; then
	echo "csmtail's module graph holds an SDK or a library module of this repository:"
	echo "$bad"
	exit 1
fi
if grep -q '^replace' cmd/csmtail/go.mod; then
	echo "FAILED: cmd/csmtail/go.mod has a replace"
	exit 1
fi
# Tidy, checked on a copy that points at the working tree's internal/ingest.
cp -r cmd/csmtail "$scratch/csmtail"
echo "replace github.com/opencsm/csm-go/internal/ingest => $PWD/internal/ingest" >>"$scratch/csmtail/go.mod"
(cd "$scratch/csmtail" && GOWORK=off go mod tidy -diff)
(cd internal/ingest && GOWORK=off go mod tidy -diff)
echo "no SDK, no replace, tidy"

echo "== csmtail's tests (-race), the real Prometheus and the terminal test required"
run "csmtail tests" env GOWORK="$CSMTAIL_WORK" go -C cmd/csmtail test -race -count=1 -v ./... ../../internal/ingest/...
grep -E '^(ok|FAIL) ' "$log"
for test in TestParseAgreesWithEncodingJSON TestRedactedIsJSON TestJSONLinesAreJSON TestMemoryPerSeries TestReceiverKernelDrops TestSignalEndsCsmtailWithStuckStdout TestRealPrometheus TestTerminal TestHostileSender TestSecretsNeverShown TestGrafanaDashboard TestKernelDrops TestStuckSinkDoesNotStallReceiving; do
	require "^--- PASS: $test " "$test did not pass (or skipped)"
done
grep -E 'bound_test.go:[0-9]+: [0-9]+ events' "$log" | sed 's/^ *//'
passed=$(grep -c -E -- '^ *--- PASS' "$log")
skipped=$(grep -c -E -- '^ *--- SKIP' "$log" || true)

echo "== TestKernelDrops -count=20 (-race)"
run "TestKernelDrops -count=20" env GOWORK="$CSMTAIL_WORK" go -C cmd/csmtail test -race -count=20 -run '^TestKernelDrops$' ./tail/
grep -E '^(ok|FAIL) ' "$log"

echo "== fuzzing the datagram parser and csmtail's pipeline (a number of executions: go.dev/issue/75804)"
run "FuzzParseDatagram" env GOWORK="$CSMTAIL_WORK" go -C cmd/csmtail test -run '^$' -fuzz '^FuzzParseDatagram$' -fuzztime 20000x ./tail/
echo "FuzzParseDatagram: $(grep -E 'execs:' "$log" | tail -1)"
# FuzzParse checks that the parser agrees with encoding/json on every input.
run "FuzzParse" env GOWORK="$CSMTAIL_WORK" go -C internal/ingest test -run '^$' -fuzz '^FuzzParse$' -fuzztime 50000x .
echo "FuzzParse: $(grep -E 'execs:' "$log" | tail -1)"

echo "== csmtailbench smoke (BENCHMARKS.md's csmtail figures; a run, not a measure)"
run "csmtailbench" go run ./tools/csmtailbench -rounds 1 -rates 20000 -duration 300ms
for mode in bare ingest plain json; do
	require "^highest rate .*: $mode " "csmtailbench did not measure $mode"
done
grep -E '^round 1' "$log"
run "csmtailbench -flood" go run ./tools/csmtailbench -flood "--plain --max-series 100" -duration 1s
require "peak RSS [0-9]+ kB" "csmtailbench -flood did not measure csmtail's memory"
cat "$log"

echo "== go run ./examples/demo (the README's main command)"
run "demo" go run ./examples/demo
require '^csmtail summary: [0-9]+ datagrams \(0 bad\)' "the demo's csmtail saw bad datagrams"
require '^demo: aws-sdk-go, aws-sdk-go-v2 sent ([0-9]+) datagrams through csm-go; csmtail received \1$' "csmtail did not receive every datagram from both SDKs"
grep -E '^(csmtail summary|SERVICE|STS|demo:)' "$log"

echo "csmtail: $passed passed, 0 failed, $skipped skipped"
