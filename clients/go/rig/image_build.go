package rig

import rigv1 "github.com/rig-dev/rig/clients/go/gen/rig/v1"

// ImageBuild is an image rigd builds from a Dockerfile: once per content hash of the
// context (files minus .dockerignore), the Dockerfile, args and target, shared by
// concurrent environments and kept between runs as rig-build/<name>:<hash>.
type ImageBuild struct {
	context    string
	dockerfile string
	args       map[string]string
	target     string
	name       string
}

// Build declares an image built from the context directory (relative to the test's
// working directory). Run it with ContainerFromBuild.
func Build(context string) *ImageBuild {
	return &ImageBuild{context: context}
}

// Dockerfile is the Dockerfile path relative to the context (default "Dockerfile").
func (b *ImageBuild) Dockerfile(path string) *ImageBuild {
	b.dockerfile = path
	return b
}

// Arg sets a build argument (ARG).
func (b *ImageBuild) Arg(name, value string) *ImageBuild {
	if b.args == nil {
		b.args = map[string]string{}
	}
	b.args[name] = value
	return b
}

// Target is the build stage to stop at (default the last).
func (b *ImageBuild) Target(stage string) *ImageBuild {
	b.target = stage
	return b
}

// Name is the repository part of the tag rig-build/<name>:<hash> (default the context
// directory's name).
func (b *ImageBuild) Name(name string) *ImageBuild {
	b.name = name
	return b
}

// ContainerFromBuild declares a container service running the image b builds.
func ContainerFromBuild(b *ImageBuild) *ContainerService {
	c := Container("")
	c.build = b
	return c
}

func (b *ImageBuild) toProto() *rigv1.ImageBuild {
	return &rigv1.ImageBuild{Context: b.context, Dockerfile: b.dockerfile, Args: copyEnv(b.args), Target: b.target, Name: b.name}
}
