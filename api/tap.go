package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/riffle-sql/riffle/app"
)

// TapPath is the route of the stream tap: the recent rows of an
// application's in-application stream, then (as server-sent events) every
// new one. With ?follow=false it answers the recent rows as JSON lines.
const TapPath = "GET /riffle/v1/applications/{app}/streams/{stream}"

// StreamsPath lists a running application's in-application streams (a
// JSON array of names), the tabs of the console's live view.
const StreamsPath = "GET /riffle/v1/applications/{app}/streams"

// Streams serves StreamsPath.
func (a *API) Streams(w http.ResponseWriter, r *http.Request) {
	names, err := a.apps.Streams(r.PathValue("app"))
	if err != nil {
		http.Error(w, err.Error(), http.StatusConflict)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(names)
}

// Tap serves TapPath.
func (a *API) Tap(w http.ResponseWriter, r *http.Request) {
	recent, rows, cancel, err := a.apps.Tap(r.PathValue("app"), r.PathValue("stream"))
	if err != nil {
		status := http.StatusNotFound
		if errors.Is(err, app.ErrInUse) {
			status = http.StatusConflict
		}
		http.Error(w, err.Error(), status)
		return
	}
	defer cancel()
	if r.URL.Query().Get("follow") == "false" {
		w.Header().Set("Content-Type", "application/x-ndjson")
		for _, row := range recent {
			fmt.Fprintf(w, "%s\n", row)
		}
		return
	}
	flusher, ok := w.(http.Flusher)
	if !ok {
		http.Error(w, "streaming is not supported", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	for _, row := range recent {
		fmt.Fprintf(w, "data: %s\n\n", row)
	}
	flusher.Flush()
	for {
		select {
		case <-r.Context().Done():
			return
		case row, ok := <-rows:
			if !ok {
				return // the application stopped
			}
			fmt.Fprintf(w, "data: %s\n\n", row)
			flusher.Flush()
		}
	}
}
