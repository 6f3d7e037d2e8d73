package rig

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	rigv1 "github.com/rig-dev/rig/clients/go/gen/rig/v1"
)

// recorder collects posted batches.
type recorder struct {
	mu      sync.Mutex
	batches int
	lines   map[string][]string
	block   chan struct{}
}

func (r *recorder) post(_ context.Context, service string, lines []*rigv1.ServiceLog) error {
	if r.block != nil {
		<-r.block
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.batches++
	for _, l := range lines {
		r.lines[service] = append(r.lines[service], fmt.Sprintf("%s:%s", strings.ToLower(strings.TrimPrefix(l.GetStream().String(), "LOG_STREAM_")), l.GetLine()))
	}
	return nil
}

func TestLogShipperCutsLinesAndShipsThemInOrder(t *testing.T) {
	rec := &recorder{lines: map[string][]string{}}
	s := newLogShipper(rec.post)
	out := s.writer("fn", rigv1.LogStream_LOG_STREAM_STDOUT)
	errw := s.writer("fn", rigv1.LogStream_LOG_STREAM_STDERR)
	fmt.Fprint(out, "one\ntw")
	fmt.Fprint(out, "o\r\nthree")
	fmt.Fprint(errw, "oops\n")
	s.close(context.Background())
	fmt.Fprint(out, "after close\n")

	got := strings.Join(rec.lines["fn"], "|")
	if got != "stdout:one|stdout:two|stderr:oops|stdout:three" {
		t.Errorf("shipped %s", got)
	}
}

func TestLogShipperNeverBlocksAndCountsDrops(t *testing.T) {
	rec := &recorder{lines: map[string][]string{}, block: make(chan struct{})}
	s := newLogShipper(rec.post)
	out := s.writer("fn", rigv1.LogStream_LOG_STREAM_STDOUT)
	done := make(chan struct{})
	go func() {
		for i := 0; i < logQueueSize+logBatchSize+100; i++ {
			fmt.Fprintf(out, "line %d\n", i)
		}
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("writing blocked while rigd was slow")
	}
	close(rec.block)
	s.close(context.Background())
	last := rec.lines["fn"][len(rec.lines["fn"])-1]
	found := false
	for _, l := range rec.lines["fn"] {
		if strings.Contains(l, "log line(s) dropped") {
			found = true
		}
	}
	if !found {
		t.Errorf("no drop report; last line %q of %d", last, len(rec.lines["fn"]))
	}
}
