// Command soak is issue 19's acceptance run: it starts a built riffle
// serve --auth on loopback with a fresh data directory and, for a bounded
// time, holds slow connections open against it (partial headers, bodies a
// byte at a time), sends oversized bodies without a valid signature, and
// keeps signed PutRecords flowing through the AWS SDK, measuring each
// call. It ends with a short report: the signed calls' count, errors and
// latency, what the server did with the slow connections and the
// oversized bodies, the acknowledged records read back, and the server's
// peak memory. scripts/soak builds riffle and runs it.
//
//	go run ./internal/tools/soak -riffle /tmp/riffle -duration 3m
package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/riffle-sql/riffle/internal/fdlimit"
)

// keyID is the access key the server is given; its secret is random.
const keyID = "SOAKEXAMPLEKEY"

type config struct {
	riffle       string
	duration     time.Duration
	slow         int
	slowInterval time.Duration
	oversized    int
	rate         int
	records      int
	maxConns     int
	keep         bool
}

func main() {
	var c config
	flag.StringVar(&c.riffle, "riffle", "", "the riffle binary to start (required)")
	flag.DurationVar(&c.duration, "duration", 3*time.Minute, "how long the load lasts")
	flag.IntVar(&c.slow, "slow", 1000, "slow connections held open at once")
	flag.DurationVar(&c.slowInterval, "slow-interval", 5*time.Second, "a slow connection sends one byte this often")
	flag.IntVar(&c.oversized, "oversized", 4, "oversized unsigned bodies sent at once, one after another")
	flag.IntVar(&c.rate, "rate", 20, "signed PutRecords calls per second")
	flag.IntVar(&c.records, "records", 10, "records in each signed PutRecords call")
	flag.IntVar(&c.maxConns, "max-connections", 0, "riffle serve --max-connections (0: the server's default)")
	flag.BoolVar(&c.keep, "keep", false, "keep the data directory and the server's log")
	flag.Parse()
	if c.riffle == "" || c.duration <= 0 || c.slow < 0 || c.oversized < 0 || c.rate <= 0 || c.records <= 0 || c.slowInterval <= 0 {
		flag.Usage()
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, c, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "soak:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, c config, out io.Writer) error {
	files, err := fdlimit.Raise()
	if err != nil {
		return fmt.Errorf("raising the limit on open files: %w", err)
	}
	// Each slow connection and each oversized body holds a descriptor
	// here; the SDK's connections and the rest need a few more.
	if need := uint64(c.slow + c.oversized + 200); files < need {
		return fmt.Errorf("the limit on open files is %d, the soak needs about %d: raise the hard limit (ulimit -Hn)", files, need)
	}
	dir, err := os.MkdirTemp("", "riffle-soak-")
	if err != nil {
		return err
	}
	if c.keep {
		fmt.Fprintf(out, "data and server log kept in %s\n", dir)
	} else {
		defer os.RemoveAll(dir)
	}
	secret := make([]byte, 20)
	rand.Read(secret)
	creds, err := json.Marshal(map[string]string{keyID: hex.EncodeToString(secret)})
	if err != nil {
		return err
	}
	authFile := filepath.Join(dir, "auth.json")
	if err := os.WriteFile(authFile, creds, 0o600); err != nil {
		return err
	}
	srv, err := startServer(ctx, c, dir, authFile)
	if err != nil {
		return err
	}
	defer srv.stop()
	mem := &memory{pid: srv.cmd.Process.Pid}
	samplerCtx, stopSampler := context.WithCancel(ctx)
	samplerDone := make(chan struct{})
	go func() {
		defer close(samplerDone)
		mem.sample(samplerCtx, 500*time.Millisecond)
	}()
	defer func() { stopSampler(); <-samplerDone }()

	signed, err := newSigned(ctx, srv.addr, hex.EncodeToString(secret), c.records)
	if err != nil {
		return fmt.Errorf("%w (server log: %s)", err, srv.logTail())
	}

	load, endLoad := context.WithTimeout(ctx, c.duration)
	defer endLoad()
	started := time.Now()
	slow := newTally()
	big := newTally()
	var wg sync.WaitGroup
	for i := range c.slow {
		wg.Go(func() {
			// Spread the first connections over two seconds: the listen
			// queue is not what is being soaked.
			if !sleep(load, time.Duration(i)*2*time.Second/time.Duration(max(c.slow, 1))) {
				return
			}
			slowConnection(load, srv.addr, slowKinds[i%len(slowKinds)], c.slowInterval, slow)
		})
	}
	for i := range c.oversized {
		wg.Go(func() { oversizedBodies(load, srv.addr, i, big) })
	}
	wg.Go(func() { signed.flow(load, c.rate) })
	wg.Wait()
	elapsed := time.Since(started)

	// What the load did to the server: it is still there, still
	// answering, and every record it acknowledged can be read back.
	alive := srv.running()
	readBack, readErr := signed.readBack(ctx)
	mem.read()
	fmt.Fprintf(out, "soak of %s against riffle serve --auth on %s (pid %d), %d CPUs, max connections %s\n",
		elapsed.Round(time.Second), srv.addr, srv.cmd.Process.Pid, runtime.NumCPU(), maxConnsText(c.maxConns, files))
	signed.report(out, c, readBack, readErr)
	fmt.Fprintf(out, "slow connections (%d at once, a byte every %s, reopened when closed):\n", c.slow, c.slowInterval)
	slow.report(out)
	fmt.Fprintf(out, "oversized bodies without a valid signature (%d at once, one after another):\n", c.oversized)
	big.report(out)
	fmt.Fprintf(out, "server: peak RSS (VmHWM) %s, RSS at the end %s, peak of sampled RSS %s, peak open descriptors %d\n",
		mib(mem.hwm), mib(mem.rss), mib(mem.maxRSS), mem.maxFDs)
	if !alive {
		fmt.Fprintf(out, "server: EXITED during the soak: %v; its log ends:\n%s\n", srv.exitErr(), srv.logTail())
		return errors.New("the server exited during the soak")
	}
	exit := srv.stop()
	fmt.Fprintf(out, "server: still running at the end; on SIGTERM: %s\n", exit)
	return nil
}

func maxConnsText(n int, files uint64) string {
	if n > 0 {
		return fmt.Sprint(n)
	}
	return fmt.Sprintf("the default (half the open-files limit, %d here)", min(max(files/2, 64), 16384))
}

func mib(kb int64) string {
	if kb <= 0 {
		return "unknown"
	}
	return fmt.Sprintf("%.0f MiB", float64(kb)/1024)
}

// sleep waits d or until ctx ends; it says whether ctx is still going.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// server is the riffle serve process under soak.
type server struct {
	cmd  *exec.Cmd
	addr string
	log  string
	done chan struct{}
	err  error // the process's end, once done is closed
	once sync.Once
	end  string
}

var serving = regexp.MustCompile(`riffle serving on http://(\S+)`)

func startServer(ctx context.Context, c config, dir, authFile string) (*server, error) {
	args := []string{"serve", "--auth", authFile, "--data", filepath.Join(dir, "data"), "--listen", "127.0.0.1:0"}
	if c.maxConns > 0 {
		args = append(args, "--max-connections", fmt.Sprint(c.maxConns))
	}
	s := &server{cmd: exec.Command(c.riffle, args...), log: filepath.Join(dir, "server.log"), done: make(chan struct{})}
	logFile, err := os.Create(s.log)
	if err != nil {
		return nil, err
	}
	defer logFile.Close() // the child has its own copy
	s.cmd.Stderr = logFile
	// Through a pipe of our own: Wait returns once what the server wrote
	// has been read, and then ends the reader.
	stdout, w := io.Pipe()
	s.cmd.Stdout = w
	if err := s.cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s: %w", c.riffle, err)
	}
	go func() {
		s.err = s.cmd.Wait()
		w.Close()
		close(s.done)
	}()
	addr := make(chan string, 1)
	go func() {
		// The first line says where it listens; the rest is drained so
		// the server never blocks on a full pipe.
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if m := serving.FindStringSubmatch(sc.Text()); m != nil {
				addr <- m[1]
			}
		}
		io.Copy(io.Discard, stdout) // past a line too long to scan
	}()
	select {
	case s.addr = <-addr:
		return s, nil
	case <-s.done:
		return nil, fmt.Errorf("riffle serve exited at start: %v; its log ends:\n%s", s.err, s.logTail())
	case <-time.After(time.Minute):
		s.stop()
		return nil, fmt.Errorf("riffle serve did not say where it listens within a minute; its log ends:\n%s", s.logTail())
	case <-ctx.Done():
		s.stop()
		return nil, ctx.Err()
	}
}

func (s *server) running() bool {
	select {
	case <-s.done:
		return false
	default:
		return true
	}
}

func (s *server) exitErr() error {
	<-s.done
	return s.err
}

// stop ends the server with SIGTERM (SIGKILL after 30 s) and says how it
// ended.
func (s *server) stop() string {
	s.once.Do(func() {
		if !s.running() {
			s.end = fmt.Sprintf("had exited already (%v)", s.err)
			return
		}
		s.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-s.done:
			if s.err == nil {
				s.end = "exited 0"
			} else {
				s.end = fmt.Sprintf("exited: %v", s.err)
			}
		case <-time.After(30 * time.Second):
			s.cmd.Process.Kill()
			<-s.done
			s.end = "did not exit within 30 s of SIGTERM: killed"
		}
	})
	return s.end
}

// logTail is the end of the server's log.
func (s *server) logTail() string {
	data, err := os.ReadFile(s.log)
	if err != nil {
		return err.Error()
	}
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	return strings.Join(lines[max(len(lines)-20, 0):], "\n")
}
