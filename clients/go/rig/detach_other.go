//go:build !unix

package rig

import (
	"context"
	"errors"
	"os/exec"
)

// lockFile is not implemented off unix: set RIG_SERVER to a running rigd instead.
func lockFile(context.Context, string) (func(), error) {
	return nil, errors.New("starting rigd automatically needs a unix system; set RIG_SERVER")
}

func detach(*exec.Cmd) {}
