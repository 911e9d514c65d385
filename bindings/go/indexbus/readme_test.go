package indexbus_test

import (
	"os"
	"strings"
	"testing"
)

// The README's example is Example verbatim, so it is compiled and run.
func TestReadmeExampleIsExample(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	src, err := os.ReadFile("example_test.go")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(readme), "```go\n")
	if !ok {
		t.Fatal("README has no Go code block")
	}
	block, _, ok := strings.Cut(rest, "```")
	if !ok || !strings.HasPrefix(block, "func Example() {") {
		t.Fatalf("README's first Go block is not func Example: %.40q", block)
	}
	if !strings.Contains(string(src), block) {
		t.Fatal("README's example differs from Example in example_test.go")
	}
}
