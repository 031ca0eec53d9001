// The conformance suite: every scenario against every server in the catalog, each transcript
// compared with the previous chapter's. A chapter that registers a server is tested here with no
// change to this file.

package tests

import (
	"testing"

	"tornadotcp/internal/testutil"
)

// scenarios runs in this order on one server per id. Each one leaves no connection behind, so an
// iterative server is free for the next; "stop" stops the server and comes last.
var scenarios = []scenario{
	{name: "lines-in-one-packet", run: linesInOnePacket},
	{name: "split-across-writes", run: splitAcrossWrites},
	{name: "pipelined", run: pipelined},
	{name: "megabyte", run: megabyte},
	{name: "line-too-long", run: lineTooLong},
	{name: "half-close", run: halfClose},
	{name: "client-reset", run: clientReset},
	{name: "second-client", run: secondClient, lesson: secondClientLesson},
	{name: "fifty-clients", run: fiftyClients},
	{name: "idle", run: idle},
	{name: "stop", run: stopWithClient},
}

func TestConformance(t *testing.T) {
	entries := echoEntries()
	all := newTranscripts()
	for _, e := range entries {
		t.Run(e.ID, func(t *testing.T) {
			testutil.CheckLeaks(t)
			srv := start(t, e)
			for _, sc := range scenarios {
				t.Run(sc.name, func(t *testing.T) {
					tr := sc.run(t, srv.target(e))
					all.put(e.ID, sc.name, record{tr: tr, failed: t.Failed()})
					all.compare(t, entries, e, sc, tr)
				})
			}
		})
	}
}
