package indexbus_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"os"
	"strings"
	"time"

	"github.com/indexbus/indexbus/bindings/go/indexbus"
)

func Example() {
	name := fmt.Sprintf("/hello-indexbus-%d", os.Getpid())
	region, err := indexbus.Create(name, indexbus.Config{Kind: indexbus.KindEvents})
	if err != nil {
		log.Fatal(err)
	}
	defer indexbus.Unlink(name)
	defer region.Close()

	// In real use the producer and the consumer are separate processes that
	// each call indexbus.Open(name).
	tx, err := region.OpenProducer(indexbus.SPSC)
	if err != nil {
		log.Fatal(err)
	}
	rx, err := region.OpenConsumer(0)
	if err != nil {
		log.Fatal(err)
	}
	defer rx.Close()

	if err := tx.Publish([]byte("hello, bus")); err != nil {
		log.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	buf := make([]byte, 256)
	n, err := rx.Recv(ctx, buf)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%s\n", buf[:n])

	// Once every producer has closed and everything is read, the consumer
	// is told so.
	tx.Close()
	_, err = rx.TryRecv(buf)
	fmt.Println(errors.Is(err, indexbus.ErrDisconnected))
	// Output:
	// hello, bus
	// true
}

// Zero-copy both ways: the producer writes straight into a slot, the
// consumer reads it where it lies.
func ExampleProducer_Claim() {
	name := fmt.Sprintf("/indexbus-claim-%d", os.Getpid())
	region, err := indexbus.Create(name, indexbus.Config{SlotDataSize: 64})
	if err != nil {
		log.Fatal(err)
	}
	defer indexbus.Unlink(name)
	defer region.Close()
	tx, _ := region.OpenProducer(indexbus.MPSC)
	defer tx.Close()
	rx, _ := region.OpenConsumer(0)
	defer rx.Close()

	slot, err := tx.Claim() // the slot in shared memory, valid until Commit
	if err != nil {
		log.Fatal(err)
	}
	n := copy(slot, "written in place")
	if err := tx.Commit(n); err != nil {
		log.Fatal(err)
	}

	msg, err := rx.RecvBegin() // the message in shared memory, valid until RecvEnd
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%d-byte slot, got %q\n", len(slot), msg)
	if err := rx.RecvEnd(); err != nil {
		log.Fatal(err)
	}
	// Output: 64-byte slot, got "written in place"
}

// A fanout region: a router broadcasts every message to every consumer.
func ExampleRouter_Run() {
	name := fmt.Sprintf("/indexbus-fanout-%d", os.Getpid())
	region, err := indexbus.Create(name, indexbus.Config{Kind: indexbus.KindFanout, ConsumerCount: 2})
	if err != nil {
		log.Fatal(err)
	}
	defer indexbus.Unlink(name)
	defer region.Close()
	router, _ := region.OpenRouter()
	defer router.Close()
	tx, _ := region.OpenProducer(indexbus.MPSC)
	defer tx.Close()
	rx0, _ := region.OpenConsumer(0)
	defer rx0.Close()
	rx1, _ := region.OpenConsumer(1)
	defer rx1.Close()

	done := make(chan uint64)
	go func() {
		routed, _ := router.Run(indexbus.RunConfig{Mode: indexbus.Broadcast})
		done <- routed
	}()

	tx.PublishBatch([][]byte{[]byte("one"), []byte("two")})
	buf := make([]byte, 64)
	for _, rx := range []*indexbus.Consumer{rx0, rx1} {
		for i := 0; i < 2; i++ {
			n, err := rx.RecvTimeout(buf, time.Second)
			if err != nil {
				log.Fatal(err)
			}
			fmt.Printf("consumer %d: %s\n", rx.Index(), buf[:n])
		}
	}
	router.Stop()
	fmt.Println("routed:", <-done)
	// Output:
	// consumer 0: one
	// consumer 0: two
	// consumer 1: one
	// consumer 1: two
	// routed: 2
}

// Receive in batches: messages come packed back to back, lens[i] long.
func ExampleConsumer_RecvBatch() {
	name := fmt.Sprintf("/indexbus-batch-%d", os.Getpid())
	region, err := indexbus.Create(name, indexbus.Config{})
	if err != nil {
		log.Fatal(err)
	}
	defer indexbus.Unlink(name)
	defer region.Close()
	tx, _ := region.OpenProducer(indexbus.SPSC)
	defer tx.Close()
	rx, _ := region.OpenConsumer(0)
	defer rx.Close()

	tx.PublishBatch([][]byte{[]byte("alpha"), []byte("beta"), []byte("gamma")})
	buf := make([]byte, 1024)
	lens := make([]uint32, 8)
	n, err := rx.RecvBatch(buf, lens)
	if err != nil {
		log.Fatal(err)
	}
	off := 0
	for _, l := range lens[:n] {
		fmt.Println(string(buf[off : off+int(l)]))
		off += int(l)
	}
	// Output:
	// alpha
	// beta
	// gamma
}

// Publish a batch that is already packed: the messages back to back in one
// buffer and their lengths, sent in one call without copying in Go.
func ExampleProducer_PublishPacked() {
	name := fmt.Sprintf("/indexbus-packed-%d", os.Getpid())
	region, err := indexbus.Create(name, indexbus.Config{})
	if err != nil {
		log.Fatal(err)
	}
	defer indexbus.Unlink(name)
	defer region.Close()
	tx, _ := region.OpenProducer(indexbus.SPSC)
	defer tx.Close()
	rx, _ := region.OpenConsumer(0)
	defer rx.Close()

	data := []byte("alphabetagamma")
	n, err := tx.PublishPacked(data, []uint32{5, 4, 5})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("published:", n)
	buf := make([]byte, 1024)
	lens := make([]uint32, 8)
	n, _ = rx.RecvBatch(buf, lens)
	fmt.Println("received:", n, lens[:n], string(buf[:len(data)]))
	// Output:
	// published: 3
	// received: 3 [5 4 5] alphabetagamma
}

// A byte log: records of any length up to MaxRecord, stored inline in a
// byte ring. Claim exactly the bytes a record needs, publish with a
// blocking producer, or claim a batch and publish it with one store.
func Example_byteLog() {
	name := fmt.Sprintf("/indexbus-log-%d", os.Getpid())
	region, err := indexbus.Create(name, indexbus.Config{Kind: indexbus.KindLog,
		ByteCapacity: 64 << 10, MaxRecord: 4096})
	if err != nil {
		log.Fatal(err)
	}
	defer indexbus.Unlink(name)
	defer region.Close()
	tx, _ := region.OpenProducer(indexbus.MPSC)
	defer tx.Close()
	rx, _ := region.OpenConsumer(0)
	defer rx.Close()

	rec, err := tx.ClaimLen(5) // exactly 5 bytes of the ring, valid until Commit
	if err != nil {
		log.Fatal(err)
	}
	copy(rec, "first")
	if err := tx.Commit(len(rec)); err != nil {
		log.Fatal(err)
	}
	// waits up to a second for room if the ring is full
	if err := tx.PublishWait([]byte("second record"), time.Second); err != nil {
		log.Fatal(err)
	}
	batch, err := tx.ClaimBatch([]uint32{1, 2, 3})
	if err != nil {
		log.Fatal(err)
	}
	for i, b := range batch.Bufs() {
		for j := range b {
			b[j] = byte('a' + i)
		}
	}
	if err := batch.Commit(2); err != nil { // the first two; the third becomes padding
		log.Fatal(err)
	}
	free, _ := tx.Space()
	fmt.Println("free bytes:", free)

	buf := make([]byte, 4096)
	for {
		n, err := rx.TryRecv(buf)
		if errors.Is(err, indexbus.ErrEmpty) {
			break
		}
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("%q\n", buf[:n])
	}
	// Output:
	// free bytes: 65448
	// "first"
	// "second record"
	// "a"
	// "bb"
}

// A byte stream: a pipe in shared memory. The writer is an io.Writer that
// waits while the stream is full, the reader an io.Reader that returns
// io.EOF once every writer has closed and everything is read.
func Example_stream() {
	name := fmt.Sprintf("/indexbus-stream-%d", os.Getpid())
	region, err := indexbus.Create(name, indexbus.Config{Kind: indexbus.KindStream,
		ByteCapacity: 64 << 10})
	if err != nil {
		log.Fatal(err)
	}
	defer indexbus.Unlink(name)
	defer region.Close()
	w, err := region.OpenStreamWriter()
	if err != nil {
		log.Fatal(err)
	}
	r, err := region.OpenStreamReader()
	if err != nil {
		log.Fatal(err)
	}
	defer r.Close()

	go func() {
		defer w.Close() // the last writer to close ends the stream
		fmt.Fprintf(w, "hello, ")
		io.Copy(w, strings.NewReader("stream"))
	}()
	all, err := io.ReadAll(r) // up to io.EOF
	if err != nil {
		log.Fatal(err)
	}
	state, _ := region.StreamState()
	fmt.Printf("%s (ended cleanly: %v)\n", all, state.Clean())
	// Output:
	// hello, stream (ended cleanly: true)
}

// Request/response: a server takes requests and replies to each once; a
// client's Call sends one and waits for its reply.
func Example_rpc() {
	name := fmt.Sprintf("/indexbus-rpc-%d", os.Getpid())
	region, err := indexbus.Create(name, indexbus.Config{Kind: indexbus.KindRPC,
		Cells: 16, MaxRequest: 1024, MaxReply: 1024})
	if err != nil {
		log.Fatal(err)
	}
	defer indexbus.Unlink(name)
	defer region.Close()
	server, err := region.OpenRPCServer()
	if err != nil {
		log.Fatal(err)
	}
	go func() {
		for {
			req, err := server.Serve(context.Background())
			if err != nil {
				return // ErrClosed once the server is closed
			}
			// req.Data is borrowed in place until the reply
			req.Reply(bytes.ToUpper(req.Data))
		}
	}()
	defer server.Close()
	client, err := region.OpenRPCClient()
	if err != nil {
		log.Fatal(err)
	}
	defer client.Close()

	reply, err := client.CallTimeout([]byte("ping"), time.Second)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%s\n", reply)

	// zero copy: the reply borrowed in place until ReplyDone
	token, _ := client.Request([]byte("borrowed"))
	borrowed, err := client.WaitTimeout(token, time.Second)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%s\n", borrowed)
	client.ReplyDone(token) // recycles the reply cell
	// Output:
	// PING
	// BORROWED
}
