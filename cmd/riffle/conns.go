package main

import (
	"fmt"
	"net"
	"sync"
	"time"
)

// Every connection holds a file descriptor. A server that accepts them
// all runs out (about 2,000 on the usual soft limit), after which even a
// signed request cannot get in. riffle serve lifts its soft limit to the
// hard one and keeps a number of connections below it, refusing any more
// with an answer a client can read.

// connectionsFor is how many connections a server with a descriptor limit
// of files keeps: half of them, the rest for the log's files and the
// outputs' own connections, between 64 and 16,384.
func connectionsFor(files uint64) int {
	return int(min(max(files/2, 64), 16384))
}

// limitConnections accepts at most max connections at once; one more is
// answered 503 ServiceUnavailableException (SDKs retry it) and closed.
func limitConnections(ln net.Listener, max int) net.Listener {
	return &limitedListener{Listener: ln, slots: make(chan struct{}, max), max: max}
}

type limitedListener struct {
	net.Listener
	slots chan struct{}
	max   int
}

func (l *limitedListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		select {
		case l.slots <- struct{}{}:
			return &slotConn{Conn: c, release: func() { <-l.slots }}, nil
		default:
			go l.refuse(c) // not in Accept's way
		}
	}
}

// refuse answers a connection over the limit and closes it.
func (l *limitedListener) refuse(c net.Conn) {
	defer c.Close()
	body := fmt.Sprintf(`{"__type":"ServiceUnavailableException","message":"the server has %d connections open, its limit: retry later"}`, l.max)
	c.SetWriteDeadline(time.Now().Add(5 * time.Second))
	fmt.Fprintf(c, "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/x-amz-json-1.1\r\nRetry-After: 1\r\nConnection: close\r\nContent-Length: %d\r\n\r\n%s", len(body), body)
}

// slotConn gives its slot back when closed (once).
type slotConn struct {
	net.Conn
	once    sync.Once
	release func()
}

func (c *slotConn) Close() error {
	c.once.Do(c.release)
	return c.Conn.Close()
}
