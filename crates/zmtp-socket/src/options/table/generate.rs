//! The macros of the option table: what one row of `options_table!` expands to (the
//! `OptionName` variant and its methods, the typed field, its default, the dynamic set/get arms
//! and the typed accessors).

/// Whether `$t` is among the socket types a row names: `all` (or nothing, for an `accepted`
/// left out), `[A, B]` or `all_but [A]`.
macro_rules! socket_types {
    ($t:ident; $(all)?) => {
        true
    };
    ($t:ident; [$($ty:ident),*] $($text:literal)?) => {
        matches!($t, $(SocketType::$ty)|*)
    };
    ($t:ident; all_but [$($ty:ident),*]) => {
        !matches!($t, $(SocketType::$ty)|*)
    };
}

/// The description of the socket types an `accepted(...)` column names.
macro_rules! accepted_text {
    () => {
        "every socket type"
    };
    ([$($ty:ident),*] $text:literal) => {
        $text
    };
}

/// Whether sockets act on the option (`live`) or only store it (`idle`).
macro_rules! active {
    (live) => {
        true
    };
    (idle) => {
        false
    };
}

/// The typed setter of a row with a codec: generated (`gen`) or written by hand (`custom`).
macro_rules! typed_setter {
    (gen, $variant:ident, $zmq:literal, $setter:ident, $in:ty, $codec:expr, $what:literal) => {
        #[doc = concat!("Sets `", $zmq, "`: ", $what)]
        #[allow(clippy::useless_conversion)]
        pub fn $setter(&mut self, value: $in) -> Result<(), OptionError> {
            let raw = Codec::input(&$codec, OptionName::$variant, value.into())?;
            self.set(OptionName::$variant, raw)
        }
    };
    (custom, $($rest:tt)*) => {};
}

macro_rules! options_table {
    ($(
        $(#[$doc:meta])*
        $variant:ident = $id:literal, $zmq:literal: $kind:ident, $effect:ident, $active:ident,
            applies($($applies:tt)*) $(accepted($($accepted:tt)*))?,
            $builder:ident($in:ty) => $setter:ident $(/ $getter:ident -> $out:ty [$read:expr])?,
            $field:ident $(: $ty:ty = $default:expr)?, $codec:expr, $mode:ident $what:literal
                $(, then $hook:ident)? $(, check $check:ident)?;
    )*) => {
        /// A socket option of libzmq's `zmq_setsockopt`: the 70 rows of the 4.2.2 table
        /// ([`OptionName::ALL`]) and the two GSSAPI name-type options libzmq 4.3 made stable
        /// ([`OptionName::BEYOND_TABLE`]).
        ///
        /// Each variant's first line quotes the man page's title for the option; the numbers
        /// are libzmq's constants.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum OptionName {
            $( $(#[$doc])* $variant, )*
        }

        /// Every row, in the table's order.
        const ROWS: [OptionName; [$(stringify!($variant)),*].len()] = [$(OptionName::$variant),*];

        impl OptionName {
            /// libzmq's name for the option, as in the table (`"ZMQ_SNDHWM"`).
            pub const fn zmq_name(self) -> &'static str {
                match self { $( OptionName::$variant => $zmq, )* }
            }

            /// libzmq's numeric constant for the option (`ZMQ_SNDHWM` = 23).
            pub const fn zmq_id(self) -> i32 {
                match self { $( OptionName::$variant => $id, )* }
            }

            /// The type of the option's value (`pid_t` is an `int`).
            pub const fn kind(self) -> ValueKind {
                match self { $( OptionName::$variant => ValueKind::$kind, )* }
            }

            /// When a change of this option takes effect on a live socket, as libzmq does it.
            pub const fn effect(self) -> OptionEffect {
                match self { $( OptionName::$variant => OptionEffect::$effect, )* }
            }

            /// Whether sockets of this crate act on the option today. The TCP options
            /// (`ZMQ_SNDBUF`, `ZMQ_RCVBUF`, `ZMQ_TOS`, keepalive, `ZMQ_TCP_MAXRT`, `ZMQ_IPV6` /
            /// `ZMQ_IPV4ONLY`) act on tcp endpoints, as in libzmq (which leaves ipc sockets
            /// alone), `ZMQ_BACKLOG` on tcp and ipc listeners; `ZMQ_AFFINITY` picks the I/O
            /// thread; the accept filters (`ZMQ_TCP_ACCEPT_FILTER`, `ZMQ_IPC_FILTER_*`) on tcp and
            /// ipc listeners, as does `ZMQ_USE_FD`; STREAM's `ZMQ_STREAM_NOTIFY` and ROUTER's
            /// `ZMQ_ROUTER_RAW` on tcp and ipc connections; `ZMQ_SOCKS_PROXY` on tcp connects
            /// (through a SOCKS5 proxy); the multicast options (`ZMQ_RATE`, `ZMQ_RECOVERY_IVL`,
            /// `ZMQ_MULTICAST_HOPS`, `ZMQ_MULTICAST_MAXTPDU`) on `pgm://` and `epgm://`
            /// endpoints. The VMCI options are accepted, validated and read back as libzmq
            /// does, but change nothing: `vmci://` is refused (no vsock loopback to run it on,
            /// no libzmq with VMCI to test it against).
            pub const fn in_effect(self) -> bool {
                match self { $( OptionName::$variant => active!($active), )* }
            }

            /// Whether the table's "Applicable socket types" column lists `socket_type`. "all",
            /// "N/A" and the "all ..., when using ... transports" rows apply to every type; "all
            /// but ZMQ_STREAM" to every type but STREAM. The options beyond the table apply to
            /// all.
            pub fn applies_to(self, socket_type: SocketType) -> bool {
                match self {
                    $( OptionName::$variant => socket_types!(socket_type; $($applies)*), )*
                }
            }

            /// Whether libzmq's `zmq_setsockopt` accepts the option on a socket of
            /// `socket_type` (libzmq 4.2.2 and 4.3 agree). Where this is false libzmq answers
            /// `EINVAL`, and so does [`SocketOptions::set_for`].
            ///
            /// `ZMQ_SUBSCRIBE` and `ZMQ_UNSUBSCRIBE` are accepted on XPUB and PUB only while
            /// `ZMQ_XPUB_MANUAL` is on (they then act on the last subscriber's pipe); this says
            /// `true` for those types and `set_for` checks the mode.
            pub fn accepted_by(self, socket_type: SocketType) -> bool {
                match self {
                    $( OptionName::$variant => socket_types!(socket_type; $($($accepted)*)?), )*
                }
            }

            /// The socket types [`accepted_by`](OptionName::accepted_by) allows, in words.
            pub(crate) fn accepted_by_text(self) -> &'static str {
                match self { $( OptionName::$variant => accepted_text!($($($accepted)*)?), )* }
            }
        }

        /// Every option's value, stored typed (rows sharing a field name it once).
        #[derive(Clone)]
        pub(super) struct Values {
            $($( pub(super) $field: $ty, )?)*
        }

        impl Default for Values {
            fn default() -> Values {
                Values { $($( $field: $default, )?)* }
            }
        }

        impl SocketOptions {
            /// The dynamic `set`: the row's codec checks and stores the value, then its `then` runs
            /// (or its `check`, which takes back what it refuses).
            pub(super) fn set_row(
                &mut self,
                name: OptionName,
                value: &OptionValue,
            ) -> Result<(), OptionError> {
                match name {
                    $( OptionName::$variant => {
                        Codec::store(&$codec, name, value, &mut self.values.$field)?;
                        $( self.$hook(); )?
                        $( self.$check(value)?; )?
                    } )*
                }
                Ok(())
            }

            /// The dynamic `get`: the row's codec encodes the stored value.
            pub(super) fn get_row(&self, name: OptionName) -> OptionValue {
                match name {
                    $( OptionName::$variant => Codec::encode(&$codec, &self.values.$field), )*
                }
            }

            $(
                #[doc = concat!(
                    "Builder: sets `", $zmq, "` as [`SocketOptions::", stringify!($setter),
                    "`] does. An invalid value is kept and reported by ",
                    "[`SocketOptions::build`], naming the option."
                )]
                #[must_use = "a builder method returns the options"]
                pub fn $builder(mut self, value: $in) -> SocketOptions {
                    let result = self.$setter(value);
                    self.defer(result);
                    self
                }

                $(
                    #[doc = concat!(
                        "`", $zmq, "`, as [`SocketOptions::", stringify!($setter),
                        "`] describes it."
                    )]
                    #[allow(clippy::redundant_closure_call)]
                    pub fn $getter(&self) -> $out {
                        ($read)(&self.values.$field)
                    }
                )?

                typed_setter!($mode, $variant, $zmq, $setter, $in, $codec, $what);
            )*
        }

        impl OptionName {
            /// The 70 rows of `spec/options.tsv`, in the table's order.
            pub const ALL: [OptionName; IN_TABLE] = *ROWS.first_chunk().expect("70 rows");

            /// Options this crate takes that the 4.2.2 table does not list: the GSSAPI name
            /// types, which the GSSAPI mechanism needs to talk to libzmq's (its client names
            /// itself with a Kerberos principal name, type 2).
            pub const BEYOND_TABLE: [OptionName; ROWS.len() - IN_TABLE] =
                *ROWS.last_chunk().expect("the rows beyond");

            /// Whether the option is one of the 70 rows of the 4.2.2 table.
            pub fn in_table(self) -> bool {
                (self as usize) < IN_TABLE
            }
        }
    };
}
