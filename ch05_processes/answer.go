// The two lines chapter 5's servers answer instead of echoing (DESIGN.md, "The echo protocol"):
// "whoami", which process served you, and "burn N", a request that costs CPU. Tornado has no
// such thing; its process test has each child print its task id, and this is that, over TCP.

package process

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"os"
	"strconv"
)

// MaxBurn caps burn's rounds, about a second of one core: a larger N is answered as an error
// line, not left to hold a loop for minutes.
const MaxBurn = 5_000_000

// Answer answers "whoami" with "task=N pid=P" (task=none in a process ForkProcesses did not
// start) and "burn N" with "burned N HEX" after N rounds of SHA-256 over the previous digest
// (HEX: the first 8 bytes of the last one), each with its '\n'; any other line it leaves to be
// echoed (false). It is chapter 4's EchoServer.Answer for this chapter's servers. burn runs on
// the loop, on purpose: it is the CPU-bound request that one process serves one at a time.
func Answer(line []byte) ([]byte, bool) {
	l := bytes.TrimSuffix(bytes.TrimSuffix(line, []byte("\n")), []byte("\r"))
	if string(l) == "whoami" {
		task := "none"
		if id, ok := TaskID(); ok {
			task = strconv.Itoa(id)
		}
		return fmt.Appendf(nil, "task=%s pid=%d\n", task, os.Getpid()), true
	}
	arg, ok := bytes.CutPrefix(l, []byte("burn "))
	if !ok {
		return nil, false
	}
	n, err := strconv.Atoi(string(arg))
	if err != nil || n < 0 || n > MaxBurn {
		return fmt.Appendf(nil, "burn: N must be a whole number from 0 to %d\n", MaxBurn), true
	}
	var sum [sha256.Size]byte
	for range n {
		sum = sha256.Sum256(sum[:])
	}
	return fmt.Appendf(nil, "burned %d %x\n", n, sum[:8]), true
}
