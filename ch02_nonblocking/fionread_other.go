//go:build unix && !linux

// The ioctl that says how many bytes a socket holds unread, on the BSDs and macOS.

package nonblocking

// fionread is FIONREAD, _IOR('f', 127, int) in <sys/filio.h>, which golang.org/x/sys/unix does
// not export for these systems.
const fionread = 0x4004667f
