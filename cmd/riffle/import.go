package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/kinesisanalytics"
	"github.com/aws/aws-sdk-go-v2/service/kinesisanalytics/types"
	"github.com/aws/smithy-go"
	"github.com/spf13/cobra"

	"github.com/riffle-sql/riffle/migrate"
)

func newImportCommand(c *managementClient) *cobra.Command {
	var (
		params        []string
		dryRun, start bool
		from          string
	)
	cmd := &cobra.Command{
		Use:   "import (FILE... | --from-endpoint URL [APP...]) [--parameter KEY=VALUE]... [--dry-run] [--start]",
		Short: "Create applications from Kinesis Data Analytics definitions",
		Long: `Creates applications on the server (--server) from their Kinesis Data Analytics
definitions: the output of 'aws kinesisanalytics describe-application' (one, or a
JSON array of several), CloudFormation templates (YAML or JSON) with
AWS::KinesisAnalytics::Application, ApplicationOutput and
ApplicationReferenceDataSource resources, or, with --from-endpoint, the
applications another KinesisAnalytics API endpoint lists (another riffle serve),
all of them or those named.

Each application gets the CreateApplication request the service was given, then
its separate outputs and reference data sources. Streams, functions and buckets
stay named by their ARNs: the server decides where they are. Fields that cannot
be mapped are reported with the reason; an application with a field that blocks
it (a stream ARN that cannot be resolved) is not created, nor is one that already
exists on the server. An application that was RUNNING is started (input at NOW)
only with --start. --dry-run prints what would be created and creates nothing.

Template parameters come from their Default or --parameter KEY=VALUE, which also
sets the pseudo parameters AWS::Region (default us-east-1), AWS::AccountId
(default 000000000000, the server's own account) and AWS::StackName (default: the
file's name without extension). Exits 1 when anything could not be imported.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts := migrate.Options{Parameters: map[string]string{}}
			for _, p := range params {
				k, v, ok := strings.Cut(p, "=")
				if !ok || k == "" {
					return fmt.Errorf("--parameter %q: want KEY=VALUE", p)
				}
				opts.Parameters[k] = v
			}
			var files []*migrate.File
			var err error
			if from != "" {
				files, err = fromEndpoint(cmd.Context(), c, from, args)
			} else {
				if len(args) == 0 {
					return errors.New("give the files to import, or --from-endpoint URL")
				}
				files, err = readDefinitions(cmd.InOrStdin(), args, opts)
			}
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if dryRun {
				migrate.WriteReport(out, files, start)
				return notImported(files, 0)
			}
			failed := 0
			for _, f := range files {
				for _, a := range f.Applications {
					a.Report(out, start)
					result, err := c.importApplication(cmd.Context(), a, start)
					if err != nil {
						failed++
						fmt.Fprintf(out, "  result: not imported: %v\n", err)
						continue
					}
					fmt.Fprintf(out, "  result: %s\n", result)
				}
				for _, p := range f.Problems {
					fmt.Fprintf(out, "%s: cannot import: %s\n", f.Name, p)
				}
			}
			for _, n := range migrate.Notes(files) {
				fmt.Fprintf(out, "note: %s\n", n)
			}
			return notImported(files, failed)
		},
	}
	cmd.Flags().StringArrayVar(&params, "parameter", nil, "a template parameter or pseudo parameter: KEY=VALUE (repeatable)")
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "print what would be created and what cannot be mapped; create nothing")
	cmd.Flags().BoolVar(&start, "start", false, "start the applications that were RUNNING (input at NOW)")
	cmd.Flags().StringVar(&from, "from-endpoint", "", "import from this KinesisAnalytics API endpoint (e.g. another riffle serve) instead of files")
	return cmd
}

// notImported is the command's error when some application (or a
// resource a file declares) was not imported: blocked ones count, and the
// failed of a real run.
func notImported(files []*migrate.File, failed int) error {
	problems := 0
	for _, f := range files {
		problems += len(f.Problems)
		if failed == 0 {
			for _, a := range f.Applications {
				if a.Blocked() {
					failed++
				}
			}
		}
	}
	switch {
	case failed > 0 && problems > 0:
		return fmt.Errorf("%d applications and %d resources not imported (see above)", failed, problems)
	case failed > 0:
		return fmt.Errorf("%d applications not imported (see above)", failed)
	case problems > 0:
		return fmt.Errorf("%d resources not imported (see above)", problems)
	}
	return nil
}

// readDefinitions reads the files ("-" is standard input).
func readDefinitions(stdin io.Reader, paths []string, opts migrate.Options) ([]*migrate.File, error) {
	var files []*migrate.File
	for _, path := range paths {
		var data []byte
		var err error
		if path == "-" {
			data, err = io.ReadAll(stdin)
		} else {
			data, err = os.ReadFile(path)
		}
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", path, err)
		}
		f, err := migrate.Read(path, data, opts)
		if err != nil {
			return nil, err
		}
		files = append(files, f)
	}
	return files, nil
}

// fromEndpoint lists and describes the applications of another
// KinesisAnalytics API endpoint (all, or those named), with their tags.
// The answers are read as describe-application output, as the service
// gave them (a Riffle's FileOutputDescription included).
func fromEndpoint(ctx context.Context, c *managementClient, endpoint string, names []string) ([]*migrate.File, error) {
	src := kinesisanalytics.New(kinesisanalytics.Options{
		Region:       c.region,
		BaseEndpoint: aws.String(endpoint),
		Credentials:  credentials.StaticCredentialsProvider{Value: credentialsFromEnv()},
		Retryer:      aws.NopRetryer{},
	})
	if len(names) == 0 {
		req := &kinesisanalytics.ListApplicationsInput{Limit: aws.Int32(50)}
		for {
			out, err := src.ListApplications(ctx, req)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", endpoint, callError(err))
			}
			for _, s := range out.ApplicationSummaries {
				names = append(names, aws.ToString(s.ApplicationName))
				req.ExclusiveStartApplicationName = s.ApplicationName
			}
			if !aws.ToBool(out.HasMoreApplications) || len(out.ApplicationSummaries) == 0 {
				break
			}
		}
	}
	var files []*migrate.File
	for _, name := range names {
		var body []byte
		d, err := src.DescribeApplication(ctx, &kinesisanalytics.DescribeApplicationInput{ApplicationName: aws.String(name)}, rawAnswer(&body))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", endpoint, callError(err))
		}
		f, err := migrate.FromDescription(endpoint, body)
		if err != nil {
			return nil, err
		}
		a := f.Applications[0]
		a.From = "DescribeApplication of " + endpoint
		tags, err := src.ListTagsForResource(ctx, &kinesisanalytics.ListTagsForResourceInput{ResourceARN: d.ApplicationDetail.ApplicationARN})
		if err != nil {
			a.Problems = append(a.Problems, migrate.Problem{Field: "Tags", Message: fmt.Sprintf("not read: %v", callError(err))})
		} else if len(tags.Tags) > 0 {
			a.Create.Tags = tags.Tags
		}
		files = append(files, f)
	}
	return files, nil
}

// importApplication creates one application and adds what follows its
// creation; the result says what was done. An application that cannot
// be completed is deleted again, so a second run starts clean.
func (c *managementClient) importApplication(ctx context.Context, a *migrate.Application, start bool) (string, error) {
	if a.Blocked() {
		return "", errors.New(`it has fields that block it ("cannot import" above)`)
	}
	create := a.Create
	// Riffle checks the SQL against the reference tables it has, and
	// those are added after creation: an application with reference data
	// gets its code last.
	var code *string
	if len(a.References) > 0 {
		code, create.ApplicationCode = create.ApplicationCode, nil
	}
	var opts []func(*kinesisanalytics.Options)
	if a.SettleMillis != nil { // another Riffle's
		opts = append(opts, withField("RiffleSettle", nil, "RiffleSettleMillis", *a.SettleMillis))
	}
	if _, err := c.api.CreateApplication(ctx, &create, opts...); err != nil {
		var api smithy.APIError
		if errors.As(err, &api) && api.ErrorCode() == "ResourceInUseException" {
			return "exists on the server: left unchanged (riffle apps delete it to import it again)", nil
		}
		return "", callError(err)
	}
	if err := c.complete(ctx, a, code); err != nil {
		if derr := c.deleteApplication(ctx, a.Name); derr != nil {
			return "", fmt.Errorf("%w; deleting the incomplete application failed too: %v", err, derr)
		}
		return "", fmt.Errorf("%w (the incomplete application was deleted)", err)
	}
	if !a.Running || !start {
		return "created", nil
	}
	d, err := c.describe(ctx, a.Name)
	if err != nil {
		return "", fmt.Errorf("created, not started: %w", err)
	}
	var inputs []types.InputConfiguration
	for _, in := range d.InputDescriptions {
		inputs = append(inputs, types.InputConfiguration{Id: in.InputId,
			InputStartingPositionConfiguration: &types.InputStartingPositionConfiguration{InputStartingPosition: types.InputStartingPositionNow}})
	}
	if _, err := c.api.StartApplication(ctx, &kinesisanalytics.StartApplicationInput{ApplicationName: aws.String(a.Name), InputConfigurations: inputs}); err != nil {
		return "", fmt.Errorf("created, not started: %w", callError(err))
	}
	return "created and started", nil
}

// complete adds an application's reference data sources and outputs, then
// its code when it was held back.
func (c *managementClient) complete(ctx context.Context, a *migrate.Application, code *string) error {
	version := func() (*int64, error) {
		d, err := c.describe(ctx, a.Name)
		if err != nil {
			return nil, err
		}
		return d.ApplicationVersionId, nil
	}
	for _, ref := range a.References {
		v, err := version()
		if err != nil {
			return err
		}
		if _, err := c.api.AddApplicationReferenceDataSource(ctx, &kinesisanalytics.AddApplicationReferenceDataSourceInput{
			ApplicationName: aws.String(a.Name), CurrentApplicationVersionId: v, ReferenceDataSource: &ref,
		}); err != nil {
			return fmt.Errorf("reference table %s: %w", aws.ToString(ref.TableName), callError(err))
		}
	}
	for _, out := range a.Outputs {
		v, err := version()
		if err != nil {
			return err
		}
		var opts []func(*kinesisanalytics.Options)
		if out.FilePath != "" {
			opts = append(opts, withFileOutput(out.FilePath))
		}
		if _, err := c.api.AddApplicationOutput(ctx, &kinesisanalytics.AddApplicationOutputInput{
			ApplicationName: aws.String(a.Name), CurrentApplicationVersionId: v, Output: &out.Output,
		}, opts...); err != nil {
			return fmt.Errorf("output %s: %w", aws.ToString(out.Name), callError(err))
		}
	}
	if code == nil {
		return nil
	}
	v, err := version()
	if err != nil {
		return err
	}
	if _, err := c.api.UpdateApplication(ctx, &kinesisanalytics.UpdateApplicationInput{
		ApplicationName: aws.String(a.Name), CurrentApplicationVersionId: v,
		ApplicationUpdate: &types.ApplicationUpdate{ApplicationCodeUpdate: code},
	}); err != nil {
		return fmt.Errorf("code: %w", callError(err))
	}
	return nil
}

func (c *managementClient) deleteApplication(ctx context.Context, name string) error {
	d, err := c.describe(ctx, name)
	if err != nil {
		return err
	}
	_, err = c.api.DeleteApplication(ctx, &kinesisanalytics.DeleteApplicationInput{ApplicationName: aws.String(name), CreateTimestamp: d.CreateTimestamp})
	return callError(err)
}
