//! A small HTTP/1.1 server on std: a fixed pool of threads, one request per connection
//! (`Connection: close`, so no idle keep-alive connection can hold a thread), the request
//! head bounded in size and in time. Enough for a page and a GET API on loopback; no
//! request bodies are read.

use super::api::Reply;
use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::mpsc::{sync_channel, Receiver};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Threads answering connections.
const WORKERS: usize = 8;
/// Connections accepted but not yet answered; past this, new ones are closed at once.
const QUEUE: usize = 256;
/// The longest request head (request line and headers) read, bytes.
const MAX_HEAD_BYTES: usize = 16 * 1024;
/// How long a client may take to send its request head.
const READ_TIMEOUT: Duration = Duration::from_secs(10);

/// A request: its method and target (path and query, as sent).
#[derive(Debug)]
pub(crate) struct Request {
    /// `GET`, `HEAD`, …
    pub method: String,
    /// `/api/fit?model=…`.
    pub target: String,
}

/// Accepts connections on `listener` and answers each with `answer`, forever.
pub(crate) fn run<F>(listener: TcpListener, answer: F)
where
    F: Fn(&Request) -> Reply + Send + Sync + 'static,
{
    let answer = Arc::new(answer);
    let (tx, rx) = sync_channel::<TcpStream>(QUEUE);
    let rx = Arc::new(Mutex::new(rx));
    for _ in 0..WORKERS {
        let (rx, answer) = (Arc::clone(&rx), Arc::clone(&answer));
        std::thread::spawn(move || worker(&rx, answer.as_ref()));
    }
    for stream in listener.incoming().flatten() {
        // A full queue drops the connection: the client sees it closed.
        let _ = tx.try_send(stream);
    }
}

fn worker<F: Fn(&Request) -> Reply>(rx: &Mutex<Receiver<TcpStream>>, answer: &F) {
    loop {
        let next = match rx.lock() {
            Ok(r) => r.recv(),
            Err(_) => return,
        };
        match next {
            Ok(stream) => connection(stream, answer),
            Err(_) => return,
        }
    }
}

/// Reads one request head, answers it, and closes the connection.
fn connection<F: Fn(&Request) -> Reply>(mut stream: TcpStream, answer: &F) {
    let _ = stream.set_read_timeout(Some(READ_TIMEOUT));
    let _ = stream.set_write_timeout(Some(READ_TIMEOUT));
    let (reply, head_only) = match read_head(&mut stream) {
        Ok(rq) => (answer(&rq), rq.method == "HEAD"),
        Err(reply) => (reply, false),
    };
    let _ = write_reply(&mut stream, &reply, head_only);
    let _ = stream.flush();
    let _ = stream.shutdown(Shutdown::Write);
    // Read what the client still sends (a body we ignored) so closing does not reset the
    // connection before it has read the answer.
    let _ = stream.set_read_timeout(Some(Duration::from_millis(200)));
    let mut sink = [0u8; 4096];
    for _ in 0..16 {
        match stream.read(&mut sink) {
            Ok(0) | Err(_) => break,
            Ok(_) => {}
        }
    }
}

/// The request line of a request head, or the error reply to give.
fn read_head(stream: &mut TcpStream) -> Result<Request, Reply> {
    let mut head = Vec::with_capacity(1024);
    let mut buf = [0u8; 2048];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") && !head.windows(2).any(|w| w == b"\n\n") {
        if head.len() > MAX_HEAD_BYTES {
            return Err(Reply::error(
                431,
                &format!("the request head is longer than {MAX_HEAD_BYTES} bytes"),
                None,
            ));
        }
        match stream.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => head.extend_from_slice(&buf[..n]),
            Err(_) => {
                return Err(Reply::error(
                    408,
                    "the request did not arrive in time",
                    None,
                ))
            }
        }
    }
    let line_end = head.iter().position(|&b| b == b'\n').unwrap_or(head.len());
    let line = String::from_utf8_lossy(&head[..line_end]);
    let mut parts = line.trim_end().split(' ');
    match (parts.next(), parts.next(), parts.next()) {
        (Some(m), Some(t), Some(v)) if v.starts_with("HTTP/1.") && t.starts_with('/') => {
            Ok(Request {
                method: m.to_string(),
                target: t.to_string(),
            })
        }
        _ => Err(Reply::error(400, "not an HTTP/1.x request", None)),
    }
}

fn write_reply(stream: &mut TcpStream, r: &Reply, head_only: bool) -> std::io::Result<()> {
    let mut head = format!(
        "HTTP/1.1 {} {}\r\nContent-Type: {}\r\nContent-Length: {}\r\nCache-Control: no-store\r\n\
         X-Content-Type-Options: nosniff\r\nConnection: close\r\n",
        r.status,
        reason(r.status),
        r.content_type,
        r.body.len()
    );
    if r.status == 405 {
        head.push_str("Allow: GET, HEAD\r\n");
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes())?;
    if !head_only {
        stream.write_all(&r.body)?;
    }
    Ok(())
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        400 => "Bad Request",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        414 => "URI Too Long",
        431 => "Request Header Fields Too Large",
        _ => "Internal Server Error",
    }
}
