// Tests of ParseAddr and FormatAddr: "HOST:PORT" to a socket address and back.

package blocking_test

import (
	"strings"
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
		{":80", unix.AF_INET, "0.0.0.0:80"}, // an empty host is every IPv4 address, as in Tornado
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

func TestParseAddrErrors(t *testing.T) {
	tests := []struct {
		in      string
		wantMsg string // a phrase the message must contain, so that it says what is wrong
	}{
		{"127.0.0.1", "missing port"},
		{"127.0.0.1:", "port must be a number from 0 to 65535"},
		{"127.0.0.1:http", "port must be a number from 0 to 65535"},
		{"127.0.0.1:65536", "port must be a number from 0 to 65535"},
		{"127.0.0.1:-1", "port must be a number from 0 to 65535"},
		{"::1:80", "too many colons"},
		{"localhost:8888", "names are not resolved"},
		{"example.com:80", "names are not resolved"},
		{"256.0.0.1:80", "names are not resolved"},
		{"[fe80::1%eth0]:80", "zone"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			sa, _, err := blocking.ParseAddr(tt.in)
			if err == nil {
				t.Fatalf("ParseAddr(%q) = %v, want an error", tt.in, blocking.FormatAddr(sa))
			}
			msg := err.Error()
			if !strings.Contains(msg, tt.wantMsg) {
				t.Errorf("ParseAddr(%q) error %q does not say %q", tt.in, msg, tt.wantMsg)
			}
			if !strings.Contains(msg, tt.in) {
				t.Errorf("ParseAddr(%q) error %q does not name the address", tt.in, msg)
			}
		})
	}
}

func TestFormatAddrOtherKinds(t *testing.T) {
	if got := blocking.FormatAddr(&unix.SockaddrUnix{Name: "/tmp/echo.sock"}); got != "/tmp/echo.sock" {
		t.Errorf("unix socket: got %q", got)
	}
	// Any other kind is named by its type rather than mistaken for an address.
	if got := blocking.FormatAddr(nil); got != "<nil>" {
		t.Errorf("no address: got %q, want %q", got, "<nil>")
	}
}
