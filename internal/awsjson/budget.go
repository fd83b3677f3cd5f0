package awsjson

import (
	"net/http"
	"sync"
)

// DefaultBodyMemory is the bytes of request bodies the front door holds at
// once unless Options.BodyMemory says otherwise: 32 of the largest puts.
const DefaultBodyMemory = 256 << 20

// bodyBudget bounds the bytes of the request bodies being read and
// handled at once. A body must be read whole before its signature can be
// checked, and the access key ID in a request is no secret: without a
// bound, many large bodies with a wrong signature under the server's key
// would take all its memory.
type bodyBudget struct {
	mu         sync.Mutex
	held, most int64
}

// take reserves n bytes, or says there is no room.
func (b *bodyBudget) take(n int64) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.held+n > b.most {
		return false
	}
	b.held += n
	return true
}

// give returns bytes take reserved.
func (b *bodyBudget) give(n int64) {
	b.mu.Lock()
	b.held -= n
	b.mu.Unlock()
}

// reserve takes room for r's body, at most limit bytes (the announced
// length, or the limit when the body is chunked), and returns what to
// call once the body is no longer held; an error when there is no room.
func (s *Server) reserve(contentLength int64, limit int) (func(), error) {
	n := int64(limit)
	if contentLength >= 0 {
		n = min(contentLength, n)
	}
	if !s.bodies.take(n) {
		return nil, Errorf(http.StatusServiceUnavailable, "ServiceUnavailableException",
			"the server holds as many request bodies as it may at once (%d MiB): retry", s.bodies.most>>20)
	}
	return func() { s.bodies.give(n) }, nil
}
