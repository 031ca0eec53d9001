// One connection's echo loop on blocking calls: recv, split into lines, send them back.

package blocking

// RecvBufferSize is how much one recv asks for: 4 KiB, Tornado's read_chunk_size (3.2).
const RecvBufferSize = 4096

// Echo serves the echo protocol on a connected, blocking descriptor until the peer closes its
// side, an error occurs or a line is too long. It does not close fd.
//
// Half-close needs no special code here: every line is echoed as soon as it is complete, so
// when recv returns 0 (the client shut down its write side) all that is owed has been sent, and
// the bytes after the last '\n' are dropped, as read_until would leave them unread.
func Echo(fd int) error {
	buf := make([]byte, RecvBufferSize)
	var lines Lines
	for {
		n, err := Recv(fd, buf)
		if err != nil {
			return err
		}
		if n == 0 {
			return nil
		}
		// A too-long line still comes with the lines before it: they were accepted, so they
		// are echoed before the connection is given up.
		complete, tooLong := lines.Feed(buf[:n])
		if err := SendAll(fd, complete); err != nil {
			return err
		}
		if tooLong != nil {
			return tooLong
		}
	}
}
