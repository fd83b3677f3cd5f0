package app

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/riffle-sql/riffle/compile"
	"github.com/riffle-sql/riffle/destination"
	"github.com/riffle-sql/riffle/internal/safedial"
	"github.com/riffle-sql/riffle/s3store"
	"github.com/riffle-sql/riffle/sql/plan"
)

// loadReferences reads an application's reference tables from the
// server's buckets (a directory, or S3) or their URLs. It runs under the application's own
// lock only, and ends when the manager closes.
func (m *Manager) loadReferences(a Application) ([]*plan.Table, error) {
	var tables []*plan.Table
	for _, ref := range a.References {
		f, err := m.openReference(m.closing, ref)
		if err != nil {
			return nil, fmt.Errorf("%w: reference data source %s: %v", ErrInvalid, ref.TableName, err)
		}
		t, err := compile.LoadTableWithSchema(ref.TableName, ref.Schema, f)
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("%w: reference data source: %v", ErrInvalid, err)
		}
		tables = append(tables, t)
	}
	return tables, nil
}

// maxReference bounds a reference file.
const maxReference = 256 << 20

// referenceTimeout bounds fetching a reference file.
const referenceTimeout = 30 * time.Second

// openReference opens a reference source: a key that is an http(s) URL is
// fetched (the bucket is then ignored); any other is an object of the
// server's buckets: a file under the buckets directory or, for a bucket
// that has no directory there on a server set up for S3, an S3 object
// (package s3store).
func (m *Manager) openReference(ctx context.Context, ref Reference) (io.ReadCloser, error) {
	if strings.HasPrefix(ref.Key, "http://") || strings.HasPrefix(ref.Key, "https://") {
		data, err := m.fetchReference(ctx, ref.Key)
		if err != nil {
			// The cause stays in the log: the user's error is the same
			// whatever it is, telling no open port from a closed one.
			shown := ref.Key
			if u, perr := url.Parse(ref.Key); perr == nil {
				shown = destination.Redacted(u)
			}
			m.opts.Logger.Warn("a reference data source's URL failed", "table", ref.TableName, "url", shown, "err", err)
			return nil, fmt.Errorf("%s: %w", shown, safedial.ErrUnusable)
		}
		return io.NopCloser(bytes.NewReader(data)), nil
	}
	ctx, cancel := context.WithTimeout(ctx, referenceTimeout)
	defer cancel()
	data, err := s3store.Buckets{Dir: m.opts.Buckets, S3: m.opts.S3}.Get(ctx, ref.Bucket, ref.Key, maxReference)
	if err != nil {
		return nil, err
	}
	return io.NopCloser(bytes.NewReader(data)), nil
}

// fetchReference GETs a reference data source's URL, through the client
// that reaches only what the server allows.
func (m *Manager) fetchReference(ctx context.Context, raw string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, referenceTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, raw, nil)
	if err != nil {
		return nil, err
	}
	resp, err := m.urlClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET: %s", resp.Status)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxReference+1))
	if err != nil {
		return nil, fmt.Errorf("GET: %w", err)
	}
	if len(data) > maxReference {
		return nil, fmt.Errorf("GET: larger than %d bytes", maxReference)
	}
	return data, nil
}
