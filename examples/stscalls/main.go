// Command stscalls makes a fixed set of AWS STS calls with aws-sdk-go
// (reported by csm) or aws-sdk-go-v2 (reported by csmv2), so that a CSM
// agent (csmtail, or the Collector's csm receiver) has real datagrams to
// show:
//
//   - GetCallerIdentity, 3 calls that succeed;
//   - AssumeRole, 2 calls answered AccessDenied (403), not retried;
//   - GetSessionToken, 1 call answered Throttling (400) on each of its 3
//     attempts.
//
// Without -endpoint it answers the calls itself, from a fake STS on
// loopback. CSM is on as the SDKs turn it on: AWS_CSM_ENABLED=true, and
// AWS_CSM_PORT for another port than 31000.
//
//	AWS_CSM_ENABLED=true go run ./examples/stscalls -sdk v2
package main

import (
	"context"
	"flag"
	"fmt"
	"net/http/httptest"
	"os"
	"strings"
)

// A call of the set.
type call struct {
	op    string // GetCallerIdentity, AssumeRole or GetSessionToken
	count int
}

// calls is the set, in order; -skip-one leaves out the last
// GetCallerIdentity (to check that a test counting calls sees it).
var calls = []call{{"GetCallerIdentity", 3}, {"AssumeRole", 2}, {"GetSessionToken", 1}}

// sdk makes one call of an operation; the error is the SDK's.
type sdk func(ctx context.Context, op string) error

func main() {
	which := flag.String("sdk", "v2", "the SDK: v1 (aws-sdk-go, csm) or v2 (aws-sdk-go-v2, csmv2)")
	endpoint := flag.String("endpoint", "", "the STS endpoint URL; empty for a fake STS of its own on loopback")
	region := flag.String("region", "", "the region; empty for us-east-1 (v1) or eu-west-1 (v2)")
	skipOne := flag.Bool("skip-one", false, "leave out one GetCallerIdentity call")
	flag.Parse()
	if err := run(*which, *endpoint, *region, *skipOne); err != nil {
		fmt.Fprintln(os.Stderr, "stscalls:", err)
		os.Exit(1)
	}
}

func run(which, endpoint, region string, skipOne bool) error {
	if endpoint == "" {
		srv := httptest.NewServer(fakeSTS{})
		defer srv.Close()
		endpoint = srv.URL
	}
	var (
		call sdk
		err  error
	)
	switch which {
	case "v1":
		if region == "" {
			region = "us-east-1"
		}
		call, err = startV1(endpoint, region)
	case "v2":
		if region == "" {
			region = "eu-west-1"
		}
		call, err = startV2(endpoint, region)
	default:
		return fmt.Errorf("-sdk %q: use v1 or v2", which)
	}
	if err != nil {
		return err
	}
	ctx := context.Background()
	var summary []string
	for _, c := range calls {
		n := c.count
		if skipOne && c.op == "GetCallerIdentity" {
			n--
		}
		failed := 0
		for i := 0; i < n; i++ {
			if err := call(ctx, c.op); err != nil {
				failed++
			}
		}
		summary = append(summary, fmt.Sprintf("%s %d (%d failed)", c.op, n, failed))
	}
	fmt.Printf("stscalls %s: %s\n", which, strings.Join(summary, ", "))
	return nil
}
