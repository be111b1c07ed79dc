package v2test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/opencsm/csm-go/csmv2"
)

// TestPresignSendsNothing presigns requests with a client whose config has
// the middleware: presigning makes no API call, so it neither fails nor
// produces a datagram; the same client's real calls are still reported.
func TestPresignSendsNothing(t *testing.T) {
	rep, agent := startReporter(t)
	srv := newScript(t, s3Object)
	cfg := loadConfig(t, newServer(t, srv))
	cfg.APIOptions = append(cfg.APIOptions, rep.AddMiddleware)
	client := newS3(cfg)
	presigner := s3.NewPresignClient(client, func(o *s3.PresignOptions) { o.Expires = time.Hour })
	ctx := testContext(t)
	input := func() (*string, *string) { return aws.String("bucket"), aws.String("key") }

	tests := []struct {
		name    string
		presign func() (string, string, error)
	}{
		{"GetObject", func() (string, string, error) {
			b, k := input()
			req, err := presigner.PresignGetObject(ctx, &s3.GetObjectInput{Bucket: b, Key: k})
			if err != nil {
				return "", "", err
			}
			return req.Method, req.URL, nil
		}},
		{"PutObject", func() (string, string, error) {
			b, k := input()
			req, err := presigner.PresignPutObject(ctx, &s3.PutObjectInput{Bucket: b, Key: k})
			if err != nil {
				return "", "", err
			}
			return req.Method, req.URL, nil
		}},
		{"HeadObject", func() (string, string, error) {
			b, k := input()
			req, err := presigner.PresignHeadObject(ctx, &s3.HeadObjectInput{Bucket: b, Key: k})
			if err != nil {
				return "", "", err
			}
			return req.Method, req.URL, nil
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := rep.Stats()
			method, rawURL, err := tt.presign()
			require.NoError(t, err)
			assert.NotEmpty(t, method)
			u, err := url.Parse(rawURL)
			require.NoError(t, err)
			assert.Equal(t, "127.0.0.1", u.Hostname())
			assert.Equal(t, "/bucket/key", u.Path)
			assert.True(t, strings.HasPrefix(u.Query().Get("X-Amz-Credential"), testAccessKey+"/"), "presigned with the static key: %s", rawURL)

			flushAndSync(t, rep, agent)
			assert.Zero(t, agent.Len(), "presigning sends no datagram: %v", agent.Events(t))
			assert.Equal(t, before, rep.Stats(), "presigning produces no metric")
		})
	}
	assert.Zero(t, srv.Served(), "presigning sends no request")

	require.NoError(t, getObject(ctx, client))
	events := collect(t, rep, agent)
	require.Len(t, events, 2)
	assertFields(t, calls(events)[0], map[string]string{"Service": "S3", "Api": "GetObject", "AttemptCount": "1"})
}

// TestMiddlewareAddedTwice installs the middleware twice in several ways:
// each call is still reported once, with one datagram per attempt.
func TestMiddlewareAddedTwice(t *testing.T) {
	tests := []struct {
		name    string
		install func(t *testing.T, rep *csmv2.Reporter, agentPort string, cfg *aws.Config) []func(*s3.Options)
	}{
		{"Enable twice on one config", func(t *testing.T, rep *csmv2.Reporter, agentPort string, cfg *aws.Config) []func(*s3.Options) {
			t.Setenv("AWS_CSM_ENABLED", "true")
			t.Setenv("AWS_CSM_CLIENT_ID", testClientID)
			t.Setenv("AWS_CSM_PORT", agentPort)
			n := len(cfg.APIOptions)
			for i := 0; i < 2; i++ {
				got, err := csmv2.Enable(cfg)
				require.NoError(t, err)
				require.Same(t, rep, got, "Enable reuses the running reporter")
			}
			require.Len(t, cfg.APIOptions, n+2)
			return nil
		}},
		{"AddMiddleware twice in APIOptions", func(_ *testing.T, rep *csmv2.Reporter, _ string, cfg *aws.Config) []func(*s3.Options) {
			cfg.APIOptions = append(cfg.APIOptions, rep.AddMiddleware, rep.AddMiddleware)
			return nil
		}},
		{"config and client options", func(_ *testing.T, rep *csmv2.Reporter, _ string, cfg *aws.Config) []func(*s3.Options) {
			cfg.APIOptions = append(cfg.APIOptions, rep.AddMiddleware)
			return []func(*s3.Options){func(o *s3.Options) { o.APIOptions = append(o.APIOptions, rep.AddMiddleware) }}
		}},
		{"client options twice", func(_ *testing.T, rep *csmv2.Reporter, _ string, cfg *aws.Config) []func(*s3.Options) {
			add := func(o *s3.Options) { o.APIOptions = append(o.APIOptions, rep.AddMiddleware) }
			return []func(*s3.Options){add, add}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep, agent := startReporter(t)
			srv := newScript(t, s3InternalError, s3Object)
			cfg := loadConfig(t, newServer(t, srv))
			opts := tt.install(t, rep, agent.Port(), &cfg)

			require.NoError(t, getObject(testContext(t), newS3(cfg, opts...)))
			require.Equal(t, 2, srv.Served())

			events := collect(t, rep, agent)
			require.Len(t, events, 3, "two attempts and one call: %v", events)
			require.Len(t, attempts(events), 2)
			require.Len(t, calls(events), 1)
			assertFields(t, calls(events)[0], map[string]string{
				"Service": "S3", "Api": "GetObject", "AttemptCount": "2", "FinalHttpStatusCode": "200",
			})
		})
	}
}

const (
	roleARN          = "arn:aws:iam::123456789012:role/x"
	assumedAccessKey = "ASIAV2TESTASSUMEDKEY"
	assumedSecretKey = "v2test-assumed-secret-never-sent"
	assumedToken     = "v2test-assumed-session-token"
)

var assumeRoleResponse = `<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <AssumeRoleResult>
    <Credentials>
      <AccessKeyId>` + assumedAccessKey + `</AccessKeyId>
      <SecretAccessKey>` + assumedSecretKey + `</SecretAccessKey>
      <SessionToken>` + assumedToken + `</SessionToken>
      <Expiration>2099-01-01T00:00:00Z</Expiration>
    </Credentials>
    <AssumedRoleUser>
      <Arn>arn:aws:sts::123456789012:assumed-role/x/session</Arn>
      <AssumedRoleId>AROAV2TEST:session</AssumedRoleId>
    </AssumedRoleUser>
  </AssumeRoleResult>
  <ResponseMetadata><RequestId>STSREQ1</RequestId></ResponseMetadata>
</AssumeRoleResponse>`

var accessDeniedResponse = `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <Error><Type>Sender</Type><Code>AccessDenied</Code><Message>not allowed to assume the role</Message></Error>
  <RequestId>STSREQ2</RequestId>
</ErrorResponse>`

// fakeSTSAndS3 answers STS AssumeRole (a form POST to /) and S3 GetObject,
// and records the access key each S3 request was signed with.
type fakeSTSAndS3 struct {
	t  *testing.T
	mu sync.Mutex
	// denied makes AssumeRole fail with AccessDenied.
	denied bool
	// assumeRoles counts the AssumeRole calls.
	assumeRoles int
	// s3Keys are the access keys of the S3 requests' signatures.
	s3Keys []string
}

func (f *fakeSTSAndS3) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	f.mu.Lock()
	defer f.mu.Unlock()
	if r.Method == http.MethodPost && r.URL.Path == "/" {
		form, err := url.ParseQuery(string(body))
		if !assert.NoError(f.t, err) || !assert.Equal(f.t, "AssumeRole", form.Get("Action")) {
			http.Error(w, "unexpected STS request", http.StatusBadRequest)
			return
		}
		assert.Equal(f.t, roleARN, form.Get("RoleArn"))
		f.assumeRoles++
		if f.denied {
			reply{status: http.StatusForbidden, header: map[string]string{
				"Content-Type": "text/xml", "x-amzn-RequestId": "STSREQ2",
			}, body: accessDeniedResponse}.write(w)
			return
		}
		reply{status: 200, header: map[string]string{
			"Content-Type": "text/xml", "x-amzn-RequestId": "STSREQ1",
		}, body: assumeRoleResponse}.write(w)
		return
	}
	auth := r.Header.Get("Authorization")
	if i := strings.Index(auth, "Credential="); i >= 0 {
		key, _, _ := strings.Cut(auth[i+len("Credential="):], "/")
		f.s3Keys = append(f.s3Keys, key)
	}
	s3Object.write(w)
}

// TestNestedCredentialsCall makes an S3 call whose credentials come from
// STS AssumeRole through a client that has the middleware too: the STS
// call inside the S3 call is an API call of its own, and the S3 call keeps
// its own attempt count and is signed with the assumed role's key.
func TestNestedCredentialsCall(t *testing.T) {
	rep, agent := startReporter(t)
	fake := &fakeSTSAndS3{t: t}
	cfg := loadConfig(t, newServer(t, fake))
	cfg.APIOptions = append(cfg.APIOptions, rep.AddMiddleware)

	stsClient := sts.NewFromConfig(cfg)
	s3cfg := cfg.Copy()
	s3cfg.Credentials = aws.NewCredentialsCache(stscreds.NewAssumeRoleProvider(stsClient, roleARN))
	client := newS3(s3cfg)

	ctx := testContext(t)
	require.NoError(t, getObject(ctx, client))
	require.NoError(t, getObject(ctx, client), "the second call uses the cached credentials")
	fake.mu.Lock()
	assert.Equal(t, 1, fake.assumeRoles)
	assert.Equal(t, []string{assumedAccessKey, assumedAccessKey}, fake.s3Keys)
	fake.mu.Unlock()

	events := collect(t, rep, agent, assumedSecretKey)
	require.Len(t, events, 6, "STS: attempt and call; S3: attempt and call, twice: %v", events)
	gotCalls, gotAttempts := calls(events), attempts(events)
	require.Len(t, gotCalls, 3)
	require.Len(t, gotAttempts, 3)

	// The STS call runs, and is reported, within the first S3 call.
	assertFields(t, gotAttempts[0], map[string]string{
		"Service": "STS", "Api": "AssumeRole", "Region": testRegion, "Fqdn": "127.0.0.1",
		"AccessKey": testAccessKey, "HttpStatusCode": "200", "XAmznRequestId": "STSREQ1",
	})
	assertFields(t, gotCalls[0], map[string]string{
		"Service": "STS", "Api": "AssumeRole", "AttemptCount": "1", "FinalHttpStatusCode": "200",
		"MaxRetriesExceeded": "0",
	})
	for i := 1; i < 3; i++ {
		assertFields(t, gotAttempts[i], map[string]string{
			"Service": "S3", "Api": "GetObject", "Fqdn": "127.0.0.1", "HttpStatusCode": "200",
			"AccessKey": assumedAccessKey, "SessionToken": assumedToken,
		})
		assertFields(t, gotCalls[i], map[string]string{
			"Service": "S3", "Api": "GetObject", "AttemptCount": "1", "FinalHttpStatusCode": "200",
			"MaxRetriesExceeded": "0",
		})
	}
	wantOrder := []string{"STS/ApiCallAttempt", "STS/ApiCall", "S3/ApiCallAttempt", "S3/ApiCall", "S3/ApiCallAttempt", "S3/ApiCall"}
	var order []string
	for _, e := range events {
		order = append(order, e["Service"].(string)+"/"+e["Type"].(string))
	}
	assert.Equal(t, wantOrder, order)
}

// TestNestedCredentialsCallFails makes an S3 call whose credentials' STS
// AssumeRole is denied: the STS call reports its own 403 and AccessDenied,
// and the S3 call, which never reached the network, reports no attempt, no
// status and no AwsException of its own: the STS error is not the S3
// call's.
func TestNestedCredentialsCallFails(t *testing.T) {
	rep, agent := startReporter(t)
	fake := &fakeSTSAndS3{t: t, denied: true}
	cfg := loadConfig(t, newServer(t, fake))
	cfg.APIOptions = append(cfg.APIOptions, rep.AddMiddleware)
	s3cfg := cfg.Copy()
	s3cfg.Credentials = aws.NewCredentialsCache(stscreds.NewAssumeRoleProvider(sts.NewFromConfig(cfg), roleARN))

	require.Error(t, getObject(testContext(t), newS3(s3cfg)))
	fake.mu.Lock()
	assert.Empty(t, fake.s3Keys, "S3 got no request")
	fake.mu.Unlock()

	events := collect(t, rep, agent)
	var order []string
	for _, e := range events {
		order = append(order, e["Service"].(string)+"/"+e["Type"].(string))
	}
	require.Equal(t, []string{"STS/ApiCallAttempt", "STS/ApiCall", "S3/ApiCallAttempt", "S3/ApiCall"}, order)
	assertFields(t, events[0], map[string]string{"HttpStatusCode": "403", "AwsException": "AccessDenied"})
	assertFields(t, events[1], map[string]string{
		"AttemptCount": "1", "FinalHttpStatusCode": "403", "FinalAwsException": "AccessDenied", "MaxRetriesExceeded": "0",
	})
	s3Attempt, s3Call := events[2], events[3]
	assertFields(t, s3Attempt, map[string]string{"SdkException": "Error"})
	assert.Contains(t, s3Attempt["SdkExceptionMessage"], "AccessDenied", "the message says why")
	for _, field := range []string{"HttpStatusCode", "AwsException", "AccessKey"} {
		assert.NotContains(t, s3Attempt, field)
	}
	assertFields(t, s3Call, map[string]string{"AttemptCount": "0", "FinalSdkException": "Error", "MaxRetriesExceeded": "0"})
	for _, field := range []string{"FinalHttpStatusCode", "FinalAwsException"} {
		assert.NotContains(t, s3Call, field)
	}
}

// ddbPages answers ListTables with three pages of one table each.
func ddbPages(t *testing.T) http.Handler {
	pages := map[string]string{
		"":   `{"TableNames":["t1"],"LastEvaluatedTableName":"t1"}`,
		"t1": `{"TableNames":["t2"],"LastEvaluatedTableName":"t2"}`,
		"t2": `{"TableNames":["t3"]}`,
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		assert.Equal(t, "DynamoDB_20120810.ListTables", r.Header.Get("X-Amz-Target"))
		var in struct{ ExclusiveStartTableName string }
		assert.NoError(t, json.NewDecoder(r.Body).Decode(&in))
		page, ok := pages[in.ExclusiveStartTableName]
		if !assert.True(t, ok, "no page after %q", in.ExclusiveStartTableName) {
			http.Error(w, "no such page", http.StatusBadRequest)
			return
		}
		ddbReply(200, page).write(w)
	})
}

// TestPaginator reads three pages with a paginator: three API calls of one
// attempt each.
func TestPaginator(t *testing.T) {
	rep, agent := startReporter(t)
	cfg := loadConfig(t, newServer(t, ddbPages(t)))
	cfg.APIOptions = append(cfg.APIOptions, rep.AddMiddleware)
	client := newDynamoDB(cfg)

	ctx := testContext(t)
	var tables []string
	pages := dynamodb.NewListTablesPaginator(client, &dynamodb.ListTablesInput{})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		require.NoError(t, err)
		tables = append(tables, page.TableNames...)
	}
	require.Equal(t, []string{"t1", "t2", "t3"}, tables)

	events := collect(t, rep, agent)
	require.Len(t, events, 6)
	require.Len(t, calls(events), 3)
	require.Len(t, attempts(events), 3)
	for i, e := range events {
		want := map[string]string{"Service": "DynamoDB", "Api": "ListTables", "Region": testRegion}
		if i%2 == 0 {
			want["Type"] = "ApiCallAttempt"
			want["HttpStatusCode"] = "200"
		} else {
			want["Type"] = "ApiCall"
			want["AttemptCount"] = "1"
			want["FinalHttpStatusCode"] = "200"
		}
		assertFields(t, e, want)
	}
}
