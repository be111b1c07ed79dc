package csmreceiver_test

import (
	"fmt"

	"github.com/opencsm/csm-go/collector/csmreceiver"
)

// A distribution adds the receiver's factory to its receivers; the
// configuration's defaults take the datagrams of the programs on the same
// host.
func ExampleNewFactory() {
	f := csmreceiver.NewFactory()
	cfg := f.CreateDefaultConfig().(*csmreceiver.Config)
	fmt.Println(f.Type(), cfg.Endpoint, cfg.AggregationInterval, cfg.MaxSeries, cfg.ClientIDAttribute)
	// Output: csm 127.0.0.1:31000 10s 1000 false
}
