package ingest

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestSDKNameAndToken(t *testing.T) {
	long := strings.Repeat("é", 40) // 80 bytes: clipping must not split a character
	tests := []struct {
		userAgent   string
		name, token string
	}{
		{"aws-sdk-go/1.55.8 (go1.24; linux; amd64)", "aws-sdk-go", "aws-sdk-go/1.55.8"},
		{"aws-sdk-go-v2/1.48.0 os/linux lang/go#1.26.8", "aws-sdk-go-v2", "aws-sdk-go-v2/1.48.0"},
		{"  Botocore/1.29.27 Python/3.11.2", "Botocore", "Botocore/1.29.27"},
		{"custom", "custom", "custom"},
		{"", "", ""},
		{long + "/1.0", strings.Repeat("é", 32), strings.Repeat("é", 32)},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.name, SDKName(tt.userAgent), "SDKName(%q)", tt.userAgent)
		assert.Equal(t, tt.token, SDKToken(tt.userAgent), "SDKToken(%q)", tt.userAgent)
	}
}
