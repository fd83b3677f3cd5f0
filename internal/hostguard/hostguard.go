// Package hostguard refuses HTTP requests whose Host header is not one of
// the server's names. A web page whose own name was rebound to 127.0.0.1
// (DNS rebinding) is same-origin with a server on loopback as far as the
// browser knows, but its requests still carry the page's name in Host: a
// server that answers only its own names cannot be driven that way.
package hostguard

import (
	"encoding/json"
	"net"
	"net/http"
	"strings"
)

// Guard passes on the requests whose Host is an IP address (a rebound
// page has a name, never an address), localhost or a name under it
// (which resolve to loopback only), or one of allowed (the names an
// operator reaches the server by, as --allowed-host gives them); it
// answers the others 403 with an AWS-shaped error saying what to do.
func Guard(next http.Handler, allowed []string) http.Handler {
	names := map[string]bool{}
	for _, a := range allowed {
		names[normalize(a)] = true
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		host := normalize(r.Host)
		if ok := host == "localhost" || strings.HasSuffix(host, ".localhost") || net.ParseIP(host) != nil || names[host]; !ok {
			w.Header().Set("Content-Type", "application/x-amz-json-1.1")
			w.WriteHeader(http.StatusForbidden)
			json.NewEncoder(w).Encode(map[string]string{
				"__type":  "AccessDeniedException",
				"message": "Host " + strings.TrimSpace(r.Host) + " is not one of this server's names; if you reach it by that name, start it with --allowed-host " + host,
			})
			return
		}
		next.ServeHTTP(w, r)
	})
}

// normalize is a Host header's or a name's host, lower case, without its
// port, brackets or the root's trailing dot.
func normalize(host string) string {
	host = strings.ToLower(strings.TrimSpace(host))
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	return strings.TrimSuffix(host, ".")
}
