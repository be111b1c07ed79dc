package report

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestWrapper(t *testing.T) {
	type value struct{ r *Reporter }
	var c Wrapper[value]
	made := 0
	newValue := func(r *Reporter) *value { made++; return &value{r: r} }
	r1, r2 := &Reporter{}, &Reporter{}

	assert.Nil(t, c.Wrap(nil, newValue), "a nil reporter has no value")
	w1 := c.Wrap(r1, newValue)
	assert.Same(t, r1, w1.r)
	assert.Same(t, w1, c.Wrap(r1, newValue), "the same value for the same reporter")
	w2 := c.Wrap(r2, newValue)
	assert.Same(t, r2, w2.r, "a new value for a new reporter")
	assert.Equal(t, 2, made)
}
