package ingest

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestMaskSecrets(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"none", `{"Type":"ApiCall"}`, `{"Type":"ApiCall"}`},
		{"token", `{"SessionToken":"abc","A":1}`, `{"SessionToken":"REDACTED","A":1}`},
		{"any case", `{"sessiontoken":"abc"}`, `{"sessiontoken":"REDACTED"}`},
		{"escaped key", `{"Session\u0054oken":"abc"}`, `{"Session\u0054oken":"REDACTED"}`},
		{"spaces", `{ "SessionToken" : "abc" , "B":2}`, `{ "SessionToken" : "REDACTED" , "B":2}`},
		{"nested", `{"X":{"SessionToken":"abc"}}`, `{"X":{"SessionToken":"REDACTED"}}`},
		{"not a string", `{"SessionToken":{"a":"abc"},"B":1}`, `{"SessionToken":"REDACTED","B":1}`},
		{"number", `{"SessionToken":123}`, `{"SessionToken":"REDACTED"}`},
		{"escaped quote in value", `{"SessionToken":"a\"bc","B":1}`, `{"SessionToken":"REDACTED","B":1}`},
		{"cut in the value", `{"SessionToken":"abcdef`, `{"SessionToken":"REDACTED"`},
		{"cut after the colon", `{"SessionToken":`, `{"SessionToken":"REDACTED"`},
		{"a value named like the key", `{"A":"SessionToken","B":"x"}`, `{"A":"SessionToken","B":"x"}`},
		{"access key", `{"AccessKey":"AKIAIOSFODNN7EXAMPLE"}`, `{"AccessKey":"****MPLE"}`},
		{"short access key", `{"AccessKey":"AKID"}`, `{"AccessKey":"****"}`},
		{"not JSON around", `oops {"AccessKey":"AKIAIOSFODNN7EXAMPLE","SessionToken":"t"`, `oops {"AccessKey":"****MPLE","SessionToken":"REDACTED"`},
		// An unescaped quote in a value shifts which quotes open strings:
		// a key that a closing quote could open, or a value that may go
		// on, is masked to the end.
		{"unescaped quote before a token", `{"UserAgent":"a"b","SessionToken":"tok123"}`, `{"UserAgent":"a"b","REDACTED"`},
		{"unescaped quote before an access key", `{"A":"x"y","AccessKey":"AKIAIOSFODNN7EXAMPLE"}`, `{"A":"x"y","REDACTED"`},
		{"unescaped quote in a token", `{"a":"x","SessionToken":"tok"123","B":1}`, `{"a":"x","SessionToken":"REDACTED"`},
		{"a token that goes on", `{"SessionToken":12 34}`, `{"SessionToken":"REDACTED"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, string(MaskSecrets([]byte(tt.in))))
		})
	}
}

func TestMaskAccessKey(t *testing.T) {
	assert.Equal(t, "****MPLE", MaskAccessKey("AKIAIOSFODNN7EXAMPLE"))
	assert.Equal(t, "****", MaskAccessKey("AKIDSHORT"))
	// Four characters, not four bytes.
	assert.Equal(t, "****é€ab", MaskAccessKey("AKIAIOSFODNN7é€ab"))
}

// TestRedactedIsJSON feeds access keys and tokens that JSON must escape
// or that end in a character of several bytes, and checks that every
// output of AppendRedacted is valid JSON with its secrets masked.
func TestRedactedIsJSON(t *testing.T) {
	keys := []string{
		`AKIAIOSFODNN7EXAMPLE`,
		`AKIAIOSFODNN7EX\u0001\u0002\u001f\u0000`,
		`AKIAIOSFODNN7EXA\"\\\/`,
		`AKIAIOSFODNN7EXAMPL€`,
		`AKIAIOSFODNN7EXAMP\ud83d\ude00`,
		"AKIAIOSFODNN7EXAM\xe2\x82",
		"AKIAIOSFODNN7EXAMPLE\xff",
		`AKIAIOSFODNN7\ud800EXAMPLE\udc00`,
		`AKIAIOSFODNN7EXAMPLE\u2028`,
		"AKIAIOSFODNN7EXAMPLE\x7f",
	}
	for _, key := range keys {
		obj := []byte(`{"Type":"ApiCall","AccessKey":"` + key + `","SessionToken":"` + key + `","Nested":{"accesskey":"` + key + `"}}`)
		out := AppendRedacted(nil, obj)
		require.True(t, json.Valid(out), "%q gives %q", key, out)
		var got struct {
			AccessKey, SessionToken string
			Nested                  struct{ AccessKey string }
		}
		require.NoError(t, json.Unmarshal(out, &got))
		assert.Equal(t, Redacted, got.SessionToken)
		assert.Regexp(t, `^\*\*\*\*`, got.AccessKey)
		assert.Equal(t, got.AccessKey, got.Nested.AccessKey)
		assert.NotContains(t, string(out), "IOSFODNN7")
	}
}
