// OutBuf: the bytes owed to one connection, sent as fast as the kernel takes them. Mirrors the
// write side of tornado/iostream.py (3.2): write() tries to send at once, _handle_write sends
// what was left when the socket becomes writable, and nothing is dropped or reordered.

package nonblocking

// OutBuf holds the bytes a non-blocking send could not take yet. The zero value is empty and
// ready; it belongs to one connection and one goroutine.
//
// A blocking send waits until the kernel's socket buffer has room; a non-blocking send takes
// what fits and says EAGAIN for the rest. The rest must wait somewhere, in order, until the
// socket is writable again: here. This is the seed of chapter 4's IOStream, whose Write buffers
// the same way and asks the loop to watch for WRITE while anything is owed.
//
// Memory follows what is owed: an empty OutBuf holds no array, so an idle connection costs
// nothing; a queue that drains slowly is compacted as it goes rather than growing with
// everything that ever passed through it, and moves to a smaller array once it has drained to a
// quarter of the one it grew; and a connection that closes with output owed hands its array to
// Release, which counts it towards giving memory back to the OS.
type OutBuf struct {
	data []byte // data[sent:] is owed to the peer
	sent int
}

// Len is the number of bytes owed: appended and not yet taken by the kernel.
func (b *OutBuf) Len() int { return len(b.data) - b.sent }

// Append queues a copy of p behind what is already owed; nothing is sent. The copy is needed
// because the caller's bytes (a server's shared read buffer) are reused at once.
func (b *OutBuf) Append(p []byte) {
	// Before growing, slide the owed bytes to the front if the sent prefix is at least as
	// large: each byte is then moved at most once per doubling, so appends stay cheap.
	if b.sent > 0 && b.sent >= b.Len() {
		n := copy(b.data, b.data[b.sent:])
		b.data, b.sent = b.data[:n], 0
	}
	b.data = append(b.data, p...)
}

// Flush sends what is owed until the kernel says EAGAIN. done is true when nothing is owed any
// more (and the memory has been released); false means the socket buffer is full and the rest
// waits for the socket to become writable. An error (EPIPE, ECONNRESET, ...) leaves the bytes in
// place; the connection is finished anyway.
func (b *OutBuf) Flush(fd int) (done bool, err error) {
	return b.FlushVia(func(p []byte) (int, error) { return Send(fd, p) })
}

// FlushVia is Flush through send, any non-blocking send that reports "would block" as
// WouldBlock recognises: chapter 4's IOStream sends through its transport (a socket, later TLS)
// this way, with this same buffer.
func (b *OutBuf) FlushVia(send func(p []byte) (int, error)) (done bool, err error) {
	for b.Len() > 0 {
		n, err := send(b.data[b.sent:])
		if err != nil {
			if WouldBlock(err) {
				b.shrink()
				return false, nil
			}
			return false, err
		}
		b.sent += n
	}
	b.data, b.sent = nil, 0
	return true, nil
}

// shrinkAbove is the capacity above which a buffer that has mostly drained is moved to a
// smaller array: below it, the copy would cost more than the memory it gives back.
const shrinkAbove = 16 << 10

// shrink moves the owed bytes to an array twice their size once they fill a quarter or less of
// the one they are in: a buffer that grew for a burst gives most of it back while the peer
// catches up, not only once it has caught up entirely.
func (b *OutBuf) shrink() {
	if c := cap(b.data); c > shrinkAbove && 4*b.Len() <= c {
		b.data, b.sent = append(make([]byte, 0, 2*b.Len()), b.data[b.sent:]...), 0
	}
}

// Release drops whatever is owed, for a connection that is closing: nothing of it will be sent.
// The array it let go is counted towards the next return of memory to the OS (LetGo), since a
// closing connection's buffer is the one kind the heap will not soon reuse.
func (b *OutBuf) Release() {
	n := cap(b.data)
	*b = OutBuf{}
	LetGo(n)
}

// Write is Append followed by Flush, without the copy when it is not needed: if nothing is owed,
// p goes straight to the kernel and only the part it refuses is kept. If something is owed, p
// only joins the queue, behind it; the socket was full a moment ago and the loop will Flush
// when it is writable. done is true when nothing is owed.
func (b *OutBuf) Write(fd int, p []byte) (done bool, err error) {
	return b.WriteVia(func(p []byte) (int, error) { return Send(fd, p) }, p)
}

// WriteVia is Write through send, as FlushVia is Flush.
func (b *OutBuf) WriteVia(send func(p []byte) (int, error), p []byte) (done bool, err error) {
	if b.Len() > 0 {
		b.Append(p)
		return false, nil
	}
	for len(p) > 0 {
		n, err := send(p)
		if err != nil {
			if WouldBlock(err) {
				break
			}
			return false, err
		}
		p = p[n:]
	}
	if len(p) > 0 {
		b.Append(p)
	}
	return b.Len() == 0, nil
}
