package rig

import (
	"time"

	rigv1 "github.com/rig-dev/rig/clients/go/gen/rig/v1"
	"google.golang.org/protobuf/types/known/durationpb"
)

// SharedOptions tunes a shared container (see ContainerService.Shared).
type SharedOptions struct {
	// Reset holds commands run in the container between two leases.
	Reset [][]string
	// IdleTimeout removes the container after this long without a lease (0: 60 s).
	IdleTimeout time.Duration
	// Reuse keeps it running after rigd exits; a later rigd adopts it by its definition.
	Reuse bool
}

// Shared shares one container among the environments that name key with an identical
// definition, one at a time, reset between leases. Every ingress needs its
// ContainerPort; a shared container has no egresses.
func (c *ContainerService) Shared(key string, opts SharedOptions) *ContainerService {
	s := &rigv1.SharedContainer{Key: key, Reuse: opts.Reuse}
	for _, command := range opts.Reset {
		s.ResetCommands = append(s.ResetCommands, &rigv1.ExecHook{Command: command})
	}
	if opts.IdleTimeout > 0 {
		s.IdleTimeout = durationpb.New(opts.IdleTimeout)
	}
	c.shared = s
	return c
}
