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

func TestCountCPUList(t *testing.T) {
	for list, want := range map[string]int{"0": 1, "0-3": 4, "0-3,6": 5, "0,2,4-5": 4, "x": 0, "3-1": 0} {
		if got := countCPUList(list); got != want {
			t.Errorf("countCPUList(%q) = %d, want %d", list, got, want)
		}
	}
	if CPUCount() < 1 {
		t.Error("CPUCount < 1")
	}
}
