package rig

import (
	"context"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// needImage skips the test without Docker or the image (scripts/build-test-images.sh).
func needImage(t *testing.T, image string) {
	t.Helper()
	if err := exec.Command("docker", "image", "inspect", image).Run(); err != nil {
		t.Skipf("needs Docker and %s (scripts/build-test-images.sh)", image)
	}
}

func TestContainerRuntimeOperations(t *testing.T) {
	needRigd(t)
	image := os.Getenv("RIG_TEST_BUSYBOX_IMAGE")
	if image == "" {
		image = "rig-test/busybox:1"
	}
	needImage(t, image)
	ctx := context.Background()
	env := Up(t, Services{
		"web": Container(image).Cmd("sh", "-c", "echo serving; mkdir -p /www && echo hi > /www/index.html && exec httpd -f -p 80 -h /www").
			Ingress(HTTP().ContainerPort(80).WaitFor(WaitLog("serving", 1), WaitCommand("test", "-f", "/www/index.html"))),
	})

	ran, err := env.Exec(ctx, "web", "sh", "-c", "echo out; echo err >&2; exit 2")
	if err != nil || ran != (ExecResult{ExitCode: 2, Stdout: "out\n", Stderr: "err\n"}) {
		t.Fatalf("exec: %+v %v", ran, err)
	}

	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "page.html"), []byte("page"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := env.CopyTo(ctx, "web", filepath.Join(dir, "page.html"), "/www/page.html"); err != nil {
		t.Fatal(err)
	}
	if err := env.CopyContentTo(ctx, "web", []byte("content"), "/www/content.txt"); err != nil {
		t.Fatal(err)
	}
	if err := env.CopyFrom(ctx, "web", "/www", filepath.Join(dir, "www")); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(filepath.Join(dir, "www", "content.txt")); string(got) != "content" {
		t.Fatalf("copied out: %q", got)
	}
	if got, _ := os.ReadFile(filepath.Join(dir, "www", "page.html")); string(got) != "page" {
		t.Fatalf("copied out: %q", got)
	}

	lines, err := env.Logs(ctx, "web", 0)
	if err != nil || len(lines) == 0 || lines[0] != (LogLine{Stream: "stdout", Line: "serving"}) {
		t.Fatalf("logs: %+v %v", lines, err)
	}

	if _, err := env.Stop(ctx, "web"); err != nil {
		t.Fatal(err)
	}
	if err := env.Restart(ctx, "web"); err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get(env.Endpoint("web").URL() + "/index.html")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("after restart: %v %v", resp, err)
	}
	resp.Body.Close()

	if _, err := env.Exec(ctx, "nope", "true"); err == nil {
		t.Fatal("exec in an unknown service should fail")
	}
}
