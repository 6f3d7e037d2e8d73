// Passing, failing, flaky by design (FLAKY_COUNTER), skipped, and a subtest.
package suite

import (
	"os"
	"strconv"
	"testing"
)

func TestAdds(t *testing.T) {
	if 1+1 != 2 {
		t.Fatal("arithmetic")
	}
}

func TestCompares(t *testing.T) {
	t.Log("about to fail by design")
	t.Fatal("a failure by design")
}

func TestFlaky(t *testing.T) {
	file := os.Getenv("FLAKY_COUNTER")
	data, _ := os.ReadFile(file)
	n, _ := strconv.Atoi(string(data))
	if err := os.WriteFile(file, []byte(strconv.Itoa(n+1)), 0o600); err != nil {
		t.Fatal(err)
	}
	if n%2 == 0 {
		t.Fatalf("fails on call %d (every other call fails)", n+1)
	}
}

func TestLater(t *testing.T) {
	t.Skip("skipped by design")
}

func TestGroup(t *testing.T) {
	t.Run("inner", func(t *testing.T) {})
}
