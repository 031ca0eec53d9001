// A fuzz target for ParseRequestHead: no input makes it panic, every rejection maps to 400, 431
// or 501, and every accepted head keeps the Request's invariants, writes back to a head that
// parses to the same Request, and reads the same way in net/http whenever net/http accepts it.
// Seeds are in testdata/fuzz/FuzzParseRequestHead.

package tcpserver

import (
	"bufio"
	"bytes"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func FuzzParseRequestHead(f *testing.F) {
	f.Fuzz(func(t *testing.T, head []byte) {
		req, err := ParseRequestHead(head)
		if err != nil {
			if req != nil {
				t.Fatalf("a Request came back with the error %v", err)
			}
			if s := StatusOf(err); s != 400 && s != 431 && s != 501 {
				t.Fatalf("error %v maps to status %d", err, s)
			}
			return
		}
		checkRequestInvariants(t, req)

		again, err := ParseRequestHead(req.AppendHead(nil))
		if err != nil {
			t.Fatalf("the written head %q does not parse: %v", req.AppendHead(nil), err)
		}
		if d := cmp.Diff(req, again); d != "" {
			t.Fatalf("round trip differs (-parsed +reparsed):\n%s", d)
		}

		// net/http is more lenient in places (a Transfer-Encoding, two Host fields) and stricter
		// in others (it decodes %-escapes in the target), so only heads both accept are compared.
		theirs, err := http.ReadRequest(bufio.NewReader(bytes.NewReader(head)))
		if err != nil {
			return
		}
		if req.Method != theirs.Method || req.Target != theirs.RequestURI || req.Version != theirs.Proto ||
			req.ContentLength != max(theirs.ContentLength, 0) || req.KeepAlive == theirs.Close {
			t.Fatalf("net/http reads it differently: ours %q %q %q length %d keep-alive %v; theirs %q %q %q length %d close %v",
				req.Method, req.Target, req.Version, req.ContentLength, req.KeepAlive,
				theirs.Method, theirs.RequestURI, theirs.Proto, theirs.ContentLength, theirs.Close)
		}
	})
}

// checkRequestInvariants states what every accepted Request satisfies, independently of how the
// parser got there.
func checkRequestInvariants(t *testing.T, req *Request) {
	t.Helper()
	if !isToken(req.Method) {
		t.Fatalf("Method %q is not a token", req.Method)
	}
	if req.Version != "HTTP/1.0" && req.Version != "HTTP/1.1" {
		t.Fatalf("Version %q", req.Version)
	}
	if req.ContentLength < 0 {
		t.Fatalf("ContentLength %d", req.ContentLength)
	}
	if req.Path != "*" && !strings.HasPrefix(req.Path, "/") {
		t.Fatalf("Path %q is neither * nor absolute", req.Path)
	}
	if !strings.HasSuffix(req.Target, req.Query) || strings.ContainsAny(req.Target, " \r\n") {
		t.Fatalf("Target %q, Query %q", req.Target, req.Query)
	}
	if req.Version == "HTTP/1.1" && len(req.Header.Values("Host")) != 1 {
		t.Fatalf("HTTP/1.1 request with %d Host fields", len(req.Header.Values("Host")))
	}
	if req.Header.Has("Transfer-Encoding") {
		t.Fatalf("accepted a Transfer-Encoding")
	}
	for _, f := range req.Header {
		if !isToken(f.Name) {
			t.Fatalf("field name %q is not a token", f.Name)
		}
		if strings.ContainsAny(f.Value, "\x00\r\n") || strings.Trim(f.Value, " \t") != f.Value {
			t.Fatalf("field value %q", f.Value)
		}
	}
}
