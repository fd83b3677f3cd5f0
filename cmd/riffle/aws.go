package main

import (
	"fmt"

	"github.com/riffle-sql/riffle/awsclients"
)

// parseAWSEndpoints reads --aws-endpoint SERVICE=URL values: where Riffle
// sends its requests to an AWS service instead of AWS itself (an
// S3-compatible server, kinesalite, the Lambda runtime interface
// emulator...). The SDK's own variables (AWS_ENDPOINT_URL_S3, ...) do the
// same; the flag wins over them.
func parseAWSEndpoints(values []string) (awsclients.Endpoints, error) {
	out := awsclients.Endpoints{}
	for _, v := range values {
		service, endpoint, err := awsclients.ParseEndpoint(v)
		if err != nil {
			return nil, fmt.Errorf("--aws-endpoint: %w", err)
		}
		if _, dup := out[service]; dup {
			return nil, fmt.Errorf("--aws-endpoint %s: given twice", service)
		}
		out[service] = endpoint
	}
	return out, nil
}
