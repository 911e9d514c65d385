package swig

import "testing"

// The mirrors are checked against the header at compile time; this checks
// them against the library loaded at run time.
func TestStructSizesMatchLoadedLibrary(t *testing.T) {
	for which, size := range map[uint32]uint32{
		INDEXBUS_STRUCT_REGION_CONFIG:      RegionConfigSize,
		INDEXBUS_STRUCT_OPEN_CONFIG:        OpenConfigSize,
		INDEXBUS_STRUCT_INFO:               InfoSize,
		INDEXBUS_STRUCT_CONSUMER_STATS:     ConsumerStatsSize,
		INDEXBUS_STRUCT_ROUTE_RESULT:       RouteResultSize,
		INDEXBUS_STRUCT_ROUTER_LOOP_CONFIG: RouterLoopConfigSize,
	} {
		if got := Indexbus_struct_size(which); got != int64(size) {
			t.Errorf("indexbus_struct_size(%d) = %d, the mirror is %d bytes", which, got, size)
		}
	}
	if got := Indexbus_struct_size(99); got != 0 {
		t.Errorf("indexbus_struct_size(99) = %d", got)
	}
}

func TestSpan(t *testing.T) {
	if (Span{}).Bytes() != nil {
		t.Fatal("an unset Span is not nil")
	}
}
