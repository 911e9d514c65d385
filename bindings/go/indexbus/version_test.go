package indexbus

import (
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCheckVersion(t *testing.T) {
	tests := []struct {
		lib          uint32
		major, minor int
		ok           bool
		mentions     []string
	}{
		{10000, 1, 0, true, nil},                       // same version
		{10203, 1, 0, true, nil},                       // newer minor and patch
		{10200, 1, 2, true, nil},                       // same minor
		{10100, 1, 2, false, []string{"1.1.0", "1.2"}}, // older minor
		{20000, 1, 0, false, []string{"2.0.0", "1.0"}}, // newer major
		{905, 1, 0, false, []string{"0.9.5", "1.0"}},   // older major
		{10000, 2, 0, false, []string{"1.0.0", "2.0"}}, // binding from the future
		{30102, 3, 1, true, nil},
	}
	for _, tc := range tests {
		err := checkVersion(tc.lib, tc.major, tc.minor)
		if tc.ok {
			if err != nil {
				t.Errorf("checkVersion(%d, %d, %d) = %v, want nil", tc.lib, tc.major, tc.minor, err)
			}
			continue
		}
		if !errors.Is(err, ErrIncompatible) {
			t.Errorf("checkVersion(%d, %d, %d) = %v, want ErrIncompatible", tc.lib, tc.major, tc.minor, err)
			continue
		}
		for _, m := range tc.mentions {
			if !strings.Contains(err.Error(), m) {
				t.Errorf("checkVersion(%d, %d, %d): %q does not name %s", tc.lib, tc.major, tc.minor, err, m)
			}
		}
	}
}

// The in-tree library is the one the binding was built against.
func TestLoadedLibraryVersion(t *testing.T) {
	if err := CheckVersion(); err != nil {
		t.Fatal(err)
	}
	if got := LibraryVersion(); got != BuiltVersion {
		t.Fatalf("LibraryVersion() = %q, built against %q", got, BuiltVersion)
	}
}

// A region whose header says layout major 2 is refused, as is one whose
// magic is wrong.
func TestOpenIncompatibleRegion(t *testing.T) {
	for _, tc := range []struct {
		name  string
		patch func([]byte)
	}{
		{"major2", func(b []byte) { binary.LittleEndian.PutUint16(b[4:6], 2) }},
		{"magic", func(b []byte) { copy(b[0:4], "NOPE") }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "x.region")
			r, err := Create(path, Config{SlotCount: 8})
			must(t, "Create", err)
			must(t, "Close", r.Close())
			// still fine before the patch
			r, err = Open(path)
			must(t, "Open", err)
			must(t, "Close", r.Close())

			f, err := os.OpenFile(path, os.O_RDWR, 0)
			must(t, "open file", err)
			hdr := make([]byte, 8)
			_, err = f.ReadAt(hdr, 0)
			must(t, "read header", err)
			if binary.LittleEndian.Uint16(hdr[4:6]) != 1 {
				t.Fatalf("layout major in the file is %d, want 1", binary.LittleEndian.Uint16(hdr[4:6]))
			}
			tc.patch(hdr)
			_, err = f.WriteAt(hdr, 0)
			must(t, "patch header", err)
			must(t, "close file", f.Close())

			r, err = Open(path)
			if err == nil {
				r.Close()
			}
			wantErr(t, "Open patched region", err, ErrIncompatible)
		})
	}
}
