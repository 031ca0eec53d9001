package catalog

import blocking "tornadotcp/ch01_blocking"

func init() {
	register(
		Entry{
			ID:         "ch01/iterative",
			Summary:    "blocking accept/recv/send, one client at a time: the next one waits",
			Listen:     listener(blocking.NewIterative),
			Serialises: true,
		},
		Entry{
			ID:      "ch01/threaded",
			Summary: "blocking recv in a goroutine per connection: one OS thread per client",
			Listen:  listener(blocking.NewThreaded),
		},
		Entry{
			ID:      "ch01/forked",
			Summary: "blocking accept in the parent, a re-executed process per connection: one process per client",
			Listen:  listener(blocking.NewForked),
		},
	)
}
