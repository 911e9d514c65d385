package indexbus

import (
	"fmt"
	"testing"
)

// Layout 1.3 create features: Config.Recycle and Config.MPSCBatch reach the
// region as CapFanoutRecycle (bit 37) and CapMPSCBatch (bit 38) with layout
// 1.3; a byte log refuses them with ErrInvalidArgument and nothing is made.

const bothFeatures = CapFanoutRecycle | CapMPSCBatch

func TestFeatureBits(t *testing.T) {
	if CapFanoutRecycle != 1<<37 || CapMPSCBatch != 1<<38 || CapMPSCRecycle != 1<<39 {
		t.Fatalf("CapFanoutRecycle %#x, CapMPSCBatch %#x, CapMPSCRecycle %#x", CapFanoutRecycle,
			CapMPSCBatch, CapMPSCRecycle)
	}
}

func TestFanoutRecycleMPSCBatch(t *testing.T) {
	// recycling: at least twice as many slots as queue cells
	r := newRegion(t, Config{Kind: KindFanout, SlotCount: 32, QueueCapacity: 16, SlotDataSize: 64,
		ConsumerCount: 2, Recycle: true, MPSCBatch: true})
	info, err := r.Info()
	must(t, "Info", err)
	if info.Kind != KindFanout || info.LayoutMajor != 1 || info.LayoutMinor != 3 {
		t.Fatalf("kind %v, layout %d.%d", info.Kind, info.LayoutMajor, info.LayoutMinor)
	}
	if info.Capabilities&(bothFeatures|CapMPSCRecycle) != bothFeatures {
		t.Fatalf("capabilities %#x lack %#x", info.Capabilities, bothFeatures)
	}
	r2, err := Open(r.Name())
	must(t, "Open", err)
	defer r2.Close()
	info2, err := r2.Info()
	must(t, "Info (second handle)", err)
	if info2.Capabilities != info.Capabilities || info2.LayoutMinor != 3 {
		t.Fatalf("second handle: capabilities %#x, minor %d", info2.Capabilities, info2.LayoutMinor)
	}
}

func TestPlainFanoutHasNeither(t *testing.T) {
	r := newRegion(t, Config{Kind: KindFanout})
	info, err := r.Info()
	must(t, "Info", err)
	if info.LayoutMinor != 0 || info.Capabilities&bothFeatures != 0 {
		t.Fatalf("layout 1.%d, capabilities %#x", info.LayoutMinor, info.Capabilities)
	}
}

func TestEventsRecycleMPSCSlots(t *testing.T) {
	r := newRegion(t, Config{SlotCount: 16, QueueCapacity: 8, Recycle: true, MPSCBatch: true})
	info, err := r.Info()
	must(t, "Info", err)
	all := bothFeatures | CapMPSCRecycle
	if info.LayoutMinor != 3 || info.Capabilities&all != CapMPSCBatch|CapMPSCRecycle {
		t.Fatalf("layout 1.%d, capabilities %#x", info.LayoutMinor, info.Capabilities)
	}
}

func TestRecycleNeedsTwiceTheQueue(t *testing.T) {
	for _, kind := range []Kind{KindFanout, KindEvents} {
		name := testName(t)
		_, err := Create(name, Config{Kind: kind, SlotCount: 16, QueueCapacity: 16, Recycle: true})
		wantErr(t, fmt.Sprintf("Create %v with 16 slots, queue 16", kind), err, ErrInvalidArgument)
		_, err = Open(name)
		wantErr(t, "Open after the refusal", err, ErrNotFound)
	}
}

func TestByteLogRefusesFeatures(t *testing.T) {
	for _, c := range []struct{ recycle, batch bool }{{true, false}, {false, true}, {true, true}} {
		name := testName(t)
		_, err := Create(name, Config{Kind: KindLog, ByteCapacity: 4096, Recycle: c.recycle, MPSCBatch: c.batch})
		wantErr(t, fmt.Sprintf("log with Recycle %v, MPSCBatch %v", c.recycle, c.batch), err, ErrInvalidArgument)
		_, err = Open(name)
		wantErr(t, "Open after the refusal", err, ErrNotFound)
	}
}
