package rig

import (
	"time"

	rigv1 "github.com/rig-dev/rig/clients/go/gen/rig/v1"
	"google.golang.org/protobuf/types/known/durationpb"
)

// ContainerService runs a Docker container with its ports mapped to host ports. Its
// default ingress is "default", http; set the port inside the container with
// rig.HTTP().ContainerPort(80) when it is not the allocated host port.
type ContainerService struct {
	serviceBase[*ContainerService]
	image       string
	build       *ImageBuild
	shared      *rigv1.SharedContainer
	cmd         []string
	entrypoint  []string
	env         map[string]string
	stopTimeout time.Duration
}

// Container declares a container service running image (see ContainerFromBuild to build one).
func Container(image string) *ContainerService {
	c := &ContainerService{image: image}
	c.self = c
	return c
}

// Cmd replaces the image's command.
func (c *ContainerService) Cmd(cmd ...string) *ContainerService {
	c.cmd = cmd
	return c
}

// Entrypoint replaces the image's entrypoint.
func (c *ContainerService) Entrypoint(entrypoint ...string) *ContainerService {
	c.entrypoint = entrypoint
	return c
}

// Env sets an environment variable of the container (under the wiring variables).
func (c *ContainerService) Env(name, value string) *ContainerService {
	if c.env == nil {
		c.env = map[string]string{}
	}
	c.env[name] = value
	return c
}

// StopTimeout is the time between the stop signal and kill (default 5 s).
func (c *ContainerService) StopTimeout(d time.Duration) *ContainerService {
	c.stopTimeout = d
	return c
}

// InitExec runs a command inside the container once it is healthy.
func (c *ContainerService) InitExec(command ...string) *ContainerService {
	c.init = append(c.init, hookDef{exec: append([]string{}, command...)})
	return c
}

func (c *ContainerService) toProto(name string, handlers *handlerRegistry) (*rigv1.Service, error) {
	s, err := c.baseProto(name, handlers)
	if err != nil {
		return nil, err
	}
	cfg := &rigv1.ContainerConfig{Image: c.image, Cmd: c.cmd, Entrypoint: c.entrypoint, Env: copyEnv(c.env)}
	if c.build != nil {
		cfg.Build = c.build.toProto()
	}
	cfg.Shared = c.shared
	if c.stopTimeout > 0 {
		cfg.StopTimeout = durationpb.New(c.stopTimeout)
	}
	s.Config = &rigv1.Service_Container{Container: cfg}
	return s, nil
}
