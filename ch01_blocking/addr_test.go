// Tests of ParseAddr and FormatAddr: "HOST:PORT" to a socket address and back.

package blocking_test

import (
	"testing"

	"golang.org/x/sys/unix"

	blocking "tornadotcp/ch01_blocking"
)

func TestParseAddrRoundTrip(t *testing.T) {
	tests := []struct {
		in         string
		wantFamily int
		wantFormat string
	}{
		{"127.0.0.1:8888", unix.AF_INET, "127.0.0.1:8888"},
		{"127.0.0.1:0", unix.AF_INET, "127.0.0.1:0"},
		{"0.0.0.0:65535", unix.AF_INET, "0.0.0.0:65535"},
		{":80", unix.AF_INET, "0.0.0.0:80"}, // an empty host is every IPv4 address here; Tornado's bind_sockets binds IPv6 too
		{"[::1]:0", unix.AF_INET6, "[::1]:0"},
		{"[::]:8080", unix.AF_INET6, "[::]:8080"},
		{"[2001:db8::1]:443", unix.AF_INET6, "[2001:db8::1]:443"},
		{"[::ffff:127.0.0.1]:9", unix.AF_INET, "127.0.0.1:9"}, // IPv4-mapped: bound as IPv4
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			sa, family, err := blocking.ParseAddr(tt.in)
			if err != nil {
				t.Fatalf("ParseAddr(%q): %v", tt.in, err)
			}
			if family != tt.wantFamily {
				t.Errorf("family = %d, want %d", family, tt.wantFamily)
			}
			got := blocking.FormatAddr(sa)
			if got != tt.wantFormat {
				t.Errorf("FormatAddr(ParseAddr(%q)) = %q, want %q", tt.in, got, tt.wantFormat)
			}
			// What FormatAddr prints, ParseAddr reads back to the same address.
			sa2, family2, err := blocking.ParseAddr(got)
			if err != nil || family2 != family || blocking.FormatAddr(sa2) != got {
				t.Errorf("ParseAddr(%q) = %v, %d, %v: not a round trip", got, sa2, family2, err)
			}
		})
	}
}

// Each error names the address once and says what is wrong with it, in one message: the
// resolver's own error for a malformed HOST:PORT is not wrapped again.
func TestParseAddrErrors(t *testing.T) {
	tests := []struct{ in, want string }{
		{"127.0.0.1", "address 127.0.0.1: missing port in address"},
		{"127.0.0.1:", `address "127.0.0.1:": port must be a number from 0 to 65535`},
		{"127.0.0.1:http", `address "127.0.0.1:http": port must be a number from 0 to 65535`},
		{"127.0.0.1:65536", `address "127.0.0.1:65536": port must be a number from 0 to 65535`},
		{"127.0.0.1:-1", `address "127.0.0.1:-1": port must be a number from 0 to 65535`},
		{"::1:80", "address ::1:80: too many colons in address"},
		{"localhost:8888", `address "localhost:8888": host "localhost" is not an IP address ` +
			"(names are not resolved here): use a literal such as 127.0.0.1 or ::1"},
		{"256.0.0.1:80", `address "256.0.0.1:80": host "256.0.0.1" is not an IP address ` +
			"(names are not resolved here): use a literal such as 127.0.0.1 or ::1"},
		{"[fe80::1%eth0]:80", `address "[fe80::1%eth0]:80": IPv6 zones (%eth0) are not ` +
			"supported: use an address without one, such as ::1"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			sa, _, err := blocking.ParseAddr(tt.in)
			if err == nil {
				t.Fatalf("ParseAddr(%q) = %v, want an error", tt.in, blocking.FormatAddr(sa))
			}
			if got := err.Error(); got != tt.want {
				t.Errorf("ParseAddr(%q) error\n%s\nwant\n%s", tt.in, got, tt.want)
			}
		})
	}
}

func TestFormatAddrOtherKinds(t *testing.T) {
	sa := &unix.SockaddrUnix{Name: "/tmp/echo.sock"}
	if got := blocking.FormatAddr(sa); got != "/tmp/echo.sock" {
		t.Errorf("unix socket: got %q", got)
	}
	// Any other kind is named by its type rather than mistaken for an address.
	if got := blocking.FormatAddr(nil); got != "<nil>" {
		t.Errorf("no address: got %q, want %q", got, "<nil>")
	}
}
