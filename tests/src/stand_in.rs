//! The HTTP/1.1 half of the local stand-ins for remote services (`fake_stripe`,
//! `fake_mail`): accepting connections on 127.0.0.1 (one thread each), reading requests
//! (keep-alive, `Content-Length` and chunked bodies, bounded) and writing what the
//! service answers. Of any service it knows nothing: a [`Service`] is the model of one
//! (what it remembers, how each endpoint answers).

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread;
use std::time::Duration;

/// A remote service's model, answering one request at a time.
pub trait Service: Send + 'static {
    /// The answer to one request (and records it, if the model keeps a record).
    fn answer(&mut self, request: &HttpRequest) -> Response;
    /// The answer to a request that could not be read (`status`, `message`), in the
    /// service's error shape; the connection is closed after it.
    fn unreadable(&self, status: u16, message: &str) -> Response;
}

/// An answer: a JSON body with its status and extra headers, sent after `delay`.
pub struct Response {
    pub status: u16,
    pub body: String,
    pub headers: Vec<(String, String)>,
    pub delay: Option<Duration>,
}

impl Response {
    pub fn json(status: u16, body: String) -> Response {
        Response { status, body, headers: Vec::new(), delay: None }
    }
}

/// The shared state; a panic elsewhere while it was held leaves it usable.
pub fn lock<S>(state: &Mutex<S>) -> MutexGuard<'_, S> {
    state.lock().unwrap_or_else(|e| e.into_inner())
}

/// A running stand-in on a free port of 127.0.0.1. Dropping it stops the accept loop
/// (connections already open finish their current exchange).
pub struct Listening {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
}

impl Listening {
    /// Serves `service` until dropped. Panics if it cannot bind (a test cannot go on
    /// without it).
    pub fn start<S: Service>(name: &str, service: &Arc<Mutex<S>>) -> Listening {
        let listener = TcpListener::bind("127.0.0.1:0")
            .unwrap_or_else(|e| panic!("{name} cannot bind 127.0.0.1:0: {e}"));
        let addr = listener.local_addr().unwrap_or_else(|e| panic!("{name} has no address: {e}"));
        let stop = Arc::new(AtomicBool::new(false));
        let (loop_state, loop_stop) = (Arc::clone(service), Arc::clone(&stop));
        let thread_name = format!("{name}-conn");
        thread::Builder::new()
            .name(format!("{name}-accept"))
            .spawn(move || accept_loop(&listener, &loop_state, &loop_stop, &thread_name))
            .unwrap_or_else(|e| panic!("{name} cannot start its thread: {e}"));
        Listening { addr, stop }
    }

    /// `http://127.0.0.1:PORT`, without a trailing slash.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

impl Drop for Listening {
    /// Stops the accept loop: sets the flag, then wakes the blocked `accept`.
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_secs(1));
    }
}

/// Accepts connections until `stop` is set, each served on its own thread (so a held
/// back answer does not hold up a retry on another connection).
fn accept_loop<S: Service>(listener: &TcpListener, state: &Arc<Mutex<S>>, stop: &AtomicBool, name: &str) {
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
        let _ = thread::Builder::new().name(name.to_string()).spawn(move || serve(stream, &state));
    }
}

/// Serves requests on one connection until either side closes it.
fn serve<S: Service>(stream: TcpStream, state: &Mutex<S>) {
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
                let answer = lock(state).unreadable(status, message);
                let _ = write_response(&mut writer, &answer, false);
                return;
            }
        };
        let keep_alive = request.keep_alive();
        let answer = lock(state).answer(&request);
        if let Some(pause) = answer.delay {
            thread::sleep(pause);
        }
        if write_response(&mut writer, &answer, keep_alive).is_err() || !keep_alive {
            return;
        }
    }
}

/// Writes `answer` as a JSON response.
fn write_response(writer: &mut impl Write, answer: &Response, keep_alive: bool) -> io::Result<()> {
    let mut head = format!(
        "HTTP/1.1 {} {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\
         Access-Control-Allow-Origin: *\r\nCache-Control: no-cache, no-store\r\nConnection: {}\r\n",
        answer.status,
        reason_phrase(answer.status),
        answer.body.len(),
        if keep_alive { "keep-alive" } else { "close" },
    );
    for (name, value) in &answer.headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    let mut bytes = head.into_bytes();
    bytes.extend_from_slice(answer.body.as_bytes());
    writer.write_all(&bytes)?;
    writer.flush()
}

/// A request as read off the wire.
pub struct HttpRequest {
    pub method: String,
    /// The request target: path and query (an absolute-form URL is cut to its path).
    pub target: String,
    pub http10: bool,
    /// Header names lowercased, values trimmed, in arrival order.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl HttpRequest {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }

    /// Whether the client wants the connection kept open after the answer.
    pub fn keep_alive(&self) -> bool {
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
pub enum ReadError {
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

/// The reason phrase for the statuses a stand-in answers.
pub fn reason_phrase(status: u16) -> &'static str {
    match status {
        200 => "OK",
        400 => "Bad Request",
        401 => "Unauthorized",
        402 => "Payment Required",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        409 => "Conflict",
        413 => "Payload Too Large",
        422 => "Unprocessable Entity",
        429 => "Too Many Requests",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        503 => "Service Unavailable",
        505 => "HTTP Version Not Supported",
        _ => "Unknown",
    }
}

/// Reads one line (without its CRLF or LF), using up at most `budget` bytes of it.
pub fn read_line(reader: &mut impl BufRead, budget: &mut usize) -> Result<Vec<u8>, ReadError> {
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
pub fn read_request(reader: &mut impl BufRead, writer: &mut impl Write) -> Result<HttpRequest, ReadError> {
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
pub fn read_chunked(reader: &mut impl BufRead) -> Result<Vec<u8>, ReadError> {
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

/// Largest request head (request line and headers) a stand-in reads.
pub const MAX_HEAD: usize = 64 * 1024;
/// Largest request body a stand-in reads.
pub const MAX_BODY: usize = 1024 * 1024;
/// Most header lines in one request.
pub const MAX_HEADERS: usize = 128;
/// How long a kept-alive connection may sit idle before the stand-in closes it.
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(300);
