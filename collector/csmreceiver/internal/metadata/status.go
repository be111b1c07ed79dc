// Package metadata holds the csm receiver's component type and stability,
// as metadata.yaml states them.
package metadata

import (
	"go.opentelemetry.io/collector/component"
)

// Type is the receiver's component type, the key in the configuration.
var Type = component.MustNewType("csm")

// ScopeName is the instrumentation scope of the metrics the receiver makes
// and of its own telemetry.
const ScopeName = "github.com/opencsm/csm-go/collector/csmreceiver"

// MetricsStability is the stability of the receiver's metrics.
const MetricsStability = component.StabilityLevelAlpha
