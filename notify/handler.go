package notify

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/riffle-sql/riffle/destination"
)

// MaxEventBytes caps the body of a request to the Handler: Lambda's own
// limit on a synchronous invocation's payload.
const MaxEventBytes = 6 << 20

// Handler serves the Notifier the way a Lambda function behind an HTTP
// endpoint is called: POST the JSON Event, get the JSON Response. A body
// that is not an Event is answered 400, and any method but POST 405, both
// with Lambda's error shape {"errorType": ..., "errorMessage": ...}.
func (n *Notifier) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			writeError(w, http.StatusMethodNotAllowed, "MethodNotAllowed", fmt.Sprintf("%s: POST an event", r.Method))
			return
		}
		var e destination.Event
		dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, MaxEventBytes))
		if err := dec.Decode(&e); err != nil {
			var tooBig *http.MaxBytesError
			if errors.As(err, &tooBig) {
				writeError(w, http.StatusRequestEntityTooLarge, "RequestTooLargeException", fmt.Sprintf("the event is over %d bytes", MaxEventBytes))
				return
			}
			writeError(w, http.StatusBadRequest, "InvalidRequestContentException", "not a JSON event: "+err.Error())
			return
		}
		resp, err := n.Invoke(r.Context(), e)
		if err != nil {
			writeError(w, http.StatusInternalServerError, "ServiceException", err.Error())
			return
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(resp)
	})
}

func writeError(w http.ResponseWriter, status int, kind, message string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]string{"errorType": kind, "errorMessage": message})
}
