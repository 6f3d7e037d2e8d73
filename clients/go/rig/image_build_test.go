package rig

import "testing"

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
