//! Running the built `zmtp` binary as a child process: stdin written by the test, stdout and
//! stderr read line by line on threads, every wait bounded by [`LIMIT`]; the child is killed
//! when the handle is dropped.

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long any one wait may take before the test fails.
pub(crate) const LIMIT: Duration = Duration::from_secs(30);

/// The binary under test.
pub(crate) const BIN: &str = env!("CARGO_BIN_EXE_zmtp");

/// A running `zmtp`.
pub(crate) struct Zmtp {
    what: String,
    child: Child,
    stdin: Option<ChildStdin>,
    stdout: Receiver<String>,
    stderr: Receiver<String>,
    /// Every stderr line read so far, for failure messages.
    stderr_seen: Arc<Mutex<Vec<String>>>,
}

/// Reads `reader` line by line into a channel (lossy UTF-8), on a thread.
fn pump(
    reader: impl std::io::Read + Send + 'static,
    log: Option<Arc<Mutex<Vec<String>>>>,
) -> Receiver<String> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut reader = BufReader::new(reader);
        let mut line = Vec::new();
        loop {
            line.clear();
            match reader.read_until(b'\n', &mut line) {
                Ok(0) | Err(_) => break,
                Ok(_) => {
                    if line.last() == Some(&b'\n') {
                        line.pop();
                    }
                    let text = String::from_utf8_lossy(&line).into_owned();
                    if let Some(log) = &log {
                        if let Ok(mut log) = log.lock() {
                            log.push(text.clone());
                        }
                    }
                    if tx.send(text).is_err() {
                        break;
                    }
                }
            }
        }
    });
    rx
}

impl Zmtp {
    /// Starts `zmtp ARGS...` with all three standard streams piped.
    pub(crate) fn start(args: &[&str]) -> Zmtp {
        Zmtp::start_with_env(args, &[])
    }

    /// [`Zmtp::start`] with environment variables set (RUST_LOG unset unless given).
    pub(crate) fn start_with_env(args: &[&str], env: &[(&str, &str)]) -> Zmtp {
        let what = format!("zmtp {}", args.join(" "));
        let mut command = Command::new(BIN);
        command.env_remove("RUST_LOG");
        for (name, value) in env {
            command.env(name, value);
        }
        let mut child = command
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {what}: {e}"));
        let stdin = child.stdin.take();
        let stdout = pump(child.stdout.take().expect("piped stdout"), None);
        let stderr_seen = Arc::new(Mutex::new(Vec::new()));
        let stderr = pump(
            child.stderr.take().expect("piped stderr"),
            Some(stderr_seen.clone()),
        );
        Zmtp {
            what,
            child,
            stdin,
            stdout,
            stderr,
            stderr_seen,
        }
    }

    fn stderr_so_far(&self) -> String {
        self.stderr_seen
            .lock()
            .map(|lines| lines.join("\n"))
            .unwrap_or_default()
    }

    /// Writes `text` to the child's stdin.
    pub(crate) fn write(&mut self, text: &[u8]) {
        let stdin = self.stdin.as_mut().expect("stdin still open");
        stdin
            .write_all(text)
            .and_then(|()| stdin.flush())
            .unwrap_or_else(|e| panic!("{}: writing stdin: {e}", self.what));
    }

    /// Closes the child's stdin (end of input).
    pub(crate) fn close_stdin(&mut self) {
        self.stdin = None;
    }

    /// The next line of stdout, within [`LIMIT`].
    pub(crate) fn stdout_line(&self) -> String {
        match self.stdout.recv_timeout(LIMIT) {
            Ok(line) => line,
            Err(RecvTimeoutError::Timeout) => panic!(
                "{}: no line on stdout within {LIMIT:?}; stderr:\n{}",
                self.what,
                self.stderr_so_far()
            ),
            Err(RecvTimeoutError::Disconnected) => panic!(
                "{}: stdout ended before the expected line; stderr:\n{}",
                self.what,
                self.stderr_so_far()
            ),
        }
    }

    /// The next line of stdout if one comes within `wait` (for polling loops that repeat an
    /// action until its effect shows, such as publishing until a subscriber hears).
    pub(crate) fn stdout_line_within(&self, wait: Duration) -> Option<String> {
        self.stdout.recv_timeout(wait).ok()
    }

    /// Kills the child and waits for it; its output so far stays readable.
    pub(crate) fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// The next `n` stdout lines.
    pub(crate) fn stdout_lines(&self, n: usize) -> Vec<String> {
        (0..n).map(|_| self.stdout_line()).collect()
    }

    /// Reads stderr until a line starting with `prefix`, within [`LIMIT`]; returns the rest of
    /// that line.
    pub(crate) fn stderr_after(&self, prefix: &str) -> String {
        let deadline = Instant::now() + LIMIT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.stderr.recv_timeout(left) {
                Ok(line) => {
                    if let Some(rest) = line.strip_prefix(prefix) {
                        return rest.to_owned();
                    }
                }
                Err(_) => panic!(
                    "{}: no stderr line starting with {prefix:?} within {LIMIT:?}; stderr:\n{}",
                    self.what,
                    self.stderr_so_far()
                ),
            }
        }
    }

    /// Reads stderr until a line containing `needle`, within [`LIMIT`]; returns that line.
    pub(crate) fn stderr_containing(&self, needle: &str) -> String {
        let deadline = Instant::now() + LIMIT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.stderr.recv_timeout(left) {
                Ok(line) if line.contains(needle) => return line,
                Ok(_) => {}
                Err(_) => panic!(
                    "{}: no stderr line containing {needle:?} within {LIMIT:?}; stderr:\n{}",
                    self.what,
                    self.stderr_so_far()
                ),
            }
        }
    }

    /// The endpoint of the `bound ENDPOINT` readiness line.
    pub(crate) fn bound(&self) -> String {
        self.stderr_after("bound ")
    }

    /// Waits for the child to exit, within [`LIMIT`] (killed and failed after).
    pub(crate) fn wait(&mut self) -> ExitStatus {
        self.close_stdin();
        let deadline = Instant::now() + LIMIT;
        loop {
            match self.child.try_wait() {
                Ok(Some(status)) => return status,
                Ok(None) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(20));
                }
                Ok(None) => {
                    let _ = self.child.kill();
                    let _ = self.child.wait();
                    panic!(
                        "{}: still running after {LIMIT:?}, killed; stderr:\n{}",
                        self.what,
                        self.stderr_so_far()
                    );
                }
                Err(e) => panic!("{}: waiting: {e}", self.what),
            }
        }
    }

    /// Waits for a successful exit.
    pub(crate) fn wait_success(&mut self) {
        let status = self.wait();
        assert!(
            status.success(),
            "{}: exited with {status}; stderr:\n{}",
            self.what,
            self.stderr_so_far()
        );
    }

    /// Everything left on stderr once the child has exited.
    pub(crate) fn rest_of_stderr(&self) -> Vec<String> {
        let mut lines = Vec::new();
        while let Ok(line) = self.stderr.recv_timeout(LIMIT) {
            lines.push(line);
        }
        lines
    }
}

impl Drop for Zmtp {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
        }
        let _ = self.child.wait();
    }
}

/// A key pair from `zmtp keygen`: (public, secret), Z85.
pub(crate) fn keygen() -> (String, String) {
    let output = Command::new(BIN)
        .arg("keygen")
        .output()
        .expect("runs zmtp keygen");
    assert!(output.status.success(), "zmtp keygen: {}", output.status);
    let text = String::from_utf8(output.stdout).expect("keygen prints UTF-8");
    let mut public = None;
    let mut secret = None;
    for line in text.lines() {
        if let Some(key) = line.strip_prefix("public: ") {
            public = Some(key.to_owned());
        } else if let Some(key) = line.strip_prefix("secret: ") {
            secret = Some(key.to_owned());
        }
    }
    (
        public.expect("a public: line"),
        secret.expect("a secret: line"),
    )
}
