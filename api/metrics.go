package api

import (
	"encoding/json"
	"net/http"
	"sort"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

// MetricsPath gives an application's figures (AppMetrics as JSON) for the
// console's Monitoring and Destinations tabs: the series of /metrics
// labelled with the application, gathered from the same registry.
const MetricsPath = "GET /riffle/v1/applications/{app}/metrics"

// FunctionsPath lists the functions outputs may name (a JSON array of
// names, sorted).
const FunctionsPath = "GET /riffle/v1/functions"

// AppMetrics is what MetricsPath answers. The counters are this server's
// since the application's run (and each output's) began here; the
// console computes rates from successive answers.
type AppMetrics struct {
	Application string `json:"application"`
	Status      string `json:"status"`
	// RunningHere says this server runs it; false: another node of a
	// cluster does (Node), or it does not run.
	RunningHere bool         `json:"runningHere"`
	Node        string       `json:"node,omitempty"` // the lease owner, on a node of a cluster
	At          string       `json:"at"`             // when gathered, on the server's clock
	RecordsRead int64        `json:"recordsRead"`
	LateRecords int64        `json:"lateRecords"`
	Streams     []StreamRows `json:"streams"`
	// InputLagMessages is null when unknown (a remote Kinesis input, not
	// running here).
	InputLagMessages     *int64          `json:"inputLagMessages"`
	CheckpointAgeSeconds *float64        `json:"checkpointAgeSeconds"`
	Outputs              []OutputMetrics `json:"outputs"`
}

// StreamRows are the rows that went into an in-application stream.
type StreamRows struct {
	Name string `json:"name"`
	Rows int64  `json:"rows"`
}

// OutputMetrics is one output's delivery to one destination.
type OutputMetrics struct {
	// Output is the in-application stream the output delivers (the
	// output's id when the definition no longer has it); OutputID the
	// output's id, the metrics' output label.
	Output      string  `json:"output"`
	OutputID    string  `json:"outputId"`
	Destination string  `json:"destination"`
	Delivered   int64   `json:"delivered"`
	Failed      int64   `json:"failed"`
	Retried     int64   `json:"retried"`
	InFlight    int64   `json:"inFlight"`
	LastSuccess *string `json:"lastSuccess"`
	LastError   string  `json:"lastError"`
	LastErrorAt *string `json:"lastErrorAt"`
}

// Monitor gives the API the registry MetricsPath reads and the server's
// clock.
func (a *API) Monitor(g prometheus.Gatherer, clock clockwork.Clock) {
	if clock == nil {
		clock = clockwork.NewRealClock()
	}
	a.gatherer, a.clock = g, clock
}

// stamp is a time as MetricsPath writes it: RFC 3339 in UTC, to the ms.
func stamp(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z07:00") }

// Metrics serves MetricsPath.
func (a *API) Metrics(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("app")
	def, ok := a.definition(w, r)
	if !ok {
		return
	}
	if a.gatherer == nil {
		http.Error(w, "this server keeps no metrics", http.StatusNotFound)
		return
	}
	out := AppMetrics{Application: name, Status: def.Status, RunningHere: a.apps.RunsHere(name), At: stamp(a.clock.Now()),
		Streams: []StreamRows{}, Outputs: []OutputMetrics{}}
	if owner, err := a.apps.Owner(r.Context(), name); err == nil {
		out.Node = owner
	}
	families, err := a.gatherer.Gather()
	if err != nil && len(families) == 0 {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	streamOf := map[string]string{}
	for _, o := range def.Outputs {
		streamOf[o.ID] = o.Name
	}
	type outKey struct{ output, dest string }
	outputs := map[outKey]*OutputMetrics{}
	output := func(labels map[string]string) *OutputMetrics {
		k := outKey{labels["output"], labels["destination"]}
		o := outputs[k]
		if o == nil {
			o = &OutputMetrics{Output: k.output, OutputID: k.output, Destination: k.dest}
			if s, ok := streamOf[k.output]; ok {
				o.Output = s
			}
			outputs[k] = o
		}
		return o
	}
	for _, f := range families {
		for _, s := range f.GetMetric() {
			labels := labelsOf(s)
			if labels["application"] != name {
				continue
			}
			v := valueOf(s)
			switch f.GetName() {
			case "riffle_application_records_read_total":
				out.RecordsRead = int64(v)
			case "riffle_input_late_records_total":
				out.LateRecords = int64(v)
			case "riffle_application_stream_rows_total":
				out.Streams = append(out.Streams, StreamRows{Name: labels["stream"], Rows: int64(v)})
			case "riffle_application_input_lag_messages":
				n := int64(v)
				out.InputLagMessages = &n
			case "riffle_application_checkpoint_age_seconds":
				out.CheckpointAgeSeconds = &v
			case "riffle_destination_delivered_records_total":
				output(labels).Delivered = int64(v)
			case "riffle_destination_failed_records_total":
				output(labels).Failed = int64(v)
			case "riffle_destination_retried_records_total":
				output(labels).Retried = int64(v)
			case "riffle_destination_in_flight_records":
				output(labels).InFlight = int64(v)
			case "riffle_destination_last_success_timestamp_seconds":
				t := stamp(time.UnixMilli(int64(v * 1000)))
				output(labels).LastSuccess = &t
			case "riffle_destination_last_error_timestamp_seconds":
				t := stamp(time.UnixMilli(int64(v * 1000)))
				o := output(labels)
				o.LastErrorAt = &t
				o.LastError = a.apps.LastDeliveryError(name, labels["output"], labels["destination"])
			}
		}
	}
	sort.Slice(out.Streams, func(i, j int) bool { return out.Streams[i].Name < out.Streams[j].Name })
	for _, o := range outputs {
		out.Outputs = append(out.Outputs, *o)
	}
	sort.Slice(out.Outputs, func(i, j int) bool {
		oi, oj := out.Outputs[i], out.Outputs[j]
		if oi.OutputID != oj.OutputID {
			return oi.OutputID < oj.OutputID
		}
		return oi.Destination < oj.Destination
	})
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(out)
}

func labelsOf(m *dto.Metric) map[string]string {
	labels := make(map[string]string, len(m.GetLabel()))
	for _, l := range m.GetLabel() {
		labels[l.GetName()] = l.GetValue()
	}
	return labels
}

// valueOf is a counter's or a gauge's value.
func valueOf(m *dto.Metric) float64 {
	if c := m.GetCounter(); c != nil {
		return c.GetValue()
	}
	return m.GetGauge().GetValue()
}

// Functions serves FunctionsPath.
func (a *API) Functions(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(a.apps.Functions())
}
