// Command clickstream writes a replay file of generated clickstream
// traffic, for the whole-pipeline benchmark (scripts/bench-run).
//
//	go run ./internal/tools/clickstream -n 5000000 -rate 1000 > traffic.jsonl
package main

import (
	"bufio"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/riffle-sql/riffle/replay"
)

func main() {
	n := flag.Int("n", 1000000, "records")
	rate := flag.Int("rate", 1000, "records per simulated second")
	flag.Parse()
	w := bufio.NewWriterSize(os.Stdout, 1<<20)
	start := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	if err := replay.WriteClickstream(w, *n, *rate, start); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if err := w.Flush(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
