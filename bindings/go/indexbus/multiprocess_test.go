package indexbus

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"strconv"
	"testing"
	"time"
)

// The test binary runs itself as a child producer process (see TestMain)
// that opens the region by name; this process receives and checks every
// byte and the order.
func TestMultiProcessProducer(t *testing.T) {
	const count = 5000
	for _, typ := range []string{"spsc", "mpsc"} {
		t.Run(typ, func(t *testing.T) {
			name := testName(t)
			r, err := Create(name, Config{SlotCount: 64, SlotDataSize: 128})
			must(t, "Create", err)
			defer r.Close()
			rx := openConsumer(t, r, 0)

			exe, err := os.Executable()
			must(t, "os.Executable", err)
			var stderr bytes.Buffer
			cmd := exec.Command(exe, "-test.run=^$")
			cmd.Env = append(os.Environ(), envChild+"=producer", envRegion+"="+name,
				envCount+"="+strconv.Itoa(count), envType+"="+typ)
			cmd.Stderr = &stderr
			must(t, "start child", cmd.Start())
			exited := make(chan error, 1)
			go func() { exited <- cmd.Wait() }()

			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			buf := make([]byte, 128)
			for i := 0; i < count; i++ {
				n, err := rx.Recv(ctx, buf)
				if err != nil {
					cancel()
					t.Fatalf("Recv message %d: %v (child: %s)", i, err, stderr.String())
				}
				if want := childMessage(i); !bytes.Equal(buf[:n], want) {
					t.Fatalf("message %d: got %x, want %x", i, buf[:n], want)
				}
			}
			select {
			case err := <-exited:
				if err != nil {
					t.Fatalf("child: %v: %s", err, stderr.String())
				}
			case <-time.After(30 * time.Second):
				_ = cmd.Process.Kill()
				t.Fatal("child did not exit")
			}
			// the child's producer is gone and everything was read
			_, err = rx.TryRecv(buf)
			wantErr(t, "TryRecv after the child exited", err, ErrDisconnected)
			info, err := r.Info()
			must(t, "Info", err)
			if info.Published != count || info.ProducersLive != 0 {
				t.Fatalf("Info after the child: %+v", info)
			}
		})
	}
}

// A child process sends records of every length up to the max record into
// a 4 KiB byte log with PublishWait: it parks on the full ring and this
// process, the consumer, wakes it by reading. Every byte and the order are
// checked, and the child's exit is seen as ErrDisconnected.
func TestMultiProcessLogBlockingProducer(t *testing.T) {
	const count = 3000
	for _, typ := range []string{"spsc", "mpsc"} {
		t.Run(typ, func(t *testing.T) {
			name := testName(t)
			r, err := Create(name, Config{Kind: KindLog, ByteCapacity: 4096, MaxRecord: 1000})
			must(t, "Create", err)
			defer r.Close()
			rx := openConsumer(t, r, 0)

			exe, err := os.Executable()
			must(t, "os.Executable", err)
			var stderr bytes.Buffer
			cmd := exec.Command(exe, "-test.run=^$")
			cmd.Env = append(os.Environ(), envChild+"=log-producer", envRegion+"="+name,
				envCount+"="+strconv.Itoa(count), envType+"="+typ)
			cmd.Stderr = &stderr
			must(t, "start child", cmd.Start())
			exited := make(chan error, 1)
			go func() { exited <- cmd.Wait() }()

			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			buf := make([]byte, 1000)
			for i := 0; i < count; i++ {
				if i == 0 {
					// let the child fill the ring and park before the first read
					time.Sleep(20 * time.Millisecond)
				}
				n, err := rx.Recv(ctx, buf)
				if err != nil {
					cancel()
					t.Fatalf("Recv record %d: %v (child: %s)", i, err, stderr.String())
				}
				if want := logChildRecord(i, 1000); !bytes.Equal(buf[:n], want) {
					t.Fatalf("record %d: got %d bytes, want %d (or different bytes)", i, n, len(want))
				}
			}
			select {
			case err := <-exited:
				if err != nil {
					t.Fatalf("child: %v: %s", err, stderr.String())
				}
			case <-time.After(30 * time.Second):
				_ = cmd.Process.Kill()
				t.Fatal("child did not exit")
			}
			_, err = rx.TryRecv(buf)
			wantErr(t, "TryRecv after the child exited", err, ErrDisconnected)
			info, err := r.Info()
			must(t, "Info", err)
			if info.Published != count || info.ProducersLive != 0 || info.RecordsWaiting != 0 {
				t.Fatalf("Info after the child: %+v", info)
			}
		})
	}
}
