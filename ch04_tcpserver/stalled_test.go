// A client that sends and never reads: EchoServer and HTTPServer read the next request only while
// less than readAhead of answers waits to be sent, so such a client costs them those answers,
// the input read ahead of them (one read chunk) and the answer that crossed the line, and the
// servers serve others beside it.

package tcpserver

import (
	"testing"

	"tornadotcp/internal/testutil"
)

// stalledBudget is the most heap a stalled client may cost: readAhead of answers owed, one read
// chunk of input it sent ahead, appended to the unfinished line before it in an array rounded
// up to whole pages, the answer that crossed readAhead (a short line or helloworld's response
// here), and the stream.
const stalledBudget = readAhead + DefaultReadChunkSize + 16<<10

func TestEchoServerBoundsStalledClients(t *testing.T) {
	testutil.CheckLeaks(t)
	et := newEchoTest(t)
	st := testutil.StallClients(t, et.addr, 50, testutil.EchoPayload)
	checkStalledCost(t, st.PerClient)
	testutil.Echo(t, testutil.Dial(t, et.addr), "still serving\n")
	st.Leave()
	et.waitConns(1)
}

func TestHTTPServerBoundsStalledClients(t *testing.T) {
	testutil.CheckLeaks(t)
	ht := newHTTPTest(t, nil)
	st := testutil.StallClients(t, ht.addr, 50, testutil.HTTPPayload)
	checkStalledCost(t, st.PerClient)
	resp, body := ht.do(ht.request("GET", "/", nil))
	checkResponse(t, resp, body, 200, "Hello, world")
}

func checkStalledCost(t *testing.T, perClient int64) {
	t.Helper()
	t.Logf("a stalled client costs %.1f KiB of heap (budget %.1f KiB)", float64(perClient)/1024, float64(stalledBudget)/1024)
	if perClient > stalledBudget {
		t.Errorf("a stalled client costs %d bytes of heap, want at most %d", perClient, stalledBudget)
	}
}
