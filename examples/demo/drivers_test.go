package main

import (
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestNoDrainOpensConnections checks the problem the HTTP timing view
// exists to show: through each SDK, calls of the client that does not
// drain response bodies each open a new connection (and a TLS handshake),
// while the other client's calls reuse one.
func TestNoDrainOpensConnections(t *testing.T) {
	fake, err := startFakeAWS()
	require.NoError(t, err)
	defer fake.close()
	require.NoError(t, isolate(map[string]string{}))
	for _, d := range drivers {
		t.Run(d.name, func(t *testing.T) {
			c, err := d.start(fake.target())
			require.NoError(t, err)
			defer c.close()
			ctx := context.Background()
			before := fake.conns.Load()
			for i := 0; i < 5; i++ {
				require.NoError(t, c.call(ctx, callIdentity, fmt.Sprint(i)))
			}
			assert.Equal(t, int64(1), fake.conns.Load()-before, "drained: one connection for five calls")
			before = fake.conns.Load()
			for i := 0; i < 5; i++ {
				require.NoError(t, c.call(ctx, callKeyInfo, fmt.Sprint(i)))
			}
			assert.Equal(t, int64(5), fake.conns.Load()-before, "not drained: a connection per call")
		})
	}
}
