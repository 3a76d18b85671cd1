//! Socket options: libzmq's `zmq_setsockopt` table as data, with libzmq's defaults and checks.
//!
//! Pure data and validation (no Tokio, no I/O). The project's copy of the table is
//! `options.tsv` beside this file (70 rows, from the libzmq 4.2.2 man page), and a test walks
//! it: every row has an [`OptionName`], its default, and its socket types.
//!
//! - [`OptionName`]: one variant per row (plus the two GSSAPI name types of libzmq 4.3), with
//!   libzmq's names and numbers, the socket types it applies to ([`OptionName::applies_to`],
//!   the table; [`OptionName::accepted_by`], what libzmq accepts), its [`ValueKind`], and when
//!   a change takes effect on a live socket ([`OptionName::effect`]).
//! - [`SocketOptions`]: every option's value, with libzmq's dynamic API, typed accessors and a
//!   builder (see its doc), the selected security mechanism and a connection's codec settings.
//! - [`OptionError`]: what is wrong, naming the option: `ZMQ_SNDHWM must be >= 0, got -5`.
//!
//! Each option is declared once, as a row of the table in `table/mod.rs`, from which all of the
//! above is generated; values are stored typed and turned into libzmq's encodings (`int`
//! milliseconds, -1 sentinels) only by the dynamic API, through the row's codec (`codec.rs`). A
//! new option is one row there (plus a line of `options.tsv` if it is in libzmq's table) and
//! the code that uses it.
//!
//! The security mechanism can be set the libzmq way, one option at a time with the last setting
//! winning, or whole with the typed setters ([`SocketOptions::set_security`],
//! [`SocketOptions::with_curve_server`], [`SocketOptions::with_plain_client`], ...), after which
//! an incomplete configuration is an error of [`SocketOptions::build`].
//!
//! Where the table and libzmq disagree, the table gives the defaults (`ZMQ_LINGER` 30 s where
//! libzmq starts at -1) and libzmq gives the checks (`ZMQ_TOS` may be 0), but for
//! `ZMQ_HEARTBEAT_TIMEOUT`, whose table default 0 would turn the timeout off: it starts at
//! libzmq's -1 (the heartbeat interval), and an explicit 0 turns it off as in libzmq. Each
//! option's doc says where this crate is stricter than libzmq.

mod accessors;
mod codec;
mod config;
mod effect;
mod error;
mod filter;
mod name;
mod security;
mod socket_options;
mod table;
mod value;

pub use effect::OptionEffect;
pub use error::OptionError;
pub use filter::TcpAcceptFilter;
pub use name::OptionName;
pub use security::{MechanismKind, Security};
pub use socket_options::SocketOptions;
pub use value::{OptionValue, ValueKind};

/// The project's copy of `spec/options.tsv`: the 4.2.2 man page's option table, tab-separated,
/// one header line then one line per option (name, type, unit, default, socket types).
pub const OPTIONS_TABLE: &str = include_str!("options.tsv");
