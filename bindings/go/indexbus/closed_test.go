package indexbus

import (
	"context"
	"testing"
)

// Every call on a closed handle returns ErrClosed and nothing crashes.
func TestClosedHandles(t *testing.T) {
	r, err := Create(testName(t), Config{Kind: KindFanout, SlotCount: 8, ConsumerCount: 1})
	must(t, "Create", err)
	tx, err := r.OpenProducer(MPSC)
	must(t, "OpenProducer", err)
	rx, err := r.OpenConsumer(0)
	must(t, "OpenConsumer", err)
	rt, err := r.OpenRouter()
	must(t, "OpenRouter", err)
	must(t, "Publish", tx.Publish([]byte("x")))
	must(t, "producer Close", tx.Close())
	must(t, "consumer Close", rx.Close())
	must(t, "router Close", rt.Close())
	must(t, "region Close", r.Close())

	buf := make([]byte, 8)
	calls := map[string]func() error{
		"Region.Close":           r.Close,
		"Region.Info":            func() error { _, err := r.Info(); return err },
		"Region.ConsumerStats":   func() error { _, err := r.ConsumerStats(0); return err },
		"Region.OpenProducer":    func() error { _, err := r.OpenProducer(MPSC); return err },
		"Region.OpenConsumer":    func() error { _, err := r.OpenConsumer(0); return err },
		"Region.OpenRouter":      func() error { _, err := r.OpenRouter(); return err },
		"Producer.Close":         tx.Close,
		"Producer.Publish":       func() error { return tx.Publish([]byte("x")) },
		"Producer.PublishBatch":  func() error { _, err := tx.PublishBatch([][]byte{{1}}); return err },
		"Producer.PublishPacked": func() error { _, err := tx.PublishPacked([]byte{1}, []uint32{1}); return err },
		"Producer.Claim":         func() error { _, err := tx.Claim(); return err },
		"Producer.Commit":        func() error { return tx.Commit(1) },
		"Producer.Abort":         tx.Abort,
		"Consumer.Close":         rx.Close,
		"Consumer.TryRecv":       func() error { _, err := rx.TryRecv(buf); return err },
		"Consumer.Recv":          func() error { _, err := rx.Recv(context.Background(), buf); return err },
		"Consumer.RecvTimeout":   func() error { _, err := rx.RecvTimeout(buf, 0); return err },
		"Consumer.Wait":          func() error { return rx.Wait(context.Background()) },
		"Consumer.RecvBatch":     func() error { _, err := rx.RecvBatch(buf, make([]uint32, 1)); return err },
		"Consumer.RecvBegin":     func() error { _, err := rx.RecvBegin(); return err },
		"Consumer.RecvEnd":       rx.RecvEnd,
		"Router.Close":           rt.Close,
		"Router.Stop":            rt.Stop,
		"Router.RouteOnce":       func() error { return rt.RouteOnce(SourceAny, Broadcast) },
		"Router.RouteOnceStats":  func() error { _, err := rt.RouteOnceStats(SourceAny, Broadcast); return err },
		"Router.RouteOnceCredit": func() error { _, err := rt.RouteOnceCredit(SourceAny, Broadcast, 1, 0, 0); return err },
		"Router.Run":             func() error { _, err := rt.Run(RunConfig{}); return err },
	}
	for name, call := range calls {
		wantErr(t, name+" on a closed handle", call(), ErrClosed)
	}
	if tx.Type() != MPSC || rx.Index() != 0 {
		t.Fatal("accessors changed after Close")
	}
}
