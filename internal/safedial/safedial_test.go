package safedial

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
)

func TestOnlyPublicAddressesArePublic(t *testing.T) {
	for _, s := range []string{
		"127.0.0.1", "127.1.2.3", "::1", // loopback
		"10.0.0.1", "172.16.0.1", "192.168.1.1", "fc00::1", "fd12:3456::1", // private
		"169.254.169.254", "fe80::1", "fe80::1%eth0", // link-local: the metadata service
		"100.64.0.1", "100.127.255.254", // CGNAT
		"0.0.0.0", "0.1.2.3", "::", // unspecified, this network
		"224.0.0.1", "239.1.2.3", "ff02::1", "ff05::1", "255.255.255.255", "240.0.0.1", // multicast, reserved, broadcast
		"192.0.0.1", "198.18.0.1", // protocol assignments, benchmarking
		"::ffff:127.0.0.1", "::ffff:10.0.0.1", "::ffff:169.254.169.254", // IPv4-mapped
		"::127.0.0.1",                           // IPv4-compatible
		"64:ff9b::7f00:1", "64:ff9b::a9fe:a9fe", // NAT64 of loopback, metadata
		"2002:7f00:1::", "2002:a00:1::1", // 6to4 of loopback, private
	} {
		if Public(netip.MustParseAddr(s)) {
			t.Errorf("%s is public", s)
		}
	}
	for _, s := range []string{"8.8.8.8", "1.1.1.1", "100.63.255.255", "100.128.0.0", "172.32.0.1", "2606:4700::1111", "::ffff:8.8.8.8", "64:ff9b::808:808", "2002:808:808::1"} {
		if !Public(netip.MustParseAddr(s)) {
			t.Errorf("%s is not public", s)
		}
	}
}

// counting is a server that counts the requests it saw.
func counting(t *testing.T, h http.HandlerFunc) (*httptest.Server, *atomic.Int64) {
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		h(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

func ok(w http.ResponseWriter, _ *http.Request) { w.Write([]byte("secret")) }

// TestLoopbackIsRefusedByAddressAndByName: a server on 127.0.0.1 that
// would answer is refused, given by address or as localhost (the name
// resolved, the address dialed checked), and sees no request; allowing
// private addresses reaches it.
func TestLoopbackIsRefusedByAddressAndByName(t *testing.T) {
	srv, seen := counting(t, ok)
	port := srv.Listener.Addr().(interface{ AddrPort() netip.AddrPort }).AddrPort().Port()
	byName := "http://localhost:" + strconv.Itoa(int(port)) + "/"
	for _, u := range []string{srv.URL, byName} {
		resp, err := Guard{}.Client().Get(u)
		if err == nil {
			resp.Body.Close()
			t.Fatalf("%s: answered %s", u, resp.Status)
		}
		if !errors.Is(err, ErrNotPublic) {
			t.Errorf("%s: %v, want ErrNotPublic", u, err)
		}
	}
	if _, err := (Guard{}).DialContext(context.Background(), "tcp", srv.Listener.Addr().String()); !errors.Is(err, ErrNotPublic) {
		t.Errorf("DialContext: %v, want ErrNotPublic", err)
	}
	if n := seen.Load(); n != 0 {
		t.Fatalf("the server saw %d requests", n)
	}
	resp, err := Guard{AllowPrivate: true}.Client().Get(srv.URL)
	if err != nil {
		t.Fatalf("allowed: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || seen.Load() != 1 {
		t.Fatalf("allowed: %s, %d requests", resp.Status, seen.Load())
	}
}

// TestARedirectIsCheckedToo: a server the guard lets through that
// redirects to one it does not gets the redirect refused; the second never
// sees a request.
func TestARedirectIsCheckedToo(t *testing.T) {
	inside, insideSeen := counting(t, ok)
	outside, outsideSeen := counting(t, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, inside.URL+"/latest/meta-data/", http.StatusFound)
	})
	allowed := outside.Listener.Addr().String()
	g := Guard{allow: func(ap netip.AddrPort) bool { return ap.String() == allowed }}
	resp, err := g.Client().Get(outside.URL)
	if err == nil {
		resp.Body.Close()
		t.Fatalf("the redirect was followed: %s", resp.Status)
	}
	if !errors.Is(err, ErrNotPublic) || !strings.Contains(err.Error(), inside.Listener.Addr().String()) {
		t.Errorf("%v, want the redirect's address refused", err)
	}
	if outsideSeen.Load() != 1 || insideSeen.Load() != 0 {
		t.Fatalf("the allowed server saw %d requests, the other %d", outsideSeen.Load(), insideSeen.Load())
	}
}
