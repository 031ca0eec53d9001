// The first of TCPServer's three startup forms, as a program: make the server, Listen, start the
// loop. Mirrors the single-process form in the docstring of tornado/tcpserver.py (3.2).

package tcpserver_test

import (
	"bufio"
	"fmt"
	"net"
	"time"

	ioloop "tornadotcp/ch03_epoll"
	tcpserver "tornadotcp/ch04_tcpserver"
)

// Tornado's first startup form, with the EchoServer of Tornado's docstring (an example since
// 4.5):
//
//	server = EchoServer()
//	server.listen(8888)
//	IOLoop.instance().start()
//
// Listen is given no loop, and none is running on this goroutine, so the server takes the
// process's Instance; starting that loop serves the connections. Port 0 lets the kernel choose a
// free port. A client on another goroutine sends one line, reads the echo, and then asks the
// loop (AddCallback: the server belongs to the loop's goroutine) to stop the server, close its
// connections and leave.
func ExampleTCPServer() {
	server := tcpserver.NewEchoServer()
	if err := server.Listen(0, "127.0.0.1"); err != nil {
		fmt.Println(err)
		return
	}
	loop, err := ioloop.Instance()
	if err != nil {
		fmt.Println(err)
		return
	}
	defer loop.Close()
	addr := server.Addrs()[0]

	echoed := make(chan string, 1)
	go func() {
		echoed <- echoOneLine(addr, "Hello, TCPServer\n")
		loop.AddCallback(func() {
			server.Stop()
			server.CloseAllConnections()
			loop.Stop()
		})
	}()
	if err := loop.Start(); err != nil {
		fmt.Println(err)
	}
	fmt.Print(<-echoed)
	// Output: Hello, TCPServer
}

// echoOneLine is the client: one line sent, one line read back, within five seconds.
func echoOneLine(addr, line string) string {
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return err.Error() + "\n"
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := conn.Write([]byte(line)); err != nil {
		return err.Error() + "\n"
	}
	echo, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil {
		return err.Error() + "\n"
	}
	return echo
}
