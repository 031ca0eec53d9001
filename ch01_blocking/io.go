// Blocking recv and send. On a connected socket recv(fd, buf, 0) is read(2) and send(fd, buf, 0)
// is write(2); x/sys's Read and Write are the thinnest wrappers over them.

package blocking

import (
	"errors"

	"golang.org/x/sys/unix"
)

// Recv reads what the kernel has for fd into buf, waiting if there is nothing yet (on a blocking
// descriptor). Zero bytes and a nil error mean the peer closed its side (EOF). A signal that
// interrupts the wait (EINTR) is retried, not reported.
func Recv(fd int, buf []byte) (int, error) {
	for {
		n, err := unix.Read(fd, buf)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			return 0, wrap("recv", err)
		}
		return n, nil
	}
}

// SendAll writes all of data to fd. A blocking send may still write less than asked (a signal,
// a full socket buffer on some systems), so it loops until every byte is gone or an error
// (EPIPE, ECONNRESET) says the peer is gone. Go's runtime ignores SIGPIPE for sockets, so a
// closed peer is an error value, not a dead process.
func SendAll(fd int, data []byte) error {
	for len(data) > 0 {
		n, err := unix.Write(fd, data)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			return wrap("send", err)
		}
		data = data[n:]
	}
	return nil
}
