"""Asks a Prometheus, with PromQL, for what the fleet's programs called, and
compares it exactly with the calls they make (examples/stscalls,
botocore_calls.py): for each SDK (user_agent_name),
the calls by rpc_service and rpc_method, the attempts by rpc_method, and
the errors by error_type. It asks again until they match or the deadline
passes; once they match, it asks once more after settle seconds, so that
an extra call is a failure too.

usage: promcheck.py PROMETHEUS_URL DEADLINE_SECONDS SETTLE_SECONDS"""

import json
import sys
import time
import urllib.parse
import urllib.request

SDKS = ("aws-sdk-go", "aws-sdk-go-v2", "Botocore")

QUERIES = {
    "calls": ("sum by (user_agent_name, rpc_service, rpc_method) (client_call_duration_seconds_count)",
              ("user_agent_name", "rpc_service", "rpc_method")),
    "attempts": ("sum by (user_agent_name, rpc_method) (client_call_attempts_total)",
                 ("user_agent_name", "rpc_method")),
    "errors": ("sum by (user_agent_name, error_type) (client_call_errors_total)",
               ("user_agent_name", "error_type")),
}

# What each program makes (examples/stscalls, botocore_calls.py).
EXPECTED = {"calls": {}, "attempts": {}, "errors": {}}
for sdk in SDKS:
    EXPECTED["calls"].update({
        (sdk, "STS", "GetCallerIdentity"): 3,
        (sdk, "STS", "AssumeRole"): 2,
        (sdk, "STS", "GetSessionToken"): 1,
    })
    EXPECTED["attempts"].update({
        (sdk, "GetCallerIdentity"): 3,
        (sdk, "AssumeRole"): 2,
        (sdk, "GetSessionToken"): 3,
    })
    EXPECTED["errors"].update({(sdk, "AccessDenied"): 2, (sdk, "Throttling"): 3})


def query(base, promql, labels):
    url = base + "/api/v1/query?" + urllib.parse.urlencode({"query": promql})
    with urllib.request.urlopen(url, timeout=5) as r:
        body = json.load(r)
    out = {}
    for s in body["data"]["result"]:
        out[tuple(s["metric"].get(l, "") for l in labels)] = int(float(s["value"][1]))
    return out


def observe(base):
    got = {}
    for name, (promql, labels) in QUERIES.items():
        try:
            got[name] = query(base, promql, labels)
        except OSError as e:
            got[name] = {"error": str(e)}
    return got


def main():
    base, deadline, settle = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
    end = time.monotonic() + deadline
    got = observe(base)
    while got != EXPECTED and time.monotonic() < end:
        time.sleep(0.5)
        got = observe(base)
    if got == EXPECTED:
        time.sleep(settle)
        got = observe(base)
    if got != EXPECTED:
        for name in QUERIES:
            want, have = EXPECTED[name], got.get(name, {})
            for k in sorted(set(want) | set(have), key=str):
                if want.get(k) != have.get(k):
                    print("MISMATCH %s %s: PromQL gives %s, expected %s" % (name, "/".join(k), have.get(k), want.get(k)))
        sys.exit(1)
    for name, (promql, _) in QUERIES.items():
        print("%s: %d series exact: %s" % (name, len(got[name]), promql))


if __name__ == "__main__":
    main()
