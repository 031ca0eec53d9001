// What an idle stream costs: 1,000 echo streams that have each served a line and wait for the
// next, measured on the Go heap.

package tcpserver

import (
	"runtime"
	"testing"
	"unsafe"

	"tornadotcp/internal/testutil"
)

// idleStreamBudget is the most an idle stream may cost on the heap, registration with the loop
// included: the chapter's target is under 1 KiB per idle connection in all.
const idleStreamBudget = 640

// An idle stream holds no buffer: after serving a line, what remains is the stream itself (the
// delimiter's copy inside it), its transport and its entry in the loop.
func TestIOStreamIdleMemory(t *testing.T) {
	testutil.CheckLeaks(t)
	l, logs := newStreamLoop(t)
	const n = 1000
	fds := make([]int, n)
	peers := make([]*peerFD, n)
	for i := range n {
		a, b := streamSocketpair(t)
		fds[i], peers[i] = a, &peerFD{fd: b}
		writeFull(b, []byte("hi\n"))
	}
	defer func() {
		for _, p := range peers {
			p.Close()
		}
	}()
	streams := make([]*IOStream, 0, n)
	logger := logs.Logger()
	served := 0
	var echoes []func([]byte)

	before := heapInUse()
	runScenario(t, l, func(done func()) {
		for _, fd := range fds {
			tr, err := NewSocketTransport(fd)
			if err != nil {
				t.Fatal(err)
			}
			s := NewIOStream(l, tr, WithStreamLogger(logger))
			streams = append(streams, s)
			// A per-connection callback, bound once, as an echo server would keep it.
			var echo func([]byte)
			first := true
			echo = func(line []byte) {
				s.Write(line, nil)
				s.ReadUntil([]byte("\n"), echo)
				if first {
					first = false
					if served++; served == n {
						done()
					}
				}
			}
			echoes = append(echoes, echo)
			s.ReadUntil([]byte("\n"), echo)
		}
	})
	after := heapInUse()
	perStream := (int64(after) - int64(before)) / n
	t.Logf("%d idle streams: %d bytes of heap each (IOStream struct %d bytes)", n, perStream, unsafe.Sizeof(IOStream{}))
	for _, s := range streams {
		if s.buf != nil || s.out.Len() != 0 || s.Closed() {
			t.Fatalf("an idle stream holds a buffer of %d bytes, owes %d, closed %v", cap(s.buf), s.out.Len(), s.Closed())
		}
	}
	if perStream > idleStreamBudget {
		t.Errorf("an idle stream costs %d bytes of heap, want at most %d", perStream, idleStreamBudget)
	}
	for _, s := range streams {
		s.Close()
	}
	runtime.KeepAlive(echoes)
}

// The stream is five cache lines on a 64-bit machine, and the heap's size class for it (320)
// starts every object on a line: a message then reads at most those five lines, next to each
// other, where before the delimiter's copy and the write callbacks were objects of their own
// elsewhere. A field added to the stream must not push it into the next size class (352,
// which straddles lines) without a measurement that says it costs nothing.
func TestIOStreamIsFiveCacheLines(t *testing.T) {
	if unsafe.Sizeof(uintptr(0)) != 8 {
		t.Skip("the layout is measured for 64-bit machines")
	}
	var s IOStream
	if size := unsafe.Sizeof(s); size != 5*64 {
		t.Errorf("IOStream is %d bytes, want 320 (five 64-byte lines)", size)
	}
}

// heapInUse is the live heap after two collections (the second frees what sync.Pool's victim
// cache kept through the first).
func heapInUse() uint64 {
	var m runtime.MemStats
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}
