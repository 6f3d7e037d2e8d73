package rig

// Resource locks across test processes and languages, served by rigd's LockService:
//
//	db := rig.Resource("user-db", rig.ResourceOptions{MaxParallelism: 2, Init: migrate})
//	l, err := db.Lock(ctx, rig.ForTest(t))   // exclusive; released at t's end
//	s, err := db.RLock(ctx)                  // shared, up to MaxParallelism holders
//	defer s.Unlock()
//	both, err := rig.LockAll(ctx, []*rig.SharedResource{db, cache})
//
// A lock is held while its stream to rigd is open: Unlock ends it, and so does the
// process dying. If rigd goes away while a lock is held, Lost is closed and Err says
// why: never silently. A Lock still waiting when rigd goes away asks the next rigd (found
// or started as usual, the resource declared again) instead of failing.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"connectrpc.com/connect"
	rigv1 "github.com/rig-dev/rig/clients/go/gen/rig/v1"
	"github.com/rig-dev/rig/clients/go/gen/rig/v1/rigv1connect"
)

// ResourceOptions say how a resource is declared and which rigd serves its locks.
type ResourceOptions struct {
	// MaxParallelism is how many shared holders at once (0: rigd's default, 5); the
	// first declaration in rigd wins.
	MaxParallelism int
	// Init runs once across every process that declares the resource; the others wait
	// for it. A failed init is handed to the next declarer.
	Init func(ctx context.Context) error
	// InitKey remembers init success under this key across rigd restarts (default: for
	// rigd's life).
	InitKey string
	// Server and Token name a rigd instead of finding or starting one (see [Server]).
	Server string
	Token  string
	// Rigd says how rigd is found or started (see [FindOrStartRigd]).
	Rigd RigdOptions
}

// SharedResource is a named resource shared by test processes (a database, a port, a
// device), declared and initialized once. Make one with [Resource].
type SharedResource struct {
	name string
	opts ResourceOptions

	mu       sync.Mutex
	declared bool
	client   rigv1connect.LockServiceClient
}

// Resource names a resource; nothing is sent to rigd until the first lock.
func Resource(name string, opts ResourceOptions) *SharedResource {
	return &SharedResource{name: name, opts: opts}
}

// Name is the resource's name.
func (r *SharedResource) Name() string { return r.name }

// LockOption adjusts how a lock is taken.
type LockOption func(*lockSettings)

type lockSettings struct {
	tb     testing.TB
	shared bool
}

// ForTest records t's name as the holder and releases the lock when t ends (t.Cleanup).
func ForTest(t testing.TB) LockOption { return func(s *lockSettings) { s.tb = t } }

// SharedMode makes [LockAll] take shared locks instead of exclusive ones.
func SharedMode() LockOption { return func(s *lockSettings) { s.shared = true } }

// ErrLockLost is wrapped by the error of a lock lost while held (rigd went away).
var ErrLockLost = errors.New("rig: lock lost")

// Declare declares the resource in rigd and runs or waits for its init; Lock does it
// first. A failed declare (the init failed here) is tried again by the next call.
func (r *SharedResource) Declare(ctx context.Context) error {
	_, err := r.declare(ctx, callerLocation())
	return err
}

func (r *SharedResource) declare(ctx context.Context, location string) (rigv1connect.LockServiceClient, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.declared {
		return r.client, nil
	}
	if r.client == nil {
		client, err := lockClient(ctx, r.opts)
		if err != nil {
			return nil, err
		}
		r.client = client
	}
	if err := declareResource(ctx, r.client, r.name, r.opts, location); err != nil {
		return r.client, err
	}
	r.declared = true
	return r.client, nil
}

// Lock takes an exclusive lock: nobody else holds the resource until Unlock. It waits
// (FIFO) until then, or until ctx ends.
func (r *SharedResource) Lock(ctx context.Context, opts ...LockOption) (*HeldLock, error) {
	return acquireLock(ctx, []*SharedResource{r}, rigv1.LockMode_LOCK_MODE_EXCLUSIVE, opts, callerLocation())
}

// RLock takes a shared lock, together with up to MaxParallelism-1 other holders.
func (r *SharedResource) RLock(ctx context.Context, opts ...LockOption) (*HeldLock, error) {
	return acquireLock(ctx, []*SharedResource{r}, rigv1.LockMode_LOCK_MODE_SHARED, opts, callerLocation())
}

// Unlock releases every lock this process holds on the resource.
func (r *SharedResource) Unlock() error {
	var errs []error
	for _, l := range heldLocksOn(r.name) {
		errs = append(errs, l.Unlock())
	}
	return errors.Join(errs...)
}

// LockAll locks several resources at once, atomically (exclusive unless [SharedMode]):
// {a, b} and {b, a} from two processes never deadlock.
func LockAll(ctx context.Context, resources []*SharedResource, opts ...LockOption) (*HeldLock, error) {
	if len(resources) == 0 {
		return nil, errors.New("rig.LockAll: no resources")
	}
	var s lockSettings
	for _, o := range opts {
		o(&s)
	}
	mode := rigv1.LockMode_LOCK_MODE_EXCLUSIVE
	if s.shared {
		mode = rigv1.LockMode_LOCK_MODE_SHARED
	}
	return acquireLock(ctx, resources, mode, opts, callerLocation())
}

// HeldLock is a held lock on one or more resources.
type HeldLock struct {
	id        string
	resources []string
	shared    bool
	stream    *connect.BidiStreamForClient[rigv1.AcquireRequest, rigv1.AcquireResponse]
	cancel    context.CancelFunc
	client    rigv1connect.LockServiceClient

	mu       sync.Mutex
	released bool
	lostErr  error
	lost     chan struct{} // closed when the lock is lost while held
	ended    chan struct{} // closed when the stream's responses end
}

// ID is rigd's id of the lock (rig locks ps).
func (l *HeldLock) ID() string { return l.id }

// Resources are the locked resources.
func (l *HeldLock) Resources() []string { return append([]string(nil), l.resources...) }

// Shared reports whether the lock is shared.
func (l *HeldLock) Shared() bool { return l.shared }

// Lost is closed when the lock is lost while held (rigd went away); Err says why.
func (l *HeldLock) Lost() <-chan struct{} { return l.lost }

// Err is why the lock was lost (wrapping [ErrLockLost]), nil while held or after Unlock.
func (l *HeldLock) Err() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.lostErr
}

// Held reports whether the lock is still held: not released, not lost.
func (l *HeldLock) Held() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return !l.released && l.lostErr == nil
}

// watch reads the stream after acquired: anything but our own release means the lock
// is lost.
func (l *HeldLock) watch() {
	defer close(l.ended)
	for {
		msg, err := l.stream.Receive()
		l.mu.Lock()
		released := l.released
		l.mu.Unlock()
		if err == nil && msg.GetReleased() != nil && released {
			continue // read on to the end of the stream
		}
		if err != nil && released {
			return
		}
		var why string
		switch {
		case errors.Is(err, io.EOF):
			why = "rigd ended the stream"
		case rigdWentAway(context.Background(), l.client, err):
			why = "rigd went away (killed or stopped; the lock is gone with it, take it again): " + err.Error()
		case err != nil:
			why = err.Error()
		default:
			why = fmt.Sprintf("rigd ended the stream (%T)", msg.GetKind())
		}
		l.markLost(fmt.Errorf("%w on %s: %s", ErrLockLost, strings.Join(l.resources, ", "), why))
		if err != nil {
			return
		}
	}
}

func (l *HeldLock) markLost(err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.lostErr != nil || l.released {
		return
	}
	l.lostErr = err
	close(l.lost)
	forgetLock(l)
}

// Unlock releases the lock (idempotent) and returns once rigd has let it go. It returns
// the loss error when the lock was lost while held.
func (l *HeldLock) Unlock() error {
	l.mu.Lock()
	if l.lostErr != nil {
		l.mu.Unlock()
		l.cancel()
		return l.lostErr
	}
	if l.released {
		l.mu.Unlock()
		return nil
	}
	l.released = true
	l.mu.Unlock()
	forgetLock(l)
	_ = l.stream.Send(&rigv1.AcquireRequest{Kind: &rigv1.AcquireRequest_Release{Release: &rigv1.ReleaseRequest{}}})
	_ = l.stream.CloseRequest()
	select {
	case <-l.ended:
	case <-time.After(5 * time.Second):
		// Cancelling the stream releases the lock as well.
	}
	l.cancel()
	_ = l.stream.CloseResponse()
	return nil
}

var (
	heldMu sync.Mutex
	held   = map[*HeldLock]struct{}{}
)

func forgetLock(l *HeldLock) {
	heldMu.Lock()
	delete(held, l)
	heldMu.Unlock()
}

func heldLocksOn(name string) []*HeldLock {
	heldMu.Lock()
	defer heldMu.Unlock()
	var out []*HeldLock
	for l := range held {
		for _, r := range l.resources {
			if r == name {
				out = append(out, l)
				break
			}
		}
	}
	return out
}

// forget drops the declaration made with client (its rigd went away): the next lock
// finds the current rigd and declares the resource there.
func (r *SharedResource) forget(client rigv1connect.LockServiceClient) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.client == client {
		r.client, r.declared = nil, false
	}
}

// rigdReconnects is how many times a waiting lock goes to the next rigd after the one
// it waited in went away, and rigdReconnectPause the pause before each try.
const (
	rigdReconnects     = 5
	rigdReconnectPause = 200 * time.Millisecond
)

// errStreamEnded is a lock request that rigd ended before granting it (rigd stopping).
var errStreamEnded = errors.New("rigd ended the lock request")

// rigdWentAway reports whether a lock call to client failed because its rigd is gone
// (killed, stopping, unreachable) rather than because it refused the call. A dropped
// connection surfaces under several codes, so anything but a refusal is checked by
// asking rigd's health service.
func rigdWentAway(ctx context.Context, client rigv1connect.LockServiceClient, err error) bool {
	if errors.Is(err, errStreamEnded) || connect.CodeOf(err) == connect.CodeUnavailable {
		return true
	}
	var ce *connect.Error
	if !errors.As(err, &ce) {
		return false
	}
	lockClientsMu.Lock()
	addr, known := lockClientAddrs[client]
	lockClientsMu.Unlock()
	return known && probeRigd(ctx, addr) != nil
}

func acquireLock(ctx context.Context, resources []*SharedResource, mode rigv1.LockMode, opts []LockOption, location string) (*HeldLock, error) {
	for attempt := 1; ; attempt++ {
		l, client, err := tryAcquire(ctx, resources, mode, opts, location)
		if err == nil || ctx.Err() != nil || attempt > rigdReconnects || !rigdWentAway(ctx, client, err) {
			return l, err
		}
		for _, r := range resources {
			r.forget(client)
		}
		select {
		case <-ctx.Done():
			return nil, err
		case <-time.After(rigdReconnectPause * time.Duration(attempt)):
		}
	}
}

// tryAcquire asks one rigd for the lock; it also returns the client it asked, so a
// caller whose rigd went away can forget it.
func tryAcquire(ctx context.Context, resources []*SharedResource, mode rigv1.LockMode, opts []LockOption, location string) (*HeldLock, rigv1connect.LockServiceClient, error) {
	var s lockSettings
	for _, o := range opts {
		o(&s)
	}
	var client rigv1connect.LockServiceClient
	names := make([]string, len(resources))
	for i, r := range resources {
		c, err := r.declare(ctx, location)
		if err != nil {
			return nil, c, err
		}
		if client == nil {
			client = c
		}
		names[i] = r.name
	}
	testName := ""
	if s.tb != nil {
		testName = s.tb.Name()
	}
	// The stream lives as long as the lock, not as long as ctx: ctx only bounds the wait.
	streamCtx, cancel := context.WithCancel(context.Background())
	stream := client.Acquire(streamCtx)
	// Cancelling alone does not end a bidi call whose request side is open (the HTTP/2
	// transport notices the context only once the request body ends): close it too.
	abort := func() {
		cancel()
		_ = stream.CloseRequest()
	}
	stopWatchingCtx := func() bool { return true }
	fail := func(err error) (*HeldLock, rigv1connect.LockServiceClient, error) {
		stopWatchingCtx()
		abort()
		_ = stream.CloseResponse()
		if ctx.Err() != nil {
			return nil, client, fmt.Errorf("rig: waiting for a lock on %s: %w", strings.Join(names, ", "), ctx.Err())
		}
		return nil, client, fmt.Errorf("rig: locking %s: %w", strings.Join(names, ", "), err)
	}
	err := stream.Send(&rigv1.AcquireRequest{Kind: &rigv1.AcquireRequest_Lock{Lock: &rigv1.LockRequest{
		Resources: names,
		Mode:      mode,
		Holder:    holder(testName, location),
	}}})
	if err != nil && !errors.Is(err, io.EOF) {
		return fail(err)
	}
	stopWatchingCtx = context.AfterFunc(ctx, abort)
	for {
		msg, err := stream.Receive()
		if err != nil {
			if errors.Is(err, io.EOF) {
				err = errStreamEnded
			}
			return fail(err)
		}
		acquired := msg.GetAcquired()
		if acquired == nil {
			continue
		}
		if !stopWatchingCtx() {
			// ctx ended as the lock was granted: the stream is cancelled, so is the lock.
			return fail(ctx.Err())
		}
		l := &HeldLock{
			id:        acquired.GetLockId(),
			resources: names,
			shared:    mode == rigv1.LockMode_LOCK_MODE_SHARED,
			stream:    stream,
			cancel:    cancel,
			client:    client,
			lost:      make(chan struct{}),
			ended:     make(chan struct{}),
		}
		heldMu.Lock()
		held[l] = struct{}{}
		heldMu.Unlock()
		go l.watch()
		if s.tb != nil {
			s.tb.Cleanup(func() { _ = l.Unlock() })
		}
		return l, client, nil
	}
}

func declareResource(ctx context.Context, client rigv1connect.LockServiceClient, name string, opts ResourceOptions, location string) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stream := client.Declare(ctx)
	defer func() { _ = stream.CloseResponse() }()
	err := stream.Send(&rigv1.DeclareRequest{Kind: &rigv1.DeclareRequest_Declare{Declare: &rigv1.DeclareResource{
		Resource:       name,
		MaxParallelism: int32(opts.MaxParallelism),
		HasInit:        opts.Init != nil,
		InitKey:        opts.InitKey,
		Holder:         holder("", location),
	}}})
	if err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("rig: declaring %s: %w", name, err)
	}
	for {
		msg, err := stream.Receive()
		if err != nil {
			if errors.Is(err, io.EOF) {
				err = errors.New("rigd ended the stream before ready")
			}
			return fmt.Errorf("rig: declaring %s: %w", name, err)
		}
		switch {
		case msg.GetRunInit() != nil:
			initErr := runInit(ctx, opts.Init)
			msgErr := ""
			if initErr != nil {
				msgErr = initErr.Error()
				if msgErr == "" {
					msgErr = "init failed"
				}
			}
			if err := stream.Send(&rigv1.DeclareRequest{Kind: &rigv1.DeclareRequest_InitDone{InitDone: &rigv1.InitDone{Error: msgErr}}}); err != nil && !errors.Is(err, io.EOF) {
				return fmt.Errorf("rig: declaring %s: %w", name, err)
			}
			if initErr != nil {
				_ = stream.CloseRequest()
				return fmt.Errorf("rig: init of %s failed: %w", name, initErr)
			}
		case msg.GetReady() != nil:
			_ = stream.CloseRequest()
			return nil
		}
	}
}

// runInit runs init, turning a panic into an error (rigd hands the init to the next
// waiter either way).
func runInit(ctx context.Context, init func(context.Context) error) (err error) {
	if init == nil {
		return errors.New("rigd asked for an init this declarer does not have")
	}
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("init panicked: %v", p)
		}
	}()
	return init(ctx)
}

func holder(testName, location string) *rigv1.Holder {
	return &rigv1.Holder{TestName: testName, Pid: int32(os.Getpid()), Language: "go", Location: location}
}

// lockClient is a LockService client of the rigd the options name (found or started
// like for environments), one per rigd address in this process.
func lockClient(ctx context.Context, opts ResourceOptions) (rigv1connect.LockServiceClient, error) {
	var rigd Rigd
	var err error
	if opts.Server != "" {
		rigd, err = explicitRigd(ctx, opts.Server, opts.Token, "ResourceOptions.Server", opts.Rigd)
	} else {
		rigd, err = FindOrStartRigd(ctx, opts.Rigd)
	}
	if err != nil {
		return nil, err
	}
	lockClientsMu.Lock()
	defer lockClientsMu.Unlock()
	key := rigd.Addr + "\x00" + rigd.Token
	if c, ok := lockClients[key]; ok {
		return c, nil
	}
	httpClient := &http.Client{Transport: bearer{token: rigd.Token, next: newH2CTransport(rigd.Addr)}}
	c := rigv1connect.NewLockServiceClient(httpClient, baseURL(rigd.Addr), connect.WithGRPC())
	lockClients[key] = c
	lockClientAddrs[c] = rigd.Addr
	return c, nil
}

var (
	lockClientsMu sync.Mutex
	lockClients   = map[string]rigv1connect.LockServiceClient{}
	// lockClientAddrs is the rigd address of each client, to check on it after a failure.
	lockClientAddrs = map[rigv1connect.LockServiceClient]string{}
)

// callerLocation is file:line of the first caller outside this file.
func callerLocation() string {
	pcs := make([]uintptr, 16)
	n := runtime.Callers(2, pcs)
	frames := runtime.CallersFrames(pcs[:n])
	for {
		f, more := frames.Next()
		if !strings.HasSuffix(f.File, "/clients/go/rig/locks.go") && f.File != "" {
			return fmt.Sprintf("%s:%d", f.File, f.Line)
		}
		if !more {
			return ""
		}
	}
}
