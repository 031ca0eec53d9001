// The transcript: what one scenario sent and received on each connection, and how each ended.

package tests

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"strconv"
)

// Transcript is what one scenario did, connection by connection, in the order the scenario
// opened them. It holds no ports and no timings, so the same scenario against two servers that
// keep the protocol gives equal transcripts.
type Transcript struct {
	Conns []ConnLog
}

// ConnLog is one client connection: its name in the scenario ("a", "b", "c07"), the events in
// the order this client saw them, and how it ended.
type ConnLog struct {
	Name   string
	Events []string // `send "..."`, `recv "..."`, `half-close`, `quiet`, ...
	End    string   // one of the End constants
}

// How a connection ended, as the client saw it.
const (
	EndEOF         = "EOF"          // the server closed its side in order (FIN)
	EndReset       = "reset"        // the server reset the connection (RST)
	EndClosed      = "closed"       // EOF or reset, where the protocol allows either
	EndOpen        = "open"         // the server had not closed when the client gave up waiting
	EndClientReset = "client reset" // the client reset it (SO_LINGER 0)
	EndClientClose = "client close" // the client closed both sides without waiting for the server
)

// quoteLimit is the longest data a transcript quotes whole; longer data is summarised.
const quoteLimit = 120

// describe renders data for a transcript: quoted when short, otherwise its size, how many lines
// it holds and a digest, so a transcript of a megabyte stays readable in a diff.
func describe(p []byte) string {
	if len(p) <= quoteLimit {
		return strconv.Quote(string(p))
	}
	sum := sha256.Sum256(p)
	return fmt.Sprintf("%d bytes, %d lines, sha256 %x", len(p), bytes.Count(p, []byte{'\n'}), sum[:8])
}
