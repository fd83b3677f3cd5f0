// Package servertest runs Riffle's server for tests, as net/http/httptest
// runs a handler: the real assembly (server.New: log, applications, APIs,
// console) behind an httptest server, closed when the test ends, and the
// AWS SDK's clients for it.
package servertest

import (
	"context"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/firehose"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesisanalytics"

	"github.com/riffle-sql/riffle/server"
)

// Server is a started server: the assembly (its Log and Apps) and the URL
// it is served at.
type Server struct {
	*server.Server
	URL string

	http  *httptest.Server
	once  sync.Once
	close error
}

// Start assembles a server on cfg (its data in the test's temporary
// directory unless cfg says otherwise) and serves it until the test ends.
func Start(t testing.TB, cfg server.Config) *Server {
	t.Helper()
	if cfg.Data == "" && cfg.NATS == "" {
		cfg.Data = t.TempDir()
	}
	s, err := server.New(context.Background(), cfg)
	if err != nil {
		t.Fatalf("start the server: %v", err)
	}
	srv := &Server{Server: s, http: httptest.NewServer(s.Handler)}
	srv.URL = srv.http.URL
	t.Cleanup(func() {
		if err := srv.Close(); err != nil {
			t.Errorf("close the server: %v", err)
		}
	})
	return srv
}

// Close stops serving, then stops the applications and closes the log,
// as riffle serve does on a signal. A test that restarts a server on the
// same data closes it itself; later calls do nothing.
func (s *Server) Close() error {
	s.once.Do(func() {
		s.http.Close()
		s.close = s.Server.Close()
	})
	return s.close
}

// Clients are the SDK's clients for one server and one key.
type Clients struct {
	Firehose *firehose.Client
	Kinesis  *kinesis.Client
	Apps     *kinesisanalytics.Client
}

// Clients are the SDK's clients for this server, signing with the key.
func (s *Server) Clients(id, secret string) Clients { return NewClients(s.URL, id, secret) }

// NewClients are the SDK's clients for the server at url (in us-east-1),
// signing with the key, without retries so that a refused call shows at
// once.
func NewClients(url, id, secret string) Clients {
	creds := credentials.NewStaticCredentialsProvider(id, secret, "")
	return Clients{
		Firehose: firehose.New(firehose.Options{Region: "us-east-1", Credentials: creds, BaseEndpoint: aws.String(url), Retryer: aws.NopRetryer{}}),
		Kinesis:  kinesis.New(kinesis.Options{Region: "us-east-1", Credentials: creds, BaseEndpoint: aws.String(url), Retryer: aws.NopRetryer{}}),
		Apps:     kinesisanalytics.New(kinesisanalytics.Options{Region: "us-east-1", Credentials: creds, BaseEndpoint: aws.String(url), Retryer: aws.NopRetryer{}}),
	}
}
