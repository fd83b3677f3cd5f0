package main

import (
	"strings"
	"testing"
)

// TestAWSEndpointFlags: --aws-endpoint takes SERVICE=URL for the services
// Riffle calls, each once, and says what is wrong with anything else.
func TestAWSEndpointFlags(t *testing.T) {
	got, err := parseAWSEndpoints([]string{"S3=http://127.0.0.1:4568"})
	if err != nil || got["s3"] != "http://127.0.0.1:4568" || len(got) != 1 {
		t.Fatalf("%v %v", got, err)
	}
	for _, c := range []struct {
		values []string
		says   string
	}{
		{[]string{"s3"}, "want SERVICE=URL"},
		{[]string{"s3="}, "http or https URL"},
		{[]string{"dynamodb=http://x"}, "unknown service"},
		{[]string{"s3=127.0.0.1:4568"}, "http or https URL"},
		{[]string{"s3=http://a", "s3=http://b"}, "twice"},
	} {
		if _, err := parseAWSEndpoints(c.values); err == nil || !strings.Contains(err.Error(), c.says) {
			t.Errorf("%q: %v, want an error saying %q", c.values, err, c.says)
		}
	}
}

// setAWSEnv sets a test server's environment (its credentials and region,
// which the SDK's default chain finds) for the riffle servers the test
// starts, all but the variable endpointVar: the test says where the
// server is with --aws-endpoint instead.
func setAWSEnv(t *testing.T, env []string, endpointVar string) {
	t.Helper()
	for _, kv := range env {
		name, value, _ := strings.Cut(kv, "=")
		if name != endpointVar {
			t.Setenv(name, value)
		}
	}
}
