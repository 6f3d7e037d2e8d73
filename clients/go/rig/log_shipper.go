package rig

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"connectrpc.com/connect"
	rigv1 "github.com/rig-dev/rig/clients/go/gen/rig/v1"
)

// postLogs sends one batch of one service's lines to rigd.
type postLogs func(ctx context.Context, service string, lines []*rigv1.ServiceLog) error

// logShipper ships the output of func services to rigd as service_logs events:
// line-buffered per stream, batched, through a bounded queue. Writing never blocks; when
// rigd cannot keep up, lines beyond the bound are dropped and the drop is reported.
type logShipper struct {
	post    postLogs
	queue   chan logLine
	kick    chan struct{} // asks the collector to send what it has now
	pending atomic.Int64  // lines queued or being sent
	dropped atomic.Int64
	done    chan struct{}
	closed  sync.Once
	mu      sync.Mutex // guards writers and closing
	writers []*lineWriter
	closing bool
}

type logLine struct {
	service string
	line    *rigv1.ServiceLog
}

const (
	logQueueSize  = 10_000
	logBatchSize  = 500
	logFlushDelay = 50 * time.Millisecond
	maxLineLength = 64 * 1024
)

func newLogShipper(post postLogs) *logShipper {
	s := &logShipper{post: post, queue: make(chan logLine, logQueueSize), kick: make(chan struct{}, 1), done: make(chan struct{})}
	go s.run()
	return s
}

// writer is an io.Writer for one stream of one service.
func (s *logShipper) writer(service string, stream rigv1.LogStream) io.Writer {
	w := &lineWriter{shipper: s, service: service, stream: stream}
	s.mu.Lock()
	s.writers = append(s.writers, w)
	s.mu.Unlock()
	return w
}

func (s *logShipper) enqueue(service string, stream rigv1.LogStream, line string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closing {
		return
	}
	s.pending.Add(1)
	select {
	case s.queue <- logLine{service: service, line: &rigv1.ServiceLog{Stream: stream, Line: line}}:
	default:
		s.pending.Add(-1)
		s.dropped.Add(1)
	}
}

// run batches queued lines and posts them, one PostEvent per service per batch.
func (s *logShipper) run() {
	defer close(s.done)
	for first := range s.queue {
		batch := []logLine{first}
		timer := time.NewTimer(logFlushDelay)
	collect:
		for len(batch) < logBatchSize {
			select {
			case l, ok := <-s.queue:
				if !ok {
					break collect
				}
				batch = append(batch, l)
			case <-timer.C:
				break collect
			case <-s.kick:
				break collect
			}
		}
		timer.Stop()
		s.send(batch)
		s.pending.Add(-int64(len(batch)))
	}
}

func (s *logShipper) send(batch []logLine) {
	byService := map[string][]*rigv1.ServiceLog{}
	var order []string
	for _, l := range batch {
		if _, ok := byService[l.service]; !ok {
			order = append(order, l.service)
		}
		byService[l.service] = append(byService[l.service], l.line)
	}
	if n := s.dropped.Swap(0); n > 0 && len(order) > 0 {
		byService[order[0]] = append(byService[order[0]], &rigv1.ServiceLog{
			Stream: rigv1.LogStream_LOG_STREAM_STDERR,
			Line:   fmt.Sprintf("[rig] %d log line(s) dropped: output faster than rigd accepts it", n),
		})
	}
	for _, service := range order {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		// A lost batch is not worth failing the service for.
		_ = s.post(ctx, service, byService[service])
		cancel()
	}
}

// flush sends partial lines and everything queued, and waits until it is sent (or
// lost) or ctx ends.
func (s *logShipper) flush(ctx context.Context) {
	s.mu.Lock()
	writers := s.writers
	s.mu.Unlock()
	for _, w := range writers {
		w.flush()
	}
	for s.pending.Load() > 0 {
		select {
		case s.kick <- struct{}{}:
		default:
		}
		select {
		case <-ctx.Done():
			return
		case <-s.done:
			return
		case <-time.After(5 * time.Millisecond):
		}
	}
}

// close flushes, then stops; later writes are ignored.
func (s *logShipper) close(ctx context.Context) {
	s.closed.Do(func() {
		s.flush(ctx)
		s.mu.Lock()
		s.closing = true
		close(s.queue)
		s.mu.Unlock()
	})
	select {
	case <-s.done:
	case <-ctx.Done():
	}
}

// lineWriter cuts one stream into lines.
type lineWriter struct {
	shipper *logShipper
	service string
	stream  rigv1.LogStream
	mu      sync.Mutex
	partial []byte
}

func (w *lineWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.partial = append(w.partial, p...)
	for {
		i := bytes.IndexByte(w.partial, '\n')
		if i < 0 {
			break
		}
		w.shipper.enqueue(w.service, w.stream, string(bytes.TrimSuffix(w.partial[:i], []byte("\r"))))
		w.partial = w.partial[i+1:]
	}
	for len(w.partial) > maxLineLength {
		w.shipper.enqueue(w.service, w.stream, string(w.partial[:maxLineLength]))
		w.partial = w.partial[maxLineLength:]
	}
	return len(p), nil
}

func (w *lineWriter) flush() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.partial) > 0 {
		w.shipper.enqueue(w.service, w.stream, string(w.partial))
		w.partial = nil
	}
}

// postLogsTo posts service_logs events through the API client.
func postLogsTo(client interface {
	PostEvent(context.Context, *connect.Request[rigv1.PostEventRequest]) (*connect.Response[rigv1.PostEventResponse], error)
}, environmentID string) postLogs {
	return func(ctx context.Context, service string, lines []*rigv1.ServiceLog) error {
		_, err := client.PostEvent(ctx, connect.NewRequest(&rigv1.PostEventRequest{
			EnvironmentId: environmentID,
			Service:       service,
			Event:         &rigv1.PostEventRequest_ServiceLogs{ServiceLogs: &rigv1.ServiceLogBatch{Lines: lines}},
		}))
		return err
	}
}
