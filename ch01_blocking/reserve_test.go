// Tests of the spare descriptor: what a client at the limit sees, and what Refuse does when it
// cannot help.

package blocking

import (
	"errors"
	"os"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"tornadotcp/internal/testutil"
)

// reserveTestListener listens on a blocking loopback socket, closed when the test ends.
func reserveTestListener(t *testing.T) (fd int, addr string) {
	t.Helper()
	fd, err := Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Close(fd) })
	if addr, err = LocalAddr(fd); err != nil {
		t.Fatal(err)
	}
	return fd, addr
}

// reserveTestRefuse calls Refuse, failing the test if it has not returned within a second: on a
// blocking listener a wrong accept would wait for a client that never comes.
func reserveTestRefuse(t *testing.T, r *Reserve, listener int, err error) (bool, error) {
	t.Helper()
	type result struct {
		refused bool
		err     error
	}
	done := make(chan result, 1)
	go func() {
		refused, err := r.Refuse(listener, err)
		done <- result{refused, err}
	}()
	select {
	case res := <-done:
		return res.refused, res.err
	case <-time.After(time.Second):
		t.Fatal("Refuse blocked")
		return false, nil
	}
}

// Out of descriptors, accept fails even with a client waiting. Refuse closes that client's
// connection, which then reads EOF, and takes its spare back: the table is as full as before.
// With nobody waiting it does nothing, at once, even on a blocking listener. Once descriptors
// are free, the next client is accepted.
func TestReserveRefusesTheWaitingClient(t *testing.T) {
	testutil.CheckLeaks(t)
	listener, addr := reserveTestListener(t)
	r, err := OpenReserve()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()

	release := testutil.ExhaustDescriptors(t)
	waiting := testutil.Dial(t, addr) // takes the last free descriptor
	_, _, err = Accept(listener)
	if !errors.Is(err, unix.EMFILE) {
		t.Fatalf("accept with a full table: %v, want EMFILE", err)
	}
	if refused, rerr := reserveTestRefuse(t, r, listener, err); !refused || rerr != nil {
		t.Fatalf("Refuse with a client waiting: %v, %v; want true, nil", refused, rerr)
	}
	if rest, err := waiting.ReadToEOF(); err != nil || len(rest) != 0 {
		t.Errorf("the refused client read %q, %v; want EOF", rest, err)
	}
	if fd, err := unix.Open(os.DevNull, unix.O_RDONLY|unix.O_CLOEXEC, 0); err == nil {
		unix.Close(fd)
		t.Error("a descriptor is free after Refuse: the spare is not back")
	}

	// Nobody waits: accept still fails (the kernel looks for a descriptor before it looks at
	// the queue), and Refuse has nothing to do.
	_, _, err = Accept(listener)
	if !errors.Is(err, unix.EMFILE) {
		t.Fatalf("accept with a full table and an empty queue: %v, want EMFILE", err)
	}
	if refused, rerr := reserveTestRefuse(t, r, listener, err); refused || rerr != nil {
		t.Errorf("Refuse with nobody waiting: %v, %v; want false, nil", refused, rerr)
	}

	release()
	testutil.Dial(t, addr)
	conn, _, err := Accept(listener)
	if err != nil {
		t.Fatalf("accept once descriptors are free: %v", err)
	}
	unix.Close(conn)
}

// The spare cannot cure a shortage of kernel memory, nor help once another thread has taken the
// descriptor it gave up: Refuse says so with an error, leaving the client queued for the
// caller's back-off, and takes the spare back as soon as it can.
func TestReserveCannotHelp(t *testing.T) {
	testutil.CheckLeaks(t)
	listener, addr := reserveTestListener(t)
	r, err := OpenReserve()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	testutil.Dial(t, addr)

	enobufs := os.NewSyscallError("accept", unix.ENOBUFS)
	if refused, rerr := reserveTestRefuse(t, r, listener, enobufs); refused ||
		!errors.Is(rerr, unix.ENOBUFS) {
		t.Errorf("Refuse after ENOBUFS: %v, %v; want false, ENOBUFS", refused, rerr)
	}

	// The spare was lost: closed, and the descriptor it freed taken by the rest of the process.
	r.Close()
	release := testutil.ExhaustDescriptors(t)
	emfile := os.NewSyscallError("accept", unix.EMFILE)
	filler, err := unix.Open(os.DevNull, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	refused, rerr := reserveTestRefuse(t, r, listener, emfile)
	if refused || !errors.Is(rerr, unix.EMFILE) {
		t.Errorf("Refuse without its spare, at the limit: %v, %v; want false, EMFILE", refused,
			rerr)
	}
	unix.Close(filler)
	release()

	if refused, rerr := reserveTestRefuse(t, r, listener, emfile); !refused || rerr != nil {
		t.Errorf("Refuse once a descriptor is free: %v, %v; want true, nil", refused, rerr)
	}
	if r.fd < 0 {
		t.Error("Refuse did not take its spare back")
	}
}

// WaitForClient, the pause of a blocking accept loop out of descriptors, ends when a client
// arrives, not when the pause is over: here the pause is an hour. With nobody coming it ends
// with the pause, and Stop's shutdown of the listener ends it too.
func TestWaitForClient(t *testing.T) {
	testutil.CheckLeaks(t)
	listener, addr := reserveTestListener(t)
	if err := WaitForClient(listener, time.Millisecond); err != nil {
		t.Errorf("WaitForClient with nobody coming: %v", err)
	}
	wait := func(what string, arrive func()) {
		t.Helper()
		done := make(chan error, 1)
		go func() { done <- WaitForClient(listener, time.Hour) }()
		arrive()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("WaitForClient until %s: %v", what, err)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("WaitForClient did not end when %s", what)
		}
	}
	wait("a client arrives", func() { testutil.Dial(t, addr) })
	conn, _, err := Accept(listener)
	if err != nil {
		t.Fatal(err)
	}
	unix.Close(conn)
	wait("the listener is shut down", func() { unix.Shutdown(listener, unix.SHUT_RDWR) })
}
