#!/usr/bin/env bash
# CI for the collector module: its go.mod (tidy, no replace), the
# distribution built from the repository root and inside collector/, and
# the fleet test: two real Collector processes, an agent (csm receiver →
# memory_limiter → batch → otlp exporter) and a gateway (otlp receiver →
# prometheus exporter), Debian's Prometheus scraping the gateway, and real
# SDK clients feeding the agent's UDP port: aws-sdk-go through csm,
# aws-sdk-go-v2 through csmv2 (examples/stscalls) and Debian's
# python3-botocore. PromQL must give each program's calls by
# rpc_service/rpc_method, attempts and errors by error_type exactly. Then a
# hostile flood at the agent: it must live, its memory stay under
# flood_rss_limit_mib, and every datagram be accounted for in its own
# telemetry (accepted, refused with a reason, or dropped by the kernel).
#
# FLEET_SKIP_ONE=1 makes the aws-sdk-go-v2 program leave out one call: the
# fleet test must then fail.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)

# The documented bound on the agent's resident memory under the flood
# (docs/collector.md).
flood_rss_limit_mib=300
flood_count=${FLOOD_COUNT:-100000}

log=$(mktemp)
scratch=$(mktemp -d)
pids=()
cleanup() {
	for pid in "${pids[@]}"; do
		kill "$pid" 2>/dev/null || true
	done
	for pid in "${pids[@]}"; do
		wait "$pid" 2>/dev/null || true
	done
	rm -f "$log"
	rm -rf "$scratch"
}
trap cleanup EXIT
. .ci/lib.sh # run, require, step

# Debian's botocore, with Debian's Python: a python3 earlier in PATH (pyenv)
# may have a botocore of its own, or none.
debian_python=/usr/bin/python3
if ! command -v prometheus >/dev/null || ! $debian_python -c 'import botocore' 2>/dev/null; then
	run "apt-get update" apt-get update
	run "apt-get install" env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends prometheus python3-botocore
fi
echo "Debian's botocore $($debian_python -c 'import botocore; print(botocore.__version__)'), $(prometheus --version 2>&1 | head -1)"

echo "== the collector module: no replace, tidy"
if grep -q '^replace' collector/go.mod; then
	echo "FAILED: collector/go.mod has a replace (go install of a version refuses one)"
	exit 1
fi
# Tidy, checked on a copy that points at the working tree's internal/ingest.
mkdir "$scratch/collector"
cp collector/go.mod collector/go.sum "$scratch/collector/"
cp -r collector/cmd collector/csmreceiver "$scratch/collector/"
echo "replace github.com/opencsm/csm-go/internal/ingest => $repo/internal/ingest" >>"$scratch/collector/go.mod"
(cd "$scratch/collector" && GOWORK=off go mod tidy -diff)
echo "no replace, tidy"

echo "== go build ./collector/cmd/otelcol-csm (from the repository root, and inside collector/)"
start=$(date +%s)
run "build the distribution" go build -o "$scratch/otelcol-csm" ./collector/cmd/otelcol-csm
echo "built in $(($(date +%s) - start)) s"
run "build inside collector/" go -C collector build -o "$scratch/otelcol-csm-inside" ./cmd/otelcol-csm
run "build stscalls" go build -o "$scratch/stscalls" ./examples/stscalls
run "components" "$scratch/otelcol-csm" components
for c in csm otlp batch memory_limiter debug otlp_grpc otlp_http file prometheus; do
	grep -q -E "^ +- name: $c\$" "$log" || { cat "$log"; echo "FAILED: the distribution has no $c component"; exit 1; }
done
echo "components: csm otlp batch memory_limiter debug otlp_grpc (alias otlp) otlp_http (alias otlphttp) file prometheus"

echo "== the fleet test: agent → gateway → Prometheus, fed by aws-sdk-go, aws-sdk-go-v2 and botocore"
read -r csm_port otlp_port prom_exporter_port agent_tel gw_tel prom_port < <(python3 -c '
import socket
socks = [socket.socket() for _ in range(6)]
for s in socks: s.bind(("127.0.0.1", 0))
print(*[s.getsockname()[1] for s in socks])')
export CSM_PORT=$csm_port CSM_AGGREGATION_INTERVAL=1s
export GATEWAY_OTLP_ENDPOINT=127.0.0.1:$otlp_port GATEWAY_PROMETHEUS_ENDPOINT=127.0.0.1:$prom_exporter_port
export AGENT_TELEMETRY_PORT=$agent_tel GATEWAY_TELEMETRY_PORT=$gw_tel
config=collector/cmd/otelcol-csm/config
"$scratch/otelcol-csm" --config "$config/gateway.yaml" >"$scratch/gateway.log" 2>&1 &
pids+=($!)
"$scratch/otelcol-csm" --config "$config/agent.yaml" >"$scratch/agent.log" 2>&1 &
agent=$!
pids+=($agent)
cat >"$scratch/prometheus.yml" <<PROM
global:
  scrape_interval: 1s
scrape_configs:
  - job_name: gateway
    static_configs:
      - targets: ['127.0.0.1:$prom_exporter_port']
PROM
prometheus --config.file="$scratch/prometheus.yml" --storage.tsdb.path="$scratch/tsdb" \
	--web.listen-address="127.0.0.1:$prom_port" >"$scratch/prometheus.log" 2>&1 &
pids+=($!)

# wait_for URL NAME: waits until URL answers (30 s at most).
wait_for() {
	for _ in $(seq 300); do
		curl -sf -o /dev/null "$1" && return 0
		sleep 0.1
	done
	cat "$scratch"/*.log | tail -40
	echo "FAILED: $2 did not start"
	exit 1
}
wait_for "http://127.0.0.1:$agent_tel/metrics" "the agent"
wait_for "http://127.0.0.1:$prom_exporter_port/metrics" "the gateway"
wait_for "http://127.0.0.1:$prom_port/-/ready" "Prometheus"

skip=()
if [ "${FLEET_SKIP_ONE:-}" = 1 ]; then
	skip=(-skip-one)
fi
export AWS_CSM_ENABLED=true AWS_CSM_PORT=$csm_port
run "aws-sdk-go through csm" "$scratch/stscalls" -sdk v1
cat "$log"
run "aws-sdk-go-v2 through csmv2" "$scratch/stscalls" -sdk v2 "${skip[@]}"
cat "$log"
run "botocore" $debian_python .ci/collector/botocore_calls.py
cat "$log"
unset AWS_CSM_ENABLED AWS_CSM_PORT
if ! python3 .ci/collector/promcheck.py "http://127.0.0.1:$prom_port" 60 3 >"$log" 2>&1; then
	cat "$log"
	tail -n 20 "$scratch/agent.log" "$scratch/gateway.log"
	echo "FAILED: PromQL does not give the calls the programs made"
	exit 1
fi
cat "$log"

echo "== the flood: $flood_count hostile datagrams at the agent"
# telemetry NAME: the sum of the agent's own metric NAME.
telemetry() {
	curl -sf "http://127.0.0.1:$agent_tel/metrics" | awk -v m="$1" '$1 == m || index($1, m "{") == 1 { s += $NF } END { printf "%d\n", s }'
}
counted() {
	echo $(($(telemetry otelcol_receiver_csm_datagrams) + $(telemetry otelcol_receiver_csm_kernel_drops)))
}
before=$(counted)
run "flood" python3 .ci/collector/flood.py 127.0.0.1 "$csm_port" "$flood_count"
cat "$log"
# One last datagram: the kernel tells its drop count with the next read.
python3 -c "import socket,sys; socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b'{\"Type\":\"ApiCall\"}', ('127.0.0.1', int(sys.argv[1])))" "$csm_port"
want=$((before + flood_count + 1))
for _ in $(seq 300); do
	[ "$(counted)" -ge "$want" ] && break
	sleep 0.1
done
if ! kill -0 "$agent" 2>/dev/null; then
	tail -40 "$scratch/agent.log"
	echo "FAILED: the agent died in the flood"
	exit 1
fi
got=$(counted)
refused=$(curl -sf "http://127.0.0.1:$agent_tel/metrics" | grep '^otelcol_receiver_csm_datagrams{outcome="refused"' | sed 's/^otelcol_receiver_csm_datagrams{outcome="refused",reason="\([a-z_]*\)"} /\1=/' | tr '\n' ' ')
echo "agent telemetry: accepted $(curl -sf "http://127.0.0.1:$agent_tel/metrics" | awk '$1 == "otelcol_receiver_csm_datagrams{outcome=\"accepted\"}" { print $2 }'), refused: $refused, kernel drops $(telemetry otelcol_receiver_csm_kernel_drops), events folded into _OTHER $(curl -sf "http://127.0.0.1:$agent_tel/metrics" | awk '$1 == "otelcol_receiver_csm_events{outcome=\"folded\"}" { print $2 }'), series $(telemetry otelcol_receiver_csm_series)"
if [ "$got" != "$want" ]; then
	echo "FAILED: the agent accounted for $((got - before)) of the $((flood_count + 1)) datagrams sent"
	exit 1
fi
rss=$(awk '/^VmHWM:/ { print int($2 / 1024) }' "/proc/$agent/status")
echo "agent alive; every datagram accounted for; peak resident memory $rss MiB (bound $flood_rss_limit_mib MiB)"
if [ "$rss" -ge "$flood_rss_limit_mib" ]; then
	echo "FAILED: the agent's peak resident memory is over $flood_rss_limit_mib MiB"
	exit 1
fi
series=$(telemetry otelcol_receiver_csm_series)
if [ "$series" -gt $((12 * 1001)) ]; then
	echo "FAILED: the agent holds $series series, over 12 metrics × (max_series + 1)"
	exit 1
fi
echo "collector: fleet test and flood passed"
