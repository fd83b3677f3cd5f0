package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/kinesisanalytics/types"
	"github.com/aws/smithy-go"
	"github.com/spf13/cobra"
)

func newTailCommand() *cobra.Command {
	var server string
	var follow bool
	var region string
	cmd := &cobra.Command{
		Use:   "tail APP STREAM",
		Short: "Print an application's in-application stream as it runs",
		Long: `Prints the recent rows of a running application's in-application stream (any
stream, error_stream included) as JSON lines, then every new row until interrupted
(--follow=false stops after the recent rows). Requests are signed as riffle apps
signs them (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, needed with --auth).`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			u := strings.TrimSuffix(server, "/") + "/riffle/v1/applications/" + url.PathEscape(args[0]) + "/streams/" + url.PathEscape(args[1])
			if !follow {
				u += "?follow=false"
			}
			resp, err := getSigned(cmd.Context(), u, region)
			if err != nil {
				return explainTap(cmd.Context(), server, region, args[0], args[1], err)
			}
			defer resp.Body.Close()
			scan := bufio.NewScanner(resp.Body)
			scan.Buffer(make([]byte, 64*1024), 16*1024*1024)
			out := cmd.OutOrStdout()
			for scan.Scan() {
				line := scan.Text()
				if follow {
					data, ok := strings.CutPrefix(line, "data: ")
					if !ok {
						continue
					}
					line = data
				}
				if line != "" {
					fmt.Fprintln(out, line)
				}
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&server, "server", "http://"+DefaultListen, "riffle serve's address")
	cmd.Flags().BoolVar(&follow, "follow", true, "keep printing new rows")
	cmd.Flags().StringVar(&region, "region", "us-east-1", "the region requests are signed for")
	return cmd
}

// getSigned GETs one of riffle serve's own endpoints, signed; an answer
// other than 200 is an error with the server's reason.
func getSigned(ctx context.Context, u, region string) (*http.Response, error) {
	return doSigned(ctx, http.MethodGet, u, region, nil)
}

// doSigned sends a request to one of riffle serve's own endpoints (the
// tap, the cluster's status, a move), signed with SigV4 as riffle apps'
// SDK client signs its calls: they are Riffle's own endpoints, not SDK
// operations. A body is JSON. An answer other than 200 is an error with
// the server's reason (its first line).
func doSigned(ctx context.Context, method, u, region string, body []byte) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, method, u, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	sum := sha256.Sum256(body)
	if err := v4.NewSigner().SignHTTP(ctx, credentialsFromEnv(), req, hex.EncodeToString(sum[:]), "kinesisanalytics", region, time.Now()); err != nil {
		return nil, fmt.Errorf("sign: %w", err)
	}
	resp, err := serveClient().Do(req)
	if err != nil {
		if u := asUnreachable(err); u != nil {
			return nil, u
		}
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		defer resp.Body.Close()
		reason, _ := bufio.NewReader(resp.Body).ReadString('\n')
		return nil, &statusError{code: resp.StatusCode, status: resp.Status, reason: strings.TrimSpace(reason)}
	}
	return resp, nil
}

// statusError is an answer of riffle serve's own endpoints other than 200.
type statusError struct {
	code           int
	status, reason string
}

func (e *statusError) Error() string { return e.status + ": " + e.reason }

// explainTap says why the tap of an application's stream was refused in
// the user's terms: no such application, one not running, or no such
// stream (with the application's streams). The tap itself answers only
// 409 or 404 with the server's reason; other errors stay as they are.
func explainTap(ctx context.Context, server, region, name, stream string, err error) error {
	var se *statusError
	if !errors.As(err, &se) || (se.code != http.StatusConflict && se.code != http.StatusNotFound) {
		return err
	}
	c := &managementClient{server: server, region: region}
	c.connect()
	d, derr := c.describe(ctx, name)
	var api smithy.APIError
	switch {
	case errors.As(derr, &api) && api.ErrorCode() == "ResourceNotFoundException":
		return fmt.Errorf("no application %s at %s (riffle apps list names them)", name, server)
	case derr != nil:
		return err
	case d.ApplicationStatus != types.ApplicationStatusRunning:
		return fmt.Errorf("application %s is %s, not running: start it with riffle apps start %s", name, d.ApplicationStatus, name)
	}
	resp, lerr := getSigned(ctx, strings.TrimSuffix(server, "/")+"/riffle/v1/applications/"+url.PathEscape(name)+"/streams", region)
	if lerr != nil {
		return err
	}
	defer resp.Body.Close()
	var names []string
	if json.NewDecoder(resp.Body).Decode(&names) != nil || slices.Contains(names, stream) {
		return err
	}
	return fmt.Errorf("application %s has no stream %s; its streams: %s", name, stream, strings.Join(names, ", "))
}
