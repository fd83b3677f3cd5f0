package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/kinesisanalytics"
	"github.com/aws/aws-sdk-go-v2/service/kinesisanalytics/types"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"
	"github.com/spf13/cobra"

	"github.com/riffle-sql/riffle/app"
)

// managementClient calls riffle serve's Kinesis Analytics API with the AWS
// SDK's client, signed as any AWS client signs.
type managementClient struct {
	server string
	region string
	api    *kinesisanalytics.Client
}

// connect makes the SDK's client for the flags' server and region.
func (c *managementClient) connect() {
	c.api = kinesisanalytics.New(kinesisanalytics.Options{
		Region:       c.region,
		BaseEndpoint: aws.String(c.server),
		Credentials:  credentials.StaticCredentialsProvider{Value: credentialsFromEnv()},
		Retryer:      aws.NopRetryer{}, // a refused call fails at once, with the server's reason
		HTTPClient:   serveClient(),
	})
}

// callError reads a failed call as "Operation: Type: message", or
// "Operation: cause" when the server did not answer, without the SDK's
// wrapping (service, attempts, status, request id).
func callError(err error) error {
	if u := asUnreachable(err); u != nil {
		return u
	}
	var op *smithy.OperationError
	if !errors.As(err, &op) {
		return err
	}
	var api smithy.APIError
	if errors.As(err, &api) {
		return fmt.Errorf("%s: %w", op.OperationName, serviceError{api})
	}
	cause := op.Err
	var send *smithyhttp.RequestSendError
	if errors.As(cause, &send) {
		cause = send.Err
	}
	return fmt.Errorf("%s: %w", op.OperationName, cause)
}

// unescapeHTML turns the \u003c, \u003e and \u0026 with which Go's JSON
// encoder (the server's) escapes <, > and & in strings back into those
// characters, for people reading SQL. An escaped backslash before a "u"
// stays as it is: escapes are read left to right.
func unescapeHTML(data []byte) []byte {
	out := make([]byte, 0, len(data))
	for i := 0; i < len(data); i++ {
		if data[i] != '\\' || i+1 == len(data) {
			out = append(out, data[i])
			continue
		}
		if i+5 < len(data) && data[i+1] == 'u' {
			switch strings.ToLower(string(data[i+2 : i+6])) {
			case "003c":
				out, i = append(out, '<'), i+5
				continue
			case "003e":
				out, i = append(out, '>'), i+5
				continue
			case "0026":
				out, i = append(out, '&'), i+5
				continue
			}
		}
		out, i = append(out, data[i], data[i+1]), i+1
	}
	return out
}

// serviceError is the service's error as it names it: "Type: message".
type serviceError struct{ smithy.APIError }

func (e serviceError) Error() string { return e.ErrorCode() + ": " + e.ErrorMessage() }
func (e serviceError) Unwrap() error { return e.APIError }

// credentialsFromEnv are the AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY of
// the environment, or a placeholder that a server without --auth accepts.
func credentialsFromEnv() aws.Credentials {
	if id, secret := os.Getenv("AWS_ACCESS_KEY_ID"), os.Getenv("AWS_SECRET_ACCESS_KEY"); id != "" && secret != "" {
		return aws.Credentials{AccessKeyID: id, SecretAccessKey: secret, SessionToken: os.Getenv("AWS_SESSION_TOKEN")}
	}
	return aws.Credentials{AccessKeyID: "riffle", SecretAccessKey: "riffle"}
}

func (c *managementClient) describe(ctx context.Context, name string, opts ...func(*kinesisanalytics.Options)) (*types.ApplicationDetail, error) {
	out, err := c.api.DescribeApplication(ctx, &kinesisanalytics.DescribeApplicationInput{ApplicationName: aws.String(name)}, opts...)
	if err != nil {
		return nil, callError(err)
	}
	return out.ApplicationDetail, nil
}

// rawAnswer keeps a copy of the answer's body in *body: describe prints the
// service's JSON as it came, with Riffle's extensions to the shapes (such as
// FileOutputDescription) that the SDK's types leave out.
func rawAnswer(body *[]byte) func(*kinesisanalytics.Options) {
	keep := middleware.DeserializeMiddlewareFunc("RiffleRawAnswer", func(ctx context.Context, in middleware.DeserializeInput, next middleware.DeserializeHandler) (middleware.DeserializeOutput, middleware.Metadata, error) {
		out, md, err := next.HandleDeserialize(ctx, in)
		if resp, ok := out.RawResponse.(*smithyhttp.Response); ok && err == nil {
			data, rerr := io.ReadAll(resp.Body)
			resp.Body.Close()
			if rerr != nil {
				return out, md, fmt.Errorf("read the answer: %w", rerr)
			}
			*body = data
			resp.Body = io.NopCloser(bytes.NewReader(data))
		}
		return out, md, err
	})
	return func(o *kinesisanalytics.Options) {
		o.APIOptions = append(o.APIOptions, func(s *middleware.Stack) error {
			// After the operation's deserializer: nearer the wire, so this
			// sees the body before the deserializer reads it.
			return s.Deserialize.Insert(keep, "OperationDeserializer", middleware.After)
		})
	}
}

// withFileOutput adds Riffle's FileOutput {Path} to the Output of an
// AddApplicationOutput request: a destination that the AWS model, and so
// the SDK's types, lack.
func withFileOutput(path string) func(*kinesisanalytics.Options) {
	return withField("RiffleFileOutput", []string{"Output"}, "FileOutput", map[string]string{"Path": path})
}

// withField adds one of Riffle's fields beside the AWS shapes (docs/apps.md) to
// a request's JSON: field key, set to value, in the object at path (each
// name an object in the one before; made when missing). The rest of the
// call (signing, errors) stays the SDK's.
func withField(id string, path []string, key string, value any) func(*kinesisanalytics.Options) {
	add := middleware.SerializeMiddlewareFunc(id, func(ctx context.Context, in middleware.SerializeInput, next middleware.SerializeHandler) (middleware.SerializeOutput, middleware.Metadata, error) {
		req, ok := in.Request.(*smithyhttp.Request)
		if !ok {
			return middleware.SerializeOutput{}, middleware.Metadata{}, fmt.Errorf("add %s: unexpected request %T", key, in.Request)
		}
		body, err := io.ReadAll(req.GetStream())
		if err != nil {
			return middleware.SerializeOutput{}, middleware.Metadata{}, fmt.Errorf("add %s: %w", key, err)
		}
		if body, err = setField(body, path, key, value); err != nil {
			return middleware.SerializeOutput{}, middleware.Metadata{}, fmt.Errorf("add %s: %w", key, err)
		}
		if req, err = req.SetStream(bytes.NewReader(body)); err != nil {
			return middleware.SerializeOutput{}, middleware.Metadata{}, fmt.Errorf("add %s: %w", key, err)
		}
		in.Request = req
		return next.HandleSerialize(ctx, in)
	})
	return func(o *kinesisanalytics.Options) {
		o.APIOptions = append(o.APIOptions, func(s *middleware.Stack) error {
			// After the operation's serializer, which wrote the body.
			return s.Serialize.Insert(add, "OperationSerializer", middleware.After)
		})
	}
}

// setField sets key to value in the JSON object at path in body.
func setField(body []byte, path []string, key string, value any) ([]byte, error) {
	var fields map[string]json.RawMessage
	if len(bytes.TrimSpace(body)) > 0 {
		if err := json.Unmarshal(body, &fields); err != nil {
			return nil, err
		}
	}
	if fields == nil {
		fields = map[string]json.RawMessage{}
	}
	var err error
	if len(path) == 0 {
		fields[key], err = json.Marshal(value)
	} else {
		fields[path[0]], err = setField(fields[path[0]], path[1:], key, value)
	}
	if err != nil {
		return nil, err
	}
	return json.Marshal(fields)
}

// settleUsage is the help of the apps' --settle flag.
const settleUsage = "how long after a record's arrival the application's clock waits for it (1ms to 1m, 0 for the default 500ms; docs/apps.md, Time): shorter gives rows sooner, but a record stored later than this after its arrival falls into a later window"

// settleMillis is a --settle as RiffleSettleMillis: whole milliseconds,
// which the server bounds.
func settleMillis(d time.Duration) (int64, error) {
	if d%time.Millisecond != 0 {
		return 0, fmt.Errorf("--settle %v: give whole milliseconds", d)
	}
	return d.Milliseconds(), nil
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
			c.connect()
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
			req := &kinesisanalytics.ListApplicationsInput{Limit: aws.Int32(50)}
			for {
				out, err := c.api.ListApplications(cmd.Context(), req)
				if err != nil {
					return callError(err)
				}
				for _, s := range out.ApplicationSummaries {
					fmt.Fprintf(w, "%s\t%s\t%s\n", aws.ToString(s.ApplicationName), s.ApplicationStatus, aws.ToString(s.ApplicationARN))
					req.ExclusiveStartApplicationName = s.ApplicationName
				}
				if !aws.ToBool(out.HasMoreApplications) {
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
			var answer []byte
			if _, err := c.describe(cmd.Context(), args[0], rawAnswer(&answer)); err != nil {
				return err
			}
			var pretty bytes.Buffer
			json.Indent(&pretty, bytes.TrimSpace(answer), "", "  ")
			fmt.Fprintln(cmd.OutOrStdout(), string(unescapeHTML(pretty.Bytes())))
			return nil
		},
	}

	var codeFile, firehose, kinesis, schemaFile, prefix, description string
	var createSettle time.Duration
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
			role := aws.String("arn:aws:iam::000000000000:role/riffle")
			input := types.Input{NamePrefix: aws.String(prefix), InputParallelism: &types.InputParallelism{Count: aws.Int32(1)}}
			var arn *string
			if firehose != "" {
				arn = aws.String("arn:aws:firehose:" + c.region + ":000000000000:deliverystream/" + firehose)
				input.KinesisFirehoseInput = &types.KinesisFirehoseInput{ResourceARN: arn, RoleARN: role}
			} else {
				arn = aws.String("arn:aws:kinesis:" + c.region + ":000000000000:stream/" + kinesis)
				if strings.HasPrefix(kinesis, "arn:") { // a stream of AWS or another Kinesis server
					arn = aws.String(kinesis)
				}
				input.KinesisStreamsInput = &types.KinesisStreamsInput{ResourceARN: arn, RoleARN: role}
			}
			if schemaFile != "" {
				data, err := os.ReadFile(schemaFile)
				if err != nil {
					return err
				}
				// The SDK's SourceSchema has the wire's field names.
				if err := json.Unmarshal(data, &input.InputSchema); err != nil {
					return fmt.Errorf("the schema in %s: %w", schemaFile, err)
				}
			} else {
				found, err := c.api.DiscoverInputSchema(cmd.Context(), &kinesisanalytics.DiscoverInputSchemaInput{
					ResourceARN: arn, RoleARN: role,
					InputStartingPositionConfiguration: &types.InputStartingPositionConfiguration{InputStartingPosition: types.InputStartingPositionNow},
				})
				if err != nil {
					return callError(err)
				}
				input.InputSchema = found.InputSchema
			}
			req := &kinesisanalytics.CreateApplicationInput{
				ApplicationName: aws.String(args[0]), ApplicationCode: aws.String(string(code)), Inputs: []types.Input{input},
			}
			if description != "" {
				req.ApplicationDescription = aws.String(description)
			}
			var opts []func(*kinesisanalytics.Options)
			if cmd.Flags().Changed("settle") {
				ms, err := settleMillis(createSettle)
				if err != nil {
					return err
				}
				opts = append(opts, withField("RiffleSettle", nil, "RiffleSettleMillis", ms))
			}
			out, err := c.api.CreateApplication(cmd.Context(), req, opts...)
			if err != nil {
				return callError(err)
			}
			fmt.Fprintln(cmd.OutOrStdout(), aws.ToString(out.ApplicationSummary.ApplicationARN), out.ApplicationSummary.ApplicationStatus)
			return nil
		},
	}
	create.Flags().StringVar(&codeFile, "code", "", "the application's SQL file")
	create.Flags().StringVar(&firehose, "firehose", "", "the delivery stream to read")
	create.Flags().StringVar(&kinesis, "kinesis", "", "the data stream to read: a stream of the server, or the ARN of one on AWS (or the server of --aws-endpoint kinesis=URL)")
	create.Flags().StringVar(&schemaFile, "schema", "", "the input's SourceSchema JSON (default: discovered)")
	create.Flags().StringVar(&prefix, "name-prefix", "SOURCE_SQL_STREAM", "the in-application input stream's prefix")
	create.Flags().StringVar(&description, "description", "", "the application's description")
	create.Flags().DurationVar(&createSettle, "settle", app.DefaultSettle, settleUsage)
	create.MarkFlagRequired("code")

	var updateCode string
	var updateSettle time.Duration
	update := &cobra.Command{
		Use:   "update APP (--code FILE | --settle DURATION)",
		Short: "Replace an application's SQL or settle wait (a running application goes on with them)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			changes := &types.ApplicationUpdate{}
			var opts []func(*kinesisanalytics.Options)
			if updateCode != "" {
				code, err := os.ReadFile(updateCode)
				if err != nil {
					return err
				}
				changes.ApplicationCodeUpdate = aws.String(string(code))
			}
			if cmd.Flags().Changed("settle") {
				ms, err := settleMillis(updateSettle)
				if err != nil {
					return err
				}
				opts = append(opts, withField("RiffleSettle", []string{"ApplicationUpdate"}, "RiffleSettleMillisUpdate", ms))
			}
			if changes.ApplicationCodeUpdate == nil && len(opts) == 0 {
				return fmt.Errorf("give what changes: --code FILE, --settle DURATION or both")
			}
			d, err := c.describe(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			_, err = c.api.UpdateApplication(cmd.Context(), &kinesisanalytics.UpdateApplicationInput{
				ApplicationName: aws.String(args[0]), CurrentApplicationVersionId: d.ApplicationVersionId, ApplicationUpdate: changes,
			}, opts...)
			return callError(err)
		},
	}
	update.Flags().StringVar(&updateCode, "code", "", "the application's new SQL file")
	update.Flags().DurationVar(&updateSettle, "settle", app.DefaultSettle, settleUsage)

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
			var inputs []types.InputConfiguration
			for _, in := range d.InputDescriptions {
				inputs = append(inputs, types.InputConfiguration{Id: in.InputId,
					InputStartingPositionConfiguration: &types.InputStartingPositionConfiguration{InputStartingPosition: types.InputStartingPosition(strings.ToUpper(position))}})
			}
			_, err = c.api.StartApplication(cmd.Context(), &kinesisanalytics.StartApplicationInput{ApplicationName: aws.String(args[0]), InputConfigurations: inputs})
			return callError(err)
		},
	}
	start.Flags().StringVar(&position, "position", "NOW", "where the input starts: NOW, TRIM_HORIZON or LAST_STOPPED_POINT")

	stop := &cobra.Command{
		Use:   "stop APP",
		Short: "Stop an application (it checkpoints first)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			_, err := c.api.StopApplication(cmd.Context(), &kinesisanalytics.StopApplicationInput{ApplicationName: aws.String(args[0])})
			return callError(err)
		},
	}

	var force bool
	del := &cobra.Command{
		Use:   "delete APP [--force]",
		Short: "Delete an application (a RUNNING one only with --force)",
		Long: `Deletes an application, its code, configuration and checkpoint. A RUNNING
application is refused unless --force is given: then the server stops it, without
a last checkpoint, and deletes it (riffle apps stop first checkpoints it).`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			d, err := c.describe(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			if d.ApplicationStatus == types.ApplicationStatusRunning && !force {
				return fmt.Errorf("application %s is RUNNING: stop it first (riffle apps stop %s), or delete it running with --force", args[0], args[0])
			}
			_, err = c.api.DeleteApplication(cmd.Context(), &kinesisanalytics.DeleteApplicationInput{ApplicationName: aws.String(args[0]), CreateTimestamp: d.CreateTimestamp})
			return callError(err)
		},
	}
	del.Flags().BoolVar(&force, "force", false, "delete a RUNNING application too (the server stops it)")
	cmd.AddCommand(list, describe, create, update, start, stop, del, newAddOutputCommand(c), newDeleteOutputCommand(c), newMoveCommand(c), newImportCommand(c))
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
			out := &types.Output{Name: aws.String(stream), DestinationSchema: &types.DestinationSchema{RecordFormatType: types.RecordFormatType(strings.ToUpper(format))}}
			role := aws.String("arn:aws:iam::000000000000:role/riffle")
			var opts []func(*kinesisanalytics.Options)
			given := 0
			if lambda != "" {
				given++
				arn := lambda
				if !strings.HasPrefix(lambda, "http://") && !strings.HasPrefix(lambda, "https://") && !strings.HasPrefix(lambda, "arn:") {
					arn = "arn:aws:lambda:" + c.region + ":000000000000:function:" + lambda
				}
				out.LambdaOutput = &types.LambdaOutput{ResourceARN: aws.String(arn), RoleARN: role}
			}
			if firehose != "" {
				given++
				out.KinesisFirehoseOutput = &types.KinesisFirehoseOutput{ResourceARN: aws.String("arn:aws:firehose:" + c.region + ":000000000000:deliverystream/" + firehose), RoleARN: role}
			}
			if kinesis != "" {
				given++
				out.KinesisStreamsOutput = &types.KinesisStreamsOutput{ResourceARN: aws.String("arn:aws:kinesis:" + c.region + ":000000000000:stream/" + kinesis), RoleARN: role}
			}
			if file != "" {
				given++
				opts = append(opts, withFileOutput(file))
			}
			if given != 1 {
				return fmt.Errorf("give one destination: --lambda, --firehose, --kinesis or --file")
			}
			d, err := c.describe(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			_, err = c.api.AddApplicationOutput(cmd.Context(), &kinesisanalytics.AddApplicationOutputInput{
				ApplicationName: aws.String(args[0]), CurrentApplicationVersionId: d.ApplicationVersionId, Output: out,
			}, opts...)
			return callError(err)
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
			_, err = c.api.DeleteApplicationOutput(cmd.Context(), &kinesisanalytics.DeleteApplicationOutputInput{
				ApplicationName: aws.String(args[0]), CurrentApplicationVersionId: d.ApplicationVersionId, OutputId: aws.String(args[1]),
			})
			return callError(err)
		},
	}
}
