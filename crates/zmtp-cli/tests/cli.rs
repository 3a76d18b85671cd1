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
    let mut dealer = Zmtp::start(&[
        "dealer",
        "--connect",
        &endpoint,
        "--option",
        "ZMQ_ROUTING_ID=d1",
        "--count",
        "1",
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
