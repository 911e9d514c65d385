/* indexbus.i - the one SWIG interface for the Go and Java bindings.
 *
 * The generated code is a raw, internal layer; each language puts an
 * idiomatic API on top (bindings/go, bindings/java). Language-specific
 * typemaps (payloads as (pointer, length), handle out-parameters, status
 * constants) live in go.i and java.i, included before the declarations so
 * they apply to them. Never edit generated files: change these instead. */
%module indexbus

%{
#include <indexbus/indexbus.h>
%}

%include <stdint.i>

#if defined(SWIGGO)
%include "go.i"
#elif defined(SWIGJAVA)
%include "java.i"
#endif

/* the public header is the whole contract; INDEXBUS_API expands to nothing here */
#define INDEXBUS_API
%include <indexbus/layout.h>
%include <indexbus/indexbus.h>
