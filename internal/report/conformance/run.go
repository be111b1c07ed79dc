package conformance

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/opencsm/csm-go/internal/report/reporttest"
)

const (
	// CasesEnv names a suite file to run instead of the copy in testdata
	// (Default). Set to SkipCases, it skips the conformance test.
	CasesEnv = "CSM_CONFORMANCE_CASES"
	// SkipCases, as the value of CasesEnv, skips the conformance test.
	SkipCases = "skip"
	// childEnv makes the test binary run one case and exit (see RunChild).
	childEnv = "CSM_CONFORMANCE_CHILD"
)

// RunCase runs the API calls of one case, with the SDK under test, in a
// child process whose environment and shared config file the case set. It
// flushes the reporter before returning.
type RunCase func(cfg CaseConfig, c Case) error

// RunChild is for TestMain: in a child process started by Test, it runs the
// child's case with run and exits; elsewhere it returns at once.
func RunChild(run RunCase) {
	spec := os.Getenv(childEnv)
	if spec == "" {
		return
	}
	if err := runChild(spec, run); err != nil {
		fmt.Fprintln(os.Stderr, "conformance case:", err)
		os.Exit(1)
	}
	os.Exit(0)
}

// runChild runs the case spec ("path#index") names; an empty path is the
// copy in testdata.
func runChild(spec string, run RunCase) error {
	hash := strings.LastIndexByte(spec, '#')
	if hash < 0 {
		return fmt.Errorf("bad %s=%q", childEnv, spec)
	}
	i, err := strconv.Atoi(spec[hash+1:])
	if err != nil {
		return err
	}
	suite, err := Default()
	if spec[:hash] != "" {
		suite, err = Load(spec[:hash])
	}
	if err != nil {
		return err
	}
	if i < 0 || i >= len(suite.Cases) {
		return fmt.Errorf("no case %d in %s", i, spec[:hash])
	}
	return run(suite.Config(suite.Cases[i]), suite.Cases[i])
}

// Test runs every case of the suite, each in a child process of the test
// binary (the reporter and its client ID are process-wide, as are the
// environment variables a case sets), and compares what a real UDP agent
// receives with the case's expected events. No datagram may contain
// secretKey or exceed 8192 bytes.
//
// The suite is the copy in this package's testdata ([Default]), or the file
// CasesEnv names; CasesEnv set to SkipCases skips the test. A file CasesEnv
// names that cannot be read fails the test.
//
// The suite writes its shared config keys into "the profile the
// implementation reads for CSM": the implementations here read three, and
// each case with shared config keys runs once per profile.
func Test(t *testing.T, secretKey string) {
	path := os.Getenv(CasesEnv)
	if path == SkipCases {
		t.Skipf("%s=%s: the conformance suite is not run", CasesEnv, SkipCases)
	}
	suite, err := Default()
	name := DefaultName
	if path != "" {
		path, err = filepath.Abs(path)
		require.NoError(t, err)
		suite, err = Load(path)
		name = path
	}
	require.NoError(t, err, "%s names the conformance suite's csm-cases.json; unset it to run the copy in %s, or set it to %s to run the other tests without it",
		CasesEnv, DefaultName, SkipCases)
	require.NotEmpty(t, suite.Cases)
	t.Logf("conformance suite: %s, %d cases", name, len(suite.Cases))

	for i, c := range suite.Cases {
		i, c := i, c
		profiles := []string{"aws_csm"}
		if len(suite.Config(c).SharedConfigFile) > 0 {
			profiles = []string{"aws_csm", "profile aws_csm", "default"}
		}
		for _, profile := range profiles {
			profile := profile
			t.Run(fmt.Sprintf("%02d %s [%s]", i, c.Description, profile), func(t *testing.T) {
				t.Parallel()
				agent := reporttest.NewAgent(t)
				runCaseProcess(t, path, i, profile, suite.Config(c), agent.Port())
				agent.Sync(t)

				for _, raw := range agent.Raw() {
					assert.NotContains(t, string(raw), secretKey)
					assert.LessOrEqual(t, len(raw), 8192)
				}
				AssertEvents(t, suite.Defaults.OptionalEventFields, c.ExpectedMonitoringEvents, agent.Events(t))
			})
		}
	}
}

// runCaseProcess runs case i of the suite at path (empty for the copy in
// testdata) in a child process with the case's environment and shared
// config file, and with the file's csm_port pointing at the test
// agent (AWS_CSM_PORT would enable CSM by itself).
func runCaseProcess(t *testing.T, path string, i int, profile string, cfg CaseConfig, port string) {
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
	if _, ok := cfg.SharedConfigFile["csm_port"]; !ok {
		fmt.Fprintf(&file, "csm_port = %s\n", port)
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

// AssertEvents compares the received events with the expected ones:
// "ANY_INT" and "ANY_STR" match any integer and any string, and a received
// event may have, besides the expected fields, the optional fields of its
// type.
func AssertEvents(t *testing.T, optional map[string]map[string]json.RawMessage, want, got []map[string]any) {
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
