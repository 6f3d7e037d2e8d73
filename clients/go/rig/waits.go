package rig

import rigv1 "github.com/rig-dev/rig/clients/go/gen/rig/v1"

// WaitFor adds readiness conditions to the ingress: it is ready once its protocol check
// passes and every wait holds (add NoReadinessCheck to wait for these only). The
// ingress's ReadyTimeout covers them all.
func (i *Ingress) WaitFor(waits ...*rigv1.Wait) *Ingress {
	r := i.readiness()
	r.Waits = append(r.Waits, waits...)
	return i
}

// WaitLog waits for the times-th line of the service's output matching pattern (a
// JavaScript regular expression); times 0 means 1.
func WaitLog(pattern string, times int) *rigv1.Wait {
	return &rigv1.Wait{Condition: &rigv1.Wait_Log{Log: &rigv1.LogWait{Pattern: pattern, Times: uint32(times)}}}
}

// WaitCommand waits for command to exit 0: inside a container service, on the host (with
// the service's wiring) for other services.
func WaitCommand(command ...string) *rigv1.Wait {
	return &rigv1.Wait{Condition: &rigv1.Wait_Command{Command: &rigv1.CommandWait{Command: command}}}
}

// WaitHostCommand waits for command to exit 0 on the host, with the service's wiring.
func WaitHostCommand(command ...string) *rigv1.Wait {
	return &rigv1.Wait{Condition: &rigv1.Wait_Command{Command: &rigv1.CommandWait{Command: command, OnHost: true}}}
}

// WaitHTTP waits for GET path to answer status (0: any 2xx) with a body matching
// bodyPattern ("" : any body).
func WaitHTTP(path string, status int, bodyPattern string) *rigv1.Wait {
	return &rigv1.Wait{Condition: &rigv1.Wait_Http{Http: &rigv1.HttpWait{Path: path, Status: uint32(status), BodyPattern: bodyPattern}}}
}

// WaitHealthcheck waits for the container image's own HEALTHCHECK to report healthy.
func WaitHealthcheck() *rigv1.Wait {
	return &rigv1.Wait{Condition: &rigv1.Wait_Healthcheck{Healthcheck: &rigv1.HealthcheckWait{}}}
}
