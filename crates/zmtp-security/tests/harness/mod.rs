//! In-memory connection pairs for mechanism tests: byte shuttling, event collection, raw peers,
//! and a virtual clock ([`Pair`]), from the codec's `testing` module.
#![allow(dead_code, unreachable_pub, unused_imports)]

pub use zmtp_codec::testing::*;
