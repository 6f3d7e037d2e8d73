package rig

import (
	"testing"
	"time"

	rigv1 "github.com/rig-dev/rig/clients/go/gen/rig/v1"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/durationpb"
)

func TestGoAndNodeBuildersTranslateEveryField(t *testing.T) {
	spec, _, err := buildSpec(Services{
		"api": Go("./cmd/api", "--port", "${PORT}").BuildFlags("-tags=it").Args("-v").Env("MODE", "test").Dir("svc").StopGrace(time.Second).Egress("web"),
		"web": Node("./src/server.ts").Build("npm", "run", "build").NodeBinary("/opt/node").NodeOptions("--enable-source-maps").Args("x"),
	}, settings{name: "programs"})
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]*rigv1.Service{}
	for _, s := range spec.GetServices() {
		byName[s.GetName()] = s
	}
	wantGo := &rigv1.GoConfig{
		Package: "./cmd/api", Args: []string{"--port", "${PORT}", "-v"}, Dir: "svc", Env: map[string]string{"MODE": "test"},
		BuildFlags: []string{"-tags=it"}, StopGrace: durationpb.New(time.Second),
	}
	if got := byName["api"].GetGo(); !proto.Equal(got, wantGo) {
		t.Errorf("go config %v, want %v", got, wantGo)
	}
	if got := byName["api"].GetEgresses(); len(got) != 1 || got[0].GetService() != "web" {
		t.Errorf("go egresses %v", got)
	}
	wantNode := &rigv1.NodeConfig{
		Script: "./src/server.ts", Args: []string{"x"}, Build: []string{"npm", "run", "build"}, Node: "/opt/node", NodeOptions: []string{"--enable-source-maps"},
	}
	if got := byName["web"].GetNode(); !proto.Equal(got, wantNode) {
		t.Errorf("node config %v, want %v", got, wantNode)
	}
}

func TestS3SQSAndTemporalBuilders(t *testing.T) {
	spec, _, err := buildSpec(Services{"files": S3().Region("eu-west-2"), "jobs": SQS().FIFO().Egress("files"), "wf": Temporal().Version("v1.5.1")}, settings{name: "aws"})
	if err != nil {
		t.Fatal(err)
	}
	files, jobs := spec.GetServices()[0], spec.GetServices()[1]
	if !proto.Equal(files.GetS3(), &rigv1.S3Config{Region: "eu-west-2"}) {
		t.Errorf("s3 config %v", files.GetS3())
	}
	if !proto.Equal(jobs.GetSqs(), &rigv1.SqsConfig{Fifo: true}) || len(jobs.GetEgresses()) != 1 {
		t.Errorf("sqs service %v", jobs)
	}
	if wf := spec.GetServices()[2]; !proto.Equal(wf.GetTemporal(), &rigv1.TemporalConfig{Version: "v1.5.1"}) {
		t.Errorf("temporal service %v", wf)
	}
}
