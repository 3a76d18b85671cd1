//! Running a socket: bind and connect, then move messages between it and standard input and
//! output in the way of its type.

use std::collections::{HashMap, HashSet, VecDeque};
use std::io::{BufRead, Write};
use std::path::PathBuf;
use std::time::Duration;

use bytes::Bytes;
use futures::StreamExt;
use tokio::sync::mpsc;
use zmtp_codec::{Message, SocketType};
use zmtp_socket::monitor::{
    PROTOCOL_ERROR_ZMTP_CRYPTOGRAPHIC, PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH,
};
use zmtp_socket::{AnySocket, Context, Monitor, MonitorEvent, OptionName};

use crate::cli::{self, Command, Common};
use crate::format::{self, Printer};
use crate::setup;

/// What one run needs, whatever the socket type.
#[derive(Debug)]
struct Job {
    socket_type: SocketType,
    common: Common,
    files: Vec<PathBuf>,
    delay: Option<Duration>,
    hex: bool,
    prefixes: Vec<String>,
    reply: Option<cli::Reply>,
}

impl Job {
    fn new(socket_type: SocketType, common: Common) -> Job {
        Job {
            socket_type,
            common,
            files: Vec::new(),
            delay: None,
            hex: false,
            prefixes: Vec::new(),
            reply: None,
        }
    }

    fn input(mut self, input: cli::Input) -> Job {
        self.files = input.files;
        self.delay = input.delay.map(Duration::from_millis);
        self
    }

    fn output(mut self, output: cli::Output) -> Job {
        self.hex = output.hex;
        self
    }

    fn prefixes(mut self, subscriptions: cli::Subscriptions) -> Job {
        self.prefixes = subscriptions.prefixes;
        self
    }
}

/// Runs a socket subcommand to its end; the error is the one line to print.
pub(crate) fn run(command: Command) -> Result<(), String> {
    let job = match command {
        Command::Keygen => return Err("keygen is not a socket type".to_owned()),
        Command::Push(a) => Job::new(SocketType::Push, a.common).input(a.input),
        Command::Pub(a) => Job::new(SocketType::Pub, a.common).input(a.input),
        Command::Pull(a) => Job::new(SocketType::Pull, a.common).output(a.output),
        Command::Sub(a) => Job::new(SocketType::Sub, a.common)
            .output(a.output)
            .prefixes(a.subscriptions),
        Command::Req(a) => both(SocketType::Req, a),
        Command::Dealer(a) => both(SocketType::Dealer, a),
        Command::Router(a) => both(SocketType::Router, a),
        Command::Pair(a) => both(SocketType::Pair, a),
        Command::Xpub(a) => both(SocketType::XPub, a),
        Command::Xsub(a) => Job::new(SocketType::XSub, a.common)
            .input(a.input)
            .output(a.output)
            .prefixes(a.subscriptions),
        Command::Rep(a) => {
            let mut job = Job::new(SocketType::Rep, a.common).output(a.output);
            job.reply = Some(a.reply);
            job
        }
    };
    if job.socket_type == SocketType::Router && !job.files.is_empty() {
        return Err(
            "--file is not for router sockets: each message needs a routing id, \
                    so write `ROUTING-ID MESSAGE` lines on standard input"
                .to_owned(),
        );
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the Tokio runtime: {e}"))?;
    runtime.block_on(job.run())
}

fn both(socket_type: SocketType, args: cli::BothArgs) -> Job {
    Job::new(socket_type, args.common)
        .input(args.input)
        .output(args.output)
}

/// Where messages to send come from.
#[derive(Debug)]
enum Source {
    /// `--file`: each file one message.
    Files(VecDeque<PathBuf>),
    /// Lines of standard input, read by a thread of their own.
    Stdin(mpsc::Receiver<Vec<u8>>),
}

/// One thing to send.
#[derive(Debug)]
enum Item {
    /// A line, without its line end: split into frames as asked.
    Line(Vec<u8>),
    /// A whole file: one frame.
    File(Bytes),
}

impl Source {
    fn new(files: &[PathBuf]) -> Source {
        if files.is_empty() {
            Source::Stdin(stdin_lines())
        } else {
            Source::Files(files.iter().cloned().collect())
        }
    }

    /// The next item, `None` at the end. Cancel-safe.
    async fn next(&mut self) -> Result<Option<Item>, String> {
        match self {
            Source::Files(paths) => match paths.pop_front() {
                Some(path) => std::fs::read(&path)
                    .map(|content| Some(Item::File(Bytes::from(content))))
                    .map_err(|e| format!("--file {}: {e}", path.display())),
                None => Ok(None),
            },
            Source::Stdin(lines) => Ok(lines.recv().await.map(Item::Line)),
        }
    }
}

/// Standard input's lines (line ends removed), from a thread that blocks on reading.
fn stdin_lines() -> mpsc::Receiver<Vec<u8>> {
    let (tx, rx) = mpsc::channel(64);
    std::thread::spawn(move || {
        let stdin = std::io::stdin();
        let mut reader = stdin.lock();
        loop {
            let mut line = Vec::new();
            match reader.read_until(b'\n', &mut line) {
                Ok(0) => break,
                Ok(_) => {
                    if line.last() == Some(&b'\n') {
                        line.pop();
                        if line.last() == Some(&b'\r') {
                            line.pop();
                        }
                    }
                    if tx.blocking_send(line).is_err() {
                        break;
                    }
                }
                Err(e) => {
                    eprintln!("zmtp: reading standard input: {e}");
                    break;
                }
            }
        }
    });
    rx
}

/// Standard output, one message a line, flushed at once.
#[derive(Debug)]
struct Out {
    printer: Printer,
}

impl Out {
    /// Prints a line; `false` when standard output is gone (the reader quit).
    fn line(&self, text: &str) -> Result<bool, String> {
        let mut out = std::io::stdout().lock();
        match writeln!(out, "{text}").and_then(|()| out.flush()) {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(false),
            Err(e) => Err(format!("writing standard output: {e}")),
        }
    }
}

/// Whether `done` messages reach the `--count` limit.
fn reached(count: Option<u64>, done: u64) -> bool {
    count.is_some_and(|n| done >= n)
}

impl Job {
    async fn run(self) -> Result<(), String> {
        let setup = setup::build(
            self.socket_type,
            &self.common.security,
            &self.common.options,
        )?;
        let context = Context::new().map_err(|e| format!("cannot start the I/O thread: {e}"))?;
        let socket = context
            .socket_with_options(self.socket_type, setup.options)
            .map_err(|e| format!("cannot make the socket: {e}"))?;
        for note in &setup.notes {
            eprintln!("{note}");
        }
        if let Some(auth) = setup.auth {
            socket.set_zap_handler(move |request: zmtp_codec::ZapRequest| {
                let reply = auth.decide(&request);
                async move { reply }
            });
        }
        // Taken before binding and connecting: every handshake is seen.
        let (succeeded, handshake_done) = tokio::sync::watch::channel(false);
        tokio::spawn(report_handshakes(
            socket.monitor(),
            Handshakes {
                connects: self.common.endpoints.connect.iter().cloned().collect(),
                curve_client: self.common.security.curve_serverkey.is_some(),
                curve_server: self.common.security.curve_server,
                succeeded,
            },
        ));
        for endpoint in &self.common.endpoints.bind {
            let bound = socket
                .bind(endpoint)
                .await
                .map_err(|e| format!("--bind {endpoint}: {e}"))?;
            eprintln!("bound {bound}");
        }
        for endpoint in &self.common.endpoints.connect {
            socket
                .connect(endpoint)
                .await
                .map_err(|e| format!("--connect {endpoint}: {e}"))?;
            eprintln!("connecting {endpoint}");
        }
        self.subscribe(&socket).await?;

        let out = Out {
            printer: Printer {
                hex: self.hex,
                separator: self
                    .common
                    .frames
                    .clone()
                    .unwrap_or_else(|| format::DEFAULT_SEPARATOR.to_owned()),
            },
        };
        let result = match self.socket_type {
            SocketType::Push | SocketType::Pub => self.send_only(&socket).await,
            SocketType::Pull | SocketType::Sub => self.recv_only(&socket, &out).await,
            SocketType::Req => self.req(&socket, &out).await,
            SocketType::Rep => self.rep(&socket, &out).await,
            _ => self.both(&socket, &out).await,
        };
        if result.is_ok() {
            self.before_closing(&socket, handshake_done).await?;
        }
        // Closing the socket, then the context, delivers what is queued (within ZMQ_LINGER).
        drop(socket);
        if result.is_ok() {
            context.term().await;
        }
        result
    }

    /// SUB: the socket option; XSUB: subscription messages. Everything by default.
    async fn subscribe(&self, socket: &AnySocket) -> Result<(), String> {
        let everything = [String::new()];
        let prefixes = if self.prefixes.is_empty() {
            &everything[..]
        } else {
            &self.prefixes[..]
        };
        if matches!(self.socket_type, SocketType::Sub | SocketType::XSub) {
            for prefix in prefixes {
                socket
                    .subscribe(prefix.as_bytes())
                    .map_err(|e| format!("--subscribe {prefix:?}: {e}"))?;
            }
        }
        Ok(())
    }

    /// An input item as the message to send.
    fn message(&self, item: Item) -> Result<Message, String> {
        let separator = self.common.frames.as_deref();
        match item {
            Item::File(content) => Ok(Message::single(content)),
            Item::Line(line) if self.socket_type == SocketType::Router => {
                format::router_line_to_message(&line, separator).map_err(str::to_owned)
            }
            Item::Line(line) => Ok(format::line_to_message(&line, separator)),
        }
    }

    async fn wait_delay(&self) {
        if let Some(delay) = self.delay {
            tokio::time::sleep(delay).await;
        }
    }

    /// A socket that connects stays open until one of its handshakes has succeeded (within
    /// `ZMQ_LINGER`) before it is closed: closed at once, it would linger with no monitor, and
    /// a failing handshake (a wrong key, a refusal) would go unreported. Past `ZMQ_LINGER`, what
    /// was not sent is dropped and the socket closes at once.
    async fn before_closing(
        &self,
        socket: &AnySocket,
        mut handshake_done: tokio::sync::watch::Receiver<bool>,
    ) -> Result<(), String> {
        if self.common.endpoints.connect.is_empty() {
            return Ok(());
        }
        // The reporter ends with the socket: the wait ends at the latest then.
        let connected = handshake_done.wait_for(|done| *done);
        let in_time = match socket.options().get_linger() {
            None => connected.await.is_ok(),
            Some(linger) => matches!(tokio::time::timeout(linger, connected).await, Ok(Ok(_))),
        };
        if !in_time {
            eprintln!(
                "zmtp: no handshake succeeded within ZMQ_LINGER; what was not sent is dropped"
            );
            socket
                .set_option(OptionName::Linger, 0)
                .map_err(|e| format!("closing: {e}"))?;
        }
        Ok(())
    }

    /// PUSH and PUB: send every input item; `--count` counts sent messages.
    async fn send_only(&self, socket: &AnySocket) -> Result<(), String> {
        let mut source = Source::new(&self.files);
        self.wait_delay().await;
        let mut sent = 0;
        while !reached(self.common.count, sent) {
            let Some(item) = source.next().await? else {
                break;
            };
            let msg = self.message(item)?;
            socket
                .send(msg)
                .await
                .map_err(|e| format!("send failed: {e}"))?;
            sent += 1;
        }
        Ok(())
    }

    /// PULL and SUB: print what arrives.
    async fn recv_only(&self, socket: &AnySocket, out: &Out) -> Result<(), String> {
        let mut received = 0;
        while !reached(self.common.count, received) {
            let msg = socket
                .recv()
                .await
                .map_err(|e| format!("receive failed: {e}"))?;
            if !out.line(&out.printer.message(&msg, false))? {
                break;
            }
            received += 1;
        }
        Ok(())
    }

    /// REQ: each input item a request, each reply printed.
    async fn req(&self, socket: &AnySocket, out: &Out) -> Result<(), String> {
        let mut source = Source::new(&self.files);
        self.wait_delay().await;
        let mut replies = 0;
        while !reached(self.common.count, replies) {
            let Some(item) = source.next().await? else {
                break;
            };
            let msg = self.message(item)?;
            socket
                .send(msg)
                .await
                .map_err(|e| format!("send failed: {e}"))?;
            let reply = socket
                .recv()
                .await
                .map_err(|e| format!("receive failed: {e}"))?;
            replies += 1;
            if !out.line(&out.printer.message(&reply, false))? {
                break;
            }
        }
        Ok(())
    }

    /// REP: print each request, answer it.
    async fn rep(&self, socket: &AnySocket, out: &Out) -> Result<(), String> {
        let separator = self.common.frames.as_deref();
        let fixed = self
            .reply
            .as_ref()
            .and_then(|r| r.reply.as_deref())
            .map(|text| format::line_to_message(text.as_bytes(), separator));
        let mut replies = match &self.reply {
            Some(r) if r.reply_stdin => Some(stdin_lines()),
            _ => None,
        };
        let mut answered = 0;
        while !reached(self.common.count, answered) {
            let request = socket
                .recv()
                .await
                .map_err(|e| format!("receive failed: {e}"))?;
            if !out.line(&out.printer.message(&request, false))? {
                break;
            }
            let reply = match (&fixed, &mut replies) {
                (Some(fixed), _) => fixed.clone(),
                (None, Some(lines)) => match lines.recv().await {
                    Some(line) => format::line_to_message(&line, separator),
                    None => break,
                },
                (None, None) => request,
            };
            socket
                .send(reply)
                .await
                .map_err(|e| format!("send failed: {e}"))?;
            answered += 1;
        }
        Ok(())
    }

    /// DEALER, ROUTER, PAIR, XPUB, XSUB: send input items and print what arrives, until
    /// `--count` messages went either way, sent and received together (receiving goes on after
    /// the input ends).
    async fn both(&self, socket: &AnySocket, out: &Out) -> Result<(), String> {
        let mut source = Source::new(&self.files);
        self.wait_delay().await;
        let mut input_open = true;
        let mut messages = 0;
        while !reached(self.common.count, messages) {
            tokio::select! {
                item = source.next(), if input_open => match item? {
                    Some(item) => match self.message(item) {
                        Ok(msg) => {
                            socket
                                .send(msg)
                                .await
                                .map_err(|e| format!("send failed: {e}"))?;
                            messages += 1;
                        }
                        // A line a ROUTER cannot route: say so, go on.
                        Err(e) => eprintln!("zmtp: not sent: {e}"),
                    },
                    None => input_open = false,
                },
                msg = socket.recv() => {
                    let msg = msg.map_err(|e| format!("receive failed: {e}"))?;
                    let line = match self.socket_type {
                        SocketType::Router => out.printer.message(&msg, true),
                        SocketType::XPub => out.printer.xpub_message(&msg),
                        _ => out.printer.message(&msg, false),
                    };
                    if !out.line(&line)? {
                        break;
                    }
                    messages += 1;
                }
            }
        }
        Ok(())
    }
}

/// What [`report_handshakes`] needs to know about the socket.
#[derive(Debug)]
struct Handshakes {
    /// The `--connect` endpoints, as given (the monitor names a connection by them).
    connects: HashSet<String>,
    /// `--curve-serverkey`: a CURVE client.
    curve_client: bool,
    /// `--curve-server`.
    curve_server: bool,
    /// Set once any handshake of the socket succeeds.
    succeeded: tokio::sync::watch::Sender<bool>,
}

/// Reads the socket's monitor until the socket closes. A connection made by `--connect` whose
/// handshake fails is reported once, with the reason, and then retried quietly (the socket
/// reconnects by itself) unless the server refused it (then, as with libzmq 4.3, the socket
/// does not reconnect, and the report says so); a new reason is reported again, and success
/// after a failure too.
/// A CURVE server reports each client it refuses, as the PLAIN server's authentication does
/// (refusals by `--curve-accept` are reported there, with the client's key).
async fn report_handshakes(mut monitor: Monitor, handshakes: Handshakes) {
    let mut reported: HashMap<String, String> = HashMap::new();
    while let Some(event) = monitor.next().await {
        let endpoint = event.endpoint().to_owned();
        let ours = handshakes.connects.contains(&endpoint);
        if let MonitorEvent::HandshakeSucceeded { .. } = event {
            handshakes.succeeded.send_replace(true);
            if ours && reported.remove(&endpoint).is_some() {
                eprintln!("zmtp: --connect {endpoint}: handshake succeeded");
            }
            continue;
        }
        let Some(reason) = handshake_failure(&event, ours && handshakes.curve_client) else {
            continue;
        };
        if ours {
            if reported.get(&endpoint) != Some(&reason) {
                // A refusal (the server's ERROR, a protocol error) is not retried, as libzmq
                // 4.3's session does not reconnect after one; anything else is.
                let next = match event {
                    MonitorEvent::HandshakeFailedAuth { .. }
                    | MonitorEvent::HandshakeFailedProtocol { .. } => {
                        "not retrying (a refused client does not reconnect, as with libzmq)"
                    }
                    _ => "retrying",
                };
                eprintln!("zmtp: --connect {endpoint}: handshake failed: {reason}; {next}");
                reported.insert(endpoint, reason);
            }
        } else if handshakes.curve_server
            && !matches!(event, MonitorEvent::HandshakeFailedAuth { .. })
        {
            eprintln!("refused CURVE client on {endpoint}: {reason}");
        }
    }
}

/// Why a handshake failed, in words, or `None` for an event that is not a failed handshake.
/// `curve_client`: the hint for a CURVE client whose server closes on it.
fn handshake_failure(event: &MonitorEvent, curve_client: bool) -> Option<String> {
    Some(match event {
        MonitorEvent::HandshakeFailedAuth { status, .. } => match status {
            300 => "the server's authentication failed temporarily (ZAP 300)".to_owned(),
            400 => "the server refused us (ZAP 400: wrong user name, password or key)".to_owned(),
            500 => "the server could not authenticate us (ZAP 500: its handler failed)".to_owned(),
            other => format!("refused by the server's authentication (ZAP {other})"),
        },
        MonitorEvent::HandshakeFailedProtocol { code, .. } => match *code {
            PROTOCOL_ERROR_ZMTP_CRYPTOGRAPHIC => {
                "a CURVE message did not decrypt (the keys do not match)".to_owned()
            }
            PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH => "the peer uses another security mechanism \
                 (NULL, PLAIN or CURVE must be the same on both sides)"
                .to_owned(),
            code => format!("protocol error {code:#x} (a ZMQ_PROTOCOL_ERROR_* code)"),
        },
        MonitorEvent::HandshakeFailedNoDetail { errno, .. } => {
            let error = std::io::Error::from_raw_os_error(*errno);
            match error.kind() {
                std::io::ErrorKind::BrokenPipe if curve_client => {
                    "the server closed the connection during the handshake (a CURVE server \
                     does so when --curve-serverkey is not its public key)"
                        .to_owned()
                }
                std::io::ErrorKind::BrokenPipe => {
                    "the peer closed the connection during the handshake".to_owned()
                }
                std::io::ErrorKind::TimedOut => {
                    "no handshake within ZMQ_HANDSHAKE_IVL (is the peer a ZeroMQ socket?)"
                        .to_owned()
                }
                _ => error.to_string(),
            }
        }
        _ => return None,
    })
}
