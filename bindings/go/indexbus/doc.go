// Package indexbus is the Go binding of IndexBus, a shared-memory message
// bus: processes written in any language map one region and pass messages
// through it without a broker, sockets or system calls on the hot path.
//
// A region is created once (Create) and opened by name by everyone else
// (Open). Events regions carry messages from SPSC and MPSC producers to one
// consumer; fanout regions carry them from producers through a Router to up
// to 64 consumers, broadcast or as a work queue. Byte logs (KindLog, layout
// 1.1) store records of any length inline in a byte ring: ClaimLen claims
// exactly the bytes a record needs, ClaimBatch a run of records published
// with one store. Byte streams (KindStream) are pipes in shared memory
// whose ends are an io.WriteCloser (StreamWriter) and an io.ReadCloser
// (StreamReader, io.EOF at the end of the stream); request/response
// regions (KindRPC) carry requests from RPCClients to RPCServers and a
// reply to each through reusable reply cells.
//
//	region, err := indexbus.Create("/orders", indexbus.Config{Kind: indexbus.KindEvents})
//	tx, err := region.OpenProducer(indexbus.MPSC)
//	rx, err := region.OpenConsumer(0)
//	err = tx.Publish([]byte("hello"))
//	n, err := rx.Recv(ctx, buf)
//
// # Errors
//
// Every failure is an *Error carrying the C status code and the operation.
// Test for a condition with errors.Is and the sentinels: ErrFull, ErrEmpty,
// ErrTimeout, ErrDisconnected, ... A call on a closed handle returns
// ErrClosed.
//
// # Blocking producers
//
// Publish and the claims return ErrFull when there is no room. PublishWait
// and ClaimWait wait for it instead, on every region kind, spinning and
// then parked until the consumer (or router) frees space, up to a timeout
// (ErrTimeout). A producer learns that the consumer has gone, even while
// parked, from ErrDisconnected. Space reports the room a producer sees.
//
// # Memory
//
// Payloads are passed to the C library as (pointer, length) without extra
// copies, and only for the duration of the call. Claim, ClaimLen,
// ClaimWait, ClaimBatch, RecvBegin, RPCClient.Claim, RPCClient.Wait,
// RPCServer.Serve (Request.Data) and ReplyBuffer go further and return
// slices that alias the region's shared memory: such a slice is valid
// only until the matching Commit/Abort, RecvEnd, Send, ReplyDone or reply
// (or Close) and must not be kept.
//
// # Concurrency
//
// Handles (Region, Producer, Consumer, Router, StreamWriter, StreamReader,
// RPCClient, RPCServer) are safe for concurrent use
// and serialise their calls, as the C library requires. To publish in
// parallel, give each goroutine its own MPSC producer. Handles must be
// closed; closing a Region does not invalidate the handles opened on it.
//
// # Versions
//
// The binding is built against one version of the C header and checks the
// library it loads on the first Create or Open (see CheckVersion): the
// major version must match and the minor version must be at least the one
// it was built against.
package indexbus
