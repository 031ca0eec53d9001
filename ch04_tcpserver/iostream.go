// IOStream: a connection on the loop, read by delimiter, by pattern, by count or to the end, and
// written without blocking, each completion reported to a callback. This file is the stream and
// its options; then come the reads (iostream_read.go), the writes (iostream_write.go), the event
// handler and the callback runner (iostream_events.go) and the close (iostream_close.go), in the
// order of BaseIOStream in tornado/iostream.py (3.2). The socket calls sit behind a Transport
// (transport.go).

package tcpserver

import (
	"errors"
	"log/slog"
	"time"

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
// straight back, as an echo server does, is safe. Input is read while a read is pending; with
// none pending, the stream reads ahead at most one chunk (see Watching) and then leaves the
// rest in the kernel, so a peer that sends faster than the application asks is held back by
// the kernel's buffers and TCP's flow control, not by this stream's memory.
//
// Writing. Write sends at once what the kernel takes and buffers the rest, in order; the loop
// sends that when the socket is writable. A Write made by one of the stream's own callbacks is
// the exception: it joins the run's batch, and the batch goes out in one write(2) when nothing
// but more input is due (or sooner, when the batch is full), so the answers to the requests one
// read brought leave together instead of in a system call each. A write callback runs once
// everything written up to and including its Write has gone to the kernel. Tornado 3.2 kept one
// write callback, and a second Write replaced the first's.
//
// The end. When the peer shuts down its side (EOF), the input already read is still delivered:
// reads that the buffer satisfies complete, and ReadUntilClose receives everything. The stream
// then sends the output already written and closes, once the application wants nothing more:
// it has asked for input past the end (a read that can never complete, which is dropped
// without its callback), or ReadUntilClose has completed, or EOF came while no read was pending
// and nothing was unread. Tornado 3.2 closed at once on EOF, so a client that half-closed its
// socket lost the answers it was owed. Close closes at once and drops unsent output. A server
// that ends a connection of its own accord calls LingeringClose instead: the output goes first,
// then the stream half-closes and drops what the peer still sends, within bounds, before it
// closes, because a close with input unread makes the kernel reset the connection, which can
// destroy the output before the peer reads it. Either way, the close callback runs once, after
// the reads that the buffer satisfies and the callbacks already due have run. A peer that
// resets the connection (ECONNRESET, ECONNABORTED, EPIPE) closes the stream quietly; other
// errors are logged. Error says why the stream closed.
//
// Watching. A stream with a close callback watches its descriptor even with no read pending, as
// Tornado 3.2's _maybe_add_error_listener does: a peer that closes or resets an idle connection
// (a long poll waiting for its answer) is noticed, and the close callback runs. What such a
// peer sends meanwhile is read into the buffer for the next read, one chunk at most; then the
// stream stops watching until the application reads, and the kernel holds the rest, so the
// loop never wakes for input nobody asked for. A peer that half-closed cannot be told from one
// that left, so EOF on an idle stream closes it, as in Tornado. A stream without a close
// callback does not watch while idle: it learns of the end at its next read or write, which
// is what an application that answers a half-closed peer later needs.
//
// Callbacks cost nothing to start when they are bound once: a method value or closure made
// when the connection opens (see the package's echo benchmark). Writing s.ReadUntil(delim,
// h.onLine) makes a new method value at every call, which escapes to the heap.
//
// A callback that panics closes the stream with Error wrapping the panic, which is logged with
// its stack; the loop and the other streams go on, and the close callback still runs.
//
// Memory. An idle stream holds no buffer: input is read into a chunk lent by a pool for the
// length of one run of the stream, and only the unread remainder (a partial line) is copied
// into memory of the stream's own; the run's batch is lent with the chunk; output is buffered
// in the stream only while the kernel refuses it. The descriptor is registered with the loop
// at the stream's first call that waits for something (a pending read, output owed, a close
// callback), and the events watched change only when what it waits for changes.
type IOStream struct {
	// The fields a message touches come first, the flags it reads first of all, and the rest
	// last: a server with thousands of streams finds few of them still in the CPU's cache, so
	// each 64-byte line a message reads costs a trip to memory. Short delimiters and the first
	// write callback live inside the stream for the same reason.

	// Flags, together so that the struct has no padding between them.
	closed      bool
	readable    bool   // the loop reported input for this run, and no read has come back short
	unexplained bool   // the loop reported an error for this run that no read or send has shown
	busy        bool   // run is delivering: callbacks' requests are recorded, not run
	borrowed    bool   // buf is the pool's chunk
	eof         bool   // the peer shut down its side: nothing more will be read
	ended       bool   // the application wants nothing more: close once output has gone
	scheduled   bool   // a run is queued with the loop
	reads       uint8  // transport reads in this run, at most maxReadsPerRun
	lingering   bool   // LingeringClose was called: send the output, half-close, drain, close
	halfClosed  bool   // a lingering close has half-closed and is draining
	endSaid     bool   // closeAtEnd has half-closed: the close waits for the transport's message
	events      uint32 // what the loop watches for the descriptor; ioloop.NONE when unregistered

	// Input: buf[pos:] is unread. buf is nil when nothing is unread, the pool's chunk while a
	// run delivers from it (borrowed), and memory of the stream's own otherwise.
	buf         []byte
	pos         int
	t           Transport
	read        readRequest
	delim       []byte // the pending ReadUntil's delimiter: in delimInline when it fits
	delimInline [8]byte

	// Output.
	out      nonblocking.OutBuf
	queued   int64           // bytes accepted by Write so far; queued-out.Len() have gone to the transport
	writeCBs []writeCallback // writeCBs[wcHead:] are waiting; in wcInline while one is
	wcHead   int
	wcInline [1]writeCallback
	closeCB  func()

	lent     *runBuffers   // the pool's chunk and batch, held for one run
	ext      *transportExt // what the transport does beyond Transport; nil for a plain socket
	cfg      *streamConfig // shared by the streams of one server
	searched int           // bytes the delimiter searches have examined, for the test of linearity

	loop        *ioloop.IOLoop
	err         error
	runFromLoop func()
}

// NewIOStream makes a stream of t on loop. It takes charge of t: Close closes it. Nothing is
// registered with the loop until the stream has something to wait for.
func NewIOStream(loop *ioloop.IOLoop, t Transport, opts ...StreamOption) *IOStream {
	return newSharedStream(loop, t, newStreamConfig(opts))
}

// newSharedStream makes a stream with a configuration that other streams may share.
func newSharedStream(loop *ioloop.IOLoop, t Transport, cfg *streamConfig) *IOStream {
	s := &IOStream{loop: loop, t: t, cfg: cfg}
	var ext transportExt
	ext.in, _ = t.(InputHolder)
	ext.out, _ = t.(OutputHolder)
	ext.interest, _ = t.(Interested)
	ext.gate, _ = t.(OutputGate)
	if ext != (transportExt{}) {
		s.ext = &ext
	}
	if ext.interest != nil {
		// A transport with events of its own gets them from the start, whatever the application
		// does first: Tornado 3.2's SSLIOStream registers at once, so that the handshake runs
		// even while the application waits before it reads or writes.
		s.updateInterest()
	}
	return s
}

// transportExt is what a transport does beyond Transport (see its contract), found once. It is
// kept apart so that a plain socket's stream, the common case, carries one nil pointer for it.
type transportExt struct {
	in       InputHolder
	out      OutputHolder
	interest Interested
	gate     OutputGate
}

// heldInput is the input the transport holds (InputHolder).
func (s *IOStream) heldInput() int {
	if s.ext == nil || s.ext.in == nil {
		return 0
	}
	return s.ext.in.Buffered()
}

// heldOutput is the output the transport holds (OutputHolder).
func (s *IOStream) heldOutput() int {
	if s.ext == nil || s.ext.out == nil {
		return 0
	}
	return s.ext.out.Unflushed()
}

// sendableOutput is the output a writable descriptor would let go: the stream's own, and what
// the transport holds unless it is gated (OutputGate).
func (s *IOStream) sendableOutput() int {
	n := s.batched() + s.out.Len()
	if s.ext != nil && s.ext.gate != nil {
		return n + s.ext.gate.Sendable()
	}
	return n + s.heldOutput()
}

// transportInterest is what the transport asks the loop to watch for itself (Interested).
func (s *IOStream) transportInterest() uint32 {
	if s.ext == nil || s.ext.interest == nil {
		return ioloop.NONE
	}
	return s.ext.interest.Interest() & (ioloop.READ | ioloop.WRITE)
}

const (
	// DefaultMaxBufferSize is how much unread input a stream holds while a read waits for more:
	// 100 MiB, as in Tornado.
	DefaultMaxBufferSize = 100 << 20

	// DefaultReadChunkSize is the most one recv asks for: 16 KiB. Tornado reads 4 KiB at a time
	// into a buffer of its own per stream; here recv fills a chunk lent by a pool only for the
	// length of one run, so a large chunk costs an idle stream nothing, and a bulk transfer
	// needs a quarter of the system calls (BenchmarkIOStreamBulk measures both). A stream reads
	// one chunk per pass of the loop (maxReadsPerRun), so the chunk is also how long a busy
	// connection keeps the others waiting: with 64 KiB, a fresh client waited several times
	// longer under 200 streaming clients (bench fairness scenario).
	DefaultReadChunkSize = 16 << 10

	// DefaultMaxWriteBufferSize is how much output a stream holds for a peer that does not read:
	// 100 MiB, the same bound as for input.
	DefaultMaxWriteBufferSize = 100 << 20
)

// A StreamOption configures NewIOStream: the keyword arguments of BaseIOStream.__init__
// (max_buffer_size, read_chunk_size), a limit on buffered output that Tornado 3.2 did not have,
// and a logger.
type StreamOption func(*streamConfig)

type streamConfig struct {
	maxBuffer   int
	chunk       int
	maxWrite    int
	lingerTime  time.Duration
	lingerBytes int
	log         *slog.Logger
}

func newStreamConfig(opts []StreamOption) *streamConfig {
	c := &streamConfig{
		maxBuffer:   DefaultMaxBufferSize,
		chunk:       DefaultReadChunkSize,
		maxWrite:    DefaultMaxWriteBufferSize,
		lingerTime:  nonblocking.LingerTimeout,
		lingerBytes: nonblocking.LingerMaxBytes,
		log:         slog.Default(),
	}
	for _, opt := range opts {
		opt(c)
	}
	return c
}

// WithMaxBufferSize bounds the unread input a pending read may accumulate (Tornado's
// max_buffer_size). A read that needs more closes the stream with ErrBufferFull. Zero or less
// keeps the default.
func WithMaxBufferSize(n int) StreamOption {
	return func(c *streamConfig) {
		if n > 0 {
			c.maxBuffer = n
		}
	}
}

// WithReadChunkSize sets the most one recv asks for (Tornado's read_chunk_size). Zero or less
// keeps the default.
func WithReadChunkSize(n int) StreamOption {
	return func(c *streamConfig) {
		if n > 0 {
			c.chunk = n
		}
	}
}

// WithMaxWriteBufferSize bounds the output waiting for the peer to read it: a Write that would
// take it past n fails with ErrWriteBufferFull and buffers nothing. Zero means no limit, which
// is what Tornado 3.2 did.
func WithMaxWriteBufferSize(n int) StreamOption {
	return func(c *streamConfig) { c.maxWrite = max(n, 0) }
}

// WithLinger sets the bounds of LingeringClose: how long a half-closed stream is drained at most,
// and how much the peer may send meanwhile before the stream is closed anyway. Zero or less
// keeps the default: chapter 2's nonblocking.LingerTimeout (2 s) and LingerMaxBytes (8 MiB).
func WithLinger(timeout time.Duration, maxBytes int) StreamOption {
	return func(c *streamConfig) {
		if timeout > 0 {
			c.lingerTime = timeout
		}
		if maxBytes > 0 {
			c.lingerBytes = maxBytes
		}
	}
}

// WithStreamLogger sends the stream's reports (a panicking callback, an unexpected I/O error)
// to logger instead of slog.Default().
func WithStreamLogger(logger *slog.Logger) StreamOption {
	return func(c *streamConfig) {
		if logger != nil {
			c.log = logger
		}
	}
}

// Transport is the stream's transport, Tornado's stream.socket: chapter 6 asks a TLS stream's
// for its handshake's outcome.
func (s *IOStream) Transport() Transport { return s.t }

// SetNodelay turns Nagle's algorithm off (true) or on (false) for the stream's socket, Tornado's
// set_nodelay (3.1): with it off, a small write goes out at once instead of waiting for the
// peer to acknowledge the previous one, which a request-response protocol wants. Like Tornado,
// it does nothing where it means nothing: on a closed stream, on a transport that is not a
// socket (it has no SetNodelay method; Tornado's BaseIOStream.set_nodelay does nothing), and on
// a socket that is not TCP (see SocketTransport.SetNodelay).
func (s *IOStream) SetNodelay(on bool) error {
	nd, ok := s.t.(NodelaySetter)
	if s.closed || !ok {
		return nil
	}
	return nd.SetNodelay(on)
}
