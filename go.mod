module github.com/opencsm/csm-go

go 1.19

require (
	github.com/aws/aws-sdk-go v1.55.8
	github.com/stretchr/testify v1.12.1
	golang.org/x/net v0.35.0
)

require (
	github.com/jmespath/go-jmespath v0.4.0 // indirect
	go.yaml.in/yaml/v3 v3.0.5 // indirect
	golang.org/x/sys v0.30.0 // indirect
)

require github.com/opencsm/csm-go/internal/report v0.1.0

// Development in this repository uses the working tree; a release requires
// the tagged versions above (docs/releasing.md).
replace github.com/opencsm/csm-go/internal/report => ./internal/report
