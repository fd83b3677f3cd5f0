// Package safedial keeps the connections made for URLs that users give
// through the API (a reference data source's URL, a Lambda output's
// function URL) off the server's own network: loopback, link-local (the
// cloud's metadata service at 169.254.169.254), private, shared (CGNAT)
// and other non-public addresses are refused. The check is made on the
// address actually dialed, after DNS and for every redirect, so neither a
// name that resolves to 127.0.0.1 nor a public URL redirecting to a
// private one gets through. It also holds the one error a user sees for
// any failure of such a URL.
package safedial

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"syscall"
	"time"
)

// ErrNotPublic is a connection refused because its address is not public.
var ErrNotPublic = errors.New("not a public address")

// ErrUnusable is the one error of every failure of a URL a user gave,
// whatever the cause (an address refused, a connection refused, a timeout,
// a name that does not resolve, an answer that is not a success): errors
// that differ would tell the user which ports of which hosts are open.
// The server's log has the cause.
var ErrUnusable = errors.New("the URL cannot be used: it is not a public address (refused unless the server runs with --allow-private-urls), or it cannot be reached, or it did not answer with success; the server's log has the cause")

// notPublic are the ranges refused beyond those netip.Addr's methods
// name: "this network", shared address space (CGNAT), IETF protocol
// assignments, benchmarking, reserved and broadcast, and IPv4-compatible
// IPv6.
var notPublic = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),
	netip.MustParsePrefix("100.64.0.0/10"),
	netip.MustParsePrefix("192.0.0.0/24"),
	netip.MustParsePrefix("198.18.0.0/15"),
	netip.MustParsePrefix("240.0.0.0/4"),
	netip.MustParsePrefix("::/96"),
}

// IPv6 ranges that carry an IPv4 address, which decides.
var (
	nat64     = netip.MustParsePrefix("64:ff9b::/96")
	sixToFour = netip.MustParsePrefix("2002::/16")
)

// Public says whether a connection may go to ip: a unicast address that is
// neither loopback, link-local, private nor in a reserved range. An
// IPv4-mapped, NAT64 or 6to4 address is judged by the IPv4 address it
// carries.
func Public(ip netip.Addr) bool {
	ip = ip.Unmap().WithZone("")
	if !ip.IsValid() || ip.IsUnspecified() || ip.IsLoopback() || ip.IsPrivate() ||
		ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() || ip.IsInterfaceLocalMulticast() || ip.IsMulticast() {
		return false
	}
	for _, p := range notPublic {
		if p.Contains(ip) {
			return false
		}
	}
	if b := ip.As16(); nat64.Contains(ip) {
		return Public(netip.AddrFrom4([4]byte(b[12:16])))
	} else if sixToFour.Contains(ip) {
		return Public(netip.AddrFrom4([4]byte(b[2:6])))
	}
	return true
}

// Guard decides which addresses the connections for users' URLs reach.
// The zero Guard lets only public addresses through.
type Guard struct {
	// AllowPrivate lets every address through (riffle serve
	// --allow-private-urls).
	AllowPrivate bool
	// allow lets chosen addresses through besides (the tests: one
	// loopback port).
	allow func(netip.AddrPort) bool
}

// control is a net.Dialer's Control: it sees the address about to be
// dialed, resolved, and refuses it unless the guard lets it through.
func (g Guard) control(network, address string, _ syscall.RawConn) error {
	if g.AllowPrivate {
		return nil
	}
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("dial %s %s: %w", network, address, ErrNotPublic)
	}
	if Public(ap.Addr()) || g.allow != nil && g.allow(ap) {
		return nil
	}
	return fmt.Errorf("dial %s %s: %w", network, address, ErrNotPublic)
}

// Dialer dials only the addresses the guard lets through.
func (g Guard) Dialer() *net.Dialer {
	return &net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second, Control: g.control}
}

// DialContext dials address (host:port) if the guard lets its resolved
// address through.
func (g Guard) DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	return g.Dialer().DialContext(ctx, network, address)
}

// Client is an HTTP client whose connections, redirects' included, reach
// only what the guard lets through. It uses no proxy unless the guard
// allows private addresses: a proxy would dial for it, unchecked. Its
// requests are bounded by their contexts.
func (g Guard) Client() *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.DialContext = g.Dialer().DialContext
	if !g.AllowPrivate {
		t.Proxy = nil
	}
	return &http.Client{Transport: t}
}
