package main

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestServeRefusesAnOpenAddressWithoutInsecure(t *testing.T) {
	_, _, err := runRiffle(t, "serve", "--data", t.TempDir(), "--listen", "0.0.0.0:0")
	if err == nil || !strings.Contains(err.Error(), "not a loopback address") {
		t.Fatalf("serve on 0.0.0.0: %v, want a refusal", err)
	}
}

// TestServeRefusesFunctionsThatCannotWork: a function URL that is not
// http(s), a notifier config that does not load and one whose SMTP server
// cannot be reached stop the server from starting, saying which.
func TestServeRefusesFunctionsThatCannotWork(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close() // nothing listens there now
	dir := t.TempDir()
	unreachable := filepath.Join(dir, "unreachable.yaml")
	os.WriteFile(unreachable, []byte("subscriptions:\n  - email: ops@example.com\nsmtp: {host: 127.0.0.1, port: "+addr[strings.LastIndexByte(addr, ':')+1:]+"}\n"), 0o644)
	for _, c := range []struct{ flag, want string }{
		{"--function=f=ftp://example.com/f", "--function f: function URL \"ftp://example.com/f\": want an absolute http or https URL"},
		{"--notifier=n=" + filepath.Join(dir, "missing.yaml"), "--notifier n:"},
		{"--notifier=n=" + unreachable, "--notifier n: smtp " + addr + ": dial tcp " + addr},
	} {
		_, _, err := runRiffle(t, "serve", "--data", t.TempDir(), "--listen", "127.0.0.1:0", c.flag)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("serve %s: %v, want %q", c.flag, err, c.want)
		}
	}
}
