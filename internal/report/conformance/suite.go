// Package conformance runs the cross-SDK CSM conformance suite against an
// SDK integration: each case in a child process of the test binary, its
// datagrams received by a real UDP agent and compared with the case's
// expected events. The tests of package csm and of module csmv2 use it with
// their own SDK's client.
//
// The suite is botocore's tests/functional/csm/cases.json (Apache License
// 2.0, see NOTICE), kept in testdata/csm-cases.json and built into the
// package, so that the tests run from a clone, or from the module cache,
// with nothing beside them.
package conformance

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"os"
)

// DefaultName names the copy of the suite that Default reads.
const DefaultName = "internal/report/conformance/testdata/csm-cases.json"

//go:embed testdata/csm-cases.json
var defaultSuite []byte

// Suite is the conformance suite file.
type Suite struct {
	Defaults struct {
		Configuration       CaseConfig                            `json:"configuration"`
		OptionalEventFields map[string]map[string]json.RawMessage `json:"optionalEventFields"`
	} `json:"defaults"`
	Cases []Case `json:"cases"`
}

// CaseConfig is a case's configuration.
type CaseConfig struct {
	AccessKey            string            `json:"accessKey"`
	SessionToken         string            `json:"sessionToken"`
	Region               string            `json:"region"`
	EnvironmentVariables map[string]string `json:"environmentVariables"`
	SharedConfigFile     map[string]string `json:"sharedConfigFile"`
	// MaxRetries is the number of retries, so attempts = MaxRetries + 1;
	// nil keeps the SDK's default.
	MaxRetries *int `json:"maxRetries"`
}

// Case is one test case: API calls, and the datagrams they must produce.
type Case struct {
	Description              string           `json:"description"`
	Configuration            *CaseConfig      `json:"configuration"`
	APICalls                 []APICall        `json:"apiCalls"`
	ExpectedMonitoringEvents []map[string]any `json:"expectedMonitoringEvents"`
}

// APICall is one API call of a case and the responses to its attempts.
type APICall struct {
	ServiceID        string            `json:"serviceId"`
	OperationName    string            `json:"operationName"`
	AttemptResponses []AttemptResponse `json:"attemptResponses"`
}

// AttemptResponse answers one attempt: an HTTP response, or an
// SDKException when the request gets no response at all.
type AttemptResponse struct {
	HTTPStatus      int               `json:"httpStatus"`
	ResponseHeaders map[string]string `json:"responseHeaders"`
	ErrorCode       string            `json:"errorCode"`
	ErrorMessage    string            `json:"errorMessage"`
	SDKException    *struct {
		IsRetryable bool   `json:"isRetryable"`
		Message     string `json:"message"`
	} `json:"sdkException"`
}

// Config returns the configuration case c runs with.
func (s *Suite) Config(c Case) CaseConfig {
	if c.Configuration != nil {
		return *c.Configuration
	}
	return s.Defaults.Configuration
}

// Default returns the suite in testdata (DefaultName).
func Default() (*Suite, error) {
	return parse(defaultSuite, DefaultName)
}

// Load reads a suite file.
func Load(path string) (*Suite, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return parse(data, path)
}

// parse decodes the suite file name holds; numbers are kept as
// json.Number.
func parse(data []byte, name string) (*Suite, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var s Suite
	if err := dec.Decode(&s); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return &s, nil
}
