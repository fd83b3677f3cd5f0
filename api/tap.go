package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"time"

	"github.com/riffle-sql/riffle/app"
	"github.com/riffle-sql/riffle/streamlog"
)

// TapPath is the route of the stream tap: the recent rows of an
// application's in-application stream, then (as server-sent events) every
// new one. With ?follow=false it answers the recent rows as JSON lines.
const TapPath = "GET /riffle/v1/applications/{app}/streams/{stream}"

// StreamsPath lists a running application's in-application streams (a
// JSON array of names), the tabs of the console's live view. Both work on
// every node of a cluster: the node that runs the application relays.
const StreamsPath = "GET /riffle/v1/applications/{app}/streams"

// Streams serves StreamsPath. With ?planned=true it names the streams
// the application's code declares, whether it runs or not (the streams
// its outputs may name): 404 for no such application, 409 for one
// without an input and code or whose code does not plan.
func (a *API) Streams(w http.ResponseWriter, r *http.Request) {
	var names []string
	var err error
	if r.URL.Query().Get("planned") == "true" {
		if names, err = a.apps.PlannedStreams(r.Context(), r.PathValue("app")); err != nil {
			status := http.StatusInternalServerError
			switch {
			case errors.Is(err, app.ErrNotFound):
				status = http.StatusNotFound
			case errors.Is(err, app.ErrInvalid):
				status = http.StatusConflict
			}
			http.Error(w, err.Error(), status)
			return
		}
	} else if names, err = a.apps.Streams(r.Context(), r.PathValue("app")); err != nil {
		http.Error(w, err.Error(), tapStatus(err))
		return
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(names)
}

// RecordsPath gives a sample of a stream's newest records (JSON: each
// record's arrival, partition key and data as text), for the console.
const RecordsPath = "GET /riffle/v1/streams/{stream}/records"

// sampleSize is how many of the newest records RecordsPath gives.
const sampleSize = 20

// Records serves RecordsPath.
func (a *API) Records(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("stream")
	info, err := a.log.Describe(r.Context(), name)
	if err != nil {
		http.Error(w, err.Error(), http.StatusNotFound)
		return
	}
	last, err := a.log.Last(r.Context(), name)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	type sample struct {
		Arrival      time.Time `json:"arrival"`
		PartitionKey string    `json:"partitionKey,omitempty"`
		Data         string    `json:"data"`
	}
	out := []sample{}
	from := streamlog.Seq{Msg: max(last, sampleSize) - sampleSize + 1} // the newest batches hold the newest records
	for shard := range info.Shards {
		recs, _, err := a.log.Read(r.Context(), name, shard, from, 10000)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		for _, rec := range recs {
			out = append(out, sample{Arrival: rec.Arrival, PartitionKey: rec.PartitionKey, Data: string(rec.Data)})
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Arrival.After(out[j].Arrival) })
	if len(out) > sampleSize {
		out = out[:sampleSize]
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(out)
}

// tapStatus is the HTTP status of a tap's error: 409 for an application
// not running, 404 for one or a stream not there, 502 when the node that
// runs it (in a cluster) did not answer.
func tapStatus(err error) int {
	switch {
	case errors.Is(err, app.ErrInUse):
		return http.StatusConflict
	case errors.Is(err, app.ErrNotFound), errors.Is(err, app.ErrInvalid):
		return http.StatusNotFound
	}
	return http.StatusBadGateway
}

// Tap serves TapPath.
func (a *API) Tap(w http.ResponseWriter, r *http.Request) {
	recent, rows, cancel, err := a.apps.Tap(r.Context(), r.PathValue("app"), r.PathValue("stream"))
	if err != nil {
		http.Error(w, err.Error(), tapStatus(err))
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
