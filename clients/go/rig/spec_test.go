package rig

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	rigv1 "github.com/rig-dev/rig/clients/go/gen/rig/v1"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/durationpb"
)

func noopHook(context.Context, HookContext) error  { return nil }
func noopServe(context.Context, FuncContext) error { return nil }

func TestBuildSpecTranslatesEveryBuilder(t *testing.T) {
	spec, handlers, err := buildSpec(Services{
		"api": Process("./api", "--port", "${PORT}").
			Args("--verbose").
			Env("MODE", "test").
			Dir("cmd").
			StopGrace(time.Second).
			Egress("db").
			EgressAs("cache-main", "cache", "").
			Ingress(HTTP().ReadyPath("/healthz").ReadyTimeout(5 * time.Second)).
			Ingress(GRPC().Named("admin").Attr("URL", "http://${HOSTPORT}")).
			Prestart(noopHook).
			Init(noopHook),
		"db":    Postgres().Image("pg:local").InitSQL("CREATE TABLE t (id int)").InitExec("true"),
		"cache": Redis(),
		"web":   Container("busybox:local").Cmd("httpd", "-f").Env("A", "b").Ingress(HTTP().ContainerPort(80)).InitExec("ls"),
		"fn":    Func(noopServe).NoIngress().EgressTo("api", "admin"),
	}, settings{name: "demo", observe: true, dir: "/work", ttl: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	if spec.GetName() != "demo" || !spec.GetObserve() || spec.GetDir() != "/work" || spec.GetTtl().AsDuration() != time.Minute {
		t.Errorf("environment settings lost: %v", spec)
	}
	if len(spec.GetHostEnv()) == 0 {
		t.Error("host env not sent")
	}
	var names []string
	byName := map[string]*rigv1.Service{}
	for _, s := range spec.GetServices() {
		names = append(names, s.GetName())
		byName[s.GetName()] = s
	}
	if got := strings.Join(names, ","); got != "api,cache,db,fn,web" {
		t.Errorf("services %s, want sorted api,cache,db,fn,web", got)
	}

	want := &rigv1.Service{
		Name: "api",
		Ingresses: []*rigv1.Ingress{
			{Protocol: rigv1.Protocol_PROTOCOL_HTTP, Ready: &rigv1.Readiness{Kind: rigv1.ReadinessKind_READINESS_KIND_HTTP, HttpPath: "/healthz", Timeout: durationpb.New(5 * time.Second)}},
			{Name: "admin", Protocol: rigv1.Protocol_PROTOCOL_GRPC, Attributes: map[string]string{"URL": "http://${HOSTPORT}"}},
		},
		Egresses: []*rigv1.Egress{{Service: "db"}, {Name: "cache-main", Service: "cache"}},
		Prestart: []*rigv1.Hook{{Action: &rigv1.Hook_ClientFunc{ClientFunc: &rigv1.ClientFuncHook{Name: "api.prestart.0"}}}},
		Init:     []*rigv1.Hook{{Action: &rigv1.Hook_ClientFunc{ClientFunc: &rigv1.ClientFuncHook{Name: "api.init.0"}}}},
		Config: &rigv1.Service_Process{Process: &rigv1.ProcessConfig{
			Command: "./api", Args: []string{"--port", "${PORT}", "--verbose"}, Dir: "cmd",
			Env: map[string]string{"MODE": "test"}, StopGrace: durationpb.New(time.Second),
		}},
	}
	if !proto.Equal(byName["api"], want) {
		t.Errorf("api:\n got %v\nwant %v", byName["api"], want)
	}
	wantDB := &rigv1.Service{
		Name: "db",
		Init: []*rigv1.Hook{
			{Action: &rigv1.Hook_Sql{Sql: &rigv1.SqlHook{Statements: []string{"CREATE TABLE t (id int)"}}}},
			{Action: &rigv1.Hook_Exec{Exec: &rigv1.ExecHook{Command: []string{"true"}}}},
		},
		Config: &rigv1.Service_Postgres{Postgres: &rigv1.PostgresConfig{Image: "pg:local"}},
	}
	if !proto.Equal(byName["db"], wantDB) {
		t.Errorf("db:\n got %v\nwant %v", byName["db"], wantDB)
	}
	if byName["cache"].GetRedis() == nil {
		t.Errorf("cache is not redis: %v", byName["cache"])
	}
	web := byName["web"]
	if c := web.GetContainer(); c.GetImage() != "busybox:local" || strings.Join(c.GetCmd(), " ") != "httpd -f" || c.GetEnv()["A"] != "b" ||
		web.GetIngresses()[0].GetContainerPort() != 80 || web.GetInit()[0].GetExec() == nil {
		t.Errorf("web: %v", web)
	}
	fn := byName["fn"]
	if fn.GetClient().GetStartHandler() != "fn.start" || !fn.GetNoIngress() || fn.GetEgresses()[0].GetIngress() != "admin" {
		t.Errorf("fn: %v", fn)
	}
	if got := strings.Join(handlers.names(), ","); got != "api.init.0,api.prestart.0,fn.start" {
		t.Errorf("handlers %s", got)
	}
}

func TestBuildSpecRejectsMistakesBeforeCallingRigd(t *testing.T) {
	cases := map[string]Services{
		"at least one service": {},
		"has no definition":    {"a": nil},
		"needs a function":     {"a": Func(nil)},
		"nil function":         {"a": Process("x").Prestart(nil)},
	}
	for want, services := range cases {
		if _, _, err := buildSpec(services, defaultSettings()); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: got %v", want, err)
		}
	}
}

func TestBuilderMapsAreCopied(t *testing.T) {
	p := Process("x").Env("A", "1")
	spec, _, err := buildSpec(Services{"p": p}, defaultSettings())
	if err != nil {
		t.Fatal(err)
	}
	p.Env("A", "2")
	if got := spec.GetServices()[0].GetProcess().GetEnv()["A"]; got != "1" {
		t.Errorf("spec changed with the builder: A=%s", got)
	}
}

func TestEnvironmentNameFitsRigdRule(t *testing.T) {
	cases := map[string]string{
		"TestUp":                     "TestUp",
		"TestUp/with spaces & stuff": "TestUp-with-spaces-stuff",
		"/..":                        "env",
		strings.Repeat("a", 80):      strings.Repeat("a", 63),
	}
	for in, want := range cases {
		if got := environmentName(in); got != want {
			t.Errorf("environmentName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestEndpointFromProto(t *testing.T) {
	ep := endpointFromProto(&rigv1.Endpoint{Host: "127.0.0.1", Port: 5432, Protocol: rigv1.Protocol_PROTOCOL_TCP, Attributes: map[string]string{"PGUSER": "rig"}})
	if ep.HostPort() != "127.0.0.1:5432" || ep.URL() != "tcp://127.0.0.1:5432" || ep.Attr("PGUSER") != "rig" {
		t.Errorf("tcp endpoint: %+v %s %s", ep, ep.HostPort(), ep.URL())
	}
	if got := endpointFromProto(&rigv1.Endpoint{Host: "::1", Port: 80, Protocol: rigv1.Protocol_PROTOCOL_GRPC}).URL(); got != "http://[::1]:80" {
		t.Errorf("grpc URL %s", got)
	}
	w := wiringFromProto(&rigv1.Wiring{Ingresses: map[string]*rigv1.Endpoint{"default": {Host: "h", Port: 1}}})
	if w.Ingress().Port != 1 {
		t.Errorf("wiring ingress %+v", w.Ingress())
	}
	defer func() {
		if r := recover(); r == nil || !strings.Contains(r.(string), `no egress "db"`) {
			t.Errorf("missing egress: recovered %v", r)
		}
	}()
	w.Egress("db")
}

func TestRequiresExclusiveUnlessShared(t *testing.T) {
	api := Process("api").RequiresShared("db-fixture").Requires("port-8080").Requires("db-fixture")
	spec, _, err := buildSpec(Services{"api": api, "db": Postgres().RequiresShared("db-fixture")}, defaultSettings())
	if err != nil {
		t.Fatal(err)
	}
	got := map[string][]string{}
	for _, s := range spec.GetServices() {
		for _, r := range s.GetRequires() {
			got[s.GetName()] = append(got[s.GetName()], fmt.Sprintf("%s shared=%v", r.GetResource(), r.GetShared()))
		}
	}
	want := map[string][]string{"api": {"db-fixture shared=false", "port-8080 shared=false"}, "db": {"db-fixture shared=true"}}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("requires: got %v, want %v", got, want)
	}
	api.RequiresShared("port-8080")
	if spec.GetServices()[0].GetRequires()[1].GetShared() {
		t.Error("the spec changed with the builder")
	}
}

func TestBuildSpecTranslatesKafka(t *testing.T) {
	schema := `{"type":"record","name":"Order","fields":[{"name":"id","type":"int"}]}`
	spec, _, err := buildSpec(Services{
		"bus": Kafka().Topic("orders", 3).AvroSchema("orders-value", schema),
		"own": Kafka().DedicatedCluster(),
	}, settings{name: "kafka"})
	if err != nil {
		t.Fatal(err)
	}
	want := &rigv1.KafkaConfig{
		Topics:      []*rigv1.KafkaTopic{{Name: "orders", Partitions: 3}},
		AvroSchemas: []*rigv1.KafkaAvroSchema{{Subject: "orders-value", Schema: schema}},
	}
	if got := spec.GetServices()[0].GetKafka(); !proto.Equal(got, want) {
		t.Errorf("bus:\n got %v\nwant %v", got, want)
	}
	if !spec.GetServices()[1].GetKafka().GetDedicatedCluster() {
		t.Errorf("own is not a dedicated cluster: %v", spec.GetServices()[1])
	}
}
