package rig

import (
	"testing"

	rigv1 "github.com/rig-dev/rig/clients/go/gen/rig/v1"
)

func TestContainerFromBuildSendsTheBuild(t *testing.T) {
	spec, _, err := buildSpec(Services{
		"api": ContainerFromBuild(Build("./images/api").Dockerfile("Dockerfile.test").Arg("V", "1").Target("runtime")),
	}, defaultSettings())
	if err != nil {
		t.Fatal(err)
	}
	c := spec.GetServices()[0].GetContainer()
	b := c.GetBuild()
	if c.GetImage() != "" || b.GetContext() != "./images/api" || b.GetDockerfile() != "Dockerfile.test" ||
		b.GetArgs()["V"] != "1" || b.GetTarget() != "runtime" {
		t.Fatalf("container config: %v", c)
	}
}

func TestIngressWaitsReachTheSpec(t *testing.T) {
	spec, _, err := buildSpec(Services{
		"box": Container("img").Ingress(HTTP().ContainerPort(80).NoReadinessCheck().WaitFor(WaitLog("started", 2), WaitCommand("test", "-f", "/ready"), WaitHealthcheck())),
		"api": Process("./api").Ingress(HTTP().WaitFor(WaitHTTP("/health", 200, "ok"), WaitHostCommand("true"))),
	}, defaultSettings())
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range spec.GetServices() {
		r := s.GetIngresses()[0].GetReady()
		switch s.GetName() {
		case "box":
			if r.GetKind() != rigv1.ReadinessKind_READINESS_KIND_NONE || len(r.GetWaits()) != 3 || r.GetWaits()[0].GetLog().GetTimes() != 2 || r.GetWaits()[1].GetCommand().GetOnHost() {
				t.Errorf("box readiness: %v", r)
			}
		case "api":
			if r.GetKind() != rigv1.ReadinessKind_READINESS_KIND_UNSPECIFIED || r.GetWaits()[0].GetHttp().GetStatus() != 200 || !r.GetWaits()[1].GetCommand().GetOnHost() {
				t.Errorf("api readiness: %v", r)
			}
		}
	}
}

func TestSharedContainerReachesTheSpec(t *testing.T) {
	spec, _, err := buildSpec(Services{
		"cache": Container("redis:7").Ingress(TCP().ContainerPort(6379)).Shared("suite", SharedOptions{Reset: [][]string{{"redis-cli", "FLUSHALL"}}, Reuse: true}),
	}, defaultSettings())
	if err != nil {
		t.Fatal(err)
	}
	s := spec.GetServices()[0].GetContainer().GetShared()
	if s.GetKey() != "suite" || !s.GetReuse() || s.GetResetCommands()[0].GetCommand()[1] != "FLUSHALL" {
		t.Fatalf("shared: %v", s)
	}
}
