package main

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
)

// awsServices are the services --aws-endpoint may name.
var awsServices = []string{"kinesis"}

// parseAWSEndpoints reads --aws-endpoint SERVICE=URL values: where Riffle
// sends its requests to an AWS service instead of AWS itself (an
// S3-compatible server, for instance). The SDK's own variables
// (AWS_ENDPOINT_URL_S3, ...) do the same; the flag wins over them.
func parseAWSEndpoints(values []string) (map[string]string, error) {
	out := map[string]string{}
	for _, v := range values {
		service, endpoint, ok := strings.Cut(v, "=")
		service = strings.ToLower(service)
		if !ok || endpoint == "" {
			return nil, fmt.Errorf("--aws-endpoint %q: want SERVICE=URL, e.g. s3=http://127.0.0.1:4568", v)
		}
		if !slices.Contains(awsServices, service) {
			return nil, fmt.Errorf("--aws-endpoint %s: Riffle calls no such service; it knows %s", service, strings.Join(awsServices, ", "))
		}
		if u, err := url.Parse(endpoint); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, fmt.Errorf("--aws-endpoint %s=%s: want an http(s) URL", service, endpoint)
		}
		if _, dup := out[service]; dup {
			return nil, fmt.Errorf("--aws-endpoint %s: given twice", service)
		}
		out[service] = endpoint
	}
	return out, nil
}
