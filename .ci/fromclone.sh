#!/usr/bin/env bash
# docs/from-a-clone.md, as written: in modules outside the repository, the
# document's commands (its fenced blocks marked <!-- fromclone: NAME -->,
# run here with CSM_GO set to this clone) make csm and csmv2 come from the
# clone, with replace lines and with a go.work; then programs that report
# one API call to a loopback agent (.ci/programs) are built and run. No
# network: the go command's proxy is this machine's module download cache
# (.ci/run's `go mod download` fills it), and the checksums come from the
# repository's go.sum files. One line per step; exit status 1 if any
# failed.
set -euo pipefail
cd "$(dirname "$0")/.."

export CSM_GO=$(pwd)
doc=docs/from-a-clone.md
scratch=$(mktemp -d)
log="$scratch/log"
trap 'rm -rf "$scratch"' EXIT

export GOPROXY="file://$(go env GOMODCACHE)/cache/download"
export GOSUMDB=off # what the go.sum files below lack is not looked up
export GONOSUMDB= GOPRIVATE= GONOPROXY=
export GOTOOLCHAIN=local
export GOFLAGS=-mod=mod
export GOWORK=off

# block NAME: the fenced block of the document marked NAME.
block() {
	awk -v m="<!-- fromclone: $1 -->" '
		$0 == m { f = 1; next }
		f == 1 && /^```/ { f = 2; next }
		f == 2 && /^```/ { exit }
		f == 2 { print }' "$doc"
}

# newmod DIR PROGRAM...: a fresh module in DIR with the programs of
# .ci/programs, each in a directory of its name, and the repository's
# go.sum lines.
newmod() {
	local dir=$1
	shift
	mkdir -p "$dir"
	(cd "$dir" && go mod init example.com/fromclone >/dev/null 2>&1)
	git ls-files -- go.sum '*/go.sum' | xargs cat | sort -u >"$dir/go.sum"
	for p in "$@"; do
		mkdir -p "$dir/$p"
		cp ".ci/programs/$p/main.go" "$dir/$p/"
	done
}

failed=0
. .ci/lib.sh # run, require, step

# run_block DIR BLOCK: runs the document's block in DIR.
run_block() {
	local code
	code=$(block "$2")
	if [ -z "$code" ]; then
		echo "$doc has no block marked $2"
		return 1
	fi
	(cd "$1" && bash -euo pipefail -c "$code")
}

# call DIR PROGRAM: builds the program and runs it; it must print the
# datagrams of its one call.
call() {
	local out
	(cd "$1" && go build -o "$scratch/bin/$2" "./$2") || return 1
	out=$("$scratch/bin/$2") || return 1
	echo "$out"
	[ "$out" = "ApiCallAttempt GetCallerIdentity, ApiCall GetCallerIdentity" ]
}

# requires DIR MODULE...: requires each module at the version this
# repository's go.mod files require, as the module of a program that
# already uses the SDK does.
requires() {
	local dir=$1 m v
	shift
	for m in "$@"; do
		v=$(git ls-files -- go.mod '*/go.mod' | xargs cat | awk -v m="$m" '$1 == m && $2 ~ /^v/ { print $2 }' | sort -V | tail -1)
		(cd "$dir" && go mod edit -require "$m@$v") || return 1
	done
}

# With replace lines: a module for csm, a module for csmv2, each already
# requiring its SDK.
newmod "$scratch/replace-csm" v1call
requires "$scratch/replace-csm" github.com/aws/aws-sdk-go
if step "$doc, replace lines for csm: go mod edit, go get" run_block "$scratch/replace-csm" replace-csm; then
	step "build and run an aws-sdk-go program with csm from the clone" call "$scratch/replace-csm" v1call &&
		echo "     received: $(tail -1 "$log")" || true
fi
newmod "$scratch/replace-csmv2" v2call
requires "$scratch/replace-csmv2" github.com/aws/aws-sdk-go-v2 github.com/aws/aws-sdk-go-v2/credentials \
	github.com/aws/aws-sdk-go-v2/service/sts
if step "$doc, replace lines for csmv2: go mod edit, go get" run_block "$scratch/replace-csmv2" replace-csmv2; then
	step "build and run an aws-sdk-go-v2 program with csmv2 from the clone" call "$scratch/replace-csmv2" v2call &&
		echo "     received: $(tail -1 "$log")" || true
fi

# With a workspace: one module with both programs, whose go.mod requires
# the SDKs and no module of this repository (go mod tidy would fail on the
# imports of csm and csmv2). -mod=mod is refused in
# workspace mode.
newmod "$scratch/work" v1call v2call
requires "$scratch/work" github.com/aws/aws-sdk-go github.com/aws/aws-sdk-go-v2 \
	github.com/aws/aws-sdk-go-v2/credentials github.com/aws/aws-sdk-go-v2/service/sts
export GOFLAGS= GOWORK=
if step "$doc, a workspace for csm and csmv2: go work init, go work use" run_block "$scratch/work" work-csm &&
	step "$doc, ... and csmv2: go work use" run_block "$scratch/work" work-csmv2; then
	step "build and run an aws-sdk-go program with csm from the clone's workspace" call "$scratch/work" v1call || true
	step "build and run an aws-sdk-go-v2 program with csmv2 from the clone's workspace" call "$scratch/work" v2call || true
fi

if [ "$failed" != 0 ]; then
	echo "$doc: FAILED"
	exit 1
fi
echo "$doc: every step passed"
