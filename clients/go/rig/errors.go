package rig

import (
	"fmt"
	"strings"

	rigv1 "github.com/rig-dev/rig/clients/go/gen/rig/v1"
)

// DownError says why an environment went down on its own: which service failed, how,
// and the last lines of its stderr (SPEC §4).
type DownError struct {
	EnvironmentID string
	// Reason is "failed", "destroyed", "ttl_expired", "orphaned" or "shutdown"; "" when
	// the SDK lost the event stream.
	Reason string
	// Service is the failed service, when Reason is "failed".
	Service    string
	Err        string
	StderrTail []string
	// Summary is rigd's one-paragraph account, naming the service, error and stderr tail.
	Summary string
	// LogPath is the human-readable log of the run, when the SDK could get it.
	LogPath string
	// Diagnosis is what `rig explain` says of the run, when the SDK could get it.
	Diagnosis string
}

func (e *DownError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "rig: environment %s went down", e.EnvironmentID)
	switch {
	case e.Summary != "":
		fmt.Fprintf(&b, ": %s", e.Summary)
	case e.Service != "":
		fmt.Fprintf(&b, ": service %s failed: %s", e.Service, e.Err)
		if len(e.StderrTail) > 0 {
			fmt.Fprintf(&b, "\nstderr:\n  %s", strings.Join(e.StderrTail, "\n  "))
		}
	case e.Err != "":
		fmt.Fprintf(&b, ": %s", e.Err)
	}
	if e.LogPath != "" {
		fmt.Fprintf(&b, "\nlog: %s", e.LogPath)
	}
	b.WriteString(explained(e.Diagnosis))
	return b.String()
}

// explained is a failure message's last part: rigd's diagnosis, as `rig explain` prints it.
func explained(diagnosis string) string {
	if diagnosis == "" {
		return ""
	}
	return "\nrig explain:\n  " + strings.ReplaceAll(diagnosis, "\n", "\n  ")
}

var downReasons = map[rigv1.DownReason]string{
	rigv1.DownReason_DOWN_REASON_DESTROYED:   "destroyed",
	rigv1.DownReason_DOWN_REASON_FAILED:      "failed",
	rigv1.DownReason_DOWN_REASON_TTL_EXPIRED: "ttl_expired",
	rigv1.DownReason_DOWN_REASON_ORPHANED:    "orphaned",
	rigv1.DownReason_DOWN_REASON_SHUTDOWN:    "shutdown",
}

func downError(id string, d *rigv1.EnvironmentDown) *DownError {
	return &DownError{
		EnvironmentID: id,
		Reason:        downReasons[d.GetReason()],
		Service:       d.GetFailedService(),
		Err:           d.GetError(),
		StderrTail:    d.GetStderrTail(),
		Summary:       d.GetSummary(),
	}
}
