package csm

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/aws/aws-sdk-go/aws"
	"github.com/aws/aws-sdk-go/aws/awserr"
	"github.com/aws/aws-sdk-go/aws/request"
	"github.com/aws/aws-sdk-go/aws/session"

	"github.com/opencsm/csm-go/internal/report"
)

// Enable turns on CSM for sess as the settings ask, the way aws-sdk-go's
// session does it: it reads the settings (see the package documentation),
// starts the process's reporter or reuses the running one, and injects its
// handlers into sess.Handlers, replacing the handlers of aws-sdk-go's
// built-in CSM if the session has them. Clients created from sess afterwards
// are reported.
//
// Enable returns nil, nil when the settings do not enable CSM. It returns a
// *SettingError when a setting is malformed or conflicts with the running
// reporter. In both cases it takes the handlers of aws-sdk-go's built-in CSM
// out of sess.Handlers, should aws-sdk-go's session have put them there,
// and sess works without them; handlers that the program injected itself
// with Reporter.InjectHandlers stay.
func Enable(sess *session.Session) (*Reporter, error) {
	if sess == nil {
		return nil, errors.New("csm: Enable needs a session, got nil")
	}
	rep, timing, err := enable()
	if rep == nil {
		removeBuiltInHandlers(&sess.Handlers)
		return nil, err
	}
	rep.injectHandlers(&sess.Handlers, timing || rep.HTTPTiming())
	return rep, nil
}

// enable returns the reporter the settings ask for, or nil, and whether
// they ask for HTTP timing.
func enable() (*Reporter, bool, error) {
	s, err := report.LoadSettings()
	if err != nil || !s.Enabled {
		return nil, false, err
	}
	r, err := s.Start(MetricsChannelSize)
	if err != nil {
		return nil, false, err
	}
	return wrap(r), s.HTTPTiming, nil
}

// removeBuiltInHandlers takes the handlers of aws-sdk-go's built-in CSM out
// of handlers, and leaves this package's. Both go by the same names, but
// only InjectHandlers puts resetAttempt in the Sign list: where it is, the
// CSM handlers are this package's.
func removeBuiltInHandlers(handlers *request.Handlers) {
	injectMu.Lock()
	defer injectMu.Unlock()
	if handlers.Sign.SwapNamed(request.NamedHandler{Name: resetHandlerName, Fn: resetAttempt}) {
		return
	}
	removeHandlersLocked(handlers)
}

// NewSession is session.NewSession followed by Enable: it returns a session
// whose clients are reported as the CSM settings ask.
//
// It differs from session.NewSession with CSM enabled in two ways: the
// metrics come from this package, and aws-sdk-go's messages about its
// built-in CSM ("Enabling CSM", which its default logger prints to stdout)
// are kept out of the session's logger; everything else is logged as
// before.
//
// If the session was created but CSM could not be enabled, NewSession
// returns both the session, which works without monitoring, and a
// *SettingError; a program that treats monitoring as optional can go on with
// the session. A value that this package refuses, it refuses the same way
// here as in Enable.
//
// aws-sdk-go's session reads the same settings and, when they enable CSM
// (AWS_CSM_ENABLED=true, or csm_enabled = true in the shared config file
// with AWS_SDK_LOAD_CONFIG set), fails when it cannot use the agent's
// address: a port that is not a number, a host that does not resolve or
// carries a port, brackets or white space. Then there is no session, and
// NewSession returns a *SettingError that names the setting; fix the value,
// or unset AWS_CSM_ENABLED and set AWS_CSM_HOST or AWS_CSM_PORT, which
// enable this package's CSM but not aws-sdk-go's, so that a bad value
// leaves a working session.
func NewSession(cfgs ...*aws.Config) (*session.Session, error) {
	logger := aws.NewDefaultLogger()
	for _, c := range cfgs {
		if c != nil && c.Logger != nil {
			logger = c.Logger
		}
	}
	quiet := append(cfgs[:len(cfgs):len(cfgs)], &aws.Config{Logger: quietLogger{logger}})

	sess, err := newSDKSession(quiet)
	if err != nil {
		if !builtInCSMError(err) {
			return nil, err
		}
		return nil, nameBuiltInError(err)
	}
	if _, err := Enable(sess); err != nil {
		return sess, err
	}
	return sess, nil
}

// nameBuiltInError returns a *SettingError that names the setting
// aws-sdk-go's built-in CSM refused with err.
func nameBuiltInError(err error) error {
	// This package's settings first, then aws-sdk-go's, which differ when
	// the environment and the files both have a value.
	var sdk report.Settings
	for _, load := range []func() (report.Settings, error){report.LoadSettings, loadSDKSettings} {
		s, serr := load()
		if serr != nil {
			return serr
		}
		if s.Enabled {
			if serr := s.Check(); serr != nil {
				return serr
			}
		}
		sdk = s
	}
	// What is left is aws-sdk-go's own reporter, started by an earlier
	// session or by the program with other settings.
	if strings.HasPrefix(err.Error(), "inconsistent client IDs.") {
		return &SettingError{Setting: sourceOr(sdk.ClientID.Source, "AWS_CSM_CLIENT_ID"), Value: sdk.ClientID.Value,
			Err: fmt.Errorf("aws-sdk-go's built-in CSM already runs with another client ID: %w", err)}
	}
	return &SettingError{Setting: sourceOr(sdk.Host.Source, "AWS_CSM_HOST") + " and " + sourceOr(sdk.Port.Source, "AWS_CSM_PORT"),
		Value: report.AddressWithDefaults(sdk.Host.Value, sdk.Port.Value),
		Err:   fmt.Errorf("aws-sdk-go's built-in CSM cannot use this address: %w", err)}
}

// loadSDKSettings returns the settings as aws-sdk-go v1's session resolves
// them, to name the one it refused: with AWS_CSM_ENABLED set, the
// environment's; otherwise the files' alone, whatever AWS_CSM_HOST,
// AWS_CSM_PORT and AWS_CSM_CLIENT_ID say.
func loadSDKSettings() (report.Settings, error) {
	if os.Getenv("AWS_CSM_ENABLED") != "" {
		return report.LoadSettingsFrom(os.Getenv, false)
	}
	filesOnly := func(k string) string {
		switch k {
		case "AWS_CSM_HOST", "AWS_CSM_PORT", "AWS_CSM_CLIENT_ID", "AWS_CSM_HTTP_TIMING":
			return ""
		}
		return os.Getenv(k)
	}
	return report.LoadSettingsFrom(filesOnly, true)
}

// sourceOr returns source, or name if it is empty.
func sourceOr(source, name string) string {
	if source == "" {
		return name
	}
	return source
}

// newSDKSession calls session.NewSession and turns the panic of aws-sdk-go's
// built-in CSM (its Start with another client ID or address than its running
// reporter's) into an error.
func newSDKSession(cfgs []*aws.Config) (sess *session.Session, err error) {
	defer func() {
		if p := recover(); p != nil {
			perr, ok := p.(error)
			if !ok || !isBuiltInPanic(perr) {
				panic(p)
			}
			sess, err = nil, perr
		}
	}()
	return session.NewSession(cfgs...)
}

// isBuiltInPanic reports whether err is the panic of aws-sdk-go's csm.Start.
func isBuiltInPanic(err error) bool {
	return strings.HasPrefix(err.Error(), "inconsistent client IDs.") ||
		strings.HasPrefix(err.Error(), "inconsistent URLs.")
}

// builtInCSMError reports whether session.NewSession failed because of its
// built-in CSM: its panic, or its "UDPError" when it cannot reach the agent's
// address.
func builtInCSMError(err error) bool {
	if aerr, ok := err.(awserr.Error); ok && aerr.Code() == "UDPError" {
		return true
	}
	return isBuiltInPanic(err)
}

// quietLogger passes everything to the logger it wraps but aws-sdk-go's
// messages about its built-in CSM, which this package replaces.
type quietLogger struct {
	next aws.Logger
}

func (l quietLogger) Log(args ...interface{}) {
	if len(args) == 1 {
		if msg, ok := args[0].(string); ok &&
			(msg == "Enabling CSM" || strings.HasPrefix(msg, "ERROR: failed to load CSM configuration")) {
			return
		}
	}
	l.next.Log(args...)
}
