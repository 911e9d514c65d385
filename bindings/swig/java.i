/* java.i - Java-only part of the SWIG interface (included by indexbus.i
 * before the declarations, so everything here applies to them).
 *
 * The generated classes (package io.indexbus.internal, see bindings/java/java.mk)
 * are a raw layer for io.indexbus, never a public API:
 *  - handles are plain Java longs (no proxy objects, so nothing to finalize);
 *    a handle out-parameter (T **out) is a long[1] the wrapper fills in;
 *  - size_t out-parameters (*len, *count, *published) are int[1] holders;
 *  - payloads are (pointer, length) pairs taken straight from a Java byte[]
 *    (pinned with Get/ReleasePrimitiveArrayCritical, no copy) or a direct
 *    ByteBuffer (GetDirectBufferAddress); zero-copy claim and borrow hand back
 *    a direct ByteBuffer over the slot (NewDirectByteBuffer);
 *  - status codes and the build-time version are compile-time Java constants;
 *  - the public structs keep their SWIG proxy classes, with constructors that
 *    fill in the `size` field and no finalizer: the caller calls delete().
 *
 * JNI rule kept by every payload typemap: no JNI call while a critical array is
 * held. The array is pinned in the `check` typemap (after every `in` typemap has
 * run) and released in its own `argout` typemap, which runs before the `argout`
 * of any later out-parameter (payloads always come before the outs).
 */

/* ---- constants ------------------------------------------------------------- */

/* Status codes and the version the binding is built against are compiled into
 * the Java classes as literals. Every other constant is read from the library
 * at class initialisation (%javaconst(0)): the headers write them with C
 * suffixes (1u, 1ull << 3) that are not Java literals. */
%include <enumtypeunsafe.swg>
%javaconst(0);
%javaconst(1) INDEXBUS_OK;
%javaconst(1) INDEXBUS_FULL;
%javaconst(1) INDEXBUS_EMPTY;
%javaconst(1) INDEXBUS_TOO_LARGE;
%javaconst(1) INDEXBUS_BUFFER_TOO_SMALL;
%javaconst(1) INDEXBUS_INCOMPATIBLE;
%javaconst(1) INDEXBUS_NOT_READY;
%javaconst(1) INDEXBUS_INVALID_ARGUMENT;
%javaconst(1) INDEXBUS_WRONG_KIND;
%javaconst(1) INDEXBUS_TIMEOUT;
%javaconst(1) INDEXBUS_DISCONNECTED;
%javaconst(1) INDEXBUS_CORRUPT;
%javaconst(1) INDEXBUS_PERMISSION;
%javaconst(1) INDEXBUS_EXISTS;
%javaconst(1) INDEXBUS_NOT_FOUND;
%javaconst(1) INDEXBUS_IO;
%javaconst(1) INDEXBUS_BUSY;
%javaconst(1) INDEXBUS_NO_MEMORY;
%javaconst(1) INDEXBUS_OUT_OF_RANGE;
%javaconst(1) INDEXBUS_BAD_STATE;
%javaconst(1) INDEXBUS_STATUS_COUNT;
%javaconst(1) INDEXBUS_VERSION_MAJOR;
%javaconst(1) INDEXBUS_VERSION_MINOR;
%javaconst(1) INDEXBUS_VERSION_PATCH;
%javaconst(1) INDEXBUS_VERSION_NUMBER;
%javaconst(1) INDEXBUS_VERSION_STRING;

/* 64-bit unsigned values (counters, masks, nanoseconds) are Java longs holding
 * the same 64 bits, not BigInteger. uint32_t stays a Java long (exact). */
%apply long long { uint64_t, unsigned long long };

/* ---- the native library loads itself with its JNI class -------------------- */

%pragma(java) jniclasscode=%{
  static {
    io.indexbus.NativeLibrary.load();
  }
%}

/* ---- handles: opaque pointers as Java long --------------------------------- */

%define IB_JAVA_HANDLE(TYPE)
%typemap(jni)    TYPE *, const TYPE * "jlong"
%typemap(jtype)  TYPE *, const TYPE * "long"
%typemap(jstype) TYPE *, const TYPE * "long"
%typemap(javain) TYPE *, const TYPE * "$javainput"
%typemap(javaout) TYPE *, const TYPE * { return $jnicall; }
%typemap(in)     TYPE *, const TYPE * %{ $1 = ($1_ltype)(intptr_t)$input; %}
%typemap(out)    TYPE *, const TYPE * %{ $result = (jlong)(intptr_t)$1; %}

/* out-parameter: pass a long[1]; it receives the handle (0 on failure) */
%typemap(jni)    TYPE **out "jlongArray"
%typemap(jtype)  TYPE **out "long[]"
%typemap(jstype) TYPE **out "long[]"
%typemap(javain) TYPE **out "$javainput"
%typemap(in)     TYPE **out ($*1_ltype handle = NULL) %{
  if (!$input || (*jenv)->GetArrayLength(jenv, $input) < 1) {
    SWIG_JavaThrowException(jenv, SWIG_JavaIllegalArgumentException, "handle holder must be a long[1]");
    return $null;
  }
  $1 = &handle;
%}
%typemap(argout) TYPE **out %{
  {
    jlong h = (jlong)(intptr_t)handle$argnum;
    (*jenv)->SetLongArrayRegion(jenv, $input, 0, 1, &h);
  }
%}
%enddef

IB_JAVA_HANDLE(indexbus_region)
IB_JAVA_HANDLE(indexbus_producer)
IB_JAVA_HANDLE(indexbus_router)
IB_JAVA_HANDLE(indexbus_consumer)

/* ---- size_t out-parameters: int[1] holders --------------------------------- */

%typemap(jni)    size_t *IB_OUT "jintArray"
%typemap(jtype)  size_t *IB_OUT "int[]"
%typemap(jstype) size_t *IB_OUT "int[]"
%typemap(javain) size_t *IB_OUT "$javainput"
%typemap(in)     size_t *IB_OUT (size_t value = 0) %{
  if (!$input || (*jenv)->GetArrayLength(jenv, $input) < 1) {
    SWIG_JavaThrowException(jenv, SWIG_JavaIllegalArgumentException, "out holder must be an int[1]");
    return $null;
  }
  $1 = &value;
%}
%typemap(argout) size_t *IB_OUT %{
  {
    jint v = value$argnum > (size_t)INT32_MAX ? INT32_MAX : (jint)value$argnum;
    (*jenv)->SetIntArrayRegion(jenv, $input, 0, 1, &v);
  }
%}
%apply size_t *IB_OUT { size_t *len, size_t *count, size_t *published };

/* ---- payloads: byte[] (pinned, no copy) ------------------------------------ */

%define IB_JAVA_BYTES(PTR, LEN, RELEASE_MODE)
%typemap(jni)    (PTR, LEN) "jbyteArray"
%typemap(jtype)  (PTR, LEN) "byte[]"
%typemap(jstype) (PTR, LEN) "byte[]"
%typemap(javain) (PTR, LEN) "$javainput"
%typemap(in)     (PTR, LEN) %{
  if (!$input) {
    SWIG_JavaThrowException(jenv, SWIG_JavaNullPointerException, "null byte[]");
    return $null;
  }
  $1 = NULL;
  $2 = (size_t)(*jenv)->GetArrayLength(jenv, $input);
%}
%typemap(check)  (PTR, LEN) %{
  $1 = ($1_ltype)(*jenv)->GetPrimitiveArrayCritical(jenv, $input, NULL);
  if (!$1) {
    if (!(*jenv)->ExceptionCheck(jenv))
      SWIG_JavaThrowException(jenv, SWIG_JavaOutOfMemoryError, "cannot pin byte[]");
    return $null;
  }
%}
%typemap(argout) (PTR, LEN) %{
  (*jenv)->ReleasePrimitiveArrayCritical(jenv, $input, (void *)$1, RELEASE_MODE);
%}
%enddef

IB_JAVA_BYTES(const void *IB_BYTES, size_t IB_BYTES_LEN, JNI_ABORT) /* read only */
IB_JAVA_BYTES(void *IB_BYTES_OUT, size_t IB_BYTES_OUT_LEN, 0)      /* written to */

/* ---- payloads: direct ByteBuffer (its memory, no copy) ---------------------- */

%define IB_JAVA_DIRECT(PTR, LEN)
%typemap(jni)    (PTR, LEN) "jobject"
%typemap(jtype)  (PTR, LEN) "java.nio.ByteBuffer"
%typemap(jstype) (PTR, LEN) "java.nio.ByteBuffer"
%typemap(javain) (PTR, LEN) "$javainput"
%typemap(in)     (PTR, LEN) %{
  if (!$input) {
    SWIG_JavaThrowException(jenv, SWIG_JavaNullPointerException, "null ByteBuffer");
    return $null;
  }
  $1 = ($1_ltype)(*jenv)->GetDirectBufferAddress(jenv, $input);
  if (!$1) {
    SWIG_JavaThrowException(jenv, SWIG_JavaIllegalArgumentException, "ByteBuffer is not direct");
    return $null;
  }
  $2 = (size_t)(*jenv)->GetDirectBufferCapacity(jenv, $input);
%}
%enddef

IB_JAVA_DIRECT(const void *IB_DIRECT, size_t IB_DIRECT_LEN)
IB_JAVA_DIRECT(void *IB_DIRECT_OUT, size_t IB_DIRECT_OUT_LEN)

/* ---- message lengths: int[] ------------------------------------------------- */
/* Small metadata arrays, taken before and given back after any pinned payload. */

%define IB_JAVA_LENS(PTR, COUNT, RELEASE_MODE)
%typemap(jni)    (PTR, COUNT) "jintArray"
%typemap(jtype)  (PTR, COUNT) "int[]"
%typemap(jstype) (PTR, COUNT) "int[]"
%typemap(javain) (PTR, COUNT) "$javainput"
%typemap(in)     (PTR, COUNT) %{
  if (!$input) {
    SWIG_JavaThrowException(jenv, SWIG_JavaNullPointerException, "null int[]");
    return $null;
  }
  $2 = (size_t)(*jenv)->GetArrayLength(jenv, $input);
  $1 = ($1_ltype)(*jenv)->GetIntArrayElements(jenv, $input, NULL);
  if (!$1) {
    if (!(*jenv)->ExceptionCheck(jenv))
      SWIG_JavaThrowException(jenv, SWIG_JavaOutOfMemoryError, "cannot access int[]");
    return $null;
  }
%}
%typemap(freearg) (PTR, COUNT) %{
  (*jenv)->ReleaseIntArrayElements(jenv, $input, (jint *)$1, RELEASE_MODE);
%}
%enddef

IB_JAVA_LENS(const uint32_t *IB_LENS, size_t IB_LENS_COUNT, JNI_ABORT)
IB_JAVA_LENS(uint32_t *IB_LENS_OUT, size_t IB_LENS_OUT_COUNT, 0)

/* ---- zero copy: a direct ByteBuffer over the slot --------------------------- */
/* Pass a ByteBuffer[1]; on success element 0 is a view of the claimed slot
 * (capacity = slot data size) or of the borrowed message (capacity = length). */

%define IB_JAVA_SLOT_VIEW(PTRPTR, LENPTR)
%typemap(jni)    (PTRPTR, LENPTR) "jobjectArray"
%typemap(jtype)  (PTRPTR, LENPTR) "java.nio.ByteBuffer[]"
%typemap(jstype) (PTRPTR, LENPTR) "java.nio.ByteBuffer[]"
%typemap(javain) (PTRPTR, LENPTR) "$javainput"
%typemap(in)     (PTRPTR, LENPTR) (void *ptr = NULL, size_t size = 0) %{
  if (!$input || (*jenv)->GetArrayLength(jenv, $input) < 1) {
    SWIG_JavaThrowException(jenv, SWIG_JavaIllegalArgumentException, "view holder must be a ByteBuffer[1]");
    return $null;
  }
  $1 = ($1_ltype)&ptr;
  $2 = &size;
%}
%typemap(argout) (PTRPTR, LENPTR) %{
  if (ptr$argnum) {
    jobject view = (*jenv)->NewDirectByteBuffer(jenv, ptr$argnum, (jlong)size$argnum);
    if (!view) {
      if (!(*jenv)->ExceptionCheck(jenv))
        SWIG_JavaThrowException(jenv, SWIG_JavaRuntimeException, "this JVM cannot make direct ByteBuffers from JNI");
      return $null;
    }
    (*jenv)->SetObjectArrayElement(jenv, $input, 0, view);
  }
%}
%enddef

IB_JAVA_SLOT_VIEW(void **IB_CLAIM, size_t *IB_CLAIM_CAP)
IB_JAVA_SLOT_VIEW(const void **IB_BORROW, size_t *IB_BORROW_LEN)

/* ---- the C declarations these apply to ---------------------------------------- */

%apply (const void *IB_BYTES, size_t IB_BYTES_LEN) { (const void *data, size_t len) };       /* publish */
%apply (void *IB_BYTES_OUT, size_t IB_BYTES_OUT_LEN) { (void *buf, size_t cap) };          /* try_recv, recv_batch */
%apply (uint32_t *IB_LENS_OUT, size_t IB_LENS_OUT_COUNT) { (uint32_t *lens, size_t max_msgs) }; /* recv_batch */
%apply (void **IB_CLAIM, size_t *IB_CLAIM_CAP) { (void **buf, size_t *capacity) };         /* claim */
%apply (const void **IB_BORROW, size_t *IB_BORROW_LEN) { (const void **data, size_t *len) }; /* recv_begin */

/* indexbus_recv blocks: it must not run with a pinned array (that stalls the
 * GC), so Java gets it with a direct buffer only (ibj_recv_direct below) and
 * builds the byte[] form from indexbus_wait + indexbus_try_recv.
 * indexbus_publish_batch takes no length for its data: ibj_publish_batch_*
 * check the lengths against the buffer first. */
%ignore indexbus_recv;
%ignore indexbus_publish_batch;

/* ---- ranges and direct buffers: thin checked helpers --------------------------- */
/* Java passes a whole byte[] or direct ByteBuffer (the (pointer, length) pair)
 * plus the range [off, off + len) to use; the range is checked here before the
 * pointer is touched, so no call can read or write outside the Java buffer. */

%{
static int ibj_range_ok(size_t size, int off, int len)
{
    return off >= 0 && len >= 0 && (size_t)off <= size && (size_t)len <= size - (size_t)off;
}

static int ibj_lens_fit(const uint32_t *lens, size_t count, size_t room)
{
    uint64_t total = 0;
    for (size_t i = 0; i < count; i++)
        total += lens[i];
    return total <= room;
}

static int ibj_publish(indexbus_producer *p, const void *data, size_t size, int off, int len)
{
    if (!ibj_range_ok(size, off, len))
        return INDEXBUS_INVALID_ARGUMENT;
    return indexbus_publish(p, (const char *)data + off, (size_t)len);
}

static int ibj_publish_batch(indexbus_producer *p, const void *data, size_t size, int off, int len,
                             const uint32_t *lens, size_t count, size_t *published)
{
    *published = 0;
    if (!ibj_range_ok(size, off, len) || !ibj_lens_fit(lens, count, (size_t)len))
        return INDEXBUS_INVALID_ARGUMENT;
    return indexbus_publish_batch(p, (const char *)data + off, lens, count, published);
}

static int ibj_try_recv(indexbus_consumer *c, void *buf, size_t size, int off, int len,
                        size_t *out_len)
{
    if (!ibj_range_ok(size, off, len))
        return INDEXBUS_INVALID_ARGUMENT;
    return indexbus_try_recv(c, (char *)buf + off, (size_t)len, out_len);
}

static int ibj_recv_batch(indexbus_consumer *c, void *buf, size_t size, int off, int len,
                          uint32_t *lens, size_t max_msgs, size_t *count)
{
    *count = 0;
    if (!ibj_range_ok(size, off, len))
        return INDEXBUS_INVALID_ARGUMENT;
    return indexbus_recv_batch(c, (char *)buf + off, (size_t)len, lens, max_msgs, count);
}

#define ibj_publish_bytes ibj_publish
#define ibj_publish_direct ibj_publish
#define ibj_publish_batch_bytes ibj_publish_batch
#define ibj_publish_batch_direct ibj_publish_batch
#define ibj_try_recv_bytes ibj_try_recv
#define ibj_try_recv_direct ibj_try_recv
#define ibj_recv_batch_bytes ibj_recv_batch
#define ibj_recv_batch_direct ibj_recv_batch

static int ibj_recv_direct(indexbus_consumer *c, void *buf, size_t size, int off, int len,
                           size_t *out_len, uint64_t timeout_ns)
{
    if (!ibj_range_ok(size, off, len))
        return INDEXBUS_INVALID_ARGUMENT;
    return indexbus_recv(c, (char *)buf + off, (size_t)len, out_len, timeout_ns);
}
%}

int ibj_publish_bytes(indexbus_producer *producer, const void *IB_BYTES, size_t IB_BYTES_LEN,
                      int off, int len);
int ibj_publish_direct(indexbus_producer *producer, const void *IB_DIRECT, size_t IB_DIRECT_LEN,
                       int off, int len);
int ibj_publish_batch_bytes(indexbus_producer *producer, const void *IB_BYTES, size_t IB_BYTES_LEN,
                            int off, int len, const uint32_t *IB_LENS, size_t IB_LENS_COUNT,
                            size_t *IB_OUT);
int ibj_publish_batch_direct(indexbus_producer *producer, const void *IB_DIRECT,
                             size_t IB_DIRECT_LEN, int off, int len, const uint32_t *IB_LENS,
                             size_t IB_LENS_COUNT, size_t *IB_OUT);
int ibj_try_recv_bytes(indexbus_consumer *consumer, void *IB_BYTES_OUT, size_t IB_BYTES_OUT_LEN,
                       int off, int len, size_t *IB_OUT);
int ibj_try_recv_direct(indexbus_consumer *consumer, void *IB_DIRECT_OUT, size_t IB_DIRECT_OUT_LEN,
                        int off, int len, size_t *IB_OUT);
int ibj_recv_direct(indexbus_consumer *consumer, void *IB_DIRECT_OUT, size_t IB_DIRECT_OUT_LEN,
                    int off, int len, size_t *IB_OUT, uint64_t timeout_ns);
int ibj_recv_batch_bytes(indexbus_consumer *consumer, void *IB_BYTES_OUT, size_t IB_BYTES_OUT_LEN,
                         int off, int len, uint32_t *IB_LENS_OUT, size_t IB_LENS_OUT_COUNT,
                         size_t *IB_OUT);
int ibj_recv_batch_direct(indexbus_consumer *consumer, void *IB_DIRECT_OUT,
                          size_t IB_DIRECT_OUT_LEN, int off, int len, uint32_t *IB_LENS_OUT,
                          size_t IB_LENS_OUT_COUNT, size_t *IB_OUT);

/* ---- structs: size set by the constructor, no finalizer ------------------------ */

/* No proxy finalizes: whoever creates a struct proxy calls delete(). */
%typemap(javafinalize) SWIGTYPE ""

%define IB_JAVA_SIZED_STRUCT(TYPE)
%extend TYPE {
    TYPE() {
        TYPE *s = (TYPE *)calloc(1, sizeof(TYPE));
        if (s)
            s->size = (uint32_t)sizeof(TYPE);
        return s;
    }
}
%enddef

IB_JAVA_SIZED_STRUCT(indexbus_region_config)
IB_JAVA_SIZED_STRUCT(indexbus_open_config)
IB_JAVA_SIZED_STRUCT(indexbus_info)
IB_JAVA_SIZED_STRUCT(indexbus_consumer_stats)
IB_JAVA_SIZED_STRUCT(indexbus_route_result)
IB_JAVA_SIZED_STRUCT(indexbus_router_loop_config)

/* The layout structs describe shared memory, which Java never reads directly. */
%ignore indexbus_section_entry;
%ignore indexbus_region_header;
%ignore indexbus_participants_ctl;
%ignore indexbus_participant;
%ignore indexbus_participants_section;
%ignore indexbus_counters_global;
%ignore indexbus_counters_consumer;
%ignore indexbus_wake_entry;
%ignore indexbus_router_section;
%ignore indexbus_spsc_ctl;
%ignore indexbus_mpsc_ctl;
%ignore indexbus_mpsc_cell;
%ignore indexbus_pool_ctl;
%ignore indexbus_slot_header;
