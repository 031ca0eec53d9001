package bench

import (
	"net"
	"os"
	"testing"

	"tornadotcp/internal/testutil"
)

func TestReadDescriptors(t *testing.T) {
	if _, err := os.Stat("/proc/self/fd"); err != nil {
		t.Skip("no /proc on this system")
	}
	testutil.CheckLeaks(t) // first: it also opens the runtime's own poller, which is not counted
	before, err := ReadDescriptors(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	f, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	during, err := ReadDescriptors(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if during.Sockets != before.Sockets+1 || during.Total != before.Total+2 {
		t.Errorf("with a listener and a file open: %+v, before %+v; want one more socket, two more in all", during, before)
	}
	if _, err := ReadDescriptors(-1); err == nil {
		t.Error("ReadDescriptors(-1) = nil error, want one")
	}
}
