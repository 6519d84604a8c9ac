//! The fake's HTTP/1.1 server: accepting connections (one thread each), reading requests
//! (keep-alive, `Content-Length` and chunked bodies, bounded), and writing the answers
//! the model gives. Of Stripe it knows only the shape of an error (for a request it
//! cannot read) and the `Stripe-Version` header.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use serde_json::json;

use super::model::{error_object, lock, Reply, State};
use super::API_VERSION;

/// Accepts connections until `stop` is set, each served on its own thread (so a held
/// back answer does not hold up a retry on another connection).
pub(super) fn accept_loop(listener: &TcpListener, state: &Arc<Mutex<State>>, stop: &AtomicBool) {
    for stream in listener.incoming() {
        if stop.load(Ordering::SeqCst) {
            break;
        }
        let Ok(stream) = stream else {
            // Out of descriptors or an aborted handshake: let it pass, don't spin.
            thread::sleep(Duration::from_millis(5));
            continue;
        };
        let state = Arc::clone(state);
        // If no thread can be made, the connection is dropped (the client sees a reset).
        let _ = thread::Builder::new().name("fake-stripe-conn".into()).spawn(move || serve(stream, &state));
    }
}

/// A request as read off the wire.
pub(super) struct HttpRequest {
    pub(super) method: String,
    /// The request target: path and query (an absolute-form URL is cut to its path).
    pub(super) target: String,
    pub(super) http10: bool,
    /// Header names lowercased, values trimmed, in arrival order.
    pub(super) headers: Vec<(String, String)>,
    pub(super) body: Vec<u8>,
}

impl HttpRequest {
    pub(super) fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }

    /// Whether the client wants the connection kept open after the answer.
    pub(super) fn keep_alive(&self) -> bool {
        let has = |token: &str| {
            self.headers
                .iter()
                .filter(|(n, _)| n == "connection")
                .flat_map(|(_, v)| v.split(','))
                .any(|t| t.trim().eq_ignore_ascii_case(token))
        };
        if self.http10 {
            has("keep-alive")
        } else {
            !has("close")
        }
    }
}

/// Why no request could be read.
pub(super) enum ReadError {
    /// The client closed, timed out or broke the connection: nothing to answer.
    Closed,
    /// Malformed or oversized: answer this status and message, then close.
    Bad(u16, &'static str),
}

impl From<io::Error> for ReadError {
    fn from(_: io::Error) -> ReadError {
        ReadError::Closed
    }
}

/// Serves requests on one connection until either side closes it.
pub(super) fn serve(stream: TcpStream, state: &Mutex<State>) {
    let _ = stream.set_read_timeout(Some(IDLE_TIMEOUT));
    let _ = stream.set_nodelay(true);
    let Ok(read_half) = stream.try_clone() else { return };
    let mut reader = BufReader::new(read_half);
    let mut writer = stream;
    loop {
        let request = match read_request(&mut reader, &mut writer) {
            Ok(request) => request,
            Err(ReadError::Closed) => return,
            Err(ReadError::Bad(status, message)) => {
                let error = error_object("invalid_request_error", None, None, message);
                let body = json!({ "error": error }).to_string();
                let reply = Reply { status, body, request_id: String::from("req_malformed") };
                let _ = write_reply(&mut writer, &reply, &[], false);
                return;
            }
        };
        let keep_alive = request.keep_alive();
        let answer = lock(state).handle(&request);
        if let Some(pause) = answer.delay {
            thread::sleep(pause);
        }
        let version = request.header("stripe-version").unwrap_or(API_VERSION);
        let mut extra = vec![("Stripe-Version", version)];
        if let Some(key) = request.header("idempotency-key").filter(|_| request.method == "POST") {
            extra.push(("Idempotency-Key", key));
        }
        if answer.replayed {
            extra.push(("Idempotent-Replayed", "true"));
        }
        if write_reply(&mut writer, &answer.reply, &extra, keep_alive).is_err() || !keep_alive {
            return;
        }
    }
}

/// Writes `reply` as a JSON response with `extra` headers.
pub(super) fn write_reply(
    writer: &mut impl Write,
    reply: &Reply,
    extra: &[(&str, &str)],
    keep_alive: bool,
) -> io::Result<()> {
    let mut head = format!(
        "HTTP/1.1 {} {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nRequest-Id: {}\r\n\
         Access-Control-Allow-Origin: *\r\nCache-Control: no-cache, no-store\r\nConnection: {}\r\n",
        reply.status,
        reason_phrase(reply.status),
        reply.body.len(),
        reply.request_id,
        if keep_alive { "keep-alive" } else { "close" },
    );
    for (name, value) in extra {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    let mut bytes = head.into_bytes();
    bytes.extend_from_slice(reply.body.as_bytes());
    writer.write_all(&bytes)?;
    writer.flush()
}

/// The reason phrase for the statuses the fake answers.
pub(super) fn reason_phrase(status: u16) -> &'static str {
    match status {
        200 => "OK",
        400 => "Bad Request",
        401 => "Unauthorized",
        402 => "Payment Required",
        404 => "Not Found",
        413 => "Payload Too Large",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        505 => "HTTP Version Not Supported",
        _ => "Unknown",
    }
}

/// Reads one line (without its CRLF or LF), using up at most `budget` bytes of it.
pub(super) fn read_line(reader: &mut impl BufRead, budget: &mut usize) -> Result<Vec<u8>, ReadError> {
    let mut line = Vec::new();
    let limit = u64::try_from(*budget).unwrap_or(u64::MAX);
    let n = reader.by_ref().take(limit).read_until(b'\n', &mut line)?;
    *budget -= n;
    if line.last() != Some(&b'\n') {
        return Err(if *budget == 0 {
            ReadError::Bad(431, "Request head too large.")
        } else {
            ReadError::Closed
        });
    }
    line.pop();
    if line.last() == Some(&b'\r') {
        line.pop();
    }
    Ok(line)
}

/// Reads one request: head, then its body (`Content-Length` or chunked), answering
/// `Expect: 100-continue` on `writer`.
pub(super) fn read_request(
    reader: &mut impl BufRead,
    writer: &mut impl Write,
) -> Result<HttpRequest, ReadError> {
    let mut budget = MAX_HEAD;
    let mut line = read_line(reader, &mut budget)?;
    // A client may send a stray CRLF after a body; tolerate a few.
    for _ in 0..4 {
        if !line.is_empty() {
            break;
        }
        line = read_line(reader, &mut budget)?;
    }
    let line = String::from_utf8(line).map_err(|_| ReadError::Bad(400, "The request line is not UTF-8."))?;
    let mut parts = line.split(' ');
    let (method, target, version) = match (parts.next(), parts.next(), parts.next(), parts.next()) {
        (Some(m), Some(t), Some(v), None) if !m.is_empty() && !t.is_empty() => (m, t, v),
        _ => return Err(ReadError::Bad(400, "Malformed request line.")),
    };
    let http10 = match version {
        "HTTP/1.1" => false,
        "HTTP/1.0" => true,
        _ => return Err(ReadError::Bad(505, "Only HTTP/1.0 and HTTP/1.1 are spoken here.")),
    };
    let target = match target.split_once("://") {
        Some((_, rest)) => rest.find('/').map_or("/", |at| &rest[at..]),
        None => target,
    };

    let mut headers = Vec::new();
    loop {
        let line = read_line(reader, &mut budget)?;
        if line.is_empty() {
            break;
        }
        if headers.len() == MAX_HEADERS {
            return Err(ReadError::Bad(431, "Too many header fields."));
        }
        let line = String::from_utf8(line).map_err(|_| ReadError::Bad(400, "A header is not UTF-8."))?;
        if line.starts_with([' ', '\t']) {
            return Err(ReadError::Bad(400, "Obsolete header line folding."));
        }
        let Some((name, value)) = line.split_once(':') else {
            return Err(ReadError::Bad(400, "A header line has no colon."));
        };
        if name.is_empty() || name.contains(|c: char| c.is_whitespace()) {
            return Err(ReadError::Bad(400, "Malformed header name."));
        }
        headers.push((name.to_ascii_lowercase(), value.trim_matches([' ', '\t']).to_string()));
    }
    let mut request = HttpRequest {
        method: method.to_string(),
        target: target.to_string(),
        http10,
        headers,
        body: Vec::new(),
    };

    let continue_expected = request.header("expect").is_some_and(|e| e.eq_ignore_ascii_case("100-continue"));
    let send_continue = |writer: &mut dyn Write| -> Result<(), ReadError> {
        if continue_expected && !http10 {
            writer.write_all(b"HTTP/1.1 100 Continue\r\n\r\n")?;
            writer.flush()?;
        }
        Ok(())
    };
    if let Some(coding) = request.header("transfer-encoding") {
        let last = coding.rsplit(',').next().unwrap_or_default().trim();
        if !last.eq_ignore_ascii_case("chunked") {
            return Err(ReadError::Bad(501, "Only chunked transfer-encoding is supported."));
        }
        send_continue(writer)?;
        request.body = read_chunked(reader)?;
    } else {
        let mut lengths =
            request.headers.iter().filter(|(n, _)| n == "content-length").map(|(_, v)| v.as_str());
        if let Some(first) = lengths.next() {
            if lengths.any(|other| other != first) {
                return Err(ReadError::Bad(400, "Conflicting Content-Length headers."));
            }
            if first.is_empty() || !first.bytes().all(|b| b.is_ascii_digit()) {
                return Err(ReadError::Bad(400, "Malformed Content-Length."));
            }
            let length = first.parse::<usize>().unwrap_or(usize::MAX);
            if length > MAX_BODY {
                return Err(ReadError::Bad(413, "The request body is too large."));
            }
            if length > 0 {
                send_continue(writer)?;
            }
            request.body = vec![0; length];
            reader.read_exact(&mut request.body)?;
        }
    }
    Ok(request)
}

/// Reads a chunked body, then its trailers.
pub(super) fn read_chunked(reader: &mut impl BufRead) -> Result<Vec<u8>, ReadError> {
    let mut body = Vec::new();
    loop {
        let mut budget = 4096;
        let line = read_line(reader, &mut budget)?;
        let line = String::from_utf8(line).map_err(|_| ReadError::Bad(400, "Malformed chunk size."))?;
        let size = line.split(';').next().unwrap_or_default().trim();
        if size.is_empty() || !size.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(ReadError::Bad(400, "Malformed chunk size."));
        }
        let size = usize::from_str_radix(size, 16)
            .map_err(|_| ReadError::Bad(413, "The request body is too large."))?;
        if size == 0 {
            let mut budget = MAX_HEAD;
            while !read_line(reader, &mut budget)?.is_empty() {}
            return Ok(body);
        }
        if body.len().saturating_add(size) > MAX_BODY {
            return Err(ReadError::Bad(413, "The request body is too large."));
        }
        let start = body.len();
        body.resize(start + size, 0);
        reader.read_exact(&mut body[start..])?;
        if !read_line(reader, &mut budget)?.is_empty() {
            return Err(ReadError::Bad(400, "A chunk is not followed by CRLF."));
        }
    }
}

/// Largest request head (request line and headers) the fake reads.
pub(super) const MAX_HEAD: usize = 64 * 1024;
/// Largest request body the fake reads.
pub(super) const MAX_BODY: usize = 1024 * 1024;
/// Most header lines in one request.
pub(super) const MAX_HEADERS: usize = 128;
/// How long a kept-alive connection may sit idle before the fake closes it.
pub(super) const IDLE_TIMEOUT: Duration = Duration::from_secs(300);
