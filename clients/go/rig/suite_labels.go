package rig

import "os"

// Labels rigd links an environment to a suite run by (see proto/rig/v1/suite_service.proto).
const (
	suiteRunLabel  = "rig.suite.run"
	suiteTestLabel = "rig.suite.test"
)

// suiteLabels labels an environment with the rig suite run this test process belongs to
// (RIG_SUITE_RUN, set by rigd's suite runner) and the test that creates it, so the run's
// history links each test to its environments. Outside a suite run: no labels.
func suiteLabels(testName string) map[string]string {
	run := os.Getenv("RIG_SUITE_RUN")
	if run == "" {
		return nil
	}
	labels := map[string]string{suiteRunLabel: run}
	if testName != "" {
		labels[suiteTestLabel] = testName
	}
	return labels
}

// forTest records the test an environment is for (Up sets it from t.Name()).
func forTest(name string) Option { return func(s *settings) { s.testName = name } }
