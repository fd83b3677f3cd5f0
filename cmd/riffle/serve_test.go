package main

import (
	"strings"
	"testing"
)

func TestServeRefusesAnOpenAddressWithoutInsecure(t *testing.T) {
	_, _, err := runRiffle(t, "serve", "--data", t.TempDir(), "--listen", "0.0.0.0:0")
	if err == nil || !strings.Contains(err.Error(), "not a loopback address") {
		t.Fatalf("serve on 0.0.0.0: %v, want a refusal", err)
	}
}
