package notify

import (
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"strings"

	"github.com/riffle-sql/riffle/destination"
)

// MaxEventBytes caps the body of a request to the Handler: Lambda's own
// limit on a synchronous invocation's payload.
const MaxEventBytes = 6 << 20

// Handler serves the Notifier the way a Lambda function behind an HTTP
// endpoint is called: POST the JSON Event, get the JSON Response. A body
// that is not an Event is answered 400, one that is not JSON 415, one from
// another site's page 403, and any method but POST 405, all with Lambda's
// error shape {"errorType": ..., "errorMessage": ...}.
func (n *Notifier) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			writeError(w, http.StatusMethodNotAllowed, "MethodNotAllowed", fmt.Sprintf("%s: POST an event", r.Method))
			return
		}
		// Another site's page may POST text/plain or a form here without
		// asking first, and a browser marks its requests cross-site: an
		// event must be JSON, which a page can send only after a preflight
		// this endpoint never answers.
		if r.Header.Get("Sec-Fetch-Site") == "cross-site" {
			writeError(w, http.StatusForbidden, "AccessDeniedException", "requests from other sites' pages are refused")
			return
		}
		if !isJSON(r.Header.Get("Content-Type")) {
			writeError(w, http.StatusUnsupportedMediaType, "UnsupportedMediaTypeException",
				fmt.Sprintf("Content-Type %q: POST the event as application/json", r.Header.Get("Content-Type")))
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

// isJSON says whether a Content-Type is JSON: application/json or a
// +json type, with any parameters.
func isJSON(contentType string) bool {
	t, _, err := mime.ParseMediaType(contentType)
	return err == nil && (t == "application/json" || strings.HasPrefix(t, "application/") && strings.HasSuffix(t, "+json"))
}
