// The ioctl that says how many bytes a socket holds unread, on Linux.

package nonblocking

import "golang.org/x/sys/unix"

// fionread is FIONREAD; for a socket Linux names it SIOCINQ.
const fionread = unix.SIOCINQ
