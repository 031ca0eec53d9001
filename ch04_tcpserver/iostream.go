// IOStream: a connection on the loop, read by delimiter, by pattern, by count or to the end, and
// written without blocking, each completion reported to a callback. Mirrors BaseIOStream and
// IOStream in tornado/iostream.py (3.2); the socket calls sit behind a Transport (transport.go).

package tcpserver

import (
	"errors"
	"regexp"

	nonblocking "tornadotcp/ch02_nonblocking"
	ioloop "tornadotcp/ch03_epoll"
)

// The stream's named errors.
var (
	// ErrStreamClosed: the stream is closed (Tornado's StreamClosedError).
	ErrStreamClosed = errors.New("tcpserver: stream is closed")
	// ErrReadPending: a read was started while another was still waiting. A stream has one
	// pending read at a time (Tornado asserts "Already reading").
	ErrReadPending = errors.New("tcpserver: a read is already pending")
	// ErrBufferFull: a read needed more unread input than the stream's MaxBufferSize; the
	// stream was closed with this error.
	ErrBufferFull = errors.New("tcpserver: read buffer exceeded the maximum buffer size")
	// ErrWriteBufferFull: a Write would have taken the output waiting for the peer past the
	// stream's MaxWriteBufferSize; nothing of it was buffered and the stream stays open.
	ErrWriteBufferFull = errors.New("tcpserver: write buffer exceeded the maximum write buffer size")
	// ErrEmptyDelimiter: ReadUntil was given an empty delimiter, which every position matches.
	ErrEmptyDelimiter = errors.New("tcpserver: empty delimiter")
	// ErrNegativeCount: ReadBytes was asked for fewer than zero bytes.
	ErrNegativeCount = errors.New("tcpserver: negative byte count")
	// ErrCallbackPanicked: a callback panicked; the stream was closed and Error wraps the panic
	// value (errors.Is finds it too when it was an error).
	ErrCallbackPanicked = errors.New("tcpserver: stream callback panicked")
)

// IOStream reads and writes one connection for callbacks, on one IOLoop.
//
// Every method must be called on the loop's goroutine: from a handler, callback or timeout of
// that loop, or before the loop starts. Another goroutine gets there with loop.AddCallback. The
// stream's callbacks also run on the loop's goroutine, and never inside the call that asked for
// them: a read that the buffered input already satisfies completes after the calling function
// returns, from the loop. So a callback may start the next read or write at once.
//
// Reading. One read is pending at a time (a second is ErrReadPending). ReadUntil, ReadUntilRegex,
// ReadBytes and ReadUntilClose hand their callback the bytes read; those bytes are the stream's
// own and are valid only until the callback returns (like bufio.Reader.ReadSlice): keep them
// with bytes.Clone or append. Write copies whatever it cannot send at once, so writing them
// straight back, as an echo server does, is safe. Input is read only while a read is pending,
// so a peer that sends faster than the application asks is held back by the kernel's buffers
// and TCP's flow control, not by this stream's memory.
//
// Writing. Write sends at once what the kernel takes and buffers the rest, in order; the loop
// sends that when the socket is writable. Its callback runs once everything written up to and
// including that Write has gone to the kernel. Tornado 3.2 kept one write callback, and a
// second Write replaced the first's.
//
// The end. When the peer shuts down its side (EOF), the input already read is still delivered:
// reads that the buffer satisfies complete, and ReadUntilClose receives everything. Once the
// application asks for input past the end (a read that can never complete, which is dropped
// without its callback) or ReadUntilClose has completed, the stream sends the output already
// written and then closes. EOF is noticed only while a read is pending, so an application that
// answers a request later and reads again only after answering still gets its answer out.
// Tornado 3.2 closed at once on EOF, so a client that half-closed its socket lost the answers
// it was owed. Close closes at once and drops unsent output; to close after the last byte has
// gone, call it from that Write's callback. Either way, the close callback runs once, after
// the reads that the buffer satisfies and the callbacks already due have run. A peer that
// resets the connection (ECONNRESET, ECONNABORTED, EPIPE) closes the stream quietly; other
// errors are logged. Error says why the stream closed.
//
// Callbacks cost nothing to start when they are bound once: a method value or closure made
// when the connection opens (see the package's echo benchmark). Writing s.ReadUntil(delim,
// h.onLine) makes a new method value at every call, which escapes to the heap.
//
// A callback that panics closes the stream with Error wrapping the panic, which is logged with
// its stack; the loop and the other streams go on, and the close callback still runs.
//
// Memory. An idle stream holds no buffer: input is read into a chunk lent by a pool for the
// length of one event, and only the unread remainder (a partial line) is copied into memory of
// the stream's own; output is buffered only while the kernel refuses it. The descriptor is
// registered with the loop only while the stream waits for it (a pending read, output owed),
// and the events watched change only when what it waits for changes.
type IOStream struct {
	loop *ioloop.IOLoop
	t    Transport
	cfg  streamConfig

	// Input: buf[pos:] is unread. buf is nil when nothing is unread, the pool's chunk while a
	// read event delivers from it (borrowed), and memory of the stream's own otherwise.
	buf      []byte
	pos      int
	read     readRequest
	delim    []byte // the pending ReadUntil's delimiter, copied into memory the stream reuses
	searched int    // bytes the delimiter searches have examined, for the test of linearity

	// Output.
	out      nonblocking.OutBuf
	queued   int64 // bytes accepted by Write so far; queued-out.Len() have gone to the kernel
	writeCBs []writeCallback
	wcHead   int // writeCBs[wcHead:] are waiting

	// Life.
	err     error
	closeCB func()
	runFn   func()
	events  uint32 // what the loop watches for the descriptor; ioloop.NONE when unregistered

	// Flags, together so that the struct has no padding between them.
	borrowed  bool // buf is the pool's chunk
	eof       bool // the peer shut down its side: nothing more will be read
	ended     bool // after EOF, the application asked past the end: close once output has gone
	closed    bool
	busy      bool // run is delivering: callbacks' requests are recorded, not run
	scheduled bool // a run is queued with the loop
}

type readKind uint8

const (
	readNone readKind = iota
	readDelim
	readRegex
	readBytes
	readClose
)

// readRequest is the pending read.
type readRequest struct {
	kind      readKind
	cb        func([]byte)
	streaming func([]byte)
	re        *regexp.Regexp
	n         int // ReadBytes: bytes still wanted
	scan      int // ReadUntil: unread bytes already searched (less the delimiter's length - 1)
	// ReadUntilLimit: the most the read may deliver, delimiter included (0: no limit of its
	// own), and what runs instead of cb when that is broken.
	max     int
	tooLong func()
}

// NewIOStream makes a stream of t on loop. It takes charge of t: Close closes it. Nothing is
// registered with the loop until the stream has something to wait for.
func NewIOStream(loop *ioloop.IOLoop, t Transport, opts ...StreamOption) *IOStream {
	return &IOStream{loop: loop, t: t, cfg: newStreamConfig(opts)}
}

// Closed reports whether the stream is closed.
func (s *IOStream) Closed() bool { return s.closed }

// Error says why the stream closed: nil after Close or a clean end of input, the I/O error, a
// wrapped ErrBufferFull or ErrCallbackPanicked otherwise.
func (s *IOStream) Error() error { return s.err }

// SetCloseCallback makes fn run once the stream has closed, after the reads the buffer could
// satisfy and the callbacks already due. On a closed stream it runs soon, from the loop.
func (s *IOStream) SetCloseCallback(fn func()) {
	s.closeCB = fn
	s.afterCall()
}

// Close closes the stream now: the descriptor is unregistered and closed, unsent output is
// dropped, write callbacks not yet run are dropped. A pending ReadUntilClose receives the
// unread input; another pending read completes if the unread input satisfies it. Closing twice
// does nothing.
func (s *IOStream) Close() {
	s.closeWith(nil)
	s.afterCall()
}
