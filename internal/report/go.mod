module github.com/opencsm/csm-go/internal/report

go 1.19

require (
	github.com/stretchr/testify v1.12.1
	golang.org/x/net v0.35.0
)

require (
	go.yaml.in/yaml/v3 v3.0.5 // indirect
	golang.org/x/sys v0.30.0 // indirect
)
