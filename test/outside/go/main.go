// The outside-the-tree Go program: a fresh module that requires the IndexBus
// Go module (a copy of its committed files, through a replace directive) and
// finds libindexbus through pkg-config alone.
//
//	peer pub NAME MSG...    publish each MSG (SPSC producer)
//	peer sub NAME COUNT     receive COUNT messages (5 s each), one per line
//	peer write NAME         copy stdin into byte stream NAME (io.Copy into the
//	                        stream writer, an io.Writer), then close it
//	peer read NAME          copy byte stream NAME to stdout (io.Copy from the
//	                        stream reader, an io.Reader, up to io.EOF), then check
//	                        that it ended cleanly
//	peer call NAME MSG...   request each MSG from the servers of NAME (the first
//	                        one zero-copy: a claim, a borrowed reply), print each
//	                        reply
//	peer serve NAME COUNT   serve COUNT requests of NAME, replying "peer:" + the
//	                        request, written in place
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"time"

	"github.com/indexbus/indexbus/bindings/go/indexbus"
)

const patience = 10 * time.Second

func pubSub(region *indexbus.Region, args []string) error {
	if args[0] == "pub" {
		tx, err := region.OpenProducer(indexbus.SPSC)
		if err != nil {
			return err
		}
		defer tx.Close()
		for _, m := range args[2:] {
			if err := tx.Publish([]byte(m)); err != nil {
				return err
			}
		}
		return nil
	}
	count, err := strconv.Atoi(args[2])
	if err != nil {
		return err
	}
	rx, err := region.OpenConsumer(0)
	if err != nil {
		return err
	}
	defer rx.Close()
	buf := make([]byte, 4096)
	for i := 0; i < count; i++ {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		n, err := rx.Recv(ctx, buf)
		cancel()
		if err != nil {
			return err
		}
		fmt.Println(string(buf[:n]))
	}
	return nil
}

// write copies stdin into the stream; each Write waits for room (the
// reader in another process drains it) until the deadline.
func write(region *indexbus.Region) error {
	w, err := region.OpenStreamWriter()
	if err != nil {
		return err
	}
	if err := w.SetWriteDeadline(time.Now().Add(6 * patience)); err != nil {
		return err
	}
	if _, err := io.Copy(w, os.Stdin); err != nil {
		w.Close()
		return err
	}
	return w.Close() // the last writer out ends the stream
}

// read copies the stream to stdout up to its end (io.EOF, which io.Copy
// swallows), then asks whether it ended cleanly.
func read(region *indexbus.Region) error {
	r, err := region.OpenStreamReader()
	if err != nil {
		return err
	}
	defer r.Close()
	if err := r.SetReadDeadline(time.Now().Add(6 * patience)); err != nil {
		return err
	}
	if _, err := io.Copy(os.Stdout, r); err != nil {
		return err
	}
	state, err := region.StreamState()
	if err != nil {
		return err
	}
	if !state.Clean() {
		return fmt.Errorf("stream did not end cleanly: %v", state.Flags)
	}
	return nil
}

func call(region *indexbus.Region, msgs []string) error {
	c, err := region.OpenRPCClient()
	if err != nil {
		return err
	}
	defer c.Close()
	// the first zero-copy: the request written in place, the reply borrowed
	buf, err := c.Claim(len(msgs[0]))
	if err != nil {
		return err
	}
	copy(buf, msgs[0])
	token, err := c.Send(len(buf))
	if err != nil {
		return err
	}
	reply, err := c.WaitTimeout(token, patience)
	if err != nil {
		return err
	}
	fmt.Println(string(reply))
	if err := c.ReplyDone(token); err != nil {
		return err
	}
	for _, m := range msgs[1:] {
		reply, err := c.CallTimeout([]byte(m), patience)
		if err != nil {
			return err
		}
		fmt.Println(string(reply))
	}
	return nil
}

func serve(region *indexbus.Region, count int) error {
	s, err := region.OpenRPCServer()
	if err != nil {
		return err
	}
	defer s.Close()
	for i := 0; i < count; i++ {
		req, err := s.ServeTimeout(patience)
		if err != nil {
			return err
		}
		out, err := req.ReplyBuffer()
		if err != nil {
			return err
		}
		n := copy(out, "peer:")
		n += copy(out[n:], req.Data)
		if err := req.Commit(n); err != nil {
			return err
		}
	}
	return nil
}

func run(args []string) error {
	region, err := indexbus.Open(args[1])
	if err != nil {
		return err
	}
	defer region.Close()
	switch args[0] {
	case "write":
		return write(region)
	case "read":
		return read(region)
	case "call":
		return call(region, args[2:])
	case "serve":
		count, err := strconv.Atoi(args[2])
		if err != nil {
			return err
		}
		return serve(region, count)
	}
	return pubSub(region, args)
}

func usage() bool {
	a := os.Args[1:]
	if len(a) < 2 {
		return true
	}
	switch a[0] {
	case "write", "read":
		return len(a) != 2
	case "pub", "call":
		return len(a) < 3
	case "sub", "serve":
		return len(a) != 3
	}
	return true
}

func main() {
	if usage() {
		fmt.Fprintln(os.Stderr, "usage: peer pub NAME MSG... | peer sub NAME COUNT | peer write|read NAME | "+
			"peer call NAME MSG... | peer serve NAME COUNT")
		os.Exit(2)
	}
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "peer:", err)
		var e *indexbus.Error
		if errors.As(err, &e) {
			fmt.Fprintln(os.Stderr, "peer: status", indexbus.StatusName(e.Code))
		}
		os.Exit(1)
	}
}
