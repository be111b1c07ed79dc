package csm_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go/aws"
	"github.com/aws/aws-sdk-go/aws/credentials"
	awscsm "github.com/aws/aws-sdk-go/aws/csm"
	"github.com/aws/aws-sdk-go/aws/session"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/opencsm/csm-go/internal/report"
)

// sdkSettingsChildEnv, set in a child process of the test binary, makes it
// print what aws-sdk-go's own session resolved its CSM settings to, and
// exit (see runSDKSettingsChild).
const sdkSettingsChildEnv = "CSM_TEST_SDK_SETTINGS_CHILD"

// resolvedSettings is what one loader made of the settings: whether CSM is
// on, where it sends and with which client ID, or why there is nothing.
type resolvedSettings struct {
	Enabled  bool   `json:"enabled"`
	Address  string `json:"address,omitempty"`
	ClientID string `json:"clientId,omitempty"`
	Err      string `json:"err,omitempty"`
}

// childResult is what a child process of TestSharedConfigAsTheSDKReadsIt
// prints: what each loader made of its environment.
type childResult struct {
	SDK  resolvedSettings `json:"sdk"`
	Ours resolvedSettings `json:"ours"`
}

// runSDKSettingsChild, in a child process started by
// TestSharedConfigAsTheSDKReadsIt, reads the settings with this module's
// loader, then creates a session as a program that reads the shared config
// file does, and prints both results: what this module resolved, and what
// aws-sdk-go's built-in CSM was started with. It returns in any other
// process.
func runSDKSettingsChild() {
	if os.Getenv(sdkSettingsChildEnv) == "" {
		return
	}
	ours := ourResolved()
	var out resolvedSettings
	_, err := session.NewSessionWithOptions(session.Options{
		SharedConfigState: session.SharedConfigEnable,
		Config: aws.Config{
			Region:      aws.String(testRegion),
			Credentials: credentials.AnonymousCredentials,
			Logger:      aws.LoggerFunc(func(...interface{}) {}),
		},
	})
	switch rep := awscsm.Get(); {
	case err != nil:
		out.Err = err.Error()
	case rep != nil:
		// The client ID and address are the reporter's unexported fields;
		// aws-sdk-go v1 keeps them as it started them.
		v := reflect.ValueOf(rep).Elem()
		out = resolvedSettings{Enabled: true, ClientID: v.FieldByName("clientID").String(), Address: v.FieldByName("url").String()}
	}
	_ = json.NewEncoder(os.Stdout).Encode(childResult{SDK: out, Ours: ours})
	os.Exit(0)
}

// TestSharedConfigAsTheSDKReadsIt runs each case through aws-sdk-go
// v1.55.8's own loader (session.NewSessionWithOptions in a child process,
// one per case) and through this module's, and requires the same result:
// CSM on or off, the agent's address, the client ID. Where a case differs
// on purpose, docs/differences.md must say so in the words of its differs
// field, and the results must differ.
func TestSharedConfigAsTheSDKReadsIt(t *testing.T) {
	differences, err := os.ReadFile("../docs/differences.md")
	require.NoError(t, err)
	on := "[aws_csm]\ncsm_enabled = true\n"

	cases := []struct {
		name    string
		env     map[string]string
		config  string
		creds   string
		differs string // a phrase of docs/differences.md, or "" for none
	}{
		{name: "nothing"},
		{name: "enabled in [aws_csm]", config: on + "csm_port = 31234\ncsm_client_id = app\ncsm_host = 127.0.0.2\n"},
		{name: "disabled in [aws_csm]", config: "[aws_csm]\ncsm_enabled = false\ncsm_port = 31234\n"},
		{name: "[profile aws_csm]", config: "[profile aws_csm]\ncsm_enabled = true\ncsm_port = 31234\n"},
		{name: "[aws_csm] hides [profile aws_csm]", config: "[profile aws_csm]\ncsm_enabled = true\n[aws_csm]\ncsm_port = 31234\n"},
		{name: "white space inside the brackets", config: "[ aws_csm ]\ncsm_enabled = true\n"},
		{name: "two spaces in [profile  aws_csm]", config: "[profile  aws_csm]\ncsm_enabled = true\n"},
		{name: "quoted host", config: on + "csm_host = \"127.0.0.2\"\n"},
		{name: "quoted client ID with a space", config: on + "csm_client_id = \"my app\"\n"},
		{name: "escaped quote in a quoted client ID", config: on + "csm_client_id = \"a\\\"b\"\n"},
		{name: "unquoted client ID with a space", config: on + "csm_client_id = my app\n"},
		{name: "colon separator", config: "[aws_csm]\ncsm_enabled: true\ncsm_port : 31234\n"},
		{name: "equals sign in a value", config: on + "csm_client_id = a=b\n"},
		{name: "upper-case key", config: "[aws_csm]\nCSM_ENABLED = true\n"},
		{name: "upper-case boolean", config: "[aws_csm]\ncsm_enabled = TRUE\n"},
		{name: "mixed-case boolean", config: "[aws_csm]\ncsm_enabled = tRuE\n"},
		{name: "duplicated section: the later one", config: on + "csm_port = 31234\n[aws_csm]\ncsm_client_id = second\n"},
		{name: "duplicated section enabling", config: "[aws_csm]\ncsm_port = 31234\n" + on},
		{name: "comments after values", config: "[aws_csm]\ncsm_enabled = true ; on\ncsm_port = 31234 # agent\n"},
		{name: "hash inside a value", config: on + "csm_client_id = a#b\n"},
		{name: "comment lines", config: "# csm_enabled = false\n; x\n" + on},
		{name: "nested block", config: "[aws_csm]\ns3 =\n  csm_enabled = true\n"},
		{name: "key before any section", config: "csm_enabled = true\n[aws_csm]\ncsm_port = 31234\n"},
		{name: "CRLF line ends", config: "[aws_csm]\r\ncsm_enabled = true\r\ncsm_port = 31234\r\n"},
		{name: "tab at the end of a value", config: on + "csm_client_id = app\t\n"},
		{name: "tab before a semicolon", config: on + "csm_client_id = app\t; c\n"},
		{name: "tab before a value", config: on + "csm_client_id =\tapp\n"},
		{name: "semicolon without a space", config: on + "csm_client_id = a;b\n"},
		{name: "hash after a space", config: on + "csm_client_id = a #b\n"},
		{name: "brackets in a value", config: on + "csm_client_id = a[b]c\n"},
		{name: "empty quoted value", config: on + "csm_client_id = \"\"\n"},
		{name: "escaped newline in quotes", config: on + "csm_client_id = \"a\\nb\"\n"},
		{name: "non-ASCII value", config: on + "csm_client_id = é ü\n"},
		{name: "indented key", config: "[aws_csm]\n  csm_enabled = true\n"},
		{name: "comment after a section", config: "[aws_csm] # c\ncsm_enabled = true\n"},
		{name: "key after a nested block", config: "[aws_csm]\ns3 =\n  a = b\ncsm_enabled = true\n"},
		{name: "indented line after a line that is not a key", config: "[aws_csm]\ngarbage\n  csm_enabled = true\n"},
		{name: "duplicated key", config: on + "csm_client_id = a\ncsm_client_id = b\n"},
		{name: "localhost", config: on + "csm_host = localhost\n"},
		{name: "port with a leading zero", config: on + "csm_port = 031234\n"},
		{name: "IPv6 host", env: map[string]string{"AWS_CSM_ENABLED": "true", "AWS_CSM_HOST": "::1"}},
		{name: "credentials file", creds: on + "csm_port = 31234\n"},
		{name: "credentials file wins over config file", config: on + "csm_port = 31234\ncsm_client_id = config\n", creds: "[aws_csm]\ncsm_port = 31235\n"},
		{name: "AWS_CSM_ENABLED=true", env: map[string]string{"AWS_CSM_ENABLED": "true", "AWS_CSM_PORT": "31234", "AWS_CSM_CLIENT_ID": "env"}},
		{name: "AWS_CSM_ENABLED=false wins over the file", env: map[string]string{"AWS_CSM_ENABLED": "false"}, config: on},
		{name: "AWS_CSM_ENABLED=TRUE", env: map[string]string{"AWS_CSM_ENABLED": "TRUE"}},
		{name: "AWS_CSM_ENABLED=1", env: map[string]string{"AWS_CSM_ENABLED": "1"}},

		{name: "csm_enabled = 1", config: "[aws_csm]\ncsm_enabled = 1\n", differs: "`csm_enabled = 1`"},
		{name: "quoted csm_enabled", config: "[aws_csm]\ncsm_enabled = \"true\"\n", differs: "`csm_enabled = \"true\"`"},
		{name: "csm_enabled starting with true", config: "[aws_csm]\ncsm_enabled = trueish\n", differs: "`csm_enabled = trueish`"},
		{name: "AWS_CSM_ENABLED with a space", env: map[string]string{"AWS_CSM_ENABLED": " true"}, differs: "`AWS_CSM_ENABLED=\" true\"`"},
		{name: "AWS_CSM_ENABLED=yes", env: map[string]string{"AWS_CSM_ENABLED": "yes"}, differs: "`AWS_CSM_ENABLED=yes`"},
		{name: "AWS_CSM_PORT alone", env: map[string]string{"AWS_CSM_PORT": "31234"}, differs: "`AWS_CSM_PORT` or `AWS_CSM_HOST` alone"},
		{name: "AWS_CSM_HOST alone", env: map[string]string{"AWS_CSM_HOST": "127.0.0.2"}, differs: "`AWS_CSM_PORT` or `AWS_CSM_HOST` alone"},
		{name: "AWS_CSM_ENABLED=true and the file's client ID", env: map[string]string{"AWS_CSM_ENABLED": "true"}, config: "[aws_csm]\ncsm_client_id = file\n", differs: "`AWS_CSM_ENABLED=true` the files' other keys"},
		{name: "the environment's port over the file's", env: map[string]string{"AWS_CSM_PORT": "31235"}, config: on + "csm_port = 31234\n", differs: "the environment wins over the files key by key"},
		{name: "active profile", config: "[default]\ncsm_enabled = true\n", differs: "the active profile"},
		{name: "a line aws-sdk-go cannot parse", config: "]\n" + on, differs: "a line it cannot parse"},
	}
	for _, tc := range cases {
		tc := tc
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			configPath, credsPath := filepath.Join(dir, "config"), filepath.Join(dir, "credentials")
			require.NoError(t, os.WriteFile(configPath, []byte(tc.config), 0o600))
			require.NoError(t, os.WriteFile(credsPath, []byte(tc.creds), 0o600))
			// The child sees none of this machine's AWS settings.
			var env []string
			for _, kv := range os.Environ() {
				if !strings.HasPrefix(kv, "AWS_") {
					env = append(env, kv)
				}
			}
			env = append(env, "HOME="+dir, "AWS_CONFIG_FILE="+configPath, "AWS_SHARED_CREDENTIALS_FILE="+credsPath,
				"AWS_EC2_METADATA_DISABLED=true")
			for k, v := range tc.env {
				env = append(env, k+"="+v)
			}

			got := resolveInChild(t, env)
			if tc.differs == "" {
				assert.Equal(t, got.SDK, got.Ours, "aws-sdk-go and this module read the settings alike")
				return
			}
			assert.NotEqual(t, got.SDK, got.Ours, "the documented difference shows: aws-sdk-go %+v", got.SDK)
			assert.Contains(t, string(differences), tc.differs, "docs/differences.md documents the difference")
		})
	}
}

// resolveInChild runs a child process with env, which reports what
// aws-sdk-go and this module resolved its CSM settings to.
func resolveInChild(t *testing.T, env []string) childResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^$")
	cmd.Env = append(env, sdkSettingsChildEnv+"=1")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	require.NoError(t, err, "child: %s", stderr.String())
	var got childResult
	require.NoError(t, json.Unmarshal(out, &got), "child: %s", out)
	if got.SDK.Err != "" {
		// What matters is that there is no session, not aws-sdk-go's words.
		got.SDK.Err = "no session"
	}
	return got
}

// ourResolved is what this module makes of the current environment's CSM
// settings.
func ourResolved() resolvedSettings {
	s, err := report.LoadSettings()
	switch {
	case err != nil:
		return resolvedSettings{Err: fmt.Sprintf("setting error: %v", strings.SplitN(err.Error(), ":", 2)[0])}
	case !s.Enabled:
		return resolvedSettings{}
	}
	return resolvedSettings{Enabled: true, Address: report.AddressWithDefaults(s.Host.Value, s.Port.Value), ClientID: s.ClientID.Value}
}
