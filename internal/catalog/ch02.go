package catalog

import nonblocking "tornadotcp/ch02_nonblocking"

func init() {
	register(
		Entry{
			ID:      "ch02/busypoll",
			Summary: "one thread calling non-blocking accept/recv/send on every socket, over and over: works, burns a core",
			Listen:  listener(nonblocking.NewBusyPoll),
		},
		Entry{
			ID:      "ch02/select",
			Summary: "one thread sleeping in select(2) until sockets are ready; descriptors >= 1024 (FD_SETSIZE) are refused",
			Listen:  listener(nonblocking.NewSelect),
		},
		Entry{
			ID:      "ch02/poll",
			Summary: "one thread sleeping in poll(2): no 1024 wall, but every call hands the kernel the whole list",
			Listen:  listener(nonblocking.NewPoll),
		},
	)
}
