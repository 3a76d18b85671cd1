//! zmtp against the real libzmq: this package holds only tests (`tests/libzmq_*.rs`), the
//! `codec_handshake` example and the benchmarks that run beside libzmq (`benches/`). It links
//! the C libzmq through the `zmq` crate, which is why it is a package of its own: the `zmtp`
//! package builds, runs its examples and its own tests with cargo alone.
//!
//! There is nothing to use here.
#![forbid(unsafe_code)]
