package rig

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"syscall"
	"time"

	"connectrpc.com/connect"
	rigv1 "github.com/rig-dev/rig/clients/go/gen/rig/v1"
	"github.com/rig-dev/rig/clients/go/gen/rig/v1/rigv1connect"
)

// session is the client side of one environment (SPEC §8): it keeps the event stream
// open for the environment's whole life (rigd destroys environments nobody watches),
// runs the closure named by each callback.request, answers it with PostEvent, and runs
// func services until rigd stops them.
type session struct {
	client   rigv1connect.EnvironmentServiceClient
	id       string
	handlers *handlerRegistry
	logs     *logShipper

	// streamCtx ends the event stream; liveCtx ends hooks and func services. liveCtx
	// ends first (environment.down or close), the stream last, so nothing is missed.
	streamCtx    context.Context
	stopStream   context.CancelFunc
	liveCtx      context.Context
	stopLive     context.CancelFunc
	work         sync.WaitGroup // running hooks and func services
	closeOnce    sync.Once
	upOnce       sync.Once
	downOnce     sync.Once
	up           chan struct{} // closed on environment.up
	down         chan struct{} // closed on environment.down (or a lost stream)
	watchStopped chan struct{} // closed when the stream loop returns

	mu       sync.Mutex
	lastSeq  uint64
	handled  map[string]bool               // callback request ids already taken on
	funcs    map[string]context.CancelFunc // running func services by service name
	upMsg    *rigv1.EnvironmentUp
	downMsg  *rigv1.EnvironmentDown
	stall    *rigv1.ProgressStall
	progress *upProgress // while starting; nil after
	streamEr error       // why the stream was lost, when it was
}

func newSession(client rigv1connect.EnvironmentServiceClient, id string, handlers *handlerRegistry, progress *upProgress) *session {
	s := &session{
		progress:     progress,
		client:       client,
		id:           id,
		handlers:     handlers,
		up:           make(chan struct{}),
		down:         make(chan struct{}),
		watchStopped: make(chan struct{}),
		handled:      map[string]bool{},
		funcs:        map[string]context.CancelFunc{},
	}
	s.streamCtx, s.stopStream = context.WithCancel(context.Background())
	s.liveCtx, s.stopLive = context.WithCancel(context.Background())
	s.logs = newLogShipper(postLogsTo(client, id))
	go s.watch()
	return s
}

// watch follows the event stream, resuming after the last seen event when the stream
// breaks, until environment.down or close.
func (s *session) watch() {
	defer close(s.watchStopped)
	failures, refusals := 0, 0
	for {
		err := s.follow(&failures)
		if err == nil || s.streamCtx.Err() != nil {
			return
		}
		failures++
		// A loopback rigd that refuses connections (or whose socket file is gone) has died,
		// and its watchdog stops this environment's services: say so at once instead of
		// retrying. Twice in a row, to skip a blip.
		if rigdIsGone(err) {
			refusals++
		} else {
			refusals = 0
		}
		if refusals >= 2 {
			s.lose(fmt.Errorf("rigd is gone (%w)", err))
			return
		}
		if connect.CodeOf(err) == connect.CodeNotFound || failures > 5 {
			s.lose(err)
			return
		}
		wait := time.Duration(failures) * 200 * time.Millisecond
		if refusals > 0 {
			wait = 50 * time.Millisecond
		}
		select {
		case <-s.streamCtx.Done():
			return
		case <-time.After(wait):
		}
	}
}

// rigdIsGone: nothing listens where rigd was (connection refused, or no socket file).
func rigdIsGone(err error) bool {
	if connect.CodeOf(err) != connect.CodeUnavailable {
		return false
	}
	return errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ENOENT) ||
		strings.Contains(err.Error(), "connection refused") || strings.Contains(err.Error(), "no such file or directory")
}

// follow reads one stream; nil means environment.down was seen.
func (s *session) follow(failures *int) error {
	s.mu.Lock()
	after := s.lastSeq
	s.mu.Unlock()
	// No traffic: the session needs lifecycle and callbacks, and a test under load would
	// otherwise pay (in rigd and here) for every proxied request.
	stream, err := s.client.WatchEvents(s.streamCtx, connect.NewRequest(&rigv1.WatchEventsRequest{EnvironmentId: s.id, AfterSeq: after, ExcludeTraffic: true}))
	if err != nil {
		return err
	}
	defer stream.Close()
	for stream.Receive() {
		*failures = 0
		if s.handle(stream.Msg().GetEvent()) {
			return nil
		}
	}
	if err := stream.Err(); err != nil {
		return err
	}
	return errors.New("event stream ended before environment.down")
}

// handle records one event and acts on it; true means environment.down.
func (s *session) handle(ev *rigv1.Event) bool {
	s.mu.Lock()
	if ev.GetSeq() <= s.lastSeq {
		s.mu.Unlock()
		return false // replayed after a reconnect
	}
	s.lastSeq = ev.GetSeq()
	s.mu.Unlock()
	s.progress.observe(ev)

	switch p := ev.GetPayload().(type) {
	case *rigv1.Event_CallbackRequest:
		s.dispatch(p.CallbackRequest)
	case *rigv1.Event_ServiceStopping:
		s.stopFunc(ev.GetService())
	case *rigv1.Event_ProgressStall:
		s.mu.Lock()
		s.stall = p.ProgressStall
		s.mu.Unlock()
	case *rigv1.Event_EnvironmentUp:
		s.mu.Lock()
		s.upMsg = p.EnvironmentUp
		s.mu.Unlock()
		s.upOnce.Do(func() { close(s.up) })
	case *rigv1.Event_EnvironmentDown:
		s.markDown(p.EnvironmentDown, nil)
		return true
	}
	return false
}

// lose ends the session when the stream cannot be resumed (rigd gone).
func (s *session) lose(err error) {
	s.mu.Lock()
	wasUp := s.upMsg != nil
	s.mu.Unlock()
	// Said at once, not at teardown: a test still running against this environment is
	// talking to services that stop with their rigd.
	if wasUp && os.Getenv("RIG_QUIET") == "" {
		fmt.Fprintf(os.Stderr, "rig: lost rigd while environment %s was up: %v; its services are stopped with rigd, so this test's environment is gone\n", s.id, err)
	}
	s.markDown(&rigv1.EnvironmentDown{
		Summary: fmt.Sprintf("lost the event stream of environment %s: %v", s.id, err),
		Error:   err.Error(),
	}, err)
}

func (s *session) markDown(down *rigv1.EnvironmentDown, streamErr error) {
	s.mu.Lock()
	s.downMsg = down
	s.streamEr = streamErr
	s.mu.Unlock()
	s.stopLive()
	s.downOnce.Do(func() { close(s.down) })
}

// dispatch takes on one callback request, once, and answers it.
func (s *session) dispatch(req *rigv1.CallbackRequest) {
	s.mu.Lock()
	if s.handled[req.GetRequestId()] {
		s.mu.Unlock()
		return
	}
	s.handled[req.GetRequestId()] = true
	s.mu.Unlock()

	switch req.GetKind() {
	case rigv1.CallbackKind_CALLBACK_KIND_HOOK:
		fn, ok := s.handlers.hooks[req.GetName()]
		if !ok {
			s.answer(req, s.unknownHandler(req))
			return
		}
		s.work.Add(1)
		go func() {
			defer s.work.Done()
			err := runHook(s.liveCtx, fn, HookContext{Service: req.GetService(), Phase: req.GetPhase(), Wiring: wiringFromProto(req.GetWiring())})
			s.answer(req, err)
		}()
	case rigv1.CallbackKind_CALLBACK_KIND_START:
		serve, ok := s.handlers.starts[req.GetName()]
		if !ok {
			s.answer(req, s.unknownHandler(req))
			return
		}
		s.start(req, serve)
	default:
		s.answer(req, fmt.Errorf("unknown callback kind %v", req.GetKind()))
	}
}

func (s *session) unknownHandler(req *rigv1.CallbackRequest) error {
	return fmt.Errorf("no handler %q in this client (it has %v)", req.GetName(), s.handlers.names())
}

// start answers a start callback at once, then runs the func service until rigd stops
// it; a failure before that is reported as service_error (SPEC §8).
func (s *session) start(req *rigv1.CallbackRequest, serve FuncServe) {
	service := req.GetService()
	ctx, cancel := context.WithCancel(s.liveCtx)
	s.mu.Lock()
	if old := s.funcs[service]; old != nil {
		old()
	}
	s.funcs[service] = cancel
	s.mu.Unlock()
	s.answer(req, nil)

	fc := FuncContext{
		Service: service,
		Wiring:  wiringFromProto(req.GetWiring()),
		Stdout:  s.logs.writer(service, rigv1.LogStream_LOG_STREAM_STDOUT),
		Stderr:  s.logs.writer(service, rigv1.LogStream_LOG_STREAM_STDERR),
	}
	s.work.Add(1)
	go func() {
		defer s.work.Done()
		err := runServe(ctx, serve, fc)
		if err == nil || ctx.Err() != nil {
			return // returned to keep running in the background, or stopped: both fine
		}
		s.post(service, &rigv1.PostEventRequest{Event: &rigv1.PostEventRequest_ServiceError{ServiceError: &rigv1.ServiceError{Error: err.Error()}}})
	}()
}

func (s *session) stopFunc(service string) {
	s.mu.Lock()
	cancel := s.funcs[service]
	s.mu.Unlock()
	if cancel != nil {
		cancel()
	}
}

// answer posts callback_response; an empty error means success.
func (s *session) answer(req *rigv1.CallbackRequest, err error) {
	msg := ""
	if err != nil {
		msg = err.Error()
		if msg == "" {
			msg = "failed"
		}
	}
	s.post(req.GetService(), &rigv1.PostEventRequest{Event: &rigv1.PostEventRequest_CallbackResponse{
		CallbackResponse: &rigv1.CallbackResponse{RequestId: req.GetRequestId(), Error: msg},
	}})
}

// post sends a client event; a failure means rigd or the environment is gone, which
// the event stream reports on its own.
func (s *session) post(service string, req *rigv1.PostEventRequest) {
	req.EnvironmentId, req.Service = s.id, service
	ctx, cancel := context.WithTimeout(s.streamCtx, 10*time.Second)
	defer cancel()
	_, _ = s.client.PostEvent(ctx, connect.NewRequest(req))
}

// close stops hooks and func services, ships their remaining output and ends the
// stream. Closures that ignore their context are waited for at most until ctx ends.
func (s *session) close(ctx context.Context) {
	s.closeOnce.Do(func() {
		s.stopLive()
		idle := make(chan struct{})
		go func() { s.work.Wait(); close(idle) }()
		select {
		case <-idle:
		case <-ctx.Done():
		}
		s.logs.close(ctx)
		s.stopStream()
		<-s.watchStopped
	})
}

// snapshot returns what the stream has delivered so far.
func (s *session) snapshot() (up *rigv1.EnvironmentUp, down *rigv1.EnvironmentDown, stall *rigv1.ProgressStall) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.upMsg, s.downMsg, s.stall
}

func runHook(ctx context.Context, fn HookFunc, h HookContext) (err error) {
	defer recoverInto(&err)
	return fn(ctx, h)
}

func runServe(ctx context.Context, serve FuncServe, f FuncContext) (err error) {
	defer recoverInto(&err)
	return serve(ctx, f)
}

// recoverInto turns a panic in a closure into its error, so it fails the service with
// a message instead of crashing the test binary.
func recoverInto(err *error) {
	if r := recover(); r != nil {
		*err = fmt.Errorf("panic: %v", r)
	}
}
