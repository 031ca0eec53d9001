// What a client sends and what the server must answer, for the echo protocol and for HTTP.

package soak

import (
	"fmt"
	"math/rand/v2"

	tcpserver "tornadotcp/ch04_tcpserver"
)

// Protocol is one way of talking to a server: a batch of messages and the exact bytes they must
// bring back, the message that ends a connection cleanly, an unfinished message (for resets) and
// the opening of a message that a slowloris client never finishes.
type Protocol struct {
	Name string
	// TLS says the messages go over TLS (chapter 6's servers). The clients do not verify the
	// demo's self-signed certificate: the soak is about faults.
	TLS bool
	// Batch appends n random messages to send and their exact answers to want.
	Batch func(rng *rand.Rand, n int, send, want []byte) ([]byte, []byte)
	// Last is sent when the client is done, and LastWant is its answer, after which the server
	// closes (HTTP's Connection: close). With no Last the client half-closes instead (echo). Either
	// way the server must then end the connection with EOF and nothing more.
	Last, LastWant []byte
	// Partial is an unfinished message.
	Partial []byte
	// SlowHead opens a message that SlowByte, sent again and again, never finishes.
	SlowHead []byte
	SlowByte byte
}

// maxLineLen is the longest random echo line, '\n' included: a batch of 8 stays well under the
// socket buffers, so a client that writes a batch before reading it can never deadlock.
const maxLineLen = 512

// Echo is the echo protocol: each line comes back unchanged, in order.
var Echo = Protocol{
	Name: "echo",
	Batch: func(rng *rand.Rand, n int, send, want []byte) ([]byte, []byte) {
		start := len(send)
		for range n {
			send = appendLine(send, rng)
		}
		return send, append(want, send[start:]...)
	},
	Partial:  []byte("half a li"),
	SlowHead: []byte("slow"),
	SlowByte: '.',
}

// appendLine appends a line of 1 to maxLineLen bytes, '\n' included, of printable ASCII.
func appendLine(dst []byte, rng *rand.Rand) []byte {
	n := 1 + rng.IntN(maxLineLen)
	for range n - 1 {
		dst = append(dst, byte(' '+rng.IntN('~'-' '+1)))
	}
	return append(dst, '\n')
}

// HTTP is ch04/http's helloworld over keep-alive: every answer must be exactly the one chapter
// 4's AppendHelloWorld writes for the request, so the bytes the client checks are the server's
// own specification, not a copy of it.
var HTTP = newHTTP()

func newHTTP() Protocol {
	get := []byte("GET / HTTP/1.1\r\nHost: soak\r\n\r\n")
	last := []byte("GET / HTTP/1.1\r\nHost: soak\r\nConnection: close\r\n\r\n")
	answer := helloWorld(get)
	return Protocol{
		Name: "http",
		Batch: func(_ *rand.Rand, n int, send, want []byte) ([]byte, []byte) {
			for range n {
				send = append(send, get...)
				want = append(want, answer...)
			}
			return send, want
		},
		Last:     last,
		LastWant: helloWorld(last),
		Partial:  []byte("GET / HTTP/1.1\r\nHo"),
		SlowHead: []byte("GET / HTTP/1.1\r\nHost: soak\r\nX-Slow: "),
		SlowByte: 'a',
	}
}

// helloWorld is the answer chapter 4 gives to request.
func helloWorld(request []byte) []byte {
	req, err := tcpserver.ParseRequestHead(request)
	if err != nil {
		panic(fmt.Sprintf("soak: the request %q does not parse: %v", request, err))
	}
	return tcpserver.AppendHelloWorld(nil, req)
}

// ProtocolOf is the protocol of a catalog entry's Protocol field.
func ProtocolOf(name string) (Protocol, error) {
	switch name {
	case "":
		return Echo, nil
	case "http":
		return HTTP, nil
	case "tls-echo":
		p := Echo
		p.Name, p.TLS = name, true
		return p, nil
	case "https":
		p := HTTP
		p.Name, p.TLS = name, true
		return p, nil
	}
	return Protocol{}, fmt.Errorf("no soak client speaks %q", name)
}
