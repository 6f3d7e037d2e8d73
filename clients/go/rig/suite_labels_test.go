package rig

import "testing"

func TestSuiteLabelsLinkTheEnvironmentToTheSuiteRunAndTest(t *testing.T) {
	t.Setenv("RIG_SUITE_RUN", "")
	spec, _, err := buildSpec(Services{"w": Process("sleep", "1").NoIngress()}, settings{name: "x", testName: t.Name()})
	if err != nil {
		t.Fatal(err)
	}
	if len(spec.GetLabels()) != 0 {
		t.Fatalf("outside a suite run: no labels, got %v", spec.GetLabels())
	}
	t.Setenv("RIG_SUITE_RUN", "go-0123456789")
	spec, _, err = buildSpec(Services{"w": Process("sleep", "1").NoIngress()}, settings{name: "x", testName: t.Name()})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"rig.suite.run": "go-0123456789", "rig.suite.test": "TestSuiteLabelsLinkTheEnvironmentToTheSuiteRunAndTest"}
	for k, v := range want {
		if spec.GetLabels()[k] != v {
			t.Errorf("label %s = %q, want %q", k, spec.GetLabels()[k], v)
		}
	}
}
