package rig

import (
	rigv1 "github.com/rig-dev/rig/clients/go/gen/rig/v1"
)

// GoService builds a Go program from source in rigd's artifact phase and runs it on the
// host like a process. The build is cached in RIG_DIR/cache/go by a hash of the module's
// files, the build flags, the GO* variables and the Go version, and shared by
// concurrent environments; a failed build fails the environment with the compiler's
// output. Default ingress "default", http.
type GoService struct {
	programBase[*GoService]
	pkg        string
	buildFlags []string
}

// Go declares a Go program: a local package relative to the working directory
// ("./cmd/api") or a remote package at a pinned version ("example.com/x/cmd/y@v1.2.3").
func Go(pkg string, args ...string) *GoService {
	g := &GoService{pkg: pkg}
	g.args = args
	g.self = g
	return g
}

// BuildFlags adds `go build` flags ("-tags=integration", "-race").
func (g *GoService) BuildFlags(flags ...string) *GoService {
	g.buildFlags = append(g.buildFlags, flags...)
	return g
}

func (g *GoService) toProto(name string, handlers *handlerRegistry) (*rigv1.Service, error) {
	s, err := g.baseProto(name, handlers)
	if err != nil {
		return nil, err
	}
	s.Config = &rigv1.Service_Go{Go: &rigv1.GoConfig{
		Package: g.pkg, Args: g.args, Dir: g.dir, Env: copyEnv(g.env), BuildFlags: g.buildFlags, StopGrace: g.stopGraceProto(),
	}}
	return s, nil
}

// NodeService runs a Node.js script on the host: JavaScript, or TypeScript directly
// with Node's type stripping, after an optional build command that rigd skips while the
// package's files are as its last successful build left them. Default ingress
// "default", http.
type NodeService struct {
	programBase[*NodeService]
	script      string
	build       []string
	node        string
	nodeOptions []string
}

// Node declares a Node.js script ("./src/server.ts"), relative to the working directory.
func Node(script string, args ...string) *NodeService {
	n := &NodeService{script: script}
	n.args = args
	n.self = n
	return n
}

// Build sets a command run before the script starts ("npm", "run", "build").
func (n *NodeService) Build(command ...string) *NodeService {
	n.build = command
	return n
}

// NodeBinary sets the node executable (default: the node that runs rigd).
func (n *NodeService) NodeBinary(path string) *NodeService {
	n.node = path
	return n
}

// NodeOptions adds options of node before the script ("--enable-source-maps").
func (n *NodeService) NodeOptions(options ...string) *NodeService {
	n.nodeOptions = append(n.nodeOptions, options...)
	return n
}

func (n *NodeService) toProto(name string, handlers *handlerRegistry) (*rigv1.Service, error) {
	s, err := n.baseProto(name, handlers)
	if err != nil {
		return nil, err
	}
	s.Config = &rigv1.Service_Node{Node: &rigv1.NodeConfig{
		Script: n.script, Args: n.args, Dir: n.dir, Env: copyEnv(n.env), Build: n.build,
		Node: n.node, NodeOptions: n.nodeOptions, StopGrace: n.stopGraceProto(),
	}}
	return s, nil
}
