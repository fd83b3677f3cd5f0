package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
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
				return err
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
		return nil, fmt.Errorf("%s: %s", resp.Status, strings.TrimSpace(reason))
	}
	return resp, nil
}
