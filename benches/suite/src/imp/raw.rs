//! The ceiling: plain Tokio streams (TCP, or Unix for ipc) carrying the same ZMTP frames (a
//! 2-byte or 9-byte header and the body), no handshake, no parsing at the receiver. Small
//! frames are written in 64 KiB batches, large ones as header and body in one vectored write.
//! Latency: one frame written, the same frame echoed back, read whole.

use std::time::Instant;

use bytes::{Buf, Bytes};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream, UnixListener, UnixStream};

use crate::peer;
use crate::spec::{Job, Role, Transport};

fn header(size: usize) -> Vec<u8> {
    match u8::try_from(size) {
        Ok(short) => vec![0x00, short],
        Err(_) => {
            let mut h = vec![0x02];
            h.extend_from_slice(&(size as u64).to_be_bytes());
            h
        }
    }
}

/// A connected stream, either kind.
trait Stream: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Stream for T {}

async fn accept(job: &Job) -> Box<dyn Stream> {
    match job.case.transport {
        Transport::Ipc => {
            let ep = peer::bind_endpoint(Transport::Ipc, &job.variant, false);
            let path = ep.trim_start_matches("ipc://").to_string();
            let listener = UnixListener::bind(&path).expect("bind");
            peer::endpoint(&ep);
            let (s, _) = listener.accept().await.expect("accept");
            let _ = std::fs::remove_file(&path);
            Box::new(s)
        }
        _ => {
            let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
            let addr = listener.local_addr().expect("address");
            peer::endpoint(&format!("tcp://{addr}"));
            let (s, _) = listener.accept().await.expect("accept");
            s.set_nodelay(true).expect("TCP_NODELAY");
            Box::new(s)
        }
    }
}

async fn connect(endpoint: &str) -> Box<dyn Stream> {
    if let Some(path) = endpoint.strip_prefix("ipc://") {
        Box::new(UnixStream::connect(path).await.expect("connect"))
    } else {
        let addr = endpoint.trim_start_matches("tcp://");
        let s = TcpStream::connect(addr).await.expect("connect");
        s.set_nodelay(true).expect("TCP_NODELAY");
        Box::new(s)
    }
}

/// Runs `role` to the end (or forever, for the roles the driver kills).
pub fn run(role: Role, job: Job) {
    let rt = peer::runtime(job.variant.flavour);
    rt.block_on(async move {
        let frame_len = header(job.size).len() + job.size;
        match role {
            Role::ThrRecv => {
                let mut s = accept(&job).await;
                let total = frame_len * job.count;
                let mut buf = vec![0u8; 256 * 1024];
                let mut got = s.read(&mut buf).await.expect("read");
                let start = Instant::now();
                while got < total {
                    let n = s.read(&mut buf).await.expect("read");
                    assert!(n > 0, "the sender closed early");
                    got += n;
                }
                peer::throughput(job.count, start.elapsed());
            }
            Role::ThrSend => {
                let mut s = connect(&job.endpoint).await;
                let body = peer::payload(job.size, None);
                let head = Bytes::from(header(job.size));
                if frame_len < 8192 {
                    let per_batch = (64 * 1024 / frame_len).max(1);
                    let mut batch = Vec::with_capacity(per_batch * frame_len);
                    for _ in 0..per_batch {
                        batch.extend_from_slice(&head);
                        batch.extend_from_slice(&body);
                    }
                    let mut left = job.count;
                    while left > 0 {
                        let n = left.min(per_batch);
                        s.write_all(&batch[..n * frame_len]).await.expect("write");
                        left -= n;
                    }
                } else {
                    for _ in 0..job.count {
                        let mut frame = head.clone().chain(body.clone());
                        s.write_all_buf(&mut frame).await.expect("write");
                    }
                }
                s.flush().await.expect("flush");
                std::future::pending::<()>().await;
            }
            Role::LatRep => {
                let mut s = accept(&job).await;
                let mut buf = vec![0u8; frame_len];
                while s.read_exact(&mut buf).await.is_ok() {
                    s.write_all(&buf).await.expect("write");
                }
            }
            Role::LatReq => {
                let mut s = connect(&job.endpoint).await;
                let mut frame = header(job.size);
                frame.extend_from_slice(&peer::payload(job.size, None));
                let mut buf = vec![0u8; frame_len];
                for _ in 0..peer::LATENCY_WARM_UP {
                    s.write_all(&frame).await.expect("write");
                    s.read_exact(&mut buf).await.expect("read");
                }
                let mut rtts = Vec::with_capacity(job.count);
                for _ in 0..job.count {
                    let t0 = Instant::now();
                    s.write_all(&frame).await.expect("write");
                    s.read_exact(&mut buf).await.expect("read");
                    rtts.push(t0.elapsed().as_nanos() as u64);
                }
                peer::latency(rtts);
            }
            other => unreachable!("no raw equivalent for {other:?} (filtered by the driver)"),
        }
    });
}
