//! Links libzmq 4.3.5 built with the draft API by `build.rs`; the declarations of its functions
//! are in `zmtp-interop-draft`.
#![no_std]
