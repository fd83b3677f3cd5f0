// Package kinesalite runs a real Kinesis-compatible server for a test:
// kinesalite (the npm package, a Node.js server keeping its streams in
// LevelDB), which scripts/setup installs beside nats-server and mailpit.
// A missing install fails the test: it is never skipped. Each server
// listens on a loopback port of its own and keeps its data in the test's
// temporary directory (--path).
package kinesalite

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"
	"github.com/riffle-sql/riffle/internal/poll"
	"github.com/riffle-sql/riffle/internal/testproc"
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
	return testproc.Retry(t, 3, "kinesalite", func() (*Server, error) { return start(t, dir) })
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
	bin, err := testproc.Binary("kinesalite")
	if err != nil {
		return "", err
	}
	real, err := filepath.EvalSymlinks(bin)
	if err != nil {
		return "", fmt.Errorf("kinesalite at %s: %w", bin, err)
	}
	dir := filepath.Dir(real)
	if _, err := os.Stat(filepath.Join(dir, "index.js")); err != nil {
		return "", fmt.Errorf("kinesalite at %s is not a link into its package (no index.js beside %s): run scripts/setup", bin, real)
	}
	return dir, nil
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
	port, err := testproc.FreePort()
	if err != nil {
		return nil, err
	}
	data := filepath.Join(t.TempDir(), "db")
	p, err := testproc.Start(t, exec.Command("node", "-e", script, module, data, fmt.Sprint(port)))
	if err != nil {
		return nil, err
	}
	url := fmt.Sprintf("http://127.0.0.1:%d", port)
	s := &Server{URL: url, Client: NewClient(url)}
	err = p.WaitReady(StartTimeout, func() error {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_, err := s.Client.ListStreams(ctx, &kinesis.ListStreamsInput{})
		return err
	})
	if err != nil {
		return nil, err
	}
	return s, nil
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

// Shards lists a stream's shards, closed ones too.
func (s *Server) Shards(t testing.TB, stream string) []types.Shard {
	t.Helper()
	out, err := s.Client.ListShards(context.Background(), &kinesis.ListShardsInput{StreamName: aws.String(stream)})
	if err != nil {
		t.Fatalf("kinesalite: list shards of %s: %v", stream, err)
	}
	return out.Shards
}

// Split splits a shard in the middle of its hash range, as a resharding
// would, and returns its two children once they are listed and the stream
// is ACTIVE again.
func (s *Server) Split(t testing.TB, stream string, shard types.Shard) []types.Shard {
	t.Helper()
	lo, _ := new(big.Int).SetString(aws.ToString(shard.HashKeyRange.StartingHashKey), 10)
	hi, _ := new(big.Int).SetString(aws.ToString(shard.HashKeyRange.EndingHashKey), 10)
	mid := new(big.Int).Add(lo, hi)
	mid.Rsh(mid, 1)
	if _, err := s.Client.SplitShard(context.Background(), &kinesis.SplitShardInput{StreamName: aws.String(stream),
		ShardToSplit: shard.ShardId, NewStartingHashKey: aws.String(mid.String())}); err != nil {
		t.Fatalf("kinesalite: split %s of %s: %v", aws.ToString(shard.ShardId), stream, err)
	}
	var children []types.Shard
	poll.Until(t, StartTimeout, func() (bool, string) {
		children = nil
		for _, c := range s.Shards(t, stream) {
			if aws.ToString(c.ParentShardId) == aws.ToString(shard.ShardId) {
				children = append(children, c)
			}
		}
		return len(children) == 2, fmt.Sprintf("%d children of %s listed", len(children), aws.ToString(shard.ShardId))
	})
	s.WaitActive(t, stream)
	return children
}

// Refuser is an endpoint in front of the server that answers some
// GetRecords calls with an error of the service, as a shard read beyond
// its throughput or an expired iterator would be, and passes every other
// call on.
type Refuser struct {
	URL string
	// Calls counts the GetRecords calls, Refused those refused.
	Calls, Refused atomic.Int64

	refuse      func(n int64) (errType, message string)
	proxy       *httputil.ReverseProxy
	mu          sync.Mutex
	first, last time.Time // of the GetRecords calls
}

// Refuse serves a Refuser until the test ends. refuse tells, for the n-th
// GetRecords call (from 1), the error type and message to answer with, or
// "" to pass the call on.
func (s *Server) Refuse(t testing.TB, refuse func(n int64) (errType, message string)) *Refuser {
	t.Helper()
	target, err := url.Parse(s.URL)
	if err != nil {
		t.Fatal(err)
	}
	r := &Refuser{refuse: refuse, proxy: httputil.NewSingleHostReverseProxy(target)}
	srv := httptest.NewServer(r)
	t.Cleanup(srv.Close)
	r.URL = srv.URL
	return r
}

// ThrottleEveryOther refuses every other call for the shard's throughput.
func ThrottleEveryOther(n int64) (string, string) {
	if n%2 == 0 {
		return "ProvisionedThroughputExceededException", "Rate exceeded for shard in stream under account " + Account + "."
	}
	return "", ""
}

// CallSpan is the time from the first GetRecords call to the last.
func (r *Refuser) CallSpan() time.Duration {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.last.Sub(r.first)
}

func (r *Refuser) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	if req.Header.Get("X-Amz-Target") == "Kinesis_20131202.GetRecords" {
		n := r.Calls.Add(1)
		r.mu.Lock()
		if r.first.IsZero() {
			r.first = time.Now()
		}
		r.last = time.Now()
		r.mu.Unlock()
		if errType, message := r.refuse(n); errType != "" {
			r.Refused.Add(1)
			io.Copy(io.Discard, req.Body)
			w.Header().Set("Content-Type", "application/x-amz-json-1.1")
			w.WriteHeader(http.StatusBadRequest)
			json.NewEncoder(w).Encode(map[string]string{"__type": errType, "message": message})
			return
		}
	}
	r.proxy.ServeHTTP(w, req)
}
