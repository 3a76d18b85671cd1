//! A small binding of libzmq 4.3.5 built with the draft API (by `build.rs`): the calls the
//! interop tests of the draft socket types make, blocking, each wrapped so that an error is a
//! `Result` naming libzmq's `errno`. Not a general binding: only what the tests use.

use std::ffi::{c_char, c_int, c_void, CStr, CString};

// The library itself: libzmq-draft-sys builds and links it.
use libzmq_draft_sys as _;

/// libzmq's draft socket types.
pub mod types {
    /// `ZMQ_DEALER`.
    pub const DEALER: i32 = 5;
    /// `ZMQ_ROUTER`.
    pub const ROUTER: i32 = 6;
    /// `ZMQ_SERVER`.
    pub const SERVER: i32 = 12;
    /// `ZMQ_CLIENT`.
    pub const CLIENT: i32 = 13;
    /// `ZMQ_RADIO`.
    pub const RADIO: i32 = 14;
    /// `ZMQ_DISH`.
    pub const DISH: i32 = 15;
    /// `ZMQ_GATHER`.
    pub const GATHER: i32 = 16;
    /// `ZMQ_SCATTER`.
    pub const SCATTER: i32 = 17;
    /// `ZMQ_PEER`.
    pub const PEER: i32 = 19;
    /// `ZMQ_CHANNEL`.
    pub const CHANNEL: i32 = 20;
}

/// Socket options the tests set.
pub mod opts {
    /// `ZMQ_LINGER`.
    pub const LINGER: i32 = 17;
    /// `ZMQ_RCVTIMEO`.
    pub const RCVTIMEO: i32 = 27;
    /// `ZMQ_SNDTIMEO`.
    pub const SNDTIMEO: i32 = 28;
    /// `ZMQ_LAST_ENDPOINT`.
    pub const LAST_ENDPOINT: i32 = 32;
    /// `ZMQ_CURVE_SERVER`.
    pub const CURVE_SERVER: i32 = 47;
    /// `ZMQ_CURVE_PUBLICKEY`.
    pub const CURVE_PUBLICKEY: i32 = 48;
    /// `ZMQ_CURVE_SECRETKEY`.
    pub const CURVE_SECRETKEY: i32 = 49;
    /// `ZMQ_CURVE_SERVERKEY`.
    pub const CURVE_SERVERKEY: i32 = 50;
    /// `ZMQ_SNDHWM`.
    pub const SNDHWM: i32 = 23;
    /// `ZMQ_RCVHWM`.
    pub const RCVHWM: i32 = 24;
}

/// `ZMQ_SNDMORE`.
pub const SNDMORE: i32 = 2;

/// libzmq's `zmq_msg_t`: 64 bytes, pointer-aligned.
#[repr(C, align(8))]
struct ZmqMsg([u8; 64]);

extern "C" {
    fn zmq_ctx_new() -> *mut c_void;
    fn zmq_ctx_term(ctx: *mut c_void) -> c_int;
    fn zmq_socket(ctx: *mut c_void, kind: c_int) -> *mut c_void;
    fn zmq_close(s: *mut c_void) -> c_int;
    fn zmq_bind(s: *mut c_void, ep: *const c_char) -> c_int;
    fn zmq_connect(s: *mut c_void, ep: *const c_char) -> c_int;
    fn zmq_connect_peer(s: *mut c_void, ep: *const c_char) -> u32;
    fn zmq_setsockopt(s: *mut c_void, o: c_int, v: *const c_void, l: usize) -> c_int;
    fn zmq_getsockopt(s: *mut c_void, o: c_int, v: *mut c_void, l: *mut usize) -> c_int;
    fn zmq_join(s: *mut c_void, group: *const c_char) -> c_int;
    fn zmq_leave(s: *mut c_void, group: *const c_char) -> c_int;
    fn zmq_errno() -> c_int;
    fn zmq_strerror(e: c_int) -> *const c_char;
    fn zmq_version(major: *mut c_int, minor: *mut c_int, patch: *mut c_int);
    fn zmq_msg_init(m: *mut ZmqMsg) -> c_int;
    fn zmq_msg_init_size(m: *mut ZmqMsg, size: usize) -> c_int;
    fn zmq_msg_data(m: *mut ZmqMsg) -> *mut c_void;
    fn zmq_msg_size(m: *const ZmqMsg) -> usize;
    fn zmq_msg_more(m: *const ZmqMsg) -> c_int;
    fn zmq_msg_close(m: *mut ZmqMsg) -> c_int;
    fn zmq_msg_send(m: *mut ZmqMsg, s: *mut c_void, flags: c_int) -> c_int;
    fn zmq_msg_recv(m: *mut ZmqMsg, s: *mut c_void, flags: c_int) -> c_int;
    fn zmq_msg_set_routing_id(m: *mut ZmqMsg, id: u32) -> c_int;
    fn zmq_msg_routing_id(m: *mut ZmqMsg) -> u32;
    fn zmq_msg_set_group(m: *mut ZmqMsg, group: *const c_char) -> c_int;
    fn zmq_msg_group(m: *mut ZmqMsg) -> *const c_char;
    fn zmq_has(capability: *const c_char) -> c_int;
}

/// A libzmq error: its `errno` and `zmq_strerror`'s text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ZmqError {
    /// libzmq's `errno`.
    pub errno: i32,
    /// What it means.
    pub text: String,
}

impl std::fmt::Display for ZmqError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "libzmq error {}: {}", self.errno, self.text)
    }
}

impl std::error::Error for ZmqError {}

fn last_error() -> ZmqError {
    // SAFETY: zmq_errno and zmq_strerror take no pointers and return a static string.
    unsafe {
        let errno = zmq_errno();
        let text = CStr::from_ptr(zmq_strerror(errno))
            .to_string_lossy()
            .into_owned();
        ZmqError { errno, text }
    }
}

fn check(rc: c_int) -> Result<(), ZmqError> {
    if rc < 0 {
        Err(last_error())
    } else {
        Ok(())
    }
}

fn cstring(s: &str) -> CString {
    CString::new(s).expect("no NUL in a string given to libzmq")
}

/// libzmq's version, `(major, minor, patch)`.
pub fn version() -> (i32, i32, i32) {
    let (mut a, mut b, mut c) = (0, 0, 0);
    // SAFETY: three valid out-pointers.
    unsafe { zmq_version(&mut a, &mut b, &mut c) };
    (a, b, c)
}

/// Whether libzmq was built with `capability` ("draft", "curve", "ws", ...).
pub fn has(capability: &str) -> bool {
    let c = cstring(capability);
    // SAFETY: a valid NUL-terminated string.
    unsafe { zmq_has(c.as_ptr()) == 1 }
}

/// A libzmq context.
#[derive(Debug)]
pub struct Ctx(*mut c_void);

// SAFETY: libzmq contexts are thread-safe.
unsafe impl Send for Ctx {}
// SAFETY: libzmq contexts are thread-safe.
unsafe impl Sync for Ctx {}

impl Ctx {
    /// `zmq_ctx_new`.
    pub fn new() -> Ctx {
        // SAFETY: no arguments; a null return is checked.
        let p = unsafe { zmq_ctx_new() };
        assert!(!p.is_null(), "zmq_ctx_new failed: {}", last_error());
        Ctx(p)
    }

    /// `zmq_socket` of type `kind` (see [`types`]).
    pub fn socket(&self, kind: i32) -> Result<Sock, ZmqError> {
        // SAFETY: a live context.
        let p = unsafe { zmq_socket(self.0, kind) };
        if p.is_null() {
            return Err(last_error());
        }
        let s = Sock(p);
        s.set_int(opts::LINGER, 0)?;
        Ok(s)
    }
}

impl Default for Ctx {
    fn default() -> Self {
        Ctx::new()
    }
}

impl Drop for Ctx {
    fn drop(&mut self) {
        // SAFETY: a live context, terminated once; its sockets are closed first (they borrow
        // nothing from it in Rust, so the tests drop them before it).
        unsafe { zmq_ctx_term(self.0) };
    }
}

/// A libzmq socket. The draft types are thread-safe, the others are moved to the thread that
/// uses them.
#[derive(Debug)]
pub struct Sock(*mut c_void);

// SAFETY: a socket is used by one thread at a time (moved, never shared, by the tests), or is
// of a thread-safe draft type.
unsafe impl Send for Sock {}

impl Sock {
    /// Sets an integer option.
    pub fn set_int(&self, option: i32, value: i32) -> Result<(), ZmqError> {
        // SAFETY: a live socket and a pointer to an int of the given size.
        check(unsafe {
            zmq_setsockopt(
                self.0,
                option,
                (&value as *const i32).cast(),
                std::mem::size_of::<i32>(),
            )
        })
    }

    /// Sets a bytes option.
    pub fn set_bytes(&self, option: i32, value: &[u8]) -> Result<(), ZmqError> {
        // SAFETY: a live socket and a valid slice.
        check(unsafe { zmq_setsockopt(self.0, option, value.as_ptr().cast(), value.len()) })
    }

    /// `zmq_bind`, answering `ZMQ_LAST_ENDPOINT` (the port chosen).
    pub fn bind(&self, endpoint: &str) -> Result<String, ZmqError> {
        let ep = cstring(endpoint);
        // SAFETY: a live socket and a valid string.
        check(unsafe { zmq_bind(self.0, ep.as_ptr()) })?;
        let mut buf = [0u8; 256];
        let mut len = buf.len();
        // SAFETY: a buffer of `len` bytes.
        check(unsafe {
            zmq_getsockopt(
                self.0,
                opts::LAST_ENDPOINT,
                buf.as_mut_ptr().cast(),
                &mut len,
            )
        })?;
        let end = buf[..len].iter().position(|&b| b == 0).unwrap_or(len);
        Ok(String::from_utf8_lossy(&buf[..end]).into_owned())
    }

    /// `zmq_connect`.
    pub fn connect(&self, endpoint: &str) -> Result<(), ZmqError> {
        let ep = cstring(endpoint);
        // SAFETY: a live socket and a valid string.
        check(unsafe { zmq_connect(self.0, ep.as_ptr()) })
    }

    /// `zmq_connect_peer` (PEER): the new peer's routing id.
    pub fn connect_peer(&self, endpoint: &str) -> Result<u32, ZmqError> {
        let ep = cstring(endpoint);
        // SAFETY: a live socket and a valid string.
        let id = unsafe { zmq_connect_peer(self.0, ep.as_ptr()) };
        if id == 0 {
            Err(last_error())
        } else {
            Ok(id)
        }
    }

    /// `zmq_join` (DISH).
    pub fn join(&self, group: &str) -> Result<(), ZmqError> {
        let g = cstring(group);
        // SAFETY: a live socket and a valid string.
        check(unsafe { zmq_join(self.0, g.as_ptr()) })
    }

    /// `zmq_leave` (DISH).
    pub fn leave(&self, group: &str) -> Result<(), ZmqError> {
        let g = cstring(group);
        // SAFETY: a live socket and a valid string.
        check(unsafe { zmq_leave(self.0, g.as_ptr()) })
    }

    /// Sends one frame, with a routing id (SERVER, PEER) or a group (RADIO) when given.
    pub fn send(
        &self,
        data: &[u8],
        routing_id: Option<u32>,
        group: Option<&str>,
        flags: i32,
    ) -> Result<(), ZmqError> {
        let mut msg = ZmqMsg([0; 64]);
        // SAFETY: `msg` is initialised with room for `data`, filled, given its routing id or
        // group, and sent (libzmq then owns it) or closed.
        unsafe {
            check(zmq_msg_init_size(&mut msg, data.len()))?;
            if !data.is_empty() {
                std::ptr::copy_nonoverlapping(
                    data.as_ptr(),
                    zmq_msg_data(&mut msg).cast::<u8>(),
                    data.len(),
                );
            }
            let set = match (routing_id, group) {
                (Some(id), _) => check(zmq_msg_set_routing_id(&mut msg, id)),
                (None, Some(g)) => {
                    let g = cstring(g);
                    check(zmq_msg_set_group(&mut msg, g.as_ptr()))
                }
                (None, None) => Ok(()),
            };
            if let Err(e) = set {
                zmq_msg_close(&mut msg);
                return Err(e);
            }
            if zmq_msg_send(&mut msg, self.0, flags) < 0 {
                let e = last_error();
                zmq_msg_close(&mut msg);
                return Err(e);
            }
        }
        Ok(())
    }

    /// Receives one frame: its bytes, routing id (0 where the type has none), group (empty
    /// where it has none) and whether more frames follow.
    pub fn recv(&self) -> Result<Received, ZmqError> {
        let mut msg = ZmqMsg([0; 64]);
        // SAFETY: `msg` is initialised, received into, read and closed.
        unsafe {
            check(zmq_msg_init(&mut msg))?;
            if zmq_msg_recv(&mut msg, self.0, 0) < 0 {
                let e = last_error();
                zmq_msg_close(&mut msg);
                return Err(e);
            }
            let size = zmq_msg_size(&msg);
            let data = if size == 0 {
                Vec::new()
            } else {
                std::slice::from_raw_parts(zmq_msg_data(&mut msg).cast::<u8>(), size).to_vec()
            };
            let group_ptr = zmq_msg_group(&mut msg);
            let group = if group_ptr.is_null() {
                String::new()
            } else {
                CStr::from_ptr(group_ptr).to_string_lossy().into_owned()
            };
            let received = Received {
                data,
                routing_id: zmq_msg_routing_id(&mut msg),
                group,
                more: zmq_msg_more(&msg) == 1,
            };
            zmq_msg_close(&mut msg);
            Ok(received)
        }
    }
}

impl Drop for Sock {
    fn drop(&mut self) {
        // SAFETY: a live socket, closed once.
        unsafe { zmq_close(self.0) };
    }
}

/// A frame libzmq received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Received {
    /// The frame's bytes.
    pub data: Vec<u8>,
    /// Its routing id (SERVER, PEER), or 0.
    pub routing_id: u32,
    /// Its group (DISH), or empty.
    pub group: String,
    /// Whether more frames follow (ZMQ_RCVMORE).
    pub more: bool,
}
