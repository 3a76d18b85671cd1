//! A real browser as a ws:// peer: headless Chromium runs a page (interop-draft/browser/page.js,
//! bundled with jszmq by `scripts/setup.sh`) whose jszmq DEALER talks to our ROUTER and whose
//! jszmq SUB listens to our PUB, both over ws:// (jszmq speaks the bare `ZWS2.0`). The page shows
//! each frame it received and posts what it shows back to this test's own HTTP server on
//! 127.0.0.1, which also served the page. Nothing is fetched from outside loopback.
//!
//! Needs Chromium (Debian's `chromium`) and the bundled page (`npm ci` and `npm run build` in
//! interop-draft/browser, which `scripts/setup.sh` does); without them the test fails saying so.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use zmtp::{Message, Pub, Router};

/// Messages each way.
const N: u32 = 500;
const LIMIT: Duration = Duration::from_secs(60);

/// Message `i`'s body: its number, then bytes that differ from message to message (every byte
/// value shows up: the page must not read them as text).
fn payload(i: u32) -> Vec<u8> {
    let mut v = i.to_be_bytes().to_vec();
    v.extend((0..(i % 200)).map(|k| (k as u8).wrapping_mul(37) ^ (i as u8)));
    v
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn browser_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("browser")
}

/// The Chromium binary, or a failure saying how to install it.
fn chromium() -> PathBuf {
    for candidate in ["/usr/bin/chromium", "/usr/bin/chromium-browser"] {
        if Path::new(candidate).exists() {
            return candidate.into();
        }
    }
    panic!(
        "Chromium not found: install it with `apt-get install chromium` (or run \
         scripts/setup.sh, which does)"
    );
}

/// The page's bundled script, or a failure saying how to build it.
fn bundle() -> Vec<u8> {
    let node = std::process::Command::new("node").arg("--version").output();
    assert!(
        node.is_ok_and(|o| o.status.success()),
        "Node.js not found: install it with `apt-get install nodejs npm`, then run \
         scripts/setup.sh (it bundles the page with jszmq)"
    );
    let path = browser_dir().join("dist/page.js");
    std::fs::read(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e}: run scripts/setup.sh (or `npm ci && npm run build` in \
             interop-draft/browser) to install jszmq and bundle the page",
            path.display()
        )
    })
}

const PAGE: &str = "<!doctype html><html><head><meta charset=\"utf-8\"><title>zmtp browser peer</title></head>\
<body><div id=\"status\">loading</div><pre id=\"out\"></pre><script src=\"/page.js\"></script></body></html>";

/// Serves the page and its script, and hands each `POST /result` body to `results`.
async fn serve(listener: TcpListener, script: Vec<u8>, results: mpsc::UnboundedSender<String>) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            return;
        };
        let script = script.clone();
        let results = results.clone();
        tokio::spawn(async move {
            let _ = answer(stream, &script, &results).await;
        });
    }
}

/// One HTTP/1.1 request (the connection is closed after it).
async fn answer(
    stream: TcpStream,
    script: &[u8],
    results: &mpsc::UnboundedSender<String>,
) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream);
    let mut request_line = String::new();
    reader.read_line(&mut request_line).await?;
    let mut content_length = 0usize;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).await? == 0 || line == "\r\n" {
            break;
        }
        if let Some((name, value)) = line.split_once(':') {
            if name.eq_ignore_ascii_case("content-length") {
                content_length = value.trim().parse().unwrap_or(0);
            }
        }
    }
    let mut body = vec![0u8; content_length];
    reader.read_exact(&mut body).await?;
    let path = request_line.split_whitespace().nth(1).unwrap_or("/");
    let (status, kind, content): (&str, &str, Vec<u8>) = if request_line.starts_with("POST") {
        let _ = results.send(String::from_utf8_lossy(&body).into_owned());
        ("200 OK", "text/plain", b"ok".to_vec())
    } else if path == "/page.js" {
        ("200 OK", "text/javascript", script.to_vec())
    } else if path.starts_with("/?") || path == "/" {
        (
            "200 OK",
            "text/html; charset=utf-8",
            PAGE.as_bytes().to_vec(),
        )
    } else {
        ("404 Not Found", "text/plain", b"not found".to_vec())
    };
    let head = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {kind}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        content.len()
    );
    let mut stream = reader.into_inner();
    stream.write_all(head.as_bytes()).await?;
    stream.write_all(&content).await?;
    stream.shutdown().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jszmq_in_headless_chromium_talks_to_our_router_and_pub_over_ws() {
    let chromium = chromium();
    let script = bundle();

    let router = Router::new();
    let router_ep = router.bind("ws://127.0.0.1:*/router").await.expect("bind");
    let publisher = Pub::new();
    let pub_ep = publisher.bind("ws://127.0.0.1:*/pub").await.expect("bind");

    let http = TcpListener::bind("127.0.0.1:0").await.expect("http bind");
    let port = http.local_addr().expect("address").port();
    let (results_tx, mut results) = mpsc::unbounded_channel();
    let server = tokio::spawn(serve(http, script, results_tx));
    let url = format!("http://127.0.0.1:{port}/?router={router_ep}&pub={pub_ep}&n={N}");

    let profile = tempfile_dir();
    let mut browser = tokio::process::Command::new(&chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-dev-shm-usage",
            "--remote-debugging-port=0",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(&url)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("start chromium");

    // The DEALER's first message.
    let hello = tokio::time::timeout(LIMIT, router.recv())
        .await
        .expect("the page's DEALER says hello (is the page running?)")
        .expect("recv");
    assert_eq!(hello.len(), 2, "routing id and body: {hello:?}");
    let id = hello.frames()[0].clone();
    assert_eq!(&hello.frames()[1][..], b"hello from the browser");

    // Probes until the page's SUB has its subscription in place and has said so.
    tokio::time::timeout(LIMIT, async {
        loop {
            publisher.send("news probe").await.expect("probe");
            if let Ok(m) = tokio::time::timeout(Duration::from_millis(20), router.recv()).await {
                let m = m.expect("recv");
                assert_eq!(&m.frames()[1][..], b"subscribed", "{m:?}");
                break;
            }
        }
    })
    .await
    .expect("the page's SUB subscribed");

    for i in 0..N {
        router
            .send(Message::from([id.to_vec(), payload(i)]))
            .await
            .expect("send to the page");
        let mut news = b"news".to_vec();
        news.extend(payload(i));
        publisher.send(news).await.expect("publish");
        // Not a topic the page subscribed to.
        publisher.send("weather").await.expect("publish");
    }

    let shown = tokio::time::timeout(LIMIT, results.recv())
        .await
        .expect("the page reports what it received")
        .expect("a report");
    browser.kill().await.expect("stop chromium");
    server.abort();
    let _ = std::fs::remove_dir_all(&profile);

    assert!(!shown.starts_with("error"), "the page failed: {shown}");
    let lines: Vec<&str> = shown.lines().collect();
    let from_dealer: Vec<&str> = lines
        .iter()
        .filter_map(|l| l.strip_prefix("dealer "))
        .collect();
    let from_sub: Vec<&str> = lines
        .iter()
        .filter_map(|l| l.strip_prefix("sub "))
        .collect();
    assert_eq!(from_dealer.len() + from_sub.len(), lines.len(), "{shown}");
    let expected: Vec<String> = (0..N).map(|i| hex(&payload(i))).collect();
    assert_eq!(from_dealer, expected, "what the DEALER received, in order");
    let expected_news: Vec<String> = (0..N)
        .map(|i| {
            let mut news = b"news".to_vec();
            news.extend(payload(i));
            hex(&news)
        })
        .collect();
    assert_eq!(from_sub, expected_news, "what the SUB received, in order");
}

/// A fresh, empty directory for Chromium's profile.
fn tempfile_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "zmtp-chromium-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0)
    ));
    std::fs::create_dir_all(&dir).expect("profile directory");
    dir
}
