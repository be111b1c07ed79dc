#!/usr/bin/env bash
# Release rehearsal (docs/releasing.md): the modules of this repository, as
# they would be if the committed HEAD were tagged at the version the nested
# go.mod files require, installed the way a user installs them.
#
# tools/modproxy builds a file-based module proxy of the released modules
# from the commit (git archive, so nothing uncommitted is in it). Then, in an
# empty module cache, in fresh modules outside the repository, with
# GOWORK=off and no replace, the go command gets the modules from that proxy
# and, for third-party modules, from this machine's module download cache
# served as a second file proxy: no network is needed when the cache holds
# what the released go.mod files require (.ci/run's `go mod download` fills
# it). The real module proxy comes last, for what the cache lacks, unless
# RELEASE_FALLBACK_PROXY is set (empty: none).
#
# Steps: go get the csm package and build and run a program that reports an
# API call to a loopback agent; go get the csmv2 module, build and run a
# program with it, and check that its module graph holds neither aws-sdk-go
# v1 nor the root module; check that a program outside the repository cannot
# import the core (internal/report); go install cmd/csmtail@version, whose
# --version must say that version, and collector/cmd/otelcol-csm@version.
# One line per step; the exit status is 1 when any step failed.
set -euo pipefail
cd "$(dirname "$0")/.."

repo=$(pwd)
commit=$(git rev-parse --short HEAD)
released=(. internal/report internal/ingest csmv2 cmd/csmtail collector)

# The version: the one every go.mod of the commit requires of this
# repository's modules.
versions=$(git ls-files -- go.mod '*/go.mod' | while read -r f; do git show "HEAD:$f"; done |
	awk '/=>/ { next }
		match($0, /github\.com\/opencsm\/csm-go(\/[^ \t]+)?[ \t]+v[^ \t]+/) {
			n = split(substr($0, RSTART, RLENGTH), f, /[ \t]+/); print f[n]
		}' | sort -u)
if [ -z "$versions" ]; then
	echo "FAIL version: no go.mod requires a module of this repository"
	exit 1
fi
if [ "$(echo "$versions" | wc -l)" != 1 ]; then
	echo "FAIL version: the go.mod files require different versions of this repository's modules:"
	git ls-files -- go.mod '*/go.mod' | while read -r f; do
		git show "HEAD:$f" | grep -v '=>' | grep -E 'github\.com/opencsm/csm-go(/[^ ]+)? v' | sed "s|^|  $f: |"
	done
	exit 1
fi
version=$versions
echo "ok   version: $version (required by every nested go.mod), from commit $commit"
if [ -n "$(git status --porcelain --untracked-files=no)" ]; then
	echo "note uncommitted changes are not part of the rehearsal: it uses commit $commit"
fi

downloads="$(go env GOMODCACHE)/cache/download"
scratch=$(mktemp -d)
log="$scratch/log"
cleanup() {
	# The module cache is read-only; the go command removes it.
	if [ -d "$scratch/modcache" ]; then
		GOMODCACHE="$scratch/modcache" go clean -modcache >/dev/null 2>&1 || true
	fi
	rm -rf "$scratch"
}
trap cleanup EXIT

failed=0
. .ci/lib.sh # run, require, step

step "proxy: modules of $commit at $version in file://$scratch/proxy" \
	env GOWORK=off go -C tools run ./modproxy -repo "$repo" -rev HEAD -version "$version" -out "$scratch/proxy" ||
	exit 1
sed 's/^/     /' "$log"

# From here on: what a user outside the repository has. -trimpath makes the
# build cache's entries independent of the module cache's (new) directory.
mkdir -p "$scratch/modcache"
export GOMODCACHE="$scratch/modcache"
# RELEASE_FALLBACK_PROXY= (empty) rehearses with no network at all.
fallback=${RELEASE_FALLBACK_PROXY-https://proxy.golang.org}
export GOPROXY="file://$scratch/proxy,file://$downloads${fallback:+,$fallback}"
export GOFLAGS="-mod=mod -trimpath"
export GOWORK=off
export GONOSUMDB=github.com/opencsm
export GOPRIVATE=
export GONOPROXY=
export GOTOOLCHAIN=local
# The checksums of the third-party modules, from the released modules'
# go.sum files (checked against the checksum database when they were
# written), so that no lookup in the database is needed. The modules of this
# repository are not in the database before they are tagged (GONOSUMDB).
sums="$scratch/go.sum"
for m in "${released[@]}"; do
	git show "HEAD:$m/go.sum" 2>/dev/null || true
done | sort -u >"$sums"

# newmod DIR: a fresh module named rehearsal in DIR, outside the repository.
newmod() {
	mkdir -p "$1"
	(cd "$1" && go mod init rehearsal >/dev/null 2>&1 && cp "$sums" go.sum)
}

# The csm package: an aws-sdk-go v1 STS client calls a loopback HTTP server,
# and the datagrams reach a loopback agent.
v1="$scratch/v1"
newmod "$v1"
cp "$repo/.ci/programs/v1call/main.go" "$v1/main.go"

# The csmv2 module: a program that starts the reporter and adds its
# middleware to an aws-sdk-go-v2 config.
v2="$scratch/v2"
newmod "$v2"
cat >"$v2/main.go" <<'EOF'
package main

import (
	"fmt"
	"os"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/opencsm/csm-go/csmv2"
)

func main() {
	rep, err := csmv2.Start("release-rehearsal", "127.0.0.1:31000")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	var cfg aws.Config
	cfg.APIOptions = append(cfg.APIOptions, rep.AddMiddleware)
	fmt.Printf("%d API option added\n", len(cfg.APIOptions))
}
EOF

# A program outside the repository that imports the core: Go's internal
# rule must refuse it, as it lets csm and csmv2, under
# github.com/opencsm/csm-go, import it.
priv="$scratch/private"
newmod "$priv"
cat >"$priv/main.go" <<'EOF'
package main

import "github.com/opencsm/csm-go/internal/report"

func main() { _ = report.Get() }
EOF

# Each command's status is checked: set -e does not apply in a function
# called as a condition.
v1get() { cd "$v1" && go get "github.com/opencsm/csm-go/csm@$version"; }
v1run() { cd "$v1" && go build -o "$scratch/bin/v1" . && "$scratch/bin/v1"; }
v2get() { cd "$v2" && go get "github.com/opencsm/csm-go/csmv2@$version"; }
v2run() { cd "$v2" && go build -o "$scratch/bin/v2" . && "$scratch/bin/v2"; }
v2graph() {
	cd "$v2"
	# go mod graph: every module version of the graph, a superset of
	# `go list -m all` (the selected ones), and it needs only go.mod files,
	# which the offline proxies have.
	local graph bad
	graph=$(go mod graph) || return 1
	bad=$(echo "$graph" | tr ' ' '\n' | sort -u | grep -E '^github\.com/(aws/aws-sdk-go|opencsm/csm-go)(@|$)' || true)
	if [ -n "$bad" ]; then
		echo "the module graph of a csmv2 program holds:"
		echo "$bad"
		return 1
	fi
}
# private: the core's module downloads (the integrations require it), but a
# program outside the repository cannot import it.
private() {
	cd "$priv"
	go get "github.com/opencsm/csm-go/internal/report@$version" || return 1
	if go build -o /dev/null . >"$scratch/private.log" 2>&1; then
		echo "a program outside the repository built with github.com/opencsm/csm-go/internal/report"
		return 1
	fi
	grep -q 'use of internal package github.com/opencsm/csm-go/internal/report not allowed' "$scratch/private.log" ||
		{ cat "$scratch/private.log"; return 1; }
}
# go install of a version verifies the checksums of csmtail's dependencies
# in the checksum database, not in a go.sum: through the real proxy when
# there is one, else with the database off and the checksums of the zips it
# downloaded compared with the released go.sum files' afterwards.
csmtail() {
	cd "$scratch"
	# set -e does not apply in a function called as a condition: each
	# command's status is checked.
	if [ -n "$fallback" ]; then
		GOBIN="$scratch/bin" go install "github.com/opencsm/csm-go/cmd/csmtail@$version" || return 1
	else
		GOSUMDB=off GOBIN="$scratch/bin" go install "github.com/opencsm/csm-go/cmd/csmtail@$version" || return 1
		checksums || return 1
	fi
	test -x "$scratch/bin/csmtail" || return 1
	# The version csmtail reports comes from its build information.
	local out
	out=$("$scratch/bin/csmtail" --version) || return 1
	echo "$out"
	[[ $out == "csmtail $version go"* ]]
}

# checksums: every third-party module zip in the module cache has the
# checksum the released go.sum files record.
checksums() {
	local f rel mod ver bad=0
	while IFS= read -r f; do
		rel=${f#"$GOMODCACHE/cache/download/"}
		mod=$(echo "${rel%/@v/*}" | sed -E 's/!([a-z])/\U\1/g')
		ver=${rel##*/}
		ver=${ver%.ziphash}
		case $mod in github.com/opencsm/*) continue ;; esac
		if ! grep -qxF "$mod $ver $(cat "$f")" "$sums"; then
			echo "$mod@$ver: checksum $(cat "$f") is not in the released go.sum files"
			bad=1
		fi
	done < <(find "$GOMODCACHE/cache/download" -name '*.ziphash')
	return $bad
}

if step "go get github.com/opencsm/csm-go/csm@$version" v1get; then
	step "build and run an aws-sdk-go program with csm" v1run && echo "     received: $(tail -1 "$log")" || true
fi
if step "go get github.com/opencsm/csm-go/csmv2@$version" v2get; then
	step "build and run an aws-sdk-go-v2 program with csmv2" v2run || true
	step "the csmv2 program's module graph holds neither github.com/aws/aws-sdk-go nor github.com/opencsm/csm-go" v2graph || true
fi
step "a program outside the repository cannot import github.com/opencsm/csm-go/internal/report" private || true
if step "go install github.com/opencsm/csm-go/cmd/csmtail@$version; csmtail --version" csmtail; then
	echo "     $(tail -1 "$log")"
else
	if grep -q 'replace directives' "$log"; then
		echo "     cmd/csmtail's go.mod has replace directives: go install of a version refuses them;"
		echo "     csmtail must require released versions only (docs/releasing.md)"
	fi
fi

# The collector module: go install of the distribution by version, and the
# csm receiver in it.
collector() {
	cd "$scratch"
	if [ -n "$fallback" ]; then
		GOBIN="$scratch/bin" go install "github.com/opencsm/csm-go/collector/cmd/otelcol-csm@$version" || return 1
	else
		GOSUMDB=off GOBIN="$scratch/bin" go install "github.com/opencsm/csm-go/collector/cmd/otelcol-csm@$version" || return 1
		checksums || return 1
	fi
	"$scratch/bin/otelcol-csm" components | grep -q -E '^ +- name: csm$'
}
step "go install github.com/opencsm/csm-go/collector/cmd/otelcol-csm@$version, with the csm receiver" collector || true

if [ "$failed" != 0 ]; then
	echo "release rehearsal of $version: FAILED"
	exit 1
fi
echo "release rehearsal of $version: every step passed"
