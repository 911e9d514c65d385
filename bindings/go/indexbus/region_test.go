package indexbus

import (
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestCreateOpenInfo(t *testing.T) {
	name := testName(t)
	before := time.Now().Add(-time.Second)
	r, err := Create(name, Config{SlotCount: 64, SlotDataSize: 128, QueueCapacity: 32, Mode: 0o640, Prefault: true})
	must(t, "Create", err)
	defer r.Close()
	if r.Name() != name {
		t.Fatalf("Name() = %q", r.Name())
	}
	info, err := r.Info()
	must(t, "Info", err)
	if info.Kind != KindEvents || info.SlotCount != 64 || info.SlotDataSize != 128 || info.QueueCapacity != 32 ||
		info.ConsumerCount != 1 || info.LayoutMajor != 1 || info.FreeSlots != 64 || info.TotalBytes == 0 {
		t.Fatalf("Info() = %+v", info)
	}
	if info.CreatorPID != os.Getpid() || info.CreationTime.Before(before) || info.CreationTime.After(time.Now()) {
		t.Fatalf("creator %d at %v", info.CreatorPID, info.CreationTime)
	}
	if info.Capabilities&CapEvents == 0 || info.Capabilities&CapFanout != 0 || info.Capabilities&CapMPSC == 0 {
		t.Fatalf("capabilities %#x", info.Capabilities)
	}
	if st, err := os.Stat("/dev/shm" + name); err == nil && st.Mode().Perm() != 0o640 {
		t.Errorf("mode %v, want 0640", st.Mode().Perm())
	}

	// a second handle, as another process would open it
	r2, err := Open(name, WithReadyTimeout(100*time.Millisecond))
	must(t, "Open", err)
	defer r2.Close()
	tx := openProducer(t, r, SPSC)
	rx := openConsumer(t, r2, 0)
	must(t, "Publish", tx.Publish([]byte("across handles")))
	if got := recvString(t, rx); got != "across handles" {
		t.Fatalf("got %q", got)
	}
	info, err = r2.Info()
	must(t, "Info", err)
	if info.Published != 1 || info.ProducersLive != 1 || info.ConsumersLive != 1 || info.ParticipantsLive != 2 ||
		info.SPSCDepth != 0 || info.MPSCDepth != 0 || info.RoutersLive != 0 {
		t.Fatalf("Info() after one message = %+v", info)
	}
	if KindEvents.String() != "events" || KindFanout.String() != "fanout" || Kind(7).String() != "Kind(7)" {
		t.Fatal("Kind.String")
	}
}

func TestCreateDefaults(t *testing.T) {
	info, err := newRegion(t, Config{}).Info()
	must(t, "Info", err)
	if info.Kind != KindEvents || info.SlotCount != 2048 || info.SlotDataSize != 256 || info.QueueCapacity != 1024 ||
		info.Capabilities&CapSPSCRecycle == 0 ||
		info.ConsumerCount != 1 {
		t.Fatalf("default events region: %+v", info)
	}
	info, err = newRegion(t, Config{Kind: KindFanout, SlotCount: 16}).Info()
	must(t, "Info", err)
	if info.Kind != KindFanout || info.ConsumerCount != 4 || info.QueueCapacity != 16 || info.Capabilities&CapFanout == 0 {
		t.Fatalf("default fanout region: %+v", info)
	}
}

func TestCreateErrors(t *testing.T) {
	name := testName(t)
	r, err := Create(name, Config{SlotCount: 8})
	must(t, "Create", err)
	defer r.Close()
	_, err = Create(name, Config{SlotCount: 8})
	wantErr(t, "Create existing", err, ErrExists)

	for what, cfg := range map[string]Config{
		"slot count not a power of two": {SlotCount: 3},
		"slot data too small":           {SlotDataSize: 8},
		"too many consumers":            {Kind: KindFanout, ConsumerCount: 65},
		"bad kind":                      {Kind: 9},
		"setuid mode":                   {Mode: fs.ModeSetuid | 0o600},
	} {
		_, err := Create(testName(t), cfg)
		wantErr(t, what, err, ErrInvalidArgument)
	}
	_, err = Create("", Config{})
	wantErr(t, "empty name", err, ErrInvalidArgument)
	_, err = Create("/ibgo-nul\x00x", Config{})
	wantErr(t, "name with NUL", err, ErrInvalidArgument)
	_, err = Open("/ibgo-nul\x00x")
	wantErr(t, "open name with NUL", err, ErrInvalidArgument)
	wantErr(t, "unlink name with NUL", Unlink("/ibgo-nul\x00x"), ErrInvalidArgument)
}

func TestOpenErrors(t *testing.T) {
	_, err := Open(testName(t))
	wantErr(t, "Open missing", err, ErrNotFound)

	dir := t.TempDir()
	empty := filepath.Join(dir, "empty.region") // created but never initialised
	must(t, "create empty file", os.WriteFile(empty, nil, 0o600))
	start := time.Now()
	_, err = Open(empty, WithReadyTimeout(30*time.Millisecond))
	wantErr(t, "Open uninitialised", err, ErrNotReady)
	if el := time.Since(start); el < 30*time.Millisecond {
		t.Fatalf("NotReady after %v, before the ready timeout", el)
	}

	short := filepath.Join(dir, "short.region") // shorter than a header
	must(t, "create short file", os.WriteFile(short, make([]byte, 100), 0o600))
	_, err = Open(short)
	wantErr(t, "Open truncated", err, ErrCorrupt)

	real := filepath.Join(dir, "real.region")
	r, err := Create(real, Config{SlotCount: 8})
	must(t, "Create", err)
	must(t, "Close", r.Close())
	link := filepath.Join(dir, "link.region")
	must(t, "symlink", os.Symlink(real, link))
	_, err = Open(link)
	wantErr(t, "Open through a symlink", err, ErrPermission)

	_, err = Open(dir) // a directory cannot be opened read-write
	wantErr(t, "Open a directory", err, ErrIO)
}

func TestUnlink(t *testing.T) {
	name := testName(t)
	r, err := Create(name, Config{SlotCount: 8})
	must(t, "Create", err)
	defer r.Close()
	tx := openProducer(t, r, MPSC)
	rx := openConsumer(t, r, 0)
	must(t, "Unlink", Unlink(name))
	_, err = Open(name)
	wantErr(t, "Open unlinked", err, ErrNotFound)
	wantErr(t, "Unlink twice", Unlink(name), ErrNotFound)
	// mapped handles keep working
	must(t, "Publish", tx.Publish([]byte("still here")))
	if got := recvString(t, rx); got != "still here" {
		t.Fatalf("got %q", got)
	}
}

func TestConsumerStats(t *testing.T) {
	r := newRegion(t, Config{SlotCount: 8})
	st, err := r.ConsumerStats(0)
	must(t, "ConsumerStats", err)
	if st != (ConsumerStats{}) {
		t.Fatalf("fresh stats %+v", st)
	}
	tx := openProducer(t, r, SPSC)
	rx := openConsumer(t, r, 0)
	for _, m := range []string{"a", "b", "c"} {
		must(t, "Publish", tx.Publish([]byte(m)))
	}
	recvString(t, rx)
	recvString(t, rx)
	st, err = r.ConsumerStats(0)
	must(t, "ConsumerStats", err)
	if !st.Attached || st.Delivered != 2 || st.Depth != 1 || st.DroppedFull != 0 || st.DroppedNoCredit != 0 {
		t.Fatalf("stats %+v", st)
	}
	_, err = r.ConsumerStats(1)
	wantErr(t, "ConsumerStats(1)", err, ErrOutOfRange)
	_, err = r.ConsumerStats(-1)
	wantErr(t, "ConsumerStats(-1)", err, ErrOutOfRange)
}

func TestAttachErrors(t *testing.T) {
	r := newRegion(t, Config{SlotCount: 8})
	openProducer(t, r, SPSC)
	_, err := r.OpenProducer(SPSC)
	wantErr(t, "second SPSC producer", err, ErrBusy)
	openProducer(t, r, MPSC)
	openProducer(t, r, MPSC) // any number of MPSC producers
	_, err = r.OpenProducer(ProducerType(7))
	wantErr(t, "bad producer type", err, ErrInvalidArgument)

	openConsumer(t, r, 0)
	_, err = r.OpenConsumer(0)
	wantErr(t, "second consumer 0", err, ErrBusy)
	_, err = r.OpenConsumer(1)
	wantErr(t, "events consumer 1", err, ErrOutOfRange)
	_, err = r.OpenConsumer(-1)
	wantErr(t, "consumer -1", err, ErrOutOfRange)

	_, err = r.OpenRouter()
	wantErr(t, "router on an events region", err, ErrWrongKind)

	f := newRegion(t, Config{Kind: KindFanout, SlotCount: 8})
	openRouter(t, f)
	_, err = f.OpenRouter()
	wantErr(t, "second router", err, ErrBusy)
	if SPSC.String() != "SPSC" || MPSC.String() != "MPSC" || ProducerType(7).String() != "ProducerType(7)" {
		t.Fatal("ProducerType.String")
	}
}

// Closing the Region leaves the handles opened on it working.
func TestRegionCloseKeepsHandles(t *testing.T) {
	r, err := Create(testName(t), Config{SlotCount: 8})
	must(t, "Create", err)
	tx, err := r.OpenProducer(SPSC)
	must(t, "OpenProducer", err)
	defer tx.Close()
	rx, err := r.OpenConsumer(0)
	must(t, "OpenConsumer", err)
	defer rx.Close()
	must(t, "Close", r.Close())
	must(t, "Publish after region close", tx.Publish([]byte("alive")))
	if got := recvString(t, rx); got != "alive" {
		t.Fatalf("got %q", got)
	}
}
