//! Builds libzmq 4.3.5 with the draft API (and CURVE through the system's libsodium) from the
//! sources `zeromq-src` carries. Cargo runs this once and caches its output: the C++ build is
//! not redone unless this file or the `zeromq-src` version changes.

use std::path::Path;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let lib_dir = "/usr/lib/x86_64-linux-gnu";
    if !Path::new("/usr/include/sodium.h").exists()
        || !Path::new(lib_dir).join("libsodium.a").exists()
    {
        panic!(
            "zmtp-interop-draft builds libzmq with CURVE over libsodium: install it with \
             `apt-get install libsodium-dev` (and a C++ compiler: `apt-get install g++`)"
        );
    }
    zeromq_src::Build::new()
        .enable_draft(true)
        .with_libsodium(Some(zeromq_src::LibLocation::new(lib_dir, "/usr/include")))
        .build();
}
