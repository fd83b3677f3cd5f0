package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/spf13/cobra"
)

// managementClient calls riffle serve's Kinesis Analytics API, signing
// with SigV4 as the AWS CLI would.
type managementClient struct {
	server string
	creds  aws.Credentials
	region string
}

// call sends one operation and decodes its answer; a service error comes
// back as "Type: message".
func (c *managementClient) call(ctx context.Context, op string, in, out any) error {
	body, err := json.Marshal(in)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.server, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("X-Amz-Target", "KinesisAnalytics_20150814."+op)
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	if err := sign(ctx, req, body, c.creds, c.region); err != nil {
		return fmt.Errorf("sign %s: %w", op, err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		var e struct {
			Type    string `json:"__type"`
			Message string `json:"message"`
		}
		json.NewDecoder(resp.Body).Decode(&e)
		return fmt.Errorf("%s: %s: %s", op, e.Type, e.Message)
	}
	if out == nil {
		return nil
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return fmt.Errorf("%s: the answer: %w", op, err)
	}
	return nil
}

// sign signs a request to riffle serve with SigV4, as the AWS CLI would.
func sign(ctx context.Context, req *http.Request, body []byte, creds aws.Credentials, region string) error {
	sum := sha256.Sum256(body)
	return v4.NewSigner().SignHTTP(ctx, creds, req, hex.EncodeToString(sum[:]), "kinesisanalytics", region, time.Now())
}

// credentialsFromEnv are the AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY of
// the environment, or a placeholder that a server without --auth accepts.
func credentialsFromEnv() aws.Credentials {
	if id, secret := os.Getenv("AWS_ACCESS_KEY_ID"), os.Getenv("AWS_SECRET_ACCESS_KEY"); id != "" && secret != "" {
		return aws.Credentials{AccessKeyID: id, SecretAccessKey: secret, SessionToken: os.Getenv("AWS_SESSION_TOKEN")}
	}
	return aws.Credentials{AccessKeyID: "riffle", SecretAccessKey: "riffle"}
}

// detail is the part of DescribeApplication the commands use.
type detail struct {
	ApplicationName      string
	ApplicationStatus    string
	ApplicationVersionId int64
	CreateTimestamp      float64
	InputDescriptions    []struct{ InputId string }
}

func (c *managementClient) describe(ctx context.Context, name string) (detail, error) {
	var out struct{ ApplicationDetail detail }
	err := c.call(ctx, "DescribeApplication", map[string]string{"ApplicationName": name}, &out)
	return out.ApplicationDetail, err
}

func newAppsCommand() *cobra.Command {
	c := &managementClient{}
	cmd := &cobra.Command{
		Use:   "apps",
		Short: "Manage the applications of a riffle serve",
		Long: `Creates, updates, starts, stops, describes, lists and deletes applications through
riffle serve's Kinesis Analytics API. Requests are signed with AWS_ACCESS_KEY_ID and
AWS_SECRET_ACCESS_KEY when they are set (needed when the server runs with --auth),
otherwise with a placeholder key that a server without --auth accepts.`,
		PersistentPreRun: func(cmd *cobra.Command, args []string) {
			c.creds = credentialsFromEnv()
		},
	}
	cmd.PersistentFlags().StringVar(&c.server, "server", "http://"+DefaultListen, "riffle serve's address")
	cmd.PersistentFlags().StringVar(&c.region, "region", "us-east-1", "the region requests are signed for")

	list := &cobra.Command{
		Use:   "list",
		Short: "List the applications with their status",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "NAME\tSTATUS\tARN")
			start := ""
			for {
				req := map[string]any{"Limit": 50}
				if start != "" {
					req["ExclusiveStartApplicationName"] = start
				}
				var out struct {
					ApplicationSummaries []struct{ ApplicationName, ApplicationStatus, ApplicationARN string }
					HasMoreApplications  bool
				}
				if err := c.call(cmd.Context(), "ListApplications", req, &out); err != nil {
					return err
				}
				for _, s := range out.ApplicationSummaries {
					fmt.Fprintf(w, "%s\t%s\t%s\n", s.ApplicationName, s.ApplicationStatus, s.ApplicationARN)
					start = s.ApplicationName
				}
				if !out.HasMoreApplications {
					return w.Flush()
				}
			}
		},
	}

	describe := &cobra.Command{
		Use:   "describe APP",
		Short: "Print an application's description (the service's JSON)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var out json.RawMessage
			if err := c.call(cmd.Context(), "DescribeApplication", map[string]string{"ApplicationName": args[0]}, &out); err != nil {
				return err
			}
			var pretty bytes.Buffer
			json.Indent(&pretty, out, "", "  ")
			fmt.Fprintln(cmd.OutOrStdout(), pretty.String())
			return nil
		},
	}

	var codeFile, firehose, kinesis, schemaFile, prefix, description string
	create := &cobra.Command{
		Use:   "create APP --code FILE (--firehose NAME | --kinesis NAME) [--schema FILE]",
		Short: "Create an application on a delivery stream or data stream",
		Long: `Creates an application with the SQL in --code, reading the delivery stream
(--firehose) or data stream (--kinesis). The input's schema is the SourceSchema JSON
in --schema (as riffle discover prints it); without it, it is discovered from the
stream's recent records.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			code, err := os.ReadFile(codeFile)
			if err != nil {
				return err
			}
			if (firehose == "") == (kinesis == "") {
				return fmt.Errorf("give one input: --firehose NAME or --kinesis NAME")
			}
			source := map[string]string{"RoleARN": "arn:aws:iam::000000000000:role/riffle"}
			inputKey := "KinesisFirehoseInput"
			if firehose != "" {
				source["ResourceARN"] = "arn:aws:firehose:" + c.region + ":000000000000:deliverystream/" + firehose
			} else {
				inputKey = "KinesisStreamsInput"
				source["ResourceARN"] = "arn:aws:kinesis:" + c.region + ":000000000000:stream/" + kinesis
			}
			var schema json.RawMessage
			if schemaFile != "" {
				if schema, err = os.ReadFile(schemaFile); err != nil {
					return err
				}
			} else {
				var found struct{ InputSchema json.RawMessage }
				req := map[string]any{"ResourceARN": source["ResourceARN"], "RoleARN": source["RoleARN"],
					"InputStartingPositionConfiguration": map[string]string{"InputStartingPosition": "NOW"}}
				if err := c.call(cmd.Context(), "DiscoverInputSchema", req, &found); err != nil {
					return err
				}
				schema = found.InputSchema
			}
			req := map[string]any{
				"ApplicationName": args[0], "ApplicationDescription": description, "ApplicationCode": string(code),
				"Inputs": []any{map[string]any{"NamePrefix": prefix, inputKey: source, "InputSchema": schema, "InputParallelism": map[string]int{"Count": 1}}},
			}
			var out struct {
				ApplicationSummary struct{ ApplicationARN, ApplicationStatus string }
			}
			if err := c.call(cmd.Context(), "CreateApplication", req, &out); err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), out.ApplicationSummary.ApplicationARN, out.ApplicationSummary.ApplicationStatus)
			return nil
		},
	}
	create.Flags().StringVar(&codeFile, "code", "", "the application's SQL file")
	create.Flags().StringVar(&firehose, "firehose", "", "the delivery stream to read")
	create.Flags().StringVar(&kinesis, "kinesis", "", "the data stream to read")
	create.Flags().StringVar(&schemaFile, "schema", "", "the input's SourceSchema JSON (default: discovered)")
	create.Flags().StringVar(&prefix, "name-prefix", "SOURCE_SQL_STREAM", "the in-application input stream's prefix")
	create.Flags().StringVar(&description, "description", "", "the application's description")
	create.MarkFlagRequired("code")

	var updateCode string
	update := &cobra.Command{
		Use:   "update APP --code FILE",
		Short: "Replace an application's SQL (a running application goes on with the new code)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			code, err := os.ReadFile(updateCode)
			if err != nil {
				return err
			}
			d, err := c.describe(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			return c.call(cmd.Context(), "UpdateApplication", map[string]any{
				"ApplicationName": args[0], "CurrentApplicationVersionId": d.ApplicationVersionId,
				"ApplicationUpdate": map[string]string{"ApplicationCodeUpdate": string(code)},
			}, nil)
		},
	}
	update.Flags().StringVar(&updateCode, "code", "", "the application's new SQL file")
	update.MarkFlagRequired("code")

	var position string
	start := &cobra.Command{
		Use:   "start APP [--position NOW|TRIM_HORIZON|LAST_STOPPED_POINT]",
		Short: "Start an application",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			d, err := c.describe(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			var inputs []any
			for _, in := range d.InputDescriptions {
				inputs = append(inputs, map[string]any{"Id": in.InputId, "InputStartingPositionConfiguration": map[string]string{"InputStartingPosition": strings.ToUpper(position)}})
			}
			return c.call(cmd.Context(), "StartApplication", map[string]any{"ApplicationName": args[0], "InputConfigurations": inputs}, nil)
		},
	}
	start.Flags().StringVar(&position, "position", "NOW", "where the input starts: NOW, TRIM_HORIZON or LAST_STOPPED_POINT")

	stop := &cobra.Command{
		Use:   "stop APP",
		Short: "Stop an application (it checkpoints first)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return c.call(cmd.Context(), "StopApplication", map[string]string{"ApplicationName": args[0]}, nil)
		},
	}

	del := &cobra.Command{
		Use:   "delete APP",
		Short: "Delete a stopped application",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			d, err := c.describe(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			return c.call(cmd.Context(), "DeleteApplication", map[string]any{"ApplicationName": args[0], "CreateTimestamp": d.CreateTimestamp}, nil)
		},
	}
	cmd.AddCommand(list, describe, create, update, start, stop, del, newAddOutputCommand(c), newDeleteOutputCommand(c))
	return cmd
}

func newAddOutputCommand(c *managementClient) *cobra.Command {
	var stream, lambda, firehose, kinesis, file, format string
	cmd := &cobra.Command{
		Use:   "add-output APP --stream NAME (--lambda FUNCTION | --firehose NAME | --kinesis NAME | --file PATH) [--format JSON|CSV]",
		Short: "Send an in-application stream's rows to a destination",
		Long: `Adds an output to an application (AddApplicationOutput): the rows of --stream go,
at least once, to a Lambda-compatible function (a name the server was started with,
--function or --notifier, or an http(s) URL), a delivery stream, a data stream, or a
file under the server's --outputs directory (one row a line).`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			out := map[string]any{"Name": stream, "DestinationSchema": map[string]string{"RecordFormatType": strings.ToUpper(format)}}
			given := 0
			role := map[string]string{"RoleARN": "arn:aws:iam::000000000000:role/riffle"}
			with := func(arn string) map[string]string {
				given++
				return map[string]string{"ResourceARN": arn, "RoleARN": role["RoleARN"]}
			}
			if lambda != "" {
				arn := lambda
				if !strings.HasPrefix(lambda, "http://") && !strings.HasPrefix(lambda, "https://") && !strings.HasPrefix(lambda, "arn:") {
					arn = "arn:aws:lambda:" + c.region + ":000000000000:function:" + lambda
				}
				out["LambdaOutput"] = with(arn)
			}
			if firehose != "" {
				out["KinesisFirehoseOutput"] = with("arn:aws:firehose:" + c.region + ":000000000000:deliverystream/" + firehose)
			}
			if kinesis != "" {
				out["KinesisStreamsOutput"] = with("arn:aws:kinesis:" + c.region + ":000000000000:stream/" + kinesis)
			}
			if file != "" {
				given++
				out["FileOutput"] = map[string]string{"Path": file}
			}
			if given != 1 {
				return fmt.Errorf("give one destination: --lambda, --firehose, --kinesis or --file")
			}
			d, err := c.describe(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			return c.call(cmd.Context(), "AddApplicationOutput", map[string]any{
				"ApplicationName": args[0], "CurrentApplicationVersionId": d.ApplicationVersionId, "Output": out,
			}, nil)
		},
	}
	cmd.Flags().StringVar(&stream, "stream", "DESTINATION_SQL_STREAM", "the in-application stream whose rows go out")
	cmd.Flags().StringVar(&lambda, "lambda", "", "a function: its name on the server, its ARN, or an http(s) URL")
	cmd.Flags().StringVar(&firehose, "firehose", "", "a delivery stream")
	cmd.Flags().StringVar(&kinesis, "kinesis", "", "a data stream")
	cmd.Flags().StringVar(&file, "file", "", "a file under the server's --outputs directory")
	cmd.Flags().StringVar(&format, "format", "JSON", "how rows are written: JSON or CSV")
	return cmd
}

func newDeleteOutputCommand(c *managementClient) *cobra.Command {
	return &cobra.Command{
		Use:   "delete-output APP OUTPUT_ID",
		Short: "Remove an output (its id is in apps describe)",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			d, err := c.describe(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			return c.call(cmd.Context(), "DeleteApplicationOutput", map[string]any{
				"ApplicationName": args[0], "CurrentApplicationVersionId": d.ApplicationVersionId, "OutputId": args[1],
			}, nil)
		},
	}
}
