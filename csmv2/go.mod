module github.com/opencsm/csm-go/csmv2

go 1.19

require (
	github.com/aws/aws-sdk-go-v2 v1.0.0
	github.com/aws/smithy-go v1.0.0
	github.com/stretchr/testify v1.12.1
)

require (
	go.yaml.in/yaml/v3 v3.0.5 // indirect
	golang.org/x/net v0.35.0 // indirect
	golang.org/x/sys v0.30.0 // indirect
)

require github.com/opencsm/csm-go/internal/report v0.1.0

// Development in this repository uses the working tree; a release requires
// the tagged versions above (docs/releasing.md).
replace github.com/opencsm/csm-go/internal/report => ../internal/report
