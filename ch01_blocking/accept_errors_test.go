// Tests of the accept rules: which errors are skipped, which pause the listener, and how a
// shortage of descriptors is paced and reported.

package blocking

import (
	"errors"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"tornadotcp/internal/testutil"
)

func TestAcceptErrorKinds(t *testing.T) {
	again := []unix.Errno{unix.ECONNABORTED, unix.EINTR, unix.EPROTO, unix.ENOPROTOOPT,
		unix.EOPNOTSUPP, unix.ENETDOWN, unix.ENETUNREACH, unix.EHOSTDOWN, unix.EHOSTUNREACH}
	short := []unix.Errno{unix.EMFILE, unix.ENFILE, unix.ENOBUFS, unix.ENOMEM}
	neither := []unix.Errno{unix.EAGAIN, unix.EBADF, unix.EINVAL, unix.ENOTSOCK}
	for _, errno := range again {
		err := os.NewSyscallError("accept", errno) // wrapped, as Accept returns it
		if !AcceptAgain(err) || OutOfDescriptors(err) {
			t.Errorf("%v: want AcceptAgain only", err)
		}
	}
	for _, errno := range short {
		err := os.NewSyscallError("accept", errno)
		if !OutOfDescriptors(err) || AcceptAgain(err) {
			t.Errorf("%v: want OutOfDescriptors only", err)
		}
	}
	for _, errno := range neither {
		err := os.NewSyscallError("accept", errno)
		if AcceptAgain(err) || OutOfDescriptors(err) {
			t.Errorf("%v: want neither", err)
		}
	}
}

// The pause doubles from 10 ms to at most 1 s while retries take nothing, starts again after a
// retry that took connections, and a whole episode is two log lines however many retries it
// takes; the next episode is two more.
func TestAcceptBackoff(t *testing.T) {
	logs := &testutil.LogBuffer{}
	log := logs.Logger()
	var b AcceptBackoff
	b.Succeeded(log) // no episode: nothing to say
	emfile := os.NewSyscallError("accept", unix.EMFILE)
	var pauses []time.Duration
	for range 9 {
		pauses = append(pauses, b.Failed(log, emfile, false))
	}
	pauses = append(pauses, b.Failed(log, emfile, true), b.Failed(log, emfile, false))
	want := []time.Duration{10, 20, 40, 80, 160, 320, 640, 1000, 1000, 10, 20}
	for i := range want {
		want[i] *= time.Millisecond
	}
	if !slices.Equal(pauses, want) {
		t.Errorf("pauses %v, want %v", pauses, want)
	}
	b.Succeeded(log)
	lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
	if len(lines) != 2 ||
		!strings.Contains(lines[0], `level=WARN msg="accept failed; not accepting for a while`) ||
		!strings.Contains(lines[0], `err="accept: too many open files"`) ||
		!strings.Contains(lines[1], `level=INFO msg="accepting again"`) ||
		!strings.Contains(lines[1], "failed_attempts=11") {
		t.Errorf("log of one episode:\n%s", logs)
	}
	if p := b.Failed(log, emfile, false); p != FirstAcceptPause {
		t.Errorf("a new episode begins with %v, want %v", p, FirstAcceptPause)
	}
	if n := strings.Count(logs.String(), "\n"); n != 3 {
		t.Errorf("%d log lines after a second episode began, want 3:\n%s", n, logs)
	}
}

// PeerGone is Tornado's _ERRNO_CONNRESET: a reset, an abort, a broken pipe; nothing else.
func TestPeerGone(t *testing.T) {
	for _, errno := range []unix.Errno{unix.ECONNRESET, unix.ECONNABORTED, unix.EPIPE} {
		if err := os.NewSyscallError("recv", errno); !PeerGone(err) {
			t.Errorf("PeerGone(%v) = false", err)
		}
	}
	for _, err := range []error{unix.EAGAIN, unix.ETIMEDOUT, ErrLineTooLong, errors.New("other")} {
		if PeerGone(err) {
			t.Errorf("PeerGone(%v) = true", err)
		}
	}
}
