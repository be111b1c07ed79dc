module github.com/opencsm/csm-go/tools

go 1.24

require (
	github.com/stretchr/testify v1.12.1
	golang.org/x/mod v0.26.0
)

require go.yaml.in/yaml/v3 v3.0.5 // indirect

require github.com/opencsm/csm-go/internal/ingest v0.1.0

// tools is never released: it uses the working tree.
replace github.com/opencsm/csm-go/internal/ingest => ../internal/ingest
