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
