package main

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestTableLimits(t *testing.T) {
	var in [][]byte
	for i := 0; i < 3; i++ { // three pairs, one past --max-series 2
		in = append(in, []byte(fmt.Sprintf(`{"Type":"ApiCall","Service":"S%d","Api":"A","Latency":1}`, i)))
	}
	for i := 0; i < maxExceptionNames+5; i++ { // five exception names too many
		in = append(in, []byte(fmt.Sprintf(`{"Type":"ApiCall","Service":"S0","Api":"A","FinalAwsException":"E%03d"}`, i)))
	}
	long := strings.Repeat("é", 100) // 200 bytes
	in = append(in, []byte(`{"Type":"ApiCallAttempt","Service":"S1","Api":"A"}`),
		[]byte(`{"Type":"ApiCallAttempt","Service":"`+long+`","Api":"`+long+`"}`))
	m := feed(monitorOptions{maxSeries: 2}, in)

	s := m.snapshot()
	assert.Equal(t, uint64(2), s.overflow, "S2/A, and the long names")
	rows := map[seriesKey]rowView{}
	for _, r := range s.rows {
		rows[seriesKey{r.service, r.api}] = r
	}
	require.Len(t, rows, 3)
	assert.Equal(t, uint64(1+maxExceptionNames+5), rows[seriesKey{"S0", "A"}].calls)
	assert.Equal(t, uint64(1), rows[seriesKey{"S1", "A"}].attempts)
	other := rows[seriesKey{otherName, otherName}]
	assert.Equal(t, uint64(1), other.calls)
	assert.Equal(t, uint64(1), other.attempts)

	exceptions := map[string]uint64{}
	for _, e := range rows[seriesKey{"S0", "A"}].exceptions {
		exceptions[e.name] = e.count
	}
	assert.Len(t, exceptions, maxExceptionNames+1)
	assert.Equal(t, uint64(5), exceptions[otherName])
	assert.Equal(t, uint64(1), exceptions["E099"])

	assert.Equal(t, strings.Repeat("é", 64), clip(long), "cut to 128 bytes, between characters")
	assert.Equal(t, "x"+strings.Repeat("é", 63), clip("x"+long))
}
