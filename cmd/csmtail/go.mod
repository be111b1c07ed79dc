module github.com/opencsm/csm-go/cmd/csmtail

go 1.24

require (
	github.com/prometheus/client_golang v1.21.1
	github.com/prometheus/client_model v0.6.1
	github.com/prometheus/common v0.62.0
	github.com/stretchr/testify v1.12.1
	golang.org/x/term v0.29.0
)

require (
	github.com/beorn7/perks v1.0.1 // indirect
	github.com/cespare/xxhash/v2 v2.3.0 // indirect
	github.com/klauspost/compress v1.17.11 // indirect
	github.com/munnerz/goautoneg v0.0.0-20191010083416-a7dc8b61c822 // indirect
	github.com/prometheus/procfs v0.15.1 // indirect
	go.yaml.in/yaml/v3 v3.0.5 // indirect
	golang.org/x/sys v0.30.0 // indirect
	google.golang.org/protobuf v1.36.1 // indirect
)

// Development in this repository uses the working tree through go.work;
// csmtail has no replace, as go install of a version refuses one
// (docs/releasing.md).
require github.com/opencsm/csm-go/internal/ingest v0.1.0
