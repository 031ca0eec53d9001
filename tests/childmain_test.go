package tests

import (
	"os"
	"testing"
	"tornadotcp/internal/catalog"
)

// TestMain sends a child process of a chapter 5 server, which is this test binary executed
// again with the same arguments, to its server before any test runs (catalog.ChildMain):
// otherwise it would run every test again.
func TestMain(m *testing.M) {
	catalog.ChildMain()
	os.Exit(m.Run())
}
