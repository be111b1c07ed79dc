package csmreceiver

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"time"
)

// Defaults of the configuration.
const (
	// DefaultEndpoint is where CSM senders send by default: the SDKs'
	// default agent address (AWS_CSM_HOST, AWS_CSM_PORT).
	DefaultEndpoint = "127.0.0.1:31000"
	// DefaultAggregationInterval is how often the receiver passes on what
	// it has counted.
	DefaultAggregationInterval = 10 * time.Second
	// DefaultMaxSeries is the default bound on the attribute sets of each
	// metric.
	DefaultMaxSeries = 1000
)

// Limits of the configuration.
const (
	minAggregationInterval = 100 * time.Millisecond
	maxMaxSeries           = 100000
)

// Config is the csm receiver's configuration.
type Config struct {
	// Endpoint is the UDP address the receiver listens on, host:port. The
	// default, 127.0.0.1:31000, takes the datagrams of the programs on the
	// same host; 0.0.0.0 takes every host's, and needs a firewall.
	Endpoint string `mapstructure:"endpoint"`

	// AggregationInterval is how often the receiver passes the metrics it
	// has aggregated to the next consumer: each time, every series with
	// its cumulative value since the receiver started.
	AggregationInterval time.Duration `mapstructure:"aggregation_interval"`

	// MaxSeries bounds the distinct attribute sets of each metric, and the
	// distinct values of each attribute. Past it, values fold into
	// "_OTHER" and the folds are counted in the receiver's own telemetry.
	MaxSeries int `mapstructure:"max_series"`

	// ClientIDAttribute makes each datagram's ClientId the attribute
	// csm.client_id. Off by default: a ClientId is a per-program label of
	// the sender's choosing.
	ClientIDAttribute bool `mapstructure:"client_id_attribute"`

	// prevent unkeyed literal initialization
	_ struct{}
}

// createDefaultConfig returns the default configuration.
func createDefaultConfig() *Config {
	return &Config{
		Endpoint:            DefaultEndpoint,
		AggregationInterval: DefaultAggregationInterval,
		MaxSeries:           DefaultMaxSeries,
	}
}

// Validate checks the configuration. Each error names the setting, the
// value, and what to do.
func (c *Config) Validate() error {
	var errs []error
	if err := validateEndpoint(c.Endpoint); err != nil {
		errs = append(errs, err)
	}
	if c.AggregationInterval < minAggregationInterval {
		errs = append(errs, fmt.Errorf("aggregation_interval %v: use a duration of at least %v, such as 10s", c.AggregationInterval, minAggregationInterval))
	}
	if c.MaxSeries < 1 || c.MaxSeries > maxMaxSeries {
		errs = append(errs, fmt.Errorf("max_series %d: use a number from 1 to %d", c.MaxSeries, maxMaxSeries))
	}
	return errors.Join(errs...)
}

// validateEndpoint checks a UDP host:port.
func validateEndpoint(endpoint string) error {
	host, port, err := net.SplitHostPort(endpoint)
	if err != nil {
		return fmt.Errorf("endpoint %q: use host:port, such as %s (%v)", endpoint, DefaultEndpoint, err)
	}
	if host == "" {
		return fmt.Errorf("endpoint %q: name the host, such as %s (0.0.0.0 listens on every interface and needs a firewall)", endpoint, DefaultEndpoint)
	}
	n, err := strconv.Atoi(port)
	if err != nil || n < 0 || n > 65535 {
		return fmt.Errorf("endpoint %q: the port must be a number from 0 to 65535, such as 31000", endpoint)
	}
	return nil
}
