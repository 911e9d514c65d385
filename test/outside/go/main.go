// The outside-the-tree Go program: a fresh module that requires the IndexBus
// Go module (a copy of its committed files, through a replace directive) and
// finds libindexbus through pkg-config alone.
//
//	peer pub NAME MSG...   publish each MSG (SPSC producer)
//	peer sub NAME COUNT    receive COUNT messages (5 s each), one per line
package main

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/indexbus/indexbus/bindings/go/indexbus"
)

func run(args []string) error {
	region, err := indexbus.Open(args[1])
	if err != nil {
		return err
	}
	defer region.Close()
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

func main() {
	if len(os.Args) < 4 || (os.Args[1] != "pub" && os.Args[1] != "sub") {
		fmt.Fprintln(os.Stderr, "usage: peer pub NAME MSG... | peer sub NAME COUNT")
		os.Exit(2)
	}
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "peer:", err)
		os.Exit(1)
	}
}
