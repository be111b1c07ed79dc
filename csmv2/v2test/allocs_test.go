package v2test

import (
	"context"
	"net"
	"net/http"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/opencsm/csm-go/csmv2"
)

// maxCallAllocations is what csmv2 may add to the allocations of a whole
// aws-sdk-go-v2 call of one attempt: installing its two middleware on the
// operation's stack (the SDK builds a stack per call) and the attempt's
// record.
const maxCallAllocations = 4

// TestWholeCallAllocations pins what csmv2 adds to the allocations of a
// real DynamoDB ListTables call, its HTTP client stubbed: at most
// maxCallAllocations when reporting, and no more when paused.
func TestWholeCallAllocations(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector changes allocation counts")
	}
	// AllocsPerRun counts the allocations of every goroutine: the agent
	// is a socket nobody reads, so that decoding datagrams is not counted.
	deaf, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	require.NoError(t, err)
	t.Cleanup(func() { _ = deaf.Close() })
	rep, err := csmv2.Start(testClientID, deaf.LocalAddr().String())
	require.NoError(t, err)
	t.Cleanup(resetReporter)
	newCall := func(withCSM bool) func() {
		cfg := aws.Config{
			Region:       testRegion,
			Credentials:  credentials.NewStaticCredentialsProvider(testAccessKey, testSecretKey, ""),
			BaseEndpoint: aws.String("http://127.0.0.1:1"),
			HTTPClient:   &http.Client{Transport: stubTransport{}},
			Retryer:      fastRetryer,
		}
		if withCSM {
			cfg.APIOptions = append(cfg.APIOptions, rep.AddMiddleware)
		}
		client := dynamodb.NewFromConfig(cfg)
		return func() {
			if _, err := client.ListTables(context.Background(), &dynamodb.ListTablesInput{}); err != nil {
				t.Fatal(err)
			}
		}
	}
	const runs = 200
	without := testing.AllocsPerRun(runs, newCall(false))
	with := testing.AllocsPerRun(runs, newCall(true))
	assert.LessOrEqual(t, with-without, float64(maxCallAllocations), "with %v, without %v", with, without)

	rep.Pause()
	paused := testing.AllocsPerRun(runs, newCall(true))
	rep.Continue()
	t.Logf("allocations per call: %v without csmv2, %v with it, %v paused", without, with, paused)
	assert.LessOrEqual(t, paused-without, float64(maxCallAllocations-1), "paused %v, without %v", paused, without)

	require.Zero(t, rep.Stats().DroppedFull, "every metric was queued")
}
