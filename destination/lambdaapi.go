package destination

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/service/lambda"
)

// LambdaAPIFunction invokes a function through the Lambda Invoke API (on
// AWS, or any server of that API): synchronously, with the event as
// payload, as the service invoked its Lambda destinations.
type LambdaAPIFunction struct {
	Client    *lambda.Client
	Name      string // the function's name: POST /2015-03-31/functions/NAME/invocations
	Qualifier string // a version or alias, if the ARN gave one
}

func (f *LambdaAPIFunction) String() string {
	if f.Qualifier != "" {
		return f.Name + ":" + f.Qualifier
	}
	return f.Name
}

// Invoke sends the event and reads the records' results. A function that
// failed (an unhandled error: the X-Amz-Function-Error header) delivered
// nothing.
func (f *LambdaAPIFunction) Invoke(ctx context.Context, e Event) (Response, error) {
	payload, err := json.Marshal(e)
	if err != nil {
		return Response{}, err
	}
	ctx, cancel := context.WithTimeout(ctx, FunctionTimeout)
	defer cancel()
	in := &lambda.InvokeInput{FunctionName: &f.Name, Payload: payload}
	if f.Qualifier != "" {
		in.Qualifier = &f.Qualifier
	}
	out, err := f.Client.Invoke(ctx, in)
	if err != nil {
		return Response{}, fmt.Errorf("invoke %s: %w", f, err)
	}
	if out.FunctionError != nil {
		return Response{}, fmt.Errorf("invoke %s: the function failed (%s): %.200s", f, *out.FunctionError, out.Payload)
	}
	var resp Response
	if err := json.Unmarshal(out.Payload, &resp); err != nil {
		return Response{}, fmt.Errorf("invoke %s: the response is not the records' results: %w", f, err)
	}
	return resp, nil
}
