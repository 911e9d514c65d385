package indexbus

import (
	"fmt"
	"sync"

	"github.com/indexbus/indexbus/bindings/go/internal/swig"
)

// The version of the C header this binding was built against.
const (
	BuiltMajor   = swig.INDEXBUS_VERSION_MAJOR
	BuiltMinor   = swig.INDEXBUS_VERSION_MINOR
	BuiltPatch   = swig.INDEXBUS_VERSION_PATCH
	BuiltVersion = swig.INDEXBUS_VERSION_STRING
)

// LibraryVersion is the version of the libindexbus loaded at run time, as
// "MAJOR.MINOR.PATCH".
func LibraryVersion() string { return swig.Indexbus_version_string() }

// versionOnce caches the start-up check: the library cannot change while
// the process runs.
var versionOnce = sync.OnceValue(func() error {
	return checkVersion(swig.Indexbus_version(), BuiltMajor, BuiltMinor)
})

// CheckVersion reports whether the loaded libindexbus can serve this
// binding: same major version and at least the minor version it was built
// against. Create and Open call it before anything else; the error matches
// ErrIncompatible and names both versions.
func CheckVersion() error { return versionOnce() }

// checkVersion checks a library version number (MAJOR*10000 + MINOR*100 +
// PATCH, as indexbus_version returns) against the build's major and minor.
func checkVersion(lib uint32, builtMajor, builtMinor int) error {
	major, minor, patch := int(lib/10000), int(lib/100%100), int(lib%100)
	if major == builtMajor && minor >= builtMinor {
		return nil
	}
	return &Error{
		Code: StatusIncompatible,
		Op:   "version check",
		Detail: fmt.Sprintf("libindexbus %d.%d.%d is loaded; this binding was built against %d.%d "+
			"and needs major %d, minor >= %d", major, minor, patch, builtMajor, builtMinor,
			builtMajor, builtMinor),
	}
}
