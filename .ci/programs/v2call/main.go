// Command v2call makes one STS GetCallerIdentity call with aws-sdk-go-v2 to
// a loopback HTTP server, reported by package csmv2 to a loopback agent,
// and prints the datagrams the agent received. The test of
// docs/from-a-clone.md (.ci/fromclone.sh) builds it in modules outside the
// repository.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/opencsm/csm-go/csmv2"
)

func main() {
	agent, err := net.ListenPacket("udp", "127.0.0.1:0")
	check(err)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/xml")
		fmt.Fprint(w, `<GetCallerIdentityResponse><GetCallerIdentityResult><Account>123456789012</Account></GetCallerIdentityResult></GetCallerIdentityResponse>`)
	}))
	defer srv.Close()

	rep, err := csmv2.Start("csm-go-ci", agent.LocalAddr().String())
	check(err)
	cfg := aws.Config{
		Region:      "us-east-1",
		Credentials: credentials.NewStaticCredentialsProvider("AKIDFROMCLONE", "not-a-secret", ""),
		HTTPClient:  srv.Client(),
	}
	cfg.APIOptions = append(cfg.APIOptions, rep.AddMiddleware)
	client := sts.NewFromConfig(cfg, func(o *sts.Options) { o.BaseEndpoint = aws.String(srv.URL) })
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err = client.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	check(err)
	check(rep.Flush(ctx))

	check(agent.SetReadDeadline(time.Now().Add(10 * time.Second)))
	var got []string
	buf := make([]byte, 65536)
	for len(got) < 2 {
		n, _, err := agent.ReadFrom(buf)
		check(err)
		var m struct{ Type, Api string }
		check(json.Unmarshal(buf[:n], &m))
		got = append(got, m.Type+" "+m.Api)
	}
	fmt.Println(strings.Join(got, ", "))
}

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
