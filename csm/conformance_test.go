package csm_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go/aws"
	"github.com/aws/aws-sdk-go/aws/credentials"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/opencsm/csm-go/csm"
	"github.com/opencsm/csm-go/internal/testutil"
)

// The cross-SDK conformance suite: by default the one beside the project
// root. When CSM_CONFORMANCE_CASES names a file, the suite is required and
// its absence fails the test instead of skipping it.
const (
	casesEnv     = "CSM_CONFORMANCE_CASES"
	defaultCases = "../../shared/conformance/csm-cases.json"
	// childEnv makes the test binary run one case and exit (see TestMain).
	childEnv = "CSM_CONFORMANCE_CHILD"
)

type conformanceSuite struct {
	Defaults struct {
		Configuration       caseConfig                            `json:"configuration"`
		OptionalEventFields map[string]map[string]json.RawMessage `json:"optionalEventFields"`
	} `json:"defaults"`
	Cases []conformanceCase `json:"cases"`
}

type caseConfig struct {
	AccessKey            string            `json:"accessKey"`
	SessionToken         string            `json:"sessionToken"`
	Region               string            `json:"region"`
	EnvironmentVariables map[string]string `json:"environmentVariables"`
	SharedConfigFile     map[string]string `json:"sharedConfigFile"`
	MaxRetries           *int              `json:"maxRetries"`
}

type conformanceCase struct {
	Description   string      `json:"description"`
	Configuration *caseConfig `json:"configuration"`
	APICalls      []struct {
		ServiceID        string            `json:"serviceId"`
		OperationName    string            `json:"operationName"`
		AttemptResponses []attemptResponse `json:"attemptResponses"`
	} `json:"apiCalls"`
	ExpectedMonitoringEvents []map[string]any `json:"expectedMonitoringEvents"`
}

type attemptResponse struct {
	HTTPStatus      int               `json:"httpStatus"`
	ResponseHeaders map[string]string `json:"responseHeaders"`
	ErrorCode       string            `json:"errorCode"`
	ErrorMessage    string            `json:"errorMessage"`
	SDKException    *struct {
		IsRetryable bool   `json:"isRetryable"`
		Message     string `json:"message"`
	} `json:"sdkException"`
}

func (r attemptResponse) stub() stubResponse {
	if r.SDKException != nil {
		return stubResponse{SendErr: &sendError{msg: r.SDKException.Message, retryable: r.SDKException.IsRetryable}}
	}
	return stubResponse{Status: r.HTTPStatus, Headers: r.ResponseHeaders, ErrorCode: r.ErrorCode, ErrorMessage: r.ErrorMessage}
}

func (s *conformanceSuite) config(c conformanceCase) caseConfig {
	if c.Configuration != nil {
		return *c.Configuration
	}
	return s.Defaults.Configuration
}

func loadSuite(path string) (*conformanceSuite, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var s conformanceSuite
	if err := dec.Decode(&s); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &s, nil
}

// TestConformance runs every case of the suite through real aws-sdk-go
// clients, each in a process of its own (the reporter and its client ID are
// process-wide, as are the environment variables a case sets), and compares
// what a real UDP agent receives with the case's expected events.
func TestConformance(t *testing.T) {
	path, required := os.Getenv(casesEnv), true
	if path == "" {
		path, required = defaultCases, false
	}
	if _, err := os.Stat(path); err != nil {
		if required {
			t.Fatalf("%s=%s: %v", casesEnv, path, err)
		}
		t.Skipf("conformance suite not found at %s (set %s to its path): %v", path, casesEnv, err)
	}
	path, err := filepath.Abs(path)
	require.NoError(t, err)
	suite, err := loadSuite(path)
	require.NoError(t, err)
	require.NotEmpty(t, suite.Cases)

	for i, c := range suite.Cases {
		i, c := i, c
		// The suite writes its shared config keys into "the profile the
		// implementation reads for CSM": this one reads three.
		profiles := []string{"aws_csm"}
		if len(suite.config(c).SharedConfigFile) > 0 {
			profiles = []string{"aws_csm", "profile aws_csm", "default"}
		}
		for _, profile := range profiles {
			profile := profile
			t.Run(fmt.Sprintf("%02d %s [%s]", i, c.Description, profile), func(t *testing.T) {
				t.Parallel()
				agent := testutil.NewAgent(t)
				runCaseProcess(t, path, i, profile, suite.config(c), agent.Port())
				agent.Sync(t)

				for _, raw := range agent.Raw() {
					assert.NotContains(t, string(raw), testSecretKey)
					assert.LessOrEqual(t, len(raw), 8192)
				}
				assertEvents(t, suite.Defaults.OptionalEventFields, c.ExpectedMonitoringEvents, agent.Events(t))
			})
		}
	}
}

// runCaseProcess runs case i in a child process with the case's environment
// and shared config file, and with AWS_CSM_PORT pointing at the test agent.
func runCaseProcess(t *testing.T, path string, i int, profile string, cfg caseConfig, port string) {
	t.Helper()
	dir := t.TempDir()
	var file strings.Builder
	fmt.Fprintf(&file, "[%s]\n", profile)
	keys := make([]string, 0, len(cfg.SharedConfigFile))
	for k := range cfg.SharedConfigFile {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(&file, "%s = %s\n", k, cfg.SharedConfigFile[k])
	}
	configPath := filepath.Join(dir, "config")
	require.NoError(t, os.WriteFile(configPath, []byte(file.String()), 0o600))

	// The child sees none of this machine's AWS settings.
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "AWS_") && !strings.HasPrefix(kv, childEnv+"=") {
			env = append(env, kv)
		}
	}
	env = append(env,
		"HOME="+dir,
		"AWS_CONFIG_FILE="+configPath,
		"AWS_SHARED_CREDENTIALS_FILE="+filepath.Join(dir, "credentials"),
		"AWS_EC2_METADATA_DISABLED=true",
		"AWS_CSM_PORT="+port,
		fmt.Sprintf("%s=%s#%d", childEnv, path, i),
	)
	for k, v := range cfg.EnvironmentVariables {
		env = append(env, k+"="+v)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^$")
	cmd.Env = env
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "case process failed:\n%s", out)
	// The library writes nothing to stdout or stderr; the child's own
	// report of a failure would be the only output.
	assert.Empty(t, string(out), "output of the case process")
}

// runConformanceCase runs the API calls of one case in this process. spec is
// "path#index".
func runConformanceCase(spec string) error {
	hash := strings.LastIndexByte(spec, '#')
	if hash < 0 {
		return fmt.Errorf("bad %s=%q", childEnv, spec)
	}
	i, err := strconv.Atoi(spec[hash+1:])
	if err != nil {
		return err
	}
	suite, err := loadSuite(spec[:hash])
	if err != nil {
		return err
	}
	c := suite.Cases[i]
	cfg := suite.config(c)

	for _, call := range c.APICalls {
		transport := &stubTransport{}
		for _, r := range call.AttemptResponses {
			transport.responses = append(transport.responses, r.stub())
		}
		awsCfg := &aws.Config{
			Region:      aws.String(cfg.Region),
			Credentials: credentials.NewStaticCredentials(cfg.AccessKey, testSecretKey, cfg.SessionToken),
			HTTPClient:  &http.Client{Transport: transport},
			SleepDelay:  func(time.Duration) {},
		}
		if cfg.MaxRetries != nil {
			awsCfg.MaxRetries = cfg.MaxRetries
		}
		sess, err := csm.NewSession(awsCfg)
		if err != nil {
			return err
		}
		_ = callOperation(newTestClient(sess, call.ServiceID), call.OperationName)
		if got, want := transport.Attempts(), len(call.AttemptResponses); got != want {
			return fmt.Errorf("the call made %d attempts, the case scripts %d", got, want)
		}
	}

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	return csm.Get().Flush(ctx)
}

// assertEvents compares the received events with the expected ones:
// "ANY_INT" and "ANY_STR" match any integer and any string, and a received
// event may have, besides the expected fields, the optional fields of its
// type.
func assertEvents(t *testing.T, optional map[string]map[string]json.RawMessage, want, got []map[string]any) {
	t.Helper()
	require.Len(t, got, len(want), "events received: %v", got)
	for n := range want {
		w, g := want[n], got[n]
		for key, wv := range w {
			gv, ok := g[key]
			if !assert.True(t, ok, "event %d: field %s missing in %v", n, key, g) {
				continue
			}
			assertValue(t, fmt.Sprintf("event %d: %s", n, key), wv, gv)
		}
		typ, _ := g["Type"].(string)
		for key, gv := range g {
			if _, ok := w[key]; ok {
				continue
			}
			raw, ok := optional[typ][key]
			if !assert.True(t, ok, "event %d (%s): unexpected field %s=%v", n, typ, key, gv) {
				continue
			}
			var kind string
			require.NoError(t, json.Unmarshal(raw, &kind))
			assertValue(t, fmt.Sprintf("event %d: optional %s", n, key), kind, gv)
		}
	}
}

func assertValue(t *testing.T, what string, want, got any) {
	t.Helper()
	switch want {
	case "ANY_INT":
		num, ok := got.(json.Number)
		if assert.True(t, ok, "%s: want an integer, got %#v", what, got) {
			_, err := num.Int64()
			assert.NoError(t, err, "%s: want an integer, got %s", what, num)
		}
	case "ANY_STR":
		assert.IsType(t, "", got, what)
	default:
		assert.Equal(t, want, got, what)
	}
}
