/* mark.c - marked publish and the mark journal (LAYOUT.md 5.20): STUB, being written. */
#include "durable.h"

void ib_mark_settle(const ib_view *v) { (void)v; }
