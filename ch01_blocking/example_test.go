// Examples the book quotes: their printed output is checked by go test.

package blocking_test

import (
	"fmt"

	blocking "tornadotcp/ch01_blocking"
)

// Bytes arrive in whatever pieces the network delivers; complete lines come out, each as soon as
// its '\n' has arrived, and the unfinished rest waits for more.
func ExampleLines_Feed() {
	var lines blocking.Lines
	for _, read := range []string{"hel", "lo\nwor", "ld\nand a half", " line\n"} {
		complete, err := lines.Feed([]byte(read))
		if err != nil {
			fmt.Println("error:", err)
			return
		}
		fmt.Printf("read %-16q -> echo %-18q pending %d\n", read, complete, lines.Pending())
	}
	// Output:
	// read "hel"            -> echo ""                 pending 3
	// read "lo\nwor"        -> echo "hello\n"          pending 3
	// read "ld\nand a half" -> echo "world\n"          pending 10
	// read " line\n"        -> echo "and a half line\n" pending 0
}

func ExampleParseAddr() {
	for _, hostport := range []string{"127.0.0.1:8888", "[::1]:0", ":8888", "localhost:8888"} {
		sa, _, err := blocking.ParseAddr(hostport)
		if err != nil {
			fmt.Println("error:", err)
			continue
		}
		fmt.Printf("%-16s -> %s\n", hostport, blocking.FormatAddr(sa))
	}
	// Output:
	// 127.0.0.1:8888   -> 127.0.0.1:8888
	// [::1]:0          -> [::1]:0
	// :8888            -> 0.0.0.0:8888
	// error: address "localhost:8888": host "localhost" is not an IP address (names are not resolved here): use a literal such as 127.0.0.1 or ::1
}
