// Package demo runs the clickstream anomaly lab end to end in one process:
// the server on an embedded log, a delivery stream archiving the raw
// clickstream to a bucket (the data directory's) as the lab's Firehose
// does, the lab's application with its anomalies going to the built-in
// notifier, and the generator sending the lab's traffic through the
// Firehose API, all on an accelerated clock. It prints each anomaly as it is detected and ends with
// a chart of the click-through rate and the anomaly scores.
package demo

import (
	"bytes"
	"compress/gzip"
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/riffle-sql/riffle/app"
	"github.com/riffle-sql/riffle/destination"
	"github.com/riffle-sql/riffle/generator"
	"github.com/riffle-sql/riffle/internal/hostguard"
	"github.com/riffle-sql/riffle/internal/wait"
	"github.com/riffle-sql/riffle/notify"
	"github.com/riffle-sql/riffle/record"
	"github.com/riffle-sql/riffle/s3delivery"
	"github.com/riffle-sql/riffle/server"
	"github.com/riffle-sql/riffle/streamlog"
)

//go:embed lab.sql
var labSQL string

// Names the demo creates, as the lab names them.
const (
	Stream      = "clickstream"
	Application = "anomaly_detection"
	Function    = "CSEBeconAnomalyResponse"
)

// Archive is where the lab's delivery stream archives the raw clickstream,
// as the lab's template configures its Firehose: GZIP objects under
// weblogs/raw/ in its raw bucket, buffered 60 s or 50 MB. The demo's
// bucket is the server's buckets directory (DATA/buckets/BUCKET).
var Archive = s3delivery.Destination{Extended: true, RoleARN: "arn:aws:iam::000000000000:role/FirehoseS3Role",
	BucketARN: "arn:aws:s3:::clickstream-raw", Prefix: "weblogs/raw/", SizeInMBs: 50, IntervalInSeconds: 60, CompressionFormat: s3delivery.GZIP}

// DefaultSpeed tells the lab's story (LabDuration of traffic) in about a
// minute.
const DefaultSpeed = 8

// Options run the demo.
type Options struct {
	Data    string  // the data directory; "" for a temporary one, removed at the end
	Listen  string  // the server's address; default 127.0.0.1:4573
	Speed   float64 // application and generator time per wall second; default DefaultSpeed
	Forever bool    // keep the traffic going until ctx ends
	// Notify adds subscriptions (email, SMS) to the notifier, which always
	// prints to Out.
	Notify *notify.Config
	Chart  string // where the chart goes; default riffle-demo.svg
	Seed   uint64
	Out    io.Writer
	Logger *slog.Logger
	// Clock is the server's wall clock: arrival stamps, application time,
	// deliveries and the notifications' times (nil: the real clock).
	Clock clockwork.Clock
	// TrafficClock paces the generator's sends and the demo's own waits
	// (nil: Clock). A test gives two fake clocks and moves them on
	// together whenever something waits on TrafficClock: then no record is
	// on its way, so each arrives exactly at its scheduled time, whatever
	// the machine's load.
	TrafficClock clockwork.Clock
	// AllowPrivateURLs lets URLs given through the demo server's API reach
	// non-public addresses (app.Options.AllowPrivateURLs); the demo's own
	// function is the operator's, reached either way.
	AllowPrivateURLs bool
}

// Window is one 10-second window of the run.
type Window struct {
	End     time.Time // the window's end: its ROWTIME (application time)
	CTR     float64
	Score   float64
	Scored  bool // the forest's score came (every window's does, once it runs)
	Flagged bool // it reached DESTINATION_SQL_STREAM (score above 2)
	Burst   bool // the scenario sent a burst of clicks in it
}

// Result is what the demo saw.
type Result struct {
	Windows        []Window
	Bursts         int // bursts sent
	BurstsDetected int // bursts with at least one flagged window
	FalseAlarms    int // flagged windows outside the bursts
	Chart          string
	URL            string
	// Acknowledged is how many records the generator had acknowledged.
	Acknowledged int64
	// Archived is how many records the archive's objects hold (this run's
	// and, on a kept --data, the earlier runs'), in ArchiveObjects objects
	// under ArchiveDir.
	Archived, ArchiveObjects int
	ArchiveDir               string
	// Late is how far behind its time (application time) the generator
	// sent a record, at worst; Speed the run's.
	Late  time.Duration
	Speed float64
}

// Caught says every burst was detected and nothing else.
func (r Result) Caught() bool { return r.BurstsDetected == r.Bursts && r.FalseAlarms == 0 }

// Behind says, when the machine did not keep the accelerated clock (a
// record went more than LateTolerance behind its time), that the windows
// may be miscounted and which --speed to try; "" when it kept it.
func (r Result) Behind() string { return behindMessage(r.Late, r.Speed) }

// Run runs the demo until the lab's story is told (or, with Forever, until
// ctx ends).
func Run(ctx context.Context, o Options) (Result, error) {
	if o.Speed <= 0 {
		o.Speed = DefaultSpeed
	}
	if o.Listen == "" {
		o.Listen = "127.0.0.1:4573"
	}
	if o.Chart == "" {
		o.Chart = "riffle-demo.svg"
	}
	if o.Out == nil {
		o.Out = io.Discard
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	if o.Clock == nil {
		o.Clock = clockwork.NewRealClock()
	}
	if o.TrafficClock == nil {
		o.TrafficClock = o.Clock
	}
	var res Result
	dir := o.Data
	if dir == "" {
		tmp, err := os.MkdirTemp("", "riffle-demo-")
		if err != nil {
			return res, err
		}
		defer os.RemoveAll(tmp)
		dir = tmp
	}

	// The notifier: the lab's function, printing every anomaly here, and
	// emailing or texting when configured.
	cfg := notify.Config{Topic: "ClickStreamEvent2"}
	if o.Notify != nil {
		cfg = *o.Notify
	}
	cfg.Subscriptions = append(cfg.Subscriptions, notify.Subscription{Log: true})
	// The notifier and the pacing's warning write at any moment.
	o.Out = &syncWriter{w: o.Out}
	// Each anomaly's line begins with its window's end, the application
	// time the console shows it at.
	rows := newCollector()
	fn := &answering{rows: rows, stamps: map[string]string{}}
	n, err := notify.New(ctx, cfg, notify.Options{Log: o.Out, Logger: o.Logger, Now: o.Clock.Now, Stamp: fn.stamp})
	if err != nil {
		return res, fmt.Errorf("notifications: %w", err)
	}
	fn.f = n

	srv, err := server.New(ctx, server.Config{Data: dir, Logger: o.Logger, Clock: o.Clock, Apps: app.Options{
		TimeScale: o.Speed, Functions: map[string]destination.Function{Function: fn}, AllowPrivateURLs: o.AllowPrivateURLs}})
	if err != nil {
		return res, err
	}
	defer srv.Close()
	ln, err := net.Listen("tcp", o.Listen)
	if err != nil {
		return res, err
	}
	res.URL = "http://" + ln.Addr().String()
	httpSrv := &http.Server{Handler: hostguard.Guard(srv.Handler, nil), ReadHeaderTimeout: 10 * time.Second}
	go httpSrv.Serve(ln)
	defer httpSrv.Close()
	fmt.Fprintf(o.Out, "Riffle demo: the clickstream anomaly lab, %g times faster than real time\n", o.Speed)
	fmt.Fprintf(o.Out, "server: %s (data in %s)\n", res.URL, dir)

	// A data directory kept from an earlier demo has the stream and the
	// application: the stream is reused, the application made anew.
	if err := srv.Log.CreateWith(ctx, Stream, "firehose", 1, s3delivery.Metadata(Archive)); err != nil && !errors.Is(err, streamlog.ErrExists) {
		return res, err
	}
	srv.Deliveries.Nudge()
	if old, err := srv.Apps.Get(ctx, Application); err == nil {
		if old.Status == app.Running {
			if err := srv.Apps.Stop(ctx, Application); err != nil {
				return res, err
			}
		}
		if err := srv.Apps.Delete(ctx, Application, old.Created); err != nil {
			return res, err
		}
	}
	def := app.Application{Name: Application, Code: labSQL,
		Inputs:  []app.Input{{NamePrefix: "SOURCE_SQL_STREAM", Source: Stream, Kind: "firehose", Schema: labSchema()}},
		Outputs: []app.Output{{Name: "DESTINATION_SQL_STREAM", Format: "JSON", Kind: app.LambdaOutput, Target: Function}},
	}
	if _, err := srv.Apps.Create(ctx, def); err != nil {
		return res, err
	}
	if err := srv.Apps.Start(ctx, Application, app.Now); err != nil {
		return res, err
	}
	started, err := srv.Apps.Get(ctx, Application)
	if err != nil {
		return res, err
	}
	var followers sync.WaitGroup // end when the application stops and its taps close
	for _, stream := range []string{"CTRSTREAM", "SCORED", "DESTINATION_SQL_STREAM"} {
		recent, ch, cancel, err := srv.Apps.Tap(ctx, Application, stream)
		if err != nil {
			return res, err
		}
		defer cancel()
		for _, r := range recent {
			rows.add(stream, r)
		}
		followers.Go(func() {
			for r := range ch {
				rows.add(stream, r)
			}
		})
	}
	fmt.Fprintf(o.Out, "console: %s/#/app/%s (every in-application stream, live)\n", res.URL, Application)
	fmt.Fprintf(o.Out, "application %s is RUNNING; or follow a stream with: riffle tail %s CTRSTREAM --server %s\n", Application, Application, res.URL)

	// The traffic starts on a window boundary of application time, so the
	// generator's records sit in the middle of their seconds, far from the
	// boundaries however the clock jitters.
	now := o.Clock.Now()
	appNow := time.UnixMilli(started.AppTime(now.UnixMilli(), o.Speed))
	appStart := appNow.Truncate(10 * time.Second).Add(10 * time.Second)
	wallStart := now.Add(time.Duration(float64(appStart.Sub(appNow)) / o.Speed))
	target, err := generator.NewStreamTarget(ctx, generator.StreamConfig{Name: Stream, Kind: "firehose", Endpoint: res.URL, Region: "us-east-1",
		Credentials: generator.PlaceholderCredentials()})
	if err != nil {
		return res, err
	}
	scenario := generator.Lab()
	fmt.Fprintf(o.Out, "sending the lab's traffic: impressions and clicks at 1/s, bursts of 4 extra clicks/s for 20 s at %v, %v and %v (application time)\n",
		generator.LabFirstBurst, generator.LabFirstBurst+generator.LabBurstEvery, generator.LabFirstBurst+2*generator.LabBurstEvery)
	// Serial: the lab's senders send at the same moments, and one
	// goroutine sends everything due before it waits again (the moments a
	// test moves its clocks).
	pace := &pacing{speed: o.Speed, out: o.Out, clock: o.Clock, appTime: func(wall time.Time) time.Time {
		return time.UnixMilli(started.AppTime(wall.UnixMilli(), o.Speed))
	}}
	run, err := generator.Start(ctx, scenario, generator.Options{Target: &pacedTarget{Target: target, pace: pace}, Seed: o.Seed, Speed: o.Speed,
		Start: appStart, WallStart: wallStart, Forever: o.Forever, Logger: o.Logger, Clock: o.TrafficClock, Serial: true})
	if err != nil {
		return res, err
	}
	<-run.Done() // it ends with ctx too
	if err := run.Err(); err != nil {
		return res, err
	}
	// The last window closes once the application's clock passes its end,
	// and the anomalies go to the notifier before the application stops,
	// so that the summary comes after them.
	end := appStart.Add(scenario.Duration)
	if o.Forever || ctx.Err() != nil { // stopped: as far as the windows went
		end = rows.last()
	} else {
		// Polls on the traffic clock (a test moves its clocks while the
		// demo waits), bounded in real time: a bug must not hang the demo.
		guard, cancel := context.WithTimeout(ctx, time.Minute)
		// Once a notification fails (an email server down), the rest
		// have the application's stop to go.
		for !(rows.has(end) && (fn.answered() >= rows.alarms() || fn.failing())) && wait.Sleep(guard, o.TrafficClock, 20*time.Millisecond) {
		}
		cancel()
		if ctx.Err() == nil && !rows.has(end) {
			return res, fmt.Errorf("the application gave no window ending at %s", end.Format(time.TimeOnly))
		}
	}
	// Stopping drains the notifications still on their way.
	if err := srv.Apps.Stop(context.WithoutCancel(ctx), Application); err != nil && !errors.Is(err, app.ErrInUse) {
		return res, err
	}
	followers.Wait()
	sent, acked, failed := run.Totals()
	fmt.Fprintf(o.Out, "generator: %d records sent, %d acknowledged, %d not sent\n", sent, acked, failed)
	res.Acknowledged = acked
	if err := archived(ctx, srv, &res); err != nil {
		return res, err
	}
	kept := ""
	if o.Data == "" {
		kept = "; removed with the temporary data at the end, keep it with --data"
	}
	fmt.Fprintf(o.Out, "archive: %d records in %d GZIP objects under %s (the lab's Firehose to S3%s)\n", res.Archived, res.ArchiveObjects, res.ArchiveDir, kept)

	res.Windows = rows.windows(appStart, end, scenario)
	for _, burst := range burstStarts(appStart, end, scenario) {
		res.Bursts++
		for _, w := range res.Windows {
			if w.Flagged && w.End.After(burst) && !w.End.After(burst.Add(generator.LabBurst+10*time.Second)) {
				res.BurstsDetected++
				break
			}
		}
	}
	for _, w := range res.Windows {
		if w.Flagged && !w.Burst {
			res.FalseAlarms++
		}
	}
	res.Late = pace.worstLate()
	res.Speed = o.Speed
	f, err := os.Create(o.Chart)
	if err != nil {
		return res, err
	}
	if err := writeChart(f, res.Windows, appStart); err != nil {
		f.Close()
		return res, err
	}
	if err := f.Close(); err != nil {
		return res, err
	}
	res.Chart = o.Chart
	if res.Behind() != "" && !res.Caught() {
		// The windows are the machine's, not the traffic's: no false
		// alarms counted (the caller says why).
		fmt.Fprintf(o.Out, "%d of %d bursts detected in %d windows; chart: %s\n", res.BurstsDetected, res.Bursts, len(res.Windows), res.Chart)
		return res, nil
	}
	fmt.Fprintf(o.Out, "%d of %d bursts detected, %d false alarms in %d windows; chart: %s\n", res.BurstsDetected, res.Bursts, res.FalseAlarms, len(res.Windows), res.Chart)
	return res, nil
}

// archived delivers what the stream holds to the archive now, rather than
// at the end of its 60-second buffering, and counts the records there.
func archived(ctx context.Context, srv *server.Server, res *Result) error {
	// Bounded in real time; after a Ctrl-C too, so that the archive is
	// complete when the demo says where it is.
	flush, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	if err := srv.Deliveries.Flush(flush); err != nil {
		return fmt.Errorf("archive: %w", err)
	}
	res.ArchiveDir = filepath.Join(srv.Deliveries.Buckets().Where(Archive.Bucket()), filepath.FromSlash(Archive.Prefix))
	return filepath.WalkDir(res.ArchiveDir, func(path string, e fs.DirEntry, err error) error {
		if errors.Is(err, fs.ErrNotExist) {
			return nil // nothing archived
		}
		if err != nil || e.IsDir() || strings.HasPrefix(e.Name(), ".") {
			return err
		}
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		defer f.Close()
		zr, err := gzip.NewReader(f)
		if err != nil {
			return fmt.Errorf("archive: %s: %w", path, err)
		}
		data, err := io.ReadAll(zr)
		if err != nil {
			return fmt.Errorf("archive: %s: %w", path, err)
		}
		res.ArchiveObjects++
		res.Archived += bytes.Count(data, []byte("\n"))
		return nil
	})
}

// labSchema maps the lab's records to the application's input columns.
func labSchema() record.Schema {
	return record.Schema{
		RecordFormat: record.RecordFormat{RecordFormatType: record.JSON},
		RecordColumns: []record.RecordColumn{
			{Name: "browseraction", SqlType: "VARCHAR(16)", Mapping: "$.browseraction"},
			{Name: "site", SqlType: "VARCHAR(64)", Mapping: "$.site"},
		},
	}
}

// answering is the notifier, counting the anomalies it has answered for
// (notified, or held back by a cooldown) and noting a failure.
type answering struct {
	f      destination.Function
	ok     atomic.Int64
	failed atomic.Bool
	rows   *collector

	mu     sync.Mutex
	stamps map[string]string // by record ID: its window's end, application time
}

// stampWait bounds, in real time, how long a notification waits for its
// row to come through the tap (it is there already, as a rule).
const stampWait = 2 * time.Second

// stampAll finds each record's window among the rows of
// DESTINATION_SQL_STREAM the tap brought, in order: the first not yet
// taken with the same values (a retry keeps the window it had).
func (a *answering) stampAll(ctx context.Context, recs []destination.EventRecord) {
	wait, cancel := context.WithTimeout(ctx, stampWait)
	defer cancel()
	for _, r := range recs {
		a.mu.Lock()
		_, done := a.stamps[r.RecordID]
		a.mu.Unlock()
		if done {
			continue
		}
		var row alarm
		if json.Unmarshal(r.Data, &row) != nil {
			continue
		}
		if end, ok := a.rows.claim(wait, row); ok {
			a.mu.Lock()
			a.stamps[r.RecordID] = end.UTC().Format(time.TimeOnly) + " (application time)"
			a.mu.Unlock()
		}
	}
}

// stamp is the notifier's: a record's window end, or "" for the time of
// sending.
func (a *answering) stamp(id string) string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.stamps[id]
}

func (a *answering) Invoke(ctx context.Context, e destination.Event) (destination.Response, error) {
	a.stampAll(ctx, e.Records)
	resp, err := a.f.Invoke(ctx, e)
	if err != nil {
		a.failed.Store(true)
		return resp, err
	}
	for _, r := range resp.Records {
		if r.Result == destination.Ok {
			a.ok.Add(1)
		} else {
			a.failed.Store(true)
		}
	}
	return resp, nil
}

func (a *answering) answered() int64 { return a.ok.Load() }
func (a *answering) failing() bool   { return a.failed.Load() }

// collector keeps the windows' rows from the taps, by ROWTIME, and the
// anomalies in the order they came.
type collector struct {
	mu      sync.Mutex
	byEnd   map[int64]*Window
	flagged []alarm
	more    chan struct{} // closed (and replaced) when an anomaly comes
}

func newCollector() *collector {
	return &collector{byEnd: map[int64]*Window{}, more: make(chan struct{})}
}

// alarm is a row of DESTINATION_SQL_STREAM.
type alarm struct {
	End   time.Time `json:"ROWTIME"`
	CTR   float64   `json:"CTRPERCENT"`
	Score float64   `json:"ANOMALY_SCORE"`
	taken bool
}

// claim takes the first anomaly not taken with a row's values, waiting
// for it until ctx ends, and gives its window's end.
func (c *collector) claim(ctx context.Context, row alarm) (time.Time, bool) {
	for {
		c.mu.Lock()
		for i := range c.flagged {
			if a := &c.flagged[i]; !a.taken && a.CTR == row.CTR && a.Score == row.Score {
				a.taken = true
				c.mu.Unlock()
				return a.End, true
			}
		}
		more := c.more
		c.mu.Unlock()
		select {
		case <-more:
		case <-ctx.Done():
			return time.Time{}, false
		}
	}
}

func (c *collector) add(stream string, row []byte) {
	var r struct {
		ROWTIME       time.Time
		CTR           float64
		CTRPERCENT    float64
		ANOMALY_SCORE float64
	}
	if json.Unmarshal(row, &r) != nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	w := c.byEnd[r.ROWTIME.UnixMilli()]
	if w == nil {
		w = &Window{End: r.ROWTIME}
		c.byEnd[r.ROWTIME.UnixMilli()] = w
	}
	switch stream {
	case "CTRSTREAM":
		w.CTR = r.CTR
	case "SCORED":
		w.Score, w.Scored = r.ANOMALY_SCORE, true
	case "DESTINATION_SQL_STREAM":
		w.Flagged = true
		c.flagged = append(c.flagged, alarm{End: r.ROWTIME, CTR: r.CTRPERCENT, Score: r.ANOMALY_SCORE})
		close(c.more)
		c.more = make(chan struct{})
	}
}

func (c *collector) has(end time.Time) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	w := c.byEnd[end.UnixMilli()]
	return w != nil && w.Scored
}

// alarms counts the windows scored above the lab's threshold (its
// DESTINATION_SQL_STREAM's condition), up to the latest scored.
func (c *collector) alarms() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	var n int64
	for _, w := range c.byEnd {
		if w.Scored && w.Score > 2 {
			n++
		}
	}
	return n
}

// windows are the scenario's windows in time order, each marked when the
// scenario sent a burst in it.
func (c *collector) windows(start, end time.Time, s generator.Scenario) []Window {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []Window
	for _, w := range c.byEnd {
		if w.End.After(start) && !w.End.After(end) {
			from := w.End.Add(-10*time.Second).Sub(start) % s.Duration // the scenario repeats
			w.Burst = from >= generator.LabFirstBurst && (from-generator.LabFirstBurst)%generator.LabBurstEvery < generator.LabBurst
			out = append(out, *w)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].End.Before(out[j].End) })
	return out
}

// last is the end of the latest window scored.
func (c *collector) last() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	var last time.Time
	for _, w := range c.byEnd {
		if w.Scored && w.End.After(last) {
			last = w.End
		}
	}
	return last
}

// burstStarts are the times the lab scenario's bursts begin, round after
// round, before end.
func burstStarts(start, end time.Time, s generator.Scenario) []time.Time {
	var out []time.Time
	for round := start; round.Before(end); round = round.Add(s.Duration) {
		for k := range generator.LabBursts {
			if b := round.Add(generator.LabFirstBurst + time.Duration(k)*generator.LabBurstEvery); b.Before(end) {
				out = append(out, b)
			}
		}
	}
	return out
}
