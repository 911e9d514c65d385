/* java.i - Java-only part of the SWIG interface (included by indexbus.i
 * before the declarations, so everything here applies to them).
 *
 * The generated classes (package io.indexbus.internal, see bindings/java/java.mk)
 * are a raw layer for io.indexbus, never a public API:
 *  - handles are plain Java longs (no proxy objects, so nothing to finalize);
 *    a handle out-parameter (T **out) is a long[1] the wrapper fills in;
 *  - size_t out-parameters (*len) are int[1] holders; the batch helpers and
 *    the direct-buffer helpers return their counts in a 64-bit result instead;
 *  - payloads are (pointer, length) pairs taken straight from a Java byte[]
 *    (pinned with Get/ReleasePrimitiveArrayCritical, no copy) or a direct
 *    ByteBuffer (GetDirectBufferAddress); message lengths come as an int[]
 *    (copied in and out by the wrapper); zero-copy claim and borrow hand back
 *    a direct ByteBuffer over the slot (NewDirectByteBuffer);
 *  - the hot path (single and batch calls on direct buffers) passes numbers
 *    only: the buffers' addresses, which Java looks up once per buffer
 *    (ibj_direct_address) and keeps, their capacities and the ranges to use,
 *    all checked here before any memory is touched (see "the hot path" below);
 *  - the 1.1 claims (claim_len, claim_wait, claim_batch) hand back direct
 *    ByteBuffers of exactly the bytes claimed; the blocking publish_wait takes a
 *    direct buffer's address only, so no array is pinned while it waits;
 *  - the 1.1 stream and request/response handles are Java longs too; the calls
 *    that wait (stream write_all and read, rpc_wait, rpc_serve) never run with an
 *    array pinned: the stream ones take direct memory by address, and the
 *    borrowed request and reply come back as direct ByteBuffers made after the
 *    wait; tokens come back in long[1] holders;
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
IB_JAVA_HANDLE(indexbus_stream_writer)
IB_JAVA_HANDLE(indexbus_stream_reader)
IB_JAVA_HANDLE(indexbus_rpc_client)
IB_JAVA_HANDLE(indexbus_rpc_server)

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
%apply size_t *IB_OUT { size_t *len };

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
/* Small metadata arrays, copied into C memory (on the stack up to
 * IBJ_LENS_STACK of them) before any payload is pinned, and back out whole (OUT
 * form; entries the library did not write keep their values) after the payload
 * is released: one GetIntArrayRegion and one SetIntArrayRegion, no C-heap copy
 * for the usual sizes. A copy, not the array itself: another thread writing the
 * array meanwhile cannot change lengths already checked. (A longer array's heap
 * copy is freed by `freearg`, which the early return of a failed pin skips, as
 * it skipped releasing the GetIntArrayElements copy used before; HotSpot's
 * GetPrimitiveArrayCritical does not fail on a valid array.) */

%{
#define IBJ_LENS_STACK 256
%}

%define IB_JAVA_LENS(PTR, COUNT, WRITE_BACK)
%typemap(jni)    (PTR, COUNT) "jintArray"
%typemap(jtype)  (PTR, COUNT) "int[]"
%typemap(jstype) (PTR, COUNT) "int[]"
%typemap(javain) (PTR, COUNT) "$javainput"
%typemap(in)     (PTR, COUNT) (uint32_t lens_stack[IBJ_LENS_STACK], uint32_t *lens_heap = NULL) %{
  if (!$input) {
    SWIG_JavaThrowException(jenv, SWIG_JavaNullPointerException, "null int[]");
    return $null;
  }
  $2 = (size_t)(*jenv)->GetArrayLength(jenv, $input);
  $1 = lens_stack;
  if ($2 > IBJ_LENS_STACK && !($1 = lens_heap = ($1_ltype)malloc($2 * sizeof(uint32_t)))) {
    SWIG_JavaThrowException(jenv, SWIG_JavaOutOfMemoryError, "cannot copy int[]");
    return $null;
  }
  (*jenv)->GetIntArrayRegion(jenv, $input, 0, (jsize)$2, (jint *)$1);
%}
%typemap(argout) (PTR, COUNT) %{
  if (WRITE_BACK)
    (*jenv)->SetIntArrayRegion(jenv, $input, 0, (jsize)$2, (const jint *)$1);
%}
%typemap(freearg) (PTR, COUNT) %{
  free(lens_heap$argnum);
%}
%enddef

IB_JAVA_LENS(const uint32_t *IB_LENS, size_t IB_LENS_COUNT, 0)
IB_JAVA_LENS(uint32_t *IB_LENS_OUT, size_t IB_LENS_OUT_COUNT, 1)

/* ---- direct buffer addresses ------------------------------------------------ */
/* The memory address of a direct buffer of any element type, 0 if not direct. */
%typemap(jni)    void *IB_BUFFER_ADDRESS "jobject"
%typemap(jtype)  void *IB_BUFFER_ADDRESS "java.nio.Buffer"
%typemap(jstype) void *IB_BUFFER_ADDRESS "java.nio.Buffer"
%typemap(javain) void *IB_BUFFER_ADDRESS "$javainput"
%typemap(in)     void *IB_BUFFER_ADDRESS %{
  if (!$input) {
    SWIG_JavaThrowException(jenv, SWIG_JavaNullPointerException, "null Buffer");
    return $null;
  }
  $1 = (*jenv)->GetDirectBufferAddress(jenv, $input);
%}

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

/* ---- the batch claim's views; the JNI environment ------------------------------ */
/* A ByteBuffer[] the helper fills with one view per record, and the JNIEnv the
 * helper needs to make them (no Java parameter). */
%typemap(jni)    jobjectArray IB_VIEWS "jobjectArray"
%typemap(jtype)  jobjectArray IB_VIEWS "java.nio.ByteBuffer[]"
%typemap(jstype) jobjectArray IB_VIEWS "java.nio.ByteBuffer[]"
%typemap(javain) jobjectArray IB_VIEWS "$javainput"
%typemap(in)     jobjectArray IB_VIEWS %{ $1 = $input; %}
%typemap(in, numinputs=0) JNIEnv *IB_JENV %{ $1 = jenv; %}

/* ---- uint64_t out-parameters: long[1] holders (producer_space) ----------------- */

%typemap(jni)    uint64_t *IB_U64_OUT "jlongArray"
%typemap(jtype)  uint64_t *IB_U64_OUT "long[]"
%typemap(jstype) uint64_t *IB_U64_OUT "long[]"
%typemap(javain) uint64_t *IB_U64_OUT "$javainput"
%typemap(in)     uint64_t *IB_U64_OUT (uint64_t value = 0) %{
  if (!$input || (*jenv)->GetArrayLength(jenv, $input) < 1) {
    SWIG_JavaThrowException(jenv, SWIG_JavaIllegalArgumentException, "out holder must be a long[1]");
    return $null;
  }
  $1 = &value;
%}
%typemap(argout) uint64_t *IB_U64_OUT %{
  {
    jlong v = (jlong)value$argnum;
    (*jenv)->SetLongArrayRegion(jenv, $input, 0, 1, &v);
  }
%}
%apply uint64_t *IB_U64_OUT { uint64_t *space };
%apply uint64_t *IB_U64_OUT { uint64_t *token };   /* rpc_send, rpc_serve, the ibj_rpc_request_* */

/* ---- the C declarations these apply to ---------------------------------------- */

%apply (const void *IB_BYTES, size_t IB_BYTES_LEN) { (const void *data, size_t len) };       /* publish */
%apply (void *IB_BYTES_OUT, size_t IB_BYTES_OUT_LEN) { (void *buf, size_t cap) };          /* try_recv */
%apply (void **IB_CLAIM, size_t *IB_CLAIM_CAP) { (void **buf, size_t *capacity) };         /* claim */
%apply (const void **IB_BORROW, size_t *IB_BORROW_LEN) { (const void **data, size_t *len) }; /* recv_begin */

/* indexbus_recv blocks: it must not run with a pinned array (that stalls the
 * GC), so Java gets it with a direct buffer only (ibj_recv_at below) and
 * builds the byte[] form from indexbus_wait + indexbus_try_recv.
 * indexbus_publish_batch takes no length for its data: ibj_publish_batch_*
 * check the lengths against the buffer first; they and ibj_recv_batch_* return
 * their counts instead of filling int[1] holders. */
%ignore indexbus_recv;
%ignore indexbus_publish_batch;
%ignore indexbus_recv_batch;
/* 1.1: the blocking producers must not pin an array either (publish_wait is
 * ibj_publish_wait_at, on a direct buffer's memory); the claims hand back
 * direct ByteBuffers of exactly the bytes claimed (ibj_claim_len,
 * ibj_claim_wait, ibj_claim_batch below). */
%ignore indexbus_publish_wait;
%ignore indexbus_claim_len;
%ignore indexbus_claim_wait;
%ignore indexbus_claim_batch;
/* 1.1 streams and request/response: the calls that block (stream_write_all,
 * stream_read, rpc_call) run on direct memory only (ibj_stream_write_all_at,
 * ibj_stream_read_at; Java composes call from request + wait), so no array
 * is pinned while they wait; the others take ranges (ibj_stream_write_*,
 * ibj_rpc_request_*, ibj_rpc_reply_*) and return counts, not int[1] holders.
 * rpc_wait and rpc_serve wait with nothing pinned: their borrowed reply and
 * request come back as direct ByteBuffers (IB_BORROW), made after the wait. */
%ignore indexbus_stream_write;
%ignore indexbus_stream_write_all;
%ignore indexbus_stream_read;
%ignore indexbus_stream_state;
%ignore indexbus_rpc_claim;
%ignore indexbus_rpc_request;
%ignore indexbus_rpc_call;
%ignore indexbus_rpc_reply;
%apply (const void **IB_BORROW, size_t *IB_BORROW_LEN) { (const void **request, size_t *len) }; /* rpc_serve */
%apply (void **IB_CLAIM, size_t *IB_CLAIM_CAP) { (void **buf, size_t *cap) };                  /* rpc_reply_buffer */

/* ---- ranges and direct buffers: thin checked helpers --------------------------- */
/* Java passes a whole byte[] or direct ByteBuffer (the (pointer, length) pair)
 * plus the range [off, off + len) to use; the range is checked here before the
 * pointer is touched, so no call can read or write outside the Java buffer. */

%{
static int ibj_range_ok(size_t size, int off, int len)
{
    return off >= 0 && len >= 0 && (size_t)off <= size && (size_t)len <= size - (size_t)off;
}

static int ibj_publish(indexbus_producer *p, const void *data, size_t size, int off, int len)
{
    if (!ibj_range_ok(size, off, len))
        return INDEXBUS_INVALID_ARGUMENT;
    return indexbus_publish(p, (const char *)data + off, (size_t)len);
}

static int ibj_try_recv(indexbus_consumer *c, void *buf, size_t size, int off, int len,
                        size_t *out_len)
{
    if (!ibj_range_ok(size, off, len))
        return INDEXBUS_INVALID_ARGUMENT;
    return indexbus_try_recv(c, (char *)buf + off, (size_t)len, out_len);
}

/* Batches return one 64-bit result instead of filling out-parameters: >= 0 is
 * (messages << 32) | the bytes they took, < 0 is -status with nothing sent or
 * received (-IBJ_LENS_DONT_FIT: the lengths add up to more than the payload
 * range). `lens` is always a C copy of the caller's lengths (IB_JAVA_LENS, or
 * the _at helpers below), so the library reads exactly the lengths checked. */
#define IBJ_LENS_DONT_FIT 1000

static uint64_t ibj_lens_sum(const uint32_t *lens, size_t count)
{
    uint64_t total = 0;
    for (size_t i = 0; i < count; i++)
        total += lens[i];
    return total;
}

/* Publishes `count` messages from `data`, their lengths adding up to `total`.
 * (`lens` is not const only to keep GCC from taking a stack array that the
 * caller filled in a loop for one that is read uninitialized.) */
static int64_t ibj_publish_summed(indexbus_producer *p, const char *data, int len,
                                  uint32_t *lens, size_t count, uint64_t total)
{
    if (total > (uint64_t)len)
        return -IBJ_LENS_DONT_FIT;
    size_t n = 0;
    int st = indexbus_publish_batch(p, data, lens, count, &n);
    if (n == 0)
        return st == INDEXBUS_OK ? 0 : -(int64_t)st;
    if (n < count)
        total = ibj_lens_sum(lens, n);
    return (int64_t)n << 32 | (int64_t)total;
}

static int64_t ibj_publish_batch(indexbus_producer *p, const void *data, size_t size, int off,
                                 int len, const uint32_t *lens, size_t count)
{
    if (!ibj_range_ok(size, off, len))
        return -INDEXBUS_INVALID_ARGUMENT;
    return ibj_publish_summed(p, (const char *)data + off, len, (uint32_t *)lens, count,
                              ibj_lens_sum(lens, count));
}

static int64_t ibj_recv_batch(indexbus_consumer *c, void *buf, size_t size, int off, int len,
                              uint32_t *lens, size_t max_msgs)
{
    if (!ibj_range_ok(size, off, len))
        return -INDEXBUS_INVALID_ARGUMENT;
    size_t n = 0;
    int st = indexbus_recv_batch(c, (char *)buf + off, (size_t)len, lens, max_msgs, &n);
    return st == INDEXBUS_OK ? (int64_t)n << 32 | (int64_t)ibj_lens_sum(lens, n) : -(int64_t)st;
}

/* ---- 1.1: claims of exactly len bytes, blocking producers, the batch claim ----
 * A claim hands back a direct ByteBuffer over exactly the len bytes claimed, in
 * the ByteBuffer[1] holder (IB_JAVA_SLOT_VIEW: its capacity is *cap). */

static int ibj_claim_len(indexbus_producer *p, int len, void **buf, size_t *cap)
{
    if (len < 0)
        return INDEXBUS_INVALID_ARGUMENT;
    *cap = (size_t)len;
    return indexbus_claim_len(p, (size_t)len, buf);
}

static int ibj_claim_wait(indexbus_producer *p, int len, uint64_t timeout_ns, void **buf,
                          size_t *cap)
{
    if (len < 0)
        return INDEXBUS_INVALID_ARGUMENT;
    *cap = (size_t)len;
    return indexbus_claim_wait(p, (size_t)len, buf, timeout_ns);
}

/* The batch claim: record i's buffer goes to views[i] (views at least count
 * long), a direct ByteBuffer of exactly lens[i] bytes. If a view cannot be
 * made, the claim is aborted (its space becomes padding) and the JVM's
 * exception is left pending for Java to throw. */
static int ibj_claim_batch(JNIEnv *jenv, indexbus_producer *p, const uint32_t *lens,
                           size_t count, jobjectArray views)
{
    void *stack[IBJ_LENS_STACK], **bufs = stack;
    if (views == NULL || (size_t)(*jenv)->GetArrayLength(jenv, views) < count)
        return INDEXBUS_INVALID_ARGUMENT;
    if (count > IBJ_LENS_STACK && !(bufs = malloc(count * sizeof(*bufs))))
        return INDEXBUS_NO_MEMORY;
    int st = indexbus_claim_batch(p, lens, count, bufs);
    for (size_t i = 0; st == INDEXBUS_OK && i < count; i++) {
        jobject view = (*jenv)->NewDirectByteBuffer(jenv, bufs[i], (jlong)lens[i]);
        if (view == NULL) {
            indexbus_abort(p);
            if (!(*jenv)->ExceptionCheck(jenv))
                SWIG_JavaThrowException(jenv, SWIG_JavaRuntimeException,
                                        "this JVM cannot make direct ByteBuffers from JNI");
            st = INDEXBUS_NO_MEMORY;
            break;
        }
        (*jenv)->SetObjectArrayElement(jenv, views, (jsize)i, view);
        (*jenv)->DeleteLocalRef(jenv, view);
    }
    if (bufs != stack)
        free(bufs);
    return st;
}

#define ibj_publish_bytes ibj_publish
#define ibj_publish_batch_bytes ibj_publish_batch
#define ibj_publish_batch_direct ibj_publish_batch
#define ibj_try_recv_bytes ibj_try_recv
#define ibj_recv_batch_bytes ibj_recv_batch
#define ibj_recv_batch_direct ibj_recv_batch

/* ---- the hot path: direct buffers by address ----
 * JNI's GetDirectBufferAddress and GetDirectBufferCapacity each call back into
 * the JVM twice; for the four buffers of a 32-message publish + receive that
 * was about 100 ns, over a tenth of what the C twin takes for the same work.
 * So Java looks a direct buffer's address up once (ibj_direct_address) and keeps
 * it with the buffer (io.indexbus.DirectAddress); each call then passes numbers
 * only: the address, the capacity (Buffer.capacity(), final in Java; in ints for
 * a lengths IntBuffer) and the range to use, checked here as above. Java makes
 * sure that a lengths buffer is in native byte order. The lengths pass through
 * C memory (on the stack up to IBJ_LENS_STACK of them): read from the buffer
 * once, before they are checked, and written to it after the library filled
 * them. Like a handle, an address is trusted as given: io.indexbus passes only
 * addresses JNI gave it for a buffer it still holds. */

static int64_t ibj_direct_address(void *address) { return (int64_t)(intptr_t)address; }

static int ibj_mem_ok(int64_t addr, int cap, int off, int len)
{
    return cap >= 0 && (addr != 0 || cap == 0) && ibj_range_ok((size_t)cap, off, len);
}

static int ibj_publish_at(indexbus_producer *p, int64_t data, int cap, int off, int len)
{
    if (!ibj_mem_ok(data, cap, off, len))
        return INDEXBUS_INVALID_ARGUMENT;
    return indexbus_publish(p, (const char *)(intptr_t)data + off, (size_t)len);
}

/* publish_wait blocks: nothing is pinned, the payload being a direct buffer's
 * memory (Java copies a byte[] there first when it has to wait). */
static int ibj_publish_wait_at(indexbus_producer *p, int64_t data, int cap, int off, int len,
                               uint64_t timeout_ns)
{
    if (!ibj_mem_ok(data, cap, off, len))
        return INDEXBUS_INVALID_ARGUMENT;
    return indexbus_publish_wait(p, (const char *)(intptr_t)data + off, (size_t)len, timeout_ns);
}

/* Single receives: >= 0 is the message's length, < 0 is -(status | len << 32),
 * len being the length a BUFFER_TOO_SMALL message needs. */
static int64_t ibj_received(int st, size_t n)
{
    if (st == INDEXBUS_OK)
        return (int64_t)n;
    return -((int64_t)(n > INT32_MAX ? INT32_MAX : n) << 32 | st);
}

static int64_t ibj_try_recv_at(indexbus_consumer *c, int64_t buf, int cap, int off, int len)
{
    if (!ibj_mem_ok(buf, cap, off, len))
        return -INDEXBUS_INVALID_ARGUMENT;
    size_t n = 0;
    int st = indexbus_try_recv(c, (char *)(intptr_t)buf + off, (size_t)len, &n);
    return ibj_received(st, n);
}

/* Blocks: nothing is pinned, the buffer being direct. */
static int64_t ibj_recv_at(indexbus_consumer *c, int64_t buf, int cap, int off, int len,
                           uint64_t timeout_ns)
{
    if (!ibj_mem_ok(buf, cap, off, len))
        return -INDEXBUS_INVALID_ARGUMENT;
    size_t n = 0;
    int st = indexbus_recv(c, (char *)(intptr_t)buf + off, (size_t)len, &n, timeout_ns);
    return ibj_received(st, n);
}

/* Lengths between a Java buffer (any alignment) and C memory; both return their sum. */
static uint64_t ibj_lens_in(uint32_t *lens, const char *from, size_t count)
{
    uint64_t total = 0;
    for (size_t i = 0; i < count; i++) {
        memcpy(&lens[i], from + i * sizeof(uint32_t), sizeof(uint32_t));
        total += lens[i];
    }
    return total;
}

static uint64_t ibj_lens_out(char *to, const uint32_t *lens, size_t count)
{
    uint64_t total = 0;
    for (size_t i = 0; i < count; i++) {
        memcpy(to + i * sizeof(uint32_t), &lens[i], sizeof(uint32_t));
        total += lens[i];
    }
    return total;
}

static int64_t ibj_publish_batch_at(indexbus_producer *p, int64_t data, int cap, int off,
                                    int len, int64_t lens_addr, int lens_cap, int lens_off,
                                    int count)
{
    uint32_t stack[IBJ_LENS_STACK], *lens = stack;
    if (!ibj_mem_ok(data, cap, off, len) || !ibj_mem_ok(lens_addr, lens_cap, lens_off, count))
        return -INDEXBUS_INVALID_ARGUMENT;
    if (count > IBJ_LENS_STACK && !(lens = malloc((size_t)count * sizeof(uint32_t))))
        return -INDEXBUS_NO_MEMORY;
    uint64_t total = ibj_lens_in(lens, (const char *)(intptr_t)lens_addr
                                           + (size_t)lens_off * sizeof(uint32_t), (size_t)count);
    int64_t r = ibj_publish_summed(p, (const char *)(intptr_t)data + off, len, lens,
                                   (size_t)count, total);
    if (lens != stack)
        free(lens);
    return r;
}

static int64_t ibj_recv_batch_at(indexbus_consumer *c, int64_t buf, int cap, int off, int len,
                                 int64_t lens_addr, int lens_cap, int lens_off, int max)
{
    uint32_t stack[IBJ_LENS_STACK], *lens = stack;
    if (!ibj_mem_ok(buf, cap, off, len) || !ibj_mem_ok(lens_addr, lens_cap, lens_off, max))
        return -INDEXBUS_INVALID_ARGUMENT;
    if (max > IBJ_LENS_STACK && !(lens = malloc((size_t)max * sizeof(uint32_t))))
        return -INDEXBUS_NO_MEMORY;
    size_t n = 0;
    int st = indexbus_recv_batch(c, (char *)(intptr_t)buf + off, (size_t)len, lens, (size_t)max,
                                 &n);
    char *to = (char *)(intptr_t)lens_addr + (size_t)lens_off * sizeof(uint32_t);
    int64_t r;
    if (st == INDEXBUS_OK) {
        r = (int64_t)n << 32 | (int64_t)ibj_lens_out(to, lens, n);
    } else {
        if (st == INDEXBUS_BUFFER_TOO_SMALL)
            ibj_lens_out(to, lens, 1); /* the length the first message needs */
        r = -(int64_t)st;
    }
    if (lens != stack)
        free(lens);
    return r;
}

/* ---- 1.1: byte streams and request/response ----
 * Stream writes and reads return >= 0 for the bytes written or read and
 * < 0 for -status. write_all blocks, so it takes direct memory only and
 * returns both: written << 32 | status (written <= len, an int). A read of
 * a byte[] (pinned) never waits (timeout 0: EMPTY when nothing is there). */

static int64_t ibj_counted(int st, size_t n)
{
    return st == INDEXBUS_OK ? (int64_t)n : -(int64_t)st;
}

static int64_t ibj_stream_write_bytes(indexbus_stream_writer *w, const void *data, size_t size,
                                      int off, int len)
{
    if (!ibj_range_ok(size, off, len))
        return -INDEXBUS_INVALID_ARGUMENT;
    size_t n = 0;
    int st = indexbus_stream_write(w, (const char *)data + off, (size_t)len, &n);
    return ibj_counted(st, n);
}

static int64_t ibj_stream_write_at(indexbus_stream_writer *w, int64_t data, int cap, int off,
                                   int len)
{
    if (!ibj_mem_ok(data, cap, off, len))
        return -INDEXBUS_INVALID_ARGUMENT;
    size_t n = 0;
    const char *d = data != 0 ? (const char *)(intptr_t)data + off : "";
    int st = indexbus_stream_write(w, d, (size_t)len, &n);
    return ibj_counted(st, n);
}

/* write_all without waiting (timeout 0: a short spin, no park), on a pinned
 * byte[]: all of it, or with TIMEOUT a complete prefix (none if len <=
 * max_record). written << 32 | status. */
static int64_t ibj_stream_write_all_bytes(indexbus_stream_writer *w, const void *data,
                                          size_t size, int off, int len)
{
    if (!ibj_range_ok(size, off, len))
        return INDEXBUS_INVALID_ARGUMENT;
    size_t n = 0;
    int st = indexbus_stream_write_all(w, (const char *)data + off, (size_t)len, 0, &n);
    return (int64_t)n << 32 | st;
}

static int64_t ibj_stream_write_all_at(indexbus_stream_writer *w, int64_t data, int cap, int off,
                                       int len, uint64_t timeout_ns)
{
    if (!ibj_mem_ok(data, cap, off, len))
        return INDEXBUS_INVALID_ARGUMENT;
    size_t n = 0;
    const char *d = data != 0 ? (const char *)(intptr_t)data + off : "";
    int st = indexbus_stream_write_all(w, d, (size_t)len, timeout_ns, &n);
    return (int64_t)n << 32 | st;
}

static int64_t ibj_stream_read_bytes(indexbus_stream_reader *r, void *buf, size_t size, int off,
                                     int len)
{
    if (!ibj_range_ok(size, off, len))
        return -INDEXBUS_INVALID_ARGUMENT;
    size_t n = 0;
    int st = indexbus_stream_read(r, (char *)buf + off, (size_t)len, &n, 0);
    return ibj_counted(st, n);
}

/* Blocks: nothing is pinned, the buffer being direct. */
static int64_t ibj_stream_read_at(indexbus_stream_reader *r, int64_t buf, int cap, int off,
                                  int len, uint64_t timeout_ns)
{
    if (!ibj_mem_ok(buf, cap, off, len))
        return -INDEXBUS_INVALID_ARGUMENT;
    size_t n = 0;
    int st = indexbus_stream_read(r, (char *)(intptr_t)buf + off, (size_t)len, &n, timeout_ns);
    return ibj_counted(st, n);
}

/* The stream's state: flags | writers_aborted << 32, or -status. */
static int64_t ibj_stream_state(const indexbus_region *region)
{
    uint32_t flags = 0, aborted = 0;
    int st = indexbus_stream_state(region, &flags, &aborted);
    return st == INDEXBUS_OK ? (int64_t)aborted << 32 | flags : -(int64_t)st;
}

static int ibj_rpc_request_bytes(indexbus_rpc_client *c, const void *data, size_t size, int off,
                                 int len, uint64_t *token)
{
    if (!ibj_range_ok(size, off, len))
        return INDEXBUS_INVALID_ARGUMENT;
    return indexbus_rpc_request(c, (const char *)data + off, (size_t)len, token);
}

static int ibj_rpc_request_at(indexbus_rpc_client *c, int64_t data, int cap, int off, int len,
                              uint64_t *token)
{
    if (!ibj_mem_ok(data, cap, off, len))
        return INDEXBUS_INVALID_ARGUMENT;
    const char *d = data != 0 ? (const char *)(intptr_t)data + off : "";
    return indexbus_rpc_request(c, d, (size_t)len, token);
}

/* The zero-copy request: a view of exactly len bytes of the cell. */
static int ibj_rpc_claim(indexbus_rpc_client *c, int len, void **buf, size_t *cap)
{
    if (len < 0)
        return INDEXBUS_INVALID_ARGUMENT;
    *cap = (size_t)len;
    return indexbus_rpc_claim(c, (size_t)len, buf);
}

static int ibj_rpc_reply_bytes(indexbus_rpc_server *s, uint64_t token, const void *data,
                               size_t size, int off, int len)
{
    if (!ibj_range_ok(size, off, len))
        return INDEXBUS_INVALID_ARGUMENT;
    return indexbus_rpc_reply(s, token, (const char *)data + off, (size_t)len);
}

static int ibj_rpc_reply_at(indexbus_rpc_server *s, uint64_t token, int64_t data, int cap,
                            int off, int len)
{
    if (!ibj_mem_ok(data, cap, off, len))
        return INDEXBUS_INVALID_ARGUMENT;
    const char *d = data != 0 ? (const char *)(intptr_t)data + off : "";
    return indexbus_rpc_reply(s, token, d, (size_t)len);
}

%}

int ibj_publish_bytes(indexbus_producer *producer, const void *IB_BYTES, size_t IB_BYTES_LEN,
                      int off, int len);
int64_t ibj_publish_batch_bytes(indexbus_producer *producer, const void *IB_BYTES,
                                size_t IB_BYTES_LEN, int off, int len, const uint32_t *IB_LENS,
                                size_t IB_LENS_COUNT);
int64_t ibj_publish_batch_direct(indexbus_producer *producer, const void *IB_DIRECT,
                                 size_t IB_DIRECT_LEN, int off, int len, const uint32_t *IB_LENS,
                                 size_t IB_LENS_COUNT);
int ibj_try_recv_bytes(indexbus_consumer *consumer, void *IB_BYTES_OUT, size_t IB_BYTES_OUT_LEN,
                       int off, int len, size_t *IB_OUT);
int64_t ibj_recv_batch_bytes(indexbus_consumer *consumer, void *IB_BYTES_OUT,
                             size_t IB_BYTES_OUT_LEN, int off, int len, uint32_t *IB_LENS_OUT,
                             size_t IB_LENS_OUT_COUNT);
int64_t ibj_recv_batch_direct(indexbus_consumer *consumer, void *IB_DIRECT_OUT,
                              size_t IB_DIRECT_OUT_LEN, int off, int len, uint32_t *IB_LENS_OUT,
                              size_t IB_LENS_OUT_COUNT);
int64_t ibj_direct_address(void *IB_BUFFER_ADDRESS);
int ibj_publish_at(indexbus_producer *producer, int64_t data, int cap, int off, int len);
int64_t ibj_try_recv_at(indexbus_consumer *consumer, int64_t buf, int cap, int off, int len);
int64_t ibj_recv_at(indexbus_consumer *consumer, int64_t buf, int cap, int off, int len,
                    uint64_t timeout_ns);
int64_t ibj_publish_batch_at(indexbus_producer *producer, int64_t data, int cap, int off, int len,
                             int64_t lens, int lens_cap, int lens_off, int count);
int64_t ibj_recv_batch_at(indexbus_consumer *consumer, int64_t buf, int cap, int off, int len,
                          int64_t lens, int lens_cap, int lens_off, int max);
int ibj_claim_len(indexbus_producer *producer, int len, void **IB_CLAIM, size_t *IB_CLAIM_CAP);
int ibj_claim_wait(indexbus_producer *producer, int len, uint64_t timeout_ns, void **IB_CLAIM,
                   size_t *IB_CLAIM_CAP);
int ibj_claim_batch(JNIEnv *IB_JENV, indexbus_producer *producer, const uint32_t *IB_LENS,
                    size_t IB_LENS_COUNT, jobjectArray IB_VIEWS);
int ibj_publish_wait_at(indexbus_producer *producer, int64_t data, int cap, int off, int len,
                        uint64_t timeout_ns);
int64_t ibj_stream_write_bytes(indexbus_stream_writer *writer, const void *IB_BYTES,
                               size_t IB_BYTES_LEN, int off, int len);
int64_t ibj_stream_write_at(indexbus_stream_writer *writer, int64_t data, int cap, int off,
                            int len);
int64_t ibj_stream_write_all_bytes(indexbus_stream_writer *writer, const void *IB_BYTES,
                                   size_t IB_BYTES_LEN, int off, int len);
int64_t ibj_stream_write_all_at(indexbus_stream_writer *writer, int64_t data, int cap, int off,
                                int len, uint64_t timeout_ns);
int64_t ibj_stream_read_bytes(indexbus_stream_reader *reader, void *IB_BYTES_OUT,
                              size_t IB_BYTES_OUT_LEN, int off, int len);
int64_t ibj_stream_read_at(indexbus_stream_reader *reader, int64_t buf, int cap, int off,
                           int len, uint64_t timeout_ns);
int64_t ibj_stream_state(const indexbus_region *region);
int ibj_rpc_request_bytes(indexbus_rpc_client *client, const void *IB_BYTES, size_t IB_BYTES_LEN,
                          int off, int len, uint64_t *token);
int ibj_rpc_request_at(indexbus_rpc_client *client, int64_t data, int cap, int off, int len,
                       uint64_t *token);
int ibj_rpc_claim(indexbus_rpc_client *client, int len, void **IB_CLAIM, size_t *IB_CLAIM_CAP);
int ibj_rpc_reply_bytes(indexbus_rpc_server *server, uint64_t token, const void *IB_BYTES,
                        size_t IB_BYTES_LEN, int off, int len);
int ibj_rpc_reply_at(indexbus_rpc_server *server, uint64_t token, int64_t data, int cap, int off,
                     int len);

/* the status the batch results use for lengths that do not fit (the C value above) */
%javaconst(1) IBJ_LENS_DONT_FIT;
#define IBJ_LENS_DONT_FIT 1000

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
%ignore indexbus_log_ctl;
%ignore indexbus_log_header;
%ignore indexbus_stream_ctl;
%ignore indexbus_rpc_ctl;
%ignore indexbus_rpc_cell;
