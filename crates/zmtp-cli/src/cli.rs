//! The command line, as clap reads it: `zmtp keygen` and one subcommand per socket type.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

const ABOUT: &str = "A ZeroMQ peer on the command line: any socket type, over tcp or ipc, \
with NULL, PLAIN or CURVE security; and a CURVE key generator.";

const LONG_ABOUT: &str = "\
A ZeroMQ peer on the command line: any socket type, over tcp or ipc, with NULL, PLAIN or CURVE \
security; and a CURVE key generator.

Run `zmtp <SOCKET-TYPE> --help` for the options of one socket type.

Sending sockets send each line of standard input as a message (without its line end). \
Receiving sockets print each message on one line of standard output: frames that are printable \
UTF-8 appear as text, others as 0x followed by hex, frames separated by a tab (or by the \
--frames separator). Progress and errors go to standard error: `bound ENDPOINT` once a --bind \
is listening (with the real port when it was given as *), `connecting ENDPOINT` for a \
--connect. A connection whose handshake fails (a wrong CURVE server key, a PLAIN or CURVE \
server refusing us) is reported once, with the reason, and retried quietly; -v shows \
everything the connections do.

--count N: PULL, SUB, REP and REQ count the messages they receive (requests answered, \
replies printed); PUSH and PUB the messages they send; DEALER, ROUTER, PAIR, XPUB and XSUB \
every message either way, sent or received (a DEALER sending one request and printing its \
reply: --count 2).";

const EXAMPLES: &str = "\
Examples:

  # A pipeline: one terminal receives, another sends two lines.
  zmtp pull --bind tcp://127.0.0.1:5555
  printf 'hello\\nworld\\n' | zmtp push --connect tcp://127.0.0.1:5555

  # Request-reply: an echo server, and a client sending one request per line.
  zmtp rep --bind tcp://127.0.0.1:5556
  echo ping | zmtp req --connect tcp://127.0.0.1:5556

  # Publish-subscribe: print only messages starting with \"weather.\".
  zmtp sub --connect tcp://127.0.0.1:5557 --subscribe weather.
  zmtp pub --bind tcp://127.0.0.1:5557 --delay 500

  # Multipart messages: split each input line into frames at '|'; a ROUTER prints them
  # after the sender's routing id. The DEALER exits once it has sent its one message.
  zmtp router --bind tcp://127.0.0.1:5558 --frames '|'
  echo 'header|body' | zmtp dealer --connect tcp://127.0.0.1:5558 --frames '|' --count 1

  # CURVE: make a key pair for the server, give its public key to the client.
  zmtp keygen          # prints `public: ...` and `secret: ...`
  zmtp rep --bind tcp://127.0.0.1:5559 --curve-server --curve-secret 'SERVER-SECRET'
  echo hi | zmtp req --connect tcp://127.0.0.1:5559 --curve-serverkey 'SERVER-PUBLIC'

  # PLAIN: a server that lets one user in, and that user.
  zmtp pull --bind tcp://127.0.0.1:5560 --plain-server --plain-accept alice:secret
  echo hi | zmtp push --connect tcp://127.0.0.1:5560 --plain-user alice --plain-password secret

  # Any libzmq socket option, by its libzmq name or without the ZMQ_ prefix.
  zmtp pull --bind tcp://127.0.0.1:5561 --option ZMQ_RCVHWM=10 --option maxmsgsize=65536";

/// The whole command line.
#[derive(Debug, Parser)]
#[command(
    name = "zmtp",
    version,
    about = ABOUT,
    long_about = LONG_ABOUT,
    after_long_help = EXAMPLES,
    subcommand_required = true,
    arg_required_else_help = true
)]
pub(crate) struct Cli {
    /// Log what the connections do on standard error (-v: connects, accepts, handshakes and
    /// their failures; -vv: debug; -vvv: trace). RUST_LOG, when set, takes precedence (e.g.
    /// RUST_LOG=zmtp_socket=debug).
    #[arg(short = 'v', long = "verbose", action = clap::ArgAction::Count, global = true)]
    pub(crate) verbose: u8,

    #[command(subcommand)]
    pub(crate) command: Command,
}

/// What to do.
#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Print a new CURVE key pair, public and secret, each 40 Z85 characters.
    #[command(
        long_about = "Print a new CURVE key pair from the operating system's random \
        number generator: a line `public: KEY` and a line `secret: KEY`, each key 40 Z85 \
        characters. Give the secret key to the server (--curve-server --curve-secret) and the \
        public key to its clients (--curve-serverkey). Keep the secret key secret."
    )]
    Keygen,
    /// PUSH: send each input line to the connected PULL peers, in turn.
    #[command(
        after_long_help = "Waits for a peer before sending; exits at the end of the \
        input once what was sent is delivered (or ZMQ_LINGER, 30 s by default, has passed)."
    )]
    Push(SendArgs),
    /// PULL: print each message received from PUSH peers.
    Pull(RecvArgs),
    /// PUB: send each input line to every SUB peer subscribed to a prefix of it.
    #[command(
        after_long_help = "A PUB drops what no subscriber is there to take: a SUB \
        that connects after a message was sent never sees it. --delay gives subscribers time \
        to connect and subscribe before the first message."
    )]
    Pub(SendArgs),
    /// SUB: print each message received from PUB peers (everything unless --subscribe).
    Sub(SubArgs),
    /// REQ: send each input line as a request, print each reply.
    #[command(
        after_long_help = "Waits for each reply before sending the next request; \
        exits after the reply to the last request."
    )]
    Req(BothArgs),
    /// REP: print each request and answer it (an echo unless --reply or --reply-stdin).
    Rep(RepArgs),
    /// DEALER: send input lines to the peers in turn, print what they send.
    #[command(
        after_long_help = "Keeps receiving after the end of the input, until --count \
        messages have been sent and received in all (one request and its reply: 2) or it is \
        interrupted."
    )]
    Dealer(BothArgs),
    /// ROUTER: print messages with the sender's routing id, send `ROUTING-ID MESSAGE` lines.
    #[command(
        after_long_help = "Each message received is printed with the routing id of \
        its sender first, in hex (0x...). To send, write a line with the routing id (0x and \
        hex, or plain text), a space or tab, then the message; with --frames SEP, the routing \
        id is the first frame instead. Keeps receiving after the end of the input, until \
        --count messages have been sent and received in all or it is interrupted."
    )]
    Router(BothArgs),
    /// PAIR: send input lines to the one peer, print what it sends.
    #[command(
        after_long_help = "Keeps receiving after the end of the input, until --count \
        messages have been sent and received in all or it is interrupted."
    )]
    Pair(BothArgs),
    /// XPUB: like PUB, and print the subscriptions received (`subscribe PREFIX`).
    #[command(
        after_long_help = "Subscriptions and cancellations from subscribers are \
        printed as `subscribe PREFIX` and `unsubscribe PREFIX` (with --hex, as the raw \
        message); other messages from XSUB peers as they are."
    )]
    Xpub(BothArgs),
    /// XSUB: like SUB, and send input lines to the publishers.
    #[command(
        after_long_help = "Subscribes to each --subscribe prefix (everything when none \
        is given) by sending the subscription message; input lines are sent as they are, to \
        the publishers connected at the time (--delay gives them time to connect)."
    )]
    Xsub(XsubArgs),
}

/// Arguments of PUSH and PUB.
#[derive(Debug, Args)]
pub(crate) struct SendArgs {
    #[command(flatten)]
    pub(crate) common: Common,
    #[command(flatten)]
    pub(crate) input: Input,
}

/// Arguments of PULL.
#[derive(Debug, Args)]
pub(crate) struct RecvArgs {
    #[command(flatten)]
    pub(crate) common: Common,
    #[command(flatten)]
    pub(crate) output: Output,
}

/// Arguments of SUB.
#[derive(Debug, Args)]
pub(crate) struct SubArgs {
    #[command(flatten)]
    pub(crate) common: Common,
    #[command(flatten)]
    pub(crate) output: Output,
    #[command(flatten)]
    pub(crate) subscriptions: Subscriptions,
}

/// Arguments of the sockets that send and receive.
#[derive(Debug, Args)]
pub(crate) struct BothArgs {
    #[command(flatten)]
    pub(crate) common: Common,
    #[command(flatten)]
    pub(crate) input: Input,
    #[command(flatten)]
    pub(crate) output: Output,
}

/// Arguments of XSUB.
#[derive(Debug, Args)]
pub(crate) struct XsubArgs {
    #[command(flatten)]
    pub(crate) common: Common,
    #[command(flatten)]
    pub(crate) input: Input,
    #[command(flatten)]
    pub(crate) output: Output,
    #[command(flatten)]
    pub(crate) subscriptions: Subscriptions,
}

/// Arguments of REP.
#[derive(Debug, Args)]
pub(crate) struct RepArgs {
    #[command(flatten)]
    pub(crate) common: Common,
    #[command(flatten)]
    pub(crate) output: Output,
    #[command(flatten)]
    pub(crate) reply: Reply,
}

/// Endpoints, options, security and --count: every socket type has them.
#[derive(Debug, Args)]
pub(crate) struct Common {
    #[command(flatten)]
    pub(crate) endpoints: Endpoints,

    /// Exit after N messages: received ones for pull, sub, rep and req; sent ones for push
    /// and pub; both ways together for dealer, router, pair, xpub and xsub.
    #[arg(short = 'n', long, value_name = "N")]
    pub(crate) count: Option<u64>,

    /// Multipart messages: split each input line into frames at SEP, and print SEP
    /// between the frames of a message received (default: a tab).
    #[arg(short = 'F', long = "frames", value_name = "SEP", value_parser = non_empty, allow_hyphen_values = true)]
    pub(crate) frames: Option<String>,

    /// Set a libzmq socket option: ZMQ_SNDHWM=100, sndhwm=100, linger=0 (repeatable).
    ///
    /// NAME is libzmq's option name, with or without ZMQ_, in any case. Numbers are
    /// decimal; booleans 0/1 (or true/false); binary values are text, or 0x and hex.
    #[arg(short = 'o', long = "option", value_name = "NAME=VALUE")]
    pub(crate) options: Vec<String>,

    #[command(flatten)]
    pub(crate) security: Security,
}

/// Where the socket listens and what it connects to.
#[derive(Debug, Args)]
#[group(required = true, multiple = true)]
pub(crate) struct Endpoints {
    /// Listen on ENDPOINT (repeatable): tcp://127.0.0.1:5555, tcp://*:5555,
    /// tcp://127.0.0.1:* (any free port), ipc:///tmp/feed.
    #[arg(short = 'b', long = "bind", value_name = "ENDPOINT")]
    pub(crate) bind: Vec<String>,

    /// Connect to ENDPOINT (repeatable), e.g. tcp://127.0.0.1:5555; the connection is
    /// retried until the peer is there.
    #[arg(short = 'c', long = "connect", value_name = "ENDPOINT")]
    pub(crate) connect: Vec<String>,
}

/// What is sent.
#[derive(Debug, Args)]
#[command(next_help_heading = "Input")]
pub(crate) struct Input {
    /// Send the whole content of PATH as one message, instead of reading standard
    /// input (repeatable: one message per file, in order).
    #[arg(long = "file", value_name = "PATH")]
    pub(crate) files: Vec<PathBuf>,

    /// Wait MS milliseconds after binding and connecting before sending the first
    /// message (lets peers connect and subscribe first).
    #[arg(long, value_name = "MS")]
    pub(crate) delay: Option<u64>,
}

/// How received messages are printed.
#[derive(Debug, Args)]
#[command(next_help_heading = "Output")]
pub(crate) struct Output {
    /// Print every frame in hex (0x...), even printable text.
    #[arg(long)]
    pub(crate) hex: bool,
}

/// SUB's and XSUB's subscriptions.
#[derive(Debug, Args)]
#[command(next_help_heading = "Subscriptions")]
pub(crate) struct Subscriptions {
    /// Receive only messages starting with PREFIX (repeatable; default: everything).
    #[arg(
        short = 's',
        long = "subscribe",
        value_name = "PREFIX",
        allow_hyphen_values = true
    )]
    pub(crate) prefixes: Vec<String>,
}

/// REP's answers.
#[derive(Debug, Args)]
#[command(next_help_heading = "Replies")]
pub(crate) struct Reply {
    /// Answer every request with TEXT (split at --frames SEP if given).
    #[arg(
        long,
        value_name = "TEXT",
        conflicts_with = "reply_stdin",
        allow_hyphen_values = true
    )]
    pub(crate) reply: Option<String>,

    /// Answer each request with the next line of standard input; exit at its end.
    #[arg(long)]
    pub(crate) reply_stdin: bool,
}

/// Security mechanisms: PLAIN or CURVE, client or server (NULL when none is given).
#[derive(Debug, Args)]
#[command(next_help_heading = "Security")]
pub(crate) struct Security {
    /// Be a CURVE server (needs --curve-secret); its public key is printed on stderr.
    #[arg(long, requires = "curve_secret")]
    pub(crate) curve_server: bool,

    /// Be a CURVE client of the server with this public key (40 Z85 characters).
    #[arg(
        long = "curve-serverkey",
        value_name = "Z85",
        conflicts_with = "curve_server",
        allow_hyphen_values = true
    )]
    pub(crate) curve_serverkey: Option<String>,

    /// Our CURVE secret key (40 Z85 characters). A client without one uses a
    /// fresh key pair.
    #[arg(long, value_name = "Z85", allow_hyphen_values = true)]
    pub(crate) curve_secret: Option<String>,

    /// Our CURVE public key (optional: it follows from --curve-secret; checked
    /// against it when given).
    #[arg(
        long,
        value_name = "Z85",
        requires = "curve_secret",
        allow_hyphen_values = true
    )]
    pub(crate) curve_public: Option<String>,

    /// CURVE server: accept only clients with this public key (repeatable; default:
    /// any client that knows the server's key).
    #[arg(
        long,
        value_name = "Z85",
        requires = "curve_server",
        allow_hyphen_values = true
    )]
    pub(crate) curve_accept: Vec<String>,

    /// Be a PLAIN client with this user name (with --plain-password).
    #[arg(
        long,
        value_name = "USER",
        requires = "plain_password",
        conflicts_with_all = ["curve_server", "curve_serverkey", "plain_server"], allow_hyphen_values = true)]
    pub(crate) plain_user: Option<String>,

    /// The PLAIN client's password.
    #[arg(
        long,
        value_name = "PASSWORD",
        requires = "plain_user",
        allow_hyphen_values = true
    )]
    pub(crate) plain_password: Option<String>,

    /// Be a PLAIN server: let in only the --plain-accept users.
    #[arg(
        long,
        requires = "plain_accept",
        conflicts_with_all = ["curve_server", "curve_serverkey"]
    )]
    pub(crate) plain_server: bool,

    /// PLAIN server: accept this user name and password (repeatable).
    #[arg(
        long,
        value_name = "USER:PASSWORD",
        requires = "plain_server",
        allow_hyphen_values = true
    )]
    pub(crate) plain_accept: Vec<String>,
}

/// clap value parser: a separator may not be empty.
fn non_empty(text: &str) -> Result<String, String> {
    if text.is_empty() {
        Err("the separator may not be empty".to_owned())
    } else {
        Ok(text.to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_may_start_with_a_hyphen() {
        // Z85 has '-' among its digits: a key may start with it, and so may a password.
        let key = "-!abcdefghijklmnopqrstuvwxyz0123456789AB";
        let cli = Cli::try_parse_from([
            "zmtp",
            "req",
            "--connect",
            "tcp://127.0.0.1:1",
            "--curve-serverkey",
            key,
            "--curve-secret",
            key,
            "--frames",
            "-",
        ])
        .expect("parses");
        let Command::Req(args) = cli.command else {
            panic!("not req: {cli:?}");
        };
        assert_eq!(args.common.security.curve_serverkey.as_deref(), Some(key));
        assert_eq!(args.common.security.curve_secret.as_deref(), Some(key));
        assert_eq!(args.common.frames.as_deref(), Some("-"));
    }

    #[test]
    fn clap_definitions_are_consistent() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}
