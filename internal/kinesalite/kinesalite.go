// Package kinesalite runs a real Kinesis-compatible server for a test:
// kinesalite (the npm package, a Node.js server keeping its streams in
// LevelDB), which scripts/setup installs beside nats-server and mailpit.
// A missing install fails the test: it is never skipped. Each server
// listens on a loopback port of its own and keeps its data in the test's
// temporary directory (--path).
package kinesalite

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"
)

// Kinesalite's account and region: the ARNs of its streams have them. It
// takes any credentials, but requests must be signed.
const (
	Account   = "000000000000"
	Region    = "us-east-1"
	AccessKey = "kinesalite"
	SecretKey = "kinesalite"
)

// StartTimeout bounds how long Start waits for the server to answer.
const StartTimeout = 30 * time.Second

// Server is a running kinesalite.
type Server struct {
	URL    string // http://127.0.0.1:PORT
	Client *kinesis.Client
}

// Start runs a kinesalite until the test ends. It fails the test if it is
// not installed or does not answer.
func Start(t testing.TB) *Server {
	t.Helper()
	dir, err := moduleDir()
	if err != nil {
		t.Fatal(err)
	}
	// A port found free may be taken by another process before kinesalite
	// binds it: try a few.
	var problems []string
	for range 3 {
		s, err := start(t, dir)
		if err == nil {
			return s
		}
		problems = append(problems, err.Error())
	}
	t.Fatalf("kinesalite did not start:\n%s", strings.Join(problems, "\n"))
	return nil
}

// Env is the environment a process needs to reach this server through the
// AWS SDK's default chain (credentials, region, AWS_ENDPOINT_URL_KINESIS).
func (s *Server) Env() []string {
	return []string{
		"AWS_ACCESS_KEY_ID=" + AccessKey,
		"AWS_SECRET_ACCESS_KEY=" + SecretKey,
		"AWS_REGION=" + Region,
		"AWS_ENDPOINT_URL_KINESIS=" + s.URL,
		"AWS_EC2_METADATA_DISABLED=true",
	}
}

// ARN is the ARN of one of its streams.
func ARN(stream string) string {
	return fmt.Sprintf("arn:aws:kinesis:%s:%s:stream/%s", Region, Account, stream)
}

// moduleDir finds the installed package: the kinesalite executable (on
// PATH, else in $(go env GOPATH)/bin, where scripts/setup installs it with
// npm --prefix GOPATH) is a link to its cli.js.
func moduleDir() (string, error) {
	var tried []string
	candidates := []string{}
	if path, err := exec.LookPath("kinesalite"); err == nil {
		candidates = append(candidates, path)
	}
	gopath := os.Getenv("GOPATH")
	if out, err := exec.Command("go", "env", "GOPATH").Output(); err == nil {
		gopath = strings.TrimSpace(string(out))
	}
	for _, dir := range filepath.SplitList(gopath) {
		candidates = append(candidates, filepath.Join(dir, "bin", "kinesalite"))
	}
	for _, c := range candidates {
		real, err := filepath.EvalSymlinks(c)
		if err != nil {
			tried = append(tried, c)
			continue
		}
		dir := filepath.Dir(real)
		if _, err := os.Stat(filepath.Join(dir, "index.js")); err == nil {
			return dir, nil
		}
		tried = append(tried, real)
	}
	return "", fmt.Errorf("kinesalite is not installed (looked at %s): run scripts/setup", strings.Join(tried, ", "))
}

// output collects what the process writes, for the failure message.
type output struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (o *output) Write(p []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.buf.Write(p)
}

func (o *output) String() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.buf.String()
}

// script runs kinesalite on loopback only (its command line binds every
// address), with streams that become ACTIVE at once.
const script = `
const kinesalite = require(process.argv[1]);
const server = kinesalite({path: process.argv[2], createStreamMs: 0, deleteStreamMs: 0, updateStreamMs: 0, shardLimit: 100});
server.listen(Number(process.argv[3]), '127.0.0.1', () => console.log('listening'));
`

func start(t testing.TB, module string) (*Server, error) {
	t.Helper()
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	data := filepath.Join(t.TempDir(), "db")
	cmd := exec.Command("node", "-e", script, module, data, fmt.Sprint(port))
	var out output
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start node: %w", err)
	}
	exited := make(chan struct{})
	var waitErr error
	go func() { // owns the process until it exits
		waitErr = cmd.Wait()
		close(exited)
	}()
	stop := func() {
		cmd.Process.Signal(os.Interrupt)
		select {
		case <-exited:
		case <-time.After(5 * time.Second):
			cmd.Process.Kill()
			<-exited
		}
	}
	url := fmt.Sprintf("http://127.0.0.1:%d", port)
	s := &Server{URL: url, Client: NewClient(url)}
	deadline := time.Now().Add(StartTimeout)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		_, err := s.Client.ListStreams(ctx, &kinesis.ListStreamsInput{})
		cancel()
		if err == nil {
			t.Cleanup(stop)
			return s, nil
		}
		select {
		case <-exited:
			return nil, fmt.Errorf("kinesalite exited: %v\n%s", waitErr, out.String())
		case <-tick.C:
		}
		if time.Now().After(deadline) {
			stop()
			return nil, fmt.Errorf("kinesalite not answering on %s after %v: %v\n%s", url, StartTimeout, err, out.String())
		}
	}
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// NewClient is an SDK client of a Kinesis-compatible endpoint, signed with
// the test credentials.
func NewClient(endpoint string) *kinesis.Client {
	return kinesis.New(kinesis.Options{
		BaseEndpoint: aws.String(endpoint),
		Region:       Region,
		Credentials:  credentials.NewStaticCredentialsProvider(AccessKey, SecretKey, ""),
	})
}

// CreateStream makes a stream of n shards and waits until it is ACTIVE.
func (s *Server) CreateStream(t testing.TB, name string, shards int) {
	t.Helper()
	ctx := context.Background()
	if _, err := s.Client.CreateStream(ctx, &kinesis.CreateStreamInput{StreamName: aws.String(name), ShardCount: aws.Int32(int32(shards))}); err != nil {
		t.Fatalf("kinesalite: create stream %s: %v", name, err)
	}
	s.WaitActive(t, name)
}

// WaitActive waits until a stream is ACTIVE (created, or resharded).
func (s *Server) WaitActive(t testing.TB, name string) {
	t.Helper()
	w := kinesis.NewStreamExistsWaiter(s.Client, func(o *kinesis.StreamExistsWaiterOptions) {
		o.MinDelay, o.MaxDelay = 20*time.Millisecond, 200*time.Millisecond
	})
	if err := w.Wait(context.Background(), &kinesis.DescribeStreamInput{StreamName: aws.String(name)}, StartTimeout); err != nil {
		t.Fatalf("kinesalite: stream %s not ACTIVE: %v", name, err)
	}
}

// Record is a record read back.
type Record struct {
	Shard, PartitionKey, Sequence string
	Data                          []byte
	Arrival                       time.Time
}

// ReadAll reads every record of every shard from its start, shard by
// shard (shards in id order, records in sequence order).
func (s *Server) ReadAll(ctx context.Context, stream string) ([]Record, error) {
	shards, err := s.Client.ListShards(ctx, &kinesis.ListShardsInput{StreamName: aws.String(stream)})
	if err != nil {
		return nil, fmt.Errorf("list shards of %s: %w", stream, err)
	}
	ids := []string{}
	for _, sh := range shards.Shards {
		ids = append(ids, aws.ToString(sh.ShardId))
	}
	sort.Strings(ids)
	var out []Record
	for _, id := range ids {
		it, err := s.Client.GetShardIterator(ctx, &kinesis.GetShardIteratorInput{StreamName: aws.String(stream), ShardId: aws.String(id), ShardIteratorType: types.ShardIteratorTypeTrimHorizon})
		if err != nil {
			return nil, fmt.Errorf("iterator of %s: %w", id, err)
		}
		iterator := it.ShardIterator
		for iterator != nil {
			page, err := s.Client.GetRecords(ctx, &kinesis.GetRecordsInput{ShardIterator: iterator})
			var throttled *types.ProvisionedThroughputExceededException
			if errors.As(err, &throttled) {
				continue
			}
			if err != nil {
				return nil, fmt.Errorf("records of %s: %w", id, err)
			}
			for _, r := range page.Records {
				out = append(out, Record{Shard: id, PartitionKey: aws.ToString(r.PartitionKey), Sequence: aws.ToString(r.SequenceNumber), Data: r.Data, Arrival: aws.ToTime(r.ApproximateArrivalTimestamp)})
			}
			if len(page.Records) == 0 {
				break // read to the end (an open shard has no end)
			}
			iterator = page.NextShardIterator
		}
	}
	return out, nil
}
