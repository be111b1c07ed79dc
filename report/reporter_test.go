package report

import (
	"net"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestIsLoopback(t *testing.T) {
	cases := []struct {
		ip   string
		want bool
	}{
		{"127.0.0.1", true},
		{"127.1.2.3", true},
		{"::1", true},
		{"::ffff:127.0.0.1", true},
		{"10.0.0.1", false},
		{"192.0.2.1", false},
		{"169.254.169.254", false},
		{"2001:db8::1", false},
		{"::", false},
	}
	for _, tc := range cases {
		assert.Equal(t, tc.want, isLoopback(net.ParseIP(tc.ip)), tc.ip)
	}
}

func TestAccessKeyID(t *testing.T) {
	cases := map[string]string{
		"AWS4-HMAC-SHA256 Credential=AKID/20261126/us-west-2/s3/aws4_request, SignedHeaders=host, Signature=abc": "AKID",
		"AWS4-ECDSA-P256-SHA256 Credential=AKID2/20261126/s3/aws4_request, SignedHeaders=host":                   "AKID2",
		"Custom x=1, Credential=AKID3/20261126/x":                                                                "AKID3",
		"AWS AKID:signature":                  "AKID",
		"":                                    "",
		"AWS4-HMAC-SHA256 Credential=NOSLASH": "",
	}
	for header, want := range cases {
		assert.Equal(t, want, AccessKeyID(header), header)
	}
}
