package rig

import "time"

// Option adjusts how an environment is created.
type Option func(*settings)

// settings is everything an Option can set, with the defaults filled by defaultSettings.
type settings struct {
	name            string
	observe         bool
	dir             string
	startupTimeout  time.Duration
	ttl             time.Duration
	orphanGrace     time.Duration
	callbackTimeout time.Duration
	stallTimeout    time.Duration
	server          string
	token           string
	rigd            RigdOptions
	// testName is the test the environment is for (a label inside a suite run).
	testName string
}

// DefaultStartupTimeout is how long Up and Start wait for environment.up.
const DefaultStartupTimeout = 2 * time.Minute

func defaultSettings() settings {
	return settings{observe: true, startupTimeout: DefaultStartupTimeout}
}

// Name names the environment (letters, digits, '.', '-', '_'); it prefixes the instance
// id and appears in logs. Up defaults it to the test's name.
func Name(name string) Option { return func(s *settings) { s.name = name } }

// Observe turns the recording proxies on every edge on or off (default on): with it on,
// every HTTP request, gRPC call and TCP connection between services is an event.
func Observe(on bool) Option { return func(s *settings) { s.observe = on } }

// Dir is the working directory process services default to (default: the test's).
func Dir(dir string) Option { return func(s *settings) { s.dir = dir } }

// StartupTimeout bounds the wait for environment.up (default 2 minutes).
func StartupTimeout(d time.Duration) Option { return func(s *settings) { s.startupTimeout = d } }

// TTL destroys the environment this long after creation whatever happens.
func TTL(d time.Duration) Option { return func(s *settings) { s.ttl = d } }

// OrphanGrace is how long the environment survives without a watching client (default
// 30 s on the server).
func OrphanGrace(d time.Duration) Option { return func(s *settings) { s.orphanGrace = d } }

// CallbackTimeout is how long rigd waits for a hook or start callback (default 30 s).
func CallbackTimeout(d time.Duration) Option { return func(s *settings) { s.callbackTimeout = d } }

// StallTimeout is how long start-up may go without progress before rigd reports a
// progress.stall (default 30 s).
func StallTimeout(d time.Duration) Option { return func(s *settings) { s.stallTimeout = d } }

// Server uses the rigd at addr ("127.0.0.1:PORT" or "unix:/path") instead of finding or
// starting one. Its token comes from [Token], else RIG_TOKEN, else RIG_DIR's token file
// when RIG_DIR's addr file names addr.
func Server(addr string) Option { return func(s *settings) { s.server = addr } }

// Token is the token of the rigd named by [Server] (the content of the
// rigd-<version>.token file rigd writes beside its addr file).
func Token(token string) Option { return func(s *settings) { s.token = token } }

// WithRigd sets how rigd is found or started (see [FindOrStartRigd]).
func WithRigd(o RigdOptions) Option { return func(s *settings) { s.rigd = o } }
