package nonblocking

import (
	"runtime"
	"runtime/debug"
	"testing"

	"tornadotcp/internal/testutil"
)

// Buffers that closing connections let go come back to the OS within returnDelay and a
// collection, where the runtime alone would wait for its two-minute forced GC: nothing else in
// this test allocates enough to start one.
func TestLetGoReturnsMemoryToTheOS(t *testing.T) {
	debug.FreeOSMemory()
	held := testutil.HeldFromOS()
	const size = 32 << 20
	buf := make([]byte, size)
	for i := 0; i < len(buf); i += 4096 {
		buf[i] = 1 // touch every page, so that the buffer is in the RSS
	}
	withBuf := testutil.HeldFromOS()
	if withBuf < held+size/2 {
		t.Fatalf("the heap holds %d KiB from the OS with the buffer, %d without: the buffer is not in it", withBuf>>10, held>>10)
	}
	runtime.KeepAlive(buf) // the last use: from here the buffer is garbage
	LetGo(size)
	testutil.WaitFor(t, "the buffer's memory to go back to the OS", func() bool {
		return testutil.HeldFromOS() < withBuf-size/2
	})
}

// Connections that close owing nothing, the usual case, count nothing towards a return.
func TestLetGoCountsNothingForEmptyBuffers(t *testing.T) {
	returner.mu.Lock()
	before := returner.released
	returner.mu.Unlock()
	var b OutBuf
	for range 1000 {
		b.Release()
	}
	returner.mu.Lock()
	after := returner.released
	returner.mu.Unlock()
	if after > before { // a return scheduled earlier may have reset the count meanwhile
		t.Errorf("1,000 empty buffers released counted %d bytes, want 0", after-before)
	}
}
