// Command v1call makes one STS GetCallerIdentity call with aws-sdk-go to a
// loopback HTTP server, reported by package csm to a loopback agent, and
// prints the datagrams the agent received. The release rehearsal
// (.ci/release.sh) and the test of docs/from-a-clone.md (.ci/fromclone.sh)
// build it in modules outside the repository.
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

	"github.com/aws/aws-sdk-go/aws"
	"github.com/aws/aws-sdk-go/aws/credentials"
	"github.com/aws/aws-sdk-go/aws/session"
	"github.com/aws/aws-sdk-go/service/sts"
	"github.com/opencsm/csm-go/csm"
)

func main() {
	agent, err := net.ListenPacket("udp", "127.0.0.1:0")
	check(err)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `<GetCallerIdentityResponse><GetCallerIdentityResult><Account>123456789012</Account></GetCallerIdentityResult></GetCallerIdentityResponse>`)
	}))
	defer srv.Close()

	rep, err := csm.Start("csm-go-ci", agent.LocalAddr().String())
	check(err)
	sess := session.Must(session.NewSession(&aws.Config{
		Region:      aws.String("us-east-1"),
		Endpoint:    aws.String(srv.URL),
		Credentials: credentials.NewStaticCredentials("AKIDREHEARSAL", "not-a-secret", ""),
	}))
	rep.InjectHandlers(&sess.Handlers)
	_, err = sts.New(sess).GetCallerIdentity(&sts.GetCallerIdentityInput{})
	check(err)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
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
