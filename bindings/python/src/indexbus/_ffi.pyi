# The compiled cffi module (built by build_ffi.py from <indexbus/indexbus.h>).
from typing import Any

ffi: Any
lib: Any
