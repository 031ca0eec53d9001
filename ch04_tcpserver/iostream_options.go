// The stream's limits and its logger: the keyword arguments of BaseIOStream.__init__ in
// tornado/iostream.py (3.2) (max_buffer_size, read_chunk_size), plus a limit on buffered output
// that Tornado 3.2 did not have.

package tcpserver

import "log/slog"

const (
	// DefaultMaxBufferSize is how much unread input a stream holds while a read waits for more:
	// 100 MiB, as in Tornado.
	DefaultMaxBufferSize = 100 << 20

	// DefaultReadChunkSize is the most one recv asks for: 64 KiB. Tornado reads 4 KiB at a time
	// into a buffer of its own per stream; here recv fills a chunk lent by a pool only for the
	// length of one event, so a large chunk costs an idle stream nothing, and a bulk transfer
	// needs a sixteenth of the system calls (BenchmarkIOStreamBulk measures both).
	DefaultReadChunkSize = 64 << 10

	// DefaultMaxWriteBufferSize is how much output a stream holds for a peer that does not read:
	// 100 MiB, the same bound as for input.
	DefaultMaxWriteBufferSize = 100 << 20
)

// A StreamOption configures NewIOStream.
type StreamOption func(*streamConfig)

type streamConfig struct {
	maxBuffer int
	chunk     int
	maxWrite  int
	log       *slog.Logger
}

func newStreamConfig(opts []StreamOption) streamConfig {
	c := streamConfig{
		maxBuffer: DefaultMaxBufferSize,
		chunk:     DefaultReadChunkSize,
		maxWrite:  DefaultMaxWriteBufferSize,
		log:       slog.Default(),
	}
	for _, opt := range opts {
		opt(&c)
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

// WithStreamLogger sends the stream's reports (a panicking callback, an unexpected I/O error)
// to logger instead of slog.Default().
func WithStreamLogger(logger *slog.Logger) StreamOption {
	return func(c *streamConfig) {
		if logger != nil {
			c.log = logger
		}
	}
}
