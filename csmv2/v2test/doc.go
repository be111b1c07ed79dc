// Package v2test holds the tests of csmv2 with real aws-sdk-go-v2 service
// clients at the newest versions: S3, DynamoDB and STS clients talk to a
// local fake AWS endpoint (an httptest server on 127.0.0.1), and their
// datagrams reach a real UDP test agent.
//
// It is a module of its own so that csmv2's go.mod keeps the lowest
// aws-sdk-go-v2 versions csmv2 supports, while these tests build with the
// newest ones. It also holds the benchmarks of the caller-side cost of CSM
// on a v2 call (bench_test.go):
//
//	go test -run '^$' -bench BenchmarkV2Call -count 10 . > bench.txt
//	benchstat -col /csm bench.txt
package v2test
