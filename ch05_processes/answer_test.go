package process

import (
	"fmt"
	"os"
	"testing"
)

func TestAnswer(t *testing.T) {
	for _, c := range []struct{ line, want string }{
		{"whoami\n", fmt.Sprintf("task=none pid=%d\n", os.Getpid())},
		{"burn 0\n", "burned 0 0000000000000000\n"},
		{"burn 1\n", "burned 1 66687aadf862bd77\n"}, // SHA-256 of 32 zero bytes
		{"burn x\n", "burn: N must be a whole number from 0 to 5000000\n"},
	} {
		got, ok := Answer([]byte(c.line))
		if !ok || string(got) != c.want {
			t.Errorf("Answer(%q) = %q, %v; want %q", c.line, got, ok, c.want)
		}
	}
	if _, ok := Answer([]byte("hello\n")); ok {
		t.Error("Answer answered a line to echo")
	}
}
