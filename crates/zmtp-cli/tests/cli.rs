//! The `zmtp` binary against itself: keygen, PUSH to PULL, REQ to REP, DEALER to ROUTER and
//! back, PLAIN and CURVE with the built-in authentication, and the errors a user sees.

mod common;

use std::process::Command;

use common::{keygen, Zmtp, BIN};
use zmtp_security::{CurvePublicKey, CurveSecretKey};

#[test]
fn keygen_prints_a_z85_key_pair() {
    let (public, secret) = keygen();
    assert_eq!(public.len(), 40, "{public}");
    assert_eq!(secret.len(), 40, "{secret}");
    let public = CurvePublicKey::from_z85(&public).expect("public key is Z85");
    let secret = CurveSecretKey::from_z85(&secret).expect("secret key is Z85");
    assert_eq!(
        secret.public_key(),
        public,
        "the public key is the secret key's"
    );
    let (other, _) = keygen();
    assert_ne!(other, public.to_string(), "two runs give two pairs");
}

#[test]
fn push_lines_to_pull() {
    let pull = Zmtp::start(&["pull", "--bind", "tcp://127.0.0.1:*", "--count", "4"]);
    let endpoint = pull.bound();
    assert!(endpoint.starts_with("tcp://127.0.0.1:"), "{endpoint}");
    let mut push = Zmtp::start(&["push", "--connect", &endpoint, "--frames", "|"]);
    push.write(b"hello\nsecond line\r\nhead|body\n\x00\x01\n");
    push.close_stdin();
    push.wait_success();
    assert_eq!(
        pull.stdout_lines(4),
        ["hello", "second line", "head\tbody", "0x0001"]
    );
    let mut pull = pull;
    pull.wait_success();
}

#[test]
fn push_files_as_whole_messages() {
    let dir = std::env::temp_dir().join(format!("zmtp-cli-files-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let text = dir.join("text.txt");
    std::fs::write(&text, "two\nlines").expect("writes");
    let pull = Zmtp::start(&["pull", "--bind", "tcp://127.0.0.1:*", "--count", "1"]);
    let endpoint = pull.bound();
    let mut push = Zmtp::start(&[
        "push",
        "--connect",
        &endpoint,
        "--file",
        text.to_str().expect("UTF-8 path"),
    ]);
    push.wait_success();
    // The line end inside the message is a control character: shown in hex.
    assert_eq!(pull.stdout_line(), "0x74776f0a6c696e6573");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn req_to_rep_echo_and_fixed_reply() {
    let echo = Zmtp::start(&["rep", "--bind", "tcp://127.0.0.1:*"]);
    let endpoint = echo.bound();
    let mut req = Zmtp::start(&["req", "--connect", &endpoint]);
    req.write(b"ping\npong\n");
    assert_eq!(req.stdout_lines(2), ["ping", "pong"]);
    assert_eq!(echo.stdout_lines(2), ["ping", "pong"]);
    req.wait_success();

    let fixed = Zmtp::start(&[
        "rep",
        "--bind",
        "tcp://127.0.0.1:*",
        "--reply",
        "ok|done",
        "--frames",
        "|",
    ]);
    let endpoint = fixed.bound();
    let mut req = Zmtp::start(&["req", "--connect", &endpoint, "--frames", "|"]);
    req.write(b"a|b\n");
    assert_eq!(req.stdout_line(), "ok|done");
    assert_eq!(fixed.stdout_line(), "a|b");
    req.wait_success();
}

#[test]
fn rep_answers_from_stdin_over_ipc() {
    let path = std::env::temp_dir().join(format!("zmtp-cli-rep-{}.ipc", std::process::id()));
    let bind = format!("ipc://{}", path.display());
    let mut rep = Zmtp::start(&["rep", "--bind", &bind, "--reply-stdin"]);
    assert_eq!(rep.bound(), bind);
    let mut req = Zmtp::start(&["req", "--connect", &bind]);
    req.write(b"question\n");
    assert_eq!(rep.stdout_line(), "question");
    rep.write(b"answer\n");
    assert_eq!(req.stdout_line(), "answer");
    req.wait_success();
    drop(rep);
    let _ = std::fs::remove_file(&path);
}

#[test]
fn router_prints_routing_ids_and_routes_replies() {
    let mut router = Zmtp::start(&["router", "--bind", "tcp://127.0.0.1:*"]);
    let endpoint = router.bound();
    // --count 2: one message sent, one received.
    let mut dealer = Zmtp::start(&[
        "dealer",
        "--connect",
        &endpoint,
        "--option",
        "ZMQ_ROUTING_ID=d1",
        "--count",
        "2",
    ]);
    dealer.write(b"hello\n");
    assert_eq!(router.stdout_line(), "0x6431\thello");
    router.write(b"0x6431 welcome back\n");
    assert_eq!(dealer.stdout_line(), "welcome back");
    dealer.wait_success();
}

#[test]
fn xpub_sees_sub_subscriptions_then_publishes() {
    let mut xpub = Zmtp::start(&["xpub", "--bind", "tcp://127.0.0.1:*"]);
    let endpoint = xpub.bound();
    let mut sub = Zmtp::start(&[
        "sub",
        "--connect",
        &endpoint,
        "--subscribe",
        "news.",
        "--count",
        "2",
    ]);
    // Once the subscription is seen, what is published next reaches the subscriber.
    assert_eq!(xpub.stdout_line(), "subscribe news.");
    xpub.write(b"news.one\nsport.two\nnews.three\n");
    assert_eq!(sub.stdout_lines(2), ["news.one", "news.three"]);
    sub.wait_success();
}

#[test]
fn plain_server_lets_in_only_its_users() {
    let pull = Zmtp::start(&[
        "pull",
        "--bind",
        "tcp://127.0.0.1:*",
        "--plain-server",
        "--plain-accept",
        "alice:secret",
        "--count",
        "1",
    ]);
    let endpoint = pull.bound();
    let mut intruder = Zmtp::start(&[
        "push",
        "--connect",
        &endpoint,
        "--plain-user",
        "alice",
        "--plain-password",
        "guess",
        "--option",
        "linger=0",
        "--option",
        "immediate=1",
        "--option",
        "sndtimeo=60000",
    ]);
    intruder.write(b"let me in\n");
    let refused = pull.stderr_after("refused PLAIN user ");
    assert!(refused.starts_with("\"alice\""), "{refused}");
    drop(intruder);

    let mut alice = Zmtp::start(&[
        "push",
        "--connect",
        &endpoint,
        "--plain-user",
        "alice",
        "--plain-password",
        "secret",
    ]);
    alice.write(b"it is me\n");
    alice.wait_success();
    assert_eq!(pull.stdout_line(), "it is me");
}

#[test]
fn curve_between_two_zmtp_processes() {
    let (server_public, server_secret) = keygen();
    let (client_public, client_secret) = keygen();
    let rep = Zmtp::start(&[
        "rep",
        "--bind",
        "tcp://127.0.0.1:*",
        "--curve-server",
        "--curve-secret",
        &server_secret,
        "--curve-accept",
        &client_public,
    ]);
    assert_eq!(rep.stderr_after("CURVE server public key: "), server_public);
    let endpoint = rep.bound();

    // A client whose key the server does not accept is refused, and says nothing more.
    let mut stranger = Zmtp::start(&[
        "req",
        "--connect",
        &endpoint,
        "--curve-serverkey",
        &server_public,
    ]);
    stranger.write(b"hello?\n");
    rep.stderr_after("refused CURVE client ");
    drop(stranger);

    let mut req = Zmtp::start(&[
        "req",
        "--connect",
        &endpoint,
        "--curve-serverkey",
        &server_public,
        "--curve-secret",
        &client_secret,
        "--curve-public",
        &client_public,
    ]);
    req.write(b"secret message\n");
    assert_eq!(req.stdout_line(), "secret message");
    assert_eq!(rep.stdout_line(), "secret message");
    req.wait_success();
}

/// Runs `zmtp ARGS` expecting a failure: its exit code and its stderr.
fn fails(args: &[&str]) -> (i32, String) {
    let output = Command::new(BIN)
        .args(args)
        .stdin(std::process::Stdio::null())
        .output()
        .expect("runs zmtp");
    let code = output.status.code().expect("exited, not killed");
    assert_ne!(code, 0, "zmtp {args:?} succeeded");
    (code, String::from_utf8_lossy(&output.stderr).into_owned())
}

#[test]
fn errors_are_one_line_naming_the_culprit() {
    let (code, err) = fails(&["pull", "--bind", "tcp//127.0.0.1:5555"]);
    assert_eq!(code, 1);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.starts_with("zmtp: --bind tcp//127.0.0.1:5555: "),
        "{err}"
    );

    let (code, err) = fails(&["push", "--connect", "bogus://x"]);
    assert_eq!(code, 1);
    assert!(err.starts_with("zmtp: --connect bogus://x: "), "{err}");

    let (code, err) = fails(&[
        "req",
        "--connect",
        "tcp://127.0.0.1:5555",
        "--curve-serverkey",
        "too short",
    ]);
    assert_eq!(code, 1);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.starts_with("zmtp: --curve-serverkey: "), "{err}");

    // 40 characters, but '"' is not a Z85 digit.
    let bad = "\"".repeat(40);
    let (_, err) = fails(&[
        "rep",
        "--bind",
        "tcp://127.0.0.1:*",
        "--curve-server",
        "--curve-secret",
        &bad,
    ]);
    assert!(err.starts_with("zmtp: --curve-secret: "), "{err}");

    let (code, err) = fails(&[
        "pull",
        "--bind",
        "tcp://127.0.0.1:*",
        "--option",
        "ZMQ_RCVHWM=-3",
    ]);
    assert_eq!(code, 1);
    assert_eq!(
        err.trim_end(),
        "zmtp: --option ZMQ_RCVHWM=-3: ZMQ_RCVHWM must be >= 0, got -3"
    );

    let (_, err) = fails(&[
        "pull",
        "--bind",
        "tcp://127.0.0.1:*",
        "--option",
        "nosuch=1",
    ]);
    assert!(
        err.starts_with("zmtp: --option nosuch=1: unknown option"),
        "{err}"
    );

    let (_, err) = fails(&[
        "pull",
        "--bind",
        "tcp://127.0.0.1:*",
        "--option",
        "subscribe=x",
    ]);
    assert!(err.contains("not an option of PULL"), "{err}");

    let (_, err) = fails(&[
        "pull",
        "--bind",
        "tcp://127.0.0.1:*",
        "--plain-server",
        "--plain-accept",
        "nocolon",
    ]);
    assert!(err.starts_with("zmtp: --plain-accept "), "{err}");

    // What clap refuses: exit status 2 and a usage hint.
    let (code, err) = fails(&["pull"]);
    assert_eq!(code, 2);
    assert!(err.contains("--bind"), "{err}");
    let (code, _) = fails(&["pull", "--bind", "tcp://127.0.0.1:*", "--curve-server"]);
    assert_eq!(code, 2);
}

#[test]
fn help_has_examples() {
    let output = Command::new(BIN)
        .arg("--help")
        .output()
        .expect("runs zmtp --help");
    assert!(output.status.success());
    let help = String::from_utf8_lossy(&output.stdout);
    for needle in [
        "Examples:",
        "zmtp keygen",
        "zmtp pull --bind",
        "--curve-serverkey",
    ] {
        assert!(help.contains(needle), "no {needle:?} in:\n{help}");
    }
}

/// Runs a server and a client whose handshake it refuses: the client reports the reason once
/// (`zmtp: --connect ENDPOINT: handshake failed: REASON; retrying`) and retries quietly, while
/// the server reports each refusal (`refusal` starts its lines), three of them seen before the
/// client is stopped. `retried` false: a refusal by the server's ERROR (ZAP), which the client
/// does not retry (libzmq 4.3's rule): the report says so, and the server sees one attempt.
fn refused_once(
    server_args: &[&str],
    client_args: &[&str],
    refusal: &str,
    reason: &str,
    retried: bool,
) {
    let server = Zmtp::start(server_args);
    let endpoint = server.bound();
    let mut args = client_args.to_vec();
    args.extend(["--connect", &endpoint]);
    let mut client = Zmtp::start(&args);
    client.write(b"hi\n");
    client.close_stdin();
    let said = client.stderr_after(&format!("zmtp: --connect {endpoint}: handshake failed: "));
    assert!(said.contains(reason), "{said}");
    if retried {
        assert!(said.ends_with("; retrying"), "{said}");
        for _ in 0..3 {
            server.stderr_after(refusal);
        }
    } else {
        assert!(said.contains("; not retrying"), "{said}");
        server.stderr_after(refusal);
    }
    client.kill();
    let rest = client.rest_of_stderr();
    assert!(
        !rest.iter().any(|line| line.contains("handshake failed")),
        "reported once, retried quietly: {rest:?}"
    );
}

#[test]
fn a_client_with_the_wrong_curve_server_key_says_why_once() {
    let (_, server_secret) = keygen();
    let (wrong, _) = keygen();
    refused_once(
        &[
            "pull",
            "--bind",
            "tcp://127.0.0.1:*",
            "--curve-server",
            "--curve-secret",
            &server_secret,
        ],
        &["push", "--curve-serverkey", &wrong],
        // A CURVE server reports refusals as the PLAIN server does.
        "refused CURVE client on ",
        "--curve-serverkey is not its public key",
        true,
    );
}

#[test]
fn a_refused_plain_client_says_why_once() {
    refused_once(
        &[
            "pull",
            "--bind",
            "tcp://127.0.0.1:*",
            "--plain-server",
            "--plain-accept",
            "alice:secret",
        ],
        &["push", "--plain-user", "alice", "--plain-password", "guess"],
        "refused PLAIN user ",
        "ZAP 400",
        false,
    );
}

#[test]
fn a_curve_client_refused_by_zap_says_why_once() {
    let (server_public, server_secret) = keygen();
    let (someone_else, _) = keygen();
    refused_once(
        &[
            "rep",
            "--bind",
            "tcp://127.0.0.1:*",
            "--curve-server",
            "--curve-secret",
            &server_secret,
            "--curve-accept",
            &someone_else,
        ],
        &["req", "--curve-serverkey", &server_public],
        "refused CURVE client ",
        "ZAP 400",
        false,
    );
}

/// `-v` prints the sockets' tracing events on stderr; `RUST_LOG` chooses them instead.
#[test]
fn verbose_and_rust_log_show_what_the_connections_do() {
    let pull = Zmtp::start(&["-v", "pull", "--bind", "tcp://127.0.0.1:*"]);
    let listening = pull.stderr_containing("listening");
    assert!(listening.contains("INFO"), "{listening}");
    let endpoint = pull.bound();
    let mut push = Zmtp::start_with_env(
        &["push", "--connect", &endpoint],
        &[("RUST_LOG", "zmtp_socket=debug")],
    );
    let connected = push.stderr_containing("connected");
    assert!(connected.contains("DEBUG"), "{connected}");
    push.write(b"hi\n");
    push.wait_success();
    assert_eq!(pull.stdout_line(), "hi");
    // Without -v or RUST_LOG: no tracing output, only the tool's own lines.
    let mut quiet = Zmtp::start(&["push", "--connect", &endpoint]);
    quiet.write(b"quiet\n");
    quiet.wait_success();
    assert_eq!(quiet.rest_of_stderr(), [format!("connecting {endpoint}")]);
    assert_eq!(pull.stdout_line(), "quiet");
}

/// One shell command of the help's examples: what it writes on standard input, and its
/// arguments (after `zmtp`).
#[derive(Debug, Clone)]
struct ExampleCommand {
    line: String,
    stdin: Option<Vec<u8>>,
    args: Vec<String>,
}

/// Splits a shell command into words: spaces separate, single and double quotes group (the
/// help's examples need no more).
fn shell_words(text: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut quote = None;
    for c in text.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), c) => word.push(c),
            (None, '\'' | '"') => {
                quote = Some(c);
                in_word = true;
            }
            (None, ' ') => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            (None, c) => {
                word.push(c);
                in_word = true;
            }
        }
    }
    if in_word {
        words.push(word);
    }
    words
}

/// A line of the examples as a command: `printf 'A\nB\n' | zmtp ...` and `echo A | zmtp ...`
/// give standard input; a trailing `# comment` is dropped.
fn example_command(line: &str) -> ExampleCommand {
    let code = line.split(" #").next().unwrap_or(line).trim();
    let (stdin, command) = match code.split_once(" | ") {
        Some((feeder, command)) => {
            let words = shell_words(feeder);
            let input = match words.first().map(String::as_str) {
                Some("printf") => words[1].replace("\\n", "\n"),
                Some("echo") => format!("{}\n", words[1..].join(" ")),
                _ => panic!("unknown input in {line:?}"),
            };
            (Some(input.into_bytes()), command)
        }
        None => (None, code),
    };
    let words = shell_words(command);
    assert_eq!(words[0], "zmtp", "{line:?}");
    ExampleCommand {
        line: line.to_owned(),
        stdin,
        args: words[1..].to_vec(),
    }
}

/// The examples of `zmtp --help`, in groups (one per comment line).
fn help_examples() -> Vec<Vec<ExampleCommand>> {
    let output = Command::new(BIN)
        .arg("--help")
        .output()
        .expect("runs zmtp --help");
    let help = String::from_utf8_lossy(&output.stdout).into_owned();
    let examples = help
        .split_once("Examples:")
        .map(|(_, rest)| rest.to_owned())
        .expect("an Examples section");
    let mut groups: Vec<Vec<ExampleCommand>> = Vec::new();
    for line in examples.lines().map(str::trim) {
        if line.starts_with('#') {
            // A comment (of one line or more) starts a group.
            if groups.last().is_none_or(|group| !group.is_empty()) {
                groups.push(Vec::new());
            }
        } else if line.contains("zmtp ") {
            groups
                .last_mut()
                .expect("a comment before each example")
                .push(example_command(line));
        }
    }
    groups
}

/// Every example of `zmtp --help` runs as written, only with the ports the OS chooses instead
/// of the fixed ones and the keys `zmtp keygen` prints: the binding side starts first, the
/// others connect to what it bound, input is given as the example gives it, and what arrives
/// is checked. A new example fails this test until it is given its check here.
#[test]
fn every_help_example_runs() {
    let groups = help_examples();
    assert_eq!(groups.len(), 7, "{groups:#?}");
    let mut checked = 0;
    for group in groups {
        let mut keys: Vec<(String, String)> = Vec::new();
        let mut endpoints: Vec<(String, String)> = Vec::new();
        let mut binders = Vec::new();
        let mut others = Vec::new();
        for command in &group {
            if command.args == ["keygen"] {
                let (public, secret) = keygen();
                keys.push(("SERVER-PUBLIC".into(), public));
                keys.push(("SERVER-SECRET".into(), secret));
            } else if command.args.iter().any(|a| a == "--bind") {
                binders.push(command.clone());
            } else {
                others.push(command.clone());
            }
        }
        let substitute = |args: &[String], endpoints: &[(String, String)]| -> Vec<String> {
            args.iter()
                .map(|arg| {
                    let mut arg = arg.clone();
                    for (from, to) in keys.iter().chain(endpoints) {
                        if arg == *from {
                            arg = to.clone();
                        }
                    }
                    arg
                })
                .collect()
        };
        let mut running = Vec::new();
        for command in &binders {
            let mut args = substitute(&command.args, &endpoints);
            let at = args.iter().position(|a| a == "--bind").expect("--bind") + 1;
            let written = std::mem::replace(&mut args[at], "tcp://127.0.0.1:*".to_owned());
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            let process = Zmtp::start(&args);
            endpoints.push((written, process.bound()));
            running.push((command.clone(), process));
        }
        for command in &others {
            let args = substitute(&command.args, &endpoints);
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            running.push((command.clone(), Zmtp::start(&args)));
        }
        // Input, as the examples give it; a PUB publishes until its subscriber hears.
        for (command, process) in &mut running {
            if let Some(input) = &command.stdin {
                process.write(input);
                process.close_stdin();
            }
        }
        let first = group[0].args.join(" ");
        let find = |name: &str| {
            running
                .iter()
                .position(|(c, _)| c.args[0] == name)
                .unwrap_or_else(|| panic!("no {name} in {first}"))
        };
        match group[0].args[0].as_str() {
            "pull" if group.len() == 1 => {
                // The option example: it binds with those options (checked by `bound`).
            }
            "pull" => {
                let pull = &running[find("pull")].1;
                let push = &running[find("push")].0;
                let expected: Vec<String> =
                    String::from_utf8_lossy(push.stdin.as_deref().expect("push has input"))
                        .lines()
                        .map(str::to_owned)
                        .collect();
                assert_eq!(pull.stdout_lines(expected.len()), expected, "{}", push.line);
                let i = find("push");
                running[i].1.wait_success();
            }
            "rep" => {
                let i = find("req");
                let sent = String::from_utf8_lossy(running[i].0.stdin.as_deref().expect("input"))
                    .trim_end()
                    .to_owned();
                assert_eq!(running[i].1.stdout_line(), sent, "{}", running[i].0.line);
                running[i].1.wait_success();
            }
            "sub" => {
                let (p, s) = (find("pub"), find("sub"));
                let prefix = running[s]
                    .0
                    .args
                    .last()
                    .expect("--subscribe PREFIX")
                    .clone();
                let heard = loop {
                    running[p].1.write(format!("{prefix}now 21C\n").as_bytes());
                    if let Some(line) = running[s]
                        .1
                        .stdout_line_within(std::time::Duration::from_millis(200))
                    {
                        break line;
                    }
                };
                assert_eq!(heard, format!("{prefix}now 21C"));
            }
            "router" => {
                let (r, d) = (find("router"), find("dealer"));
                let line = running[r].1.stdout_line();
                let (id, body) = line.split_once('|').expect("routing id, then frames");
                assert!(id.starts_with("0x"), "{line}");
                assert_eq!(body, "header|body");
                // --count 1: the DEALER exits once it has sent its message.
                running[d].1.wait_success();
            }
            "keygen" => {
                let i = find("req");
                assert_eq!(running[i].1.stdout_line(), "hi");
                running[i].1.wait_success();
            }
            other => panic!("no check for the example group starting with {other:?}"),
        }
        checked += 1;
    }
    assert_eq!(checked, 7);
}
