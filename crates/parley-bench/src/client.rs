//! The HTTP client: hyper 1, HTTP/1.1 with keep-alive. Two ways to hold
//! connections, chosen with `--client`:
//! - `conn` (default): each worker owns one persistent connection
//!   (`hyper::client::conn::http1`), reconnecting only after an error. No
//!   pool, no lock, nothing shared between workers: the fastest measured.
//! - `pool`: hyper-util's legacy pooled client, one per load thread, with
//!   keep-alive and as many idle connections as workers.
//!
//! Requests are prepared ahead ([`Prepared`]: a parsed `Uri`, a ready
//! `Authorization` header, a shared body), so sending one costs a few
//! reference-count increments and one small header map.

use std::net::SocketAddr;
use std::time::Duration;

use anyhow::{Context, bail};
use bytes::Bytes;
use http::header::{AUTHORIZATION, CONTENT_TYPE, HOST};
use http::{HeaderMap, HeaderValue, Method, Request, Uri};
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::SendRequest;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::net::TcpStream;

pub type Body = Full<Bytes>;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, serde::Serialize)]
pub enum ClientKind {
    /// One persistent HTTP/1.1 connection per worker.
    Conn,
    /// hyper-util's pooled client (one pool per load thread).
    Pool,
}

impl ClientKind {
    pub fn name(self) -> &'static str {
        match self {
            ClientKind::Conn => "conn",
            ClientKind::Pool => "pool",
        }
    }
}

/// A server to drive: where it is and how requests to it are addressed.
#[derive(Debug, Clone)]
pub struct Target {
    /// The base URL as given, without a trailing slash (`http://127.0.0.1:8080`).
    pub base: String,
    pub addr: SocketAddr,
    host: HeaderValue,
    /// A path the server is mounted under (usually empty).
    prefix: String,
    pub kind: ClientKind,
}

impl Target {
    /// Parses `url` (plain `http://` only) and resolves its host once.
    pub async fn resolve(url: &str, kind: ClientKind) -> anyhow::Result<Target> {
        let base = url.trim_end_matches('/').to_owned();
        let uri: Uri = base.parse().with_context(|| format!("not a URL: {url}"))?;
        match uri.scheme_str() {
            Some("http") => {}
            Some(other) => bail!("{url}: only http:// is supported (got {other}://); put TLS in front of the server"),
            None => bail!("{url}: give a full URL such as http://127.0.0.1:8080"),
        }
        let authority = uri.authority().context("the URL has no host")?.clone();
        let port = authority.port_u16().unwrap_or(80);
        let addr = tokio::net::lookup_host((authority.host(), port))
            .await
            .with_context(|| format!("resolving {}", authority.host()))?
            .next()
            .with_context(|| format!("{} resolves to no address", authority.host()))?;
        let host = HeaderValue::from_str(authority.as_str())?;
        let prefix = uri.path().trim_end_matches('/').to_owned();
        Ok(Target { base, addr, host, prefix, kind })
    }

    /// The same server through another kind of client.
    pub fn with_kind(&self, kind: ClientKind) -> Target {
        Target { kind, ..self.clone() }
    }

    /// A request URI for `path_and_query` (which starts with `/`): origin
    /// form for `conn`, absolute for `pool` (which needs it to pick a pool).
    pub fn uri(&self, path_and_query: &str) -> Uri {
        let text = match self.kind {
            ClientKind::Conn => format!("{}{}", self.prefix, path_and_query),
            ClientKind::Pool => format!("{}{}", self.base, path_and_query),
        };
        // Paths are built by this crate from IDs the server returned; fall back
        // to `/` rather than panic on a server that returns strange IDs.
        Uri::from_maybe_shared(Bytes::from(text)).unwrap_or_else(|_| Uri::from_static("/"))
    }
}

/// A request ready to send many times over.
#[derive(Clone)]
pub struct Prepared {
    /// Which class of request it is recorded under.
    pub class: usize,
    pub method: Method,
    pub uri: Uri,
    pub auth: Option<HeaderValue>,
    /// A JSON body (sent with `Content-Type: application/json`), if any.
    pub body: Option<Bytes>,
    /// Keep the answer's body for the workload to read (otherwise it is read and dropped).
    pub read_body: bool,
}

impl Prepared {
    pub fn get(class: usize, uri: Uri, auth: Option<HeaderValue>) -> Prepared {
        Prepared { class, method: Method::GET, uri, auth, body: None, read_body: false }
    }

    pub fn post_json(class: usize, uri: Uri, auth: Option<HeaderValue>, body: Bytes) -> Prepared {
        Prepared { class, method: Method::POST, uri, auth, body: Some(body), read_body: false }
    }

    pub fn reading_body(mut self) -> Prepared {
        self.read_body = true;
        self
    }
}

static JSON: HeaderValue = HeaderValue::from_static("application/json");

fn build(host: &HeaderValue, p: &Prepared) -> Request<Body> {
    let mut headers = HeaderMap::with_capacity(4);
    headers.insert(HOST, host.clone());
    if let Some(auth) = &p.auth {
        headers.insert(AUTHORIZATION, auth.clone());
    }
    let body = match &p.body {
        Some(b) => {
            headers.insert(CONTENT_TYPE, JSON.clone());
            Full::new(b.clone())
        }
        None => Full::new(Bytes::new()),
    };
    let mut req = Request::new(body);
    *req.method_mut() = p.method.clone();
    *req.uri_mut() = p.uri.clone();
    *req.headers_mut() = headers;
    req
}

/// Why a request got no answer.
#[derive(Debug)]
pub enum SendError {
    Connect(std::io::Error),
    Http(String),
    Timeout,
}

impl std::fmt::Display for SendError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SendError::Connect(e) => write!(f, "connect: {e}"),
            SendError::Http(e) => write!(f, "{e}"),
            SendError::Timeout => write!(f, "timed out"),
        }
    }
}

/// One worker's way of sending requests.
pub enum Sender {
    Conn { addr: SocketAddr, host: HeaderValue, send: Option<SendRequest<Body>> },
    // Boxed: hyper-util's pooled client is several times the size of a connection.
    Pool { host: HeaderValue, client: Box<Client<HttpConnector, Body>> },
}

/// A pooled client for one load thread, shared by its workers.
pub fn pool(workers: usize) -> Client<HttpConnector, Body> {
    let mut http = HttpConnector::new();
    http.set_nodelay(true);
    Client::builder(TokioExecutor::new()).pool_max_idle_per_host(workers.max(1)).build(http)
}

impl Sender {
    pub fn new(target: &Target, pool: Option<&Client<HttpConnector, Body>>) -> Sender {
        match (target.kind, pool) {
            (ClientKind::Pool, Some(client)) => {
                Sender::Pool { host: target.host.clone(), client: Box::new(client.clone()) }
            }
            (ClientKind::Pool, None) => Sender::Pool { host: target.host.clone(), client: Box::new(self::pool(1)) },
            (ClientKind::Conn, _) => Sender::Conn { addr: target.addr, host: target.host.clone(), send: None },
        }
    }

    /// Opens the connection now (for `conn`), so that connecting is not measured.
    pub async fn connect(&mut self) -> Result<(), SendError> {
        match self {
            Sender::Conn { addr, send, .. } if send.as_ref().is_none_or(|s| s.is_closed()) => {
                *send = Some(open(*addr).await?);
                Ok(())
            }
            _ => Ok(()),
        }
    }

    /// Sends `p` and reads the whole answer; returns its status. The body is
    /// appended to `body` if `p.read_body`, and dropped otherwise.
    pub async fn send(&mut self, p: &Prepared, body: &mut Vec<u8>, timeout: Duration) -> Result<u16, SendError> {
        match tokio::time::timeout(timeout, self.send_inner(p, body)).await {
            Ok(r) => r,
            Err(_) => {
                // The connection is in an unknown state: drop it.
                if let Sender::Conn { send, .. } = self {
                    *send = None;
                }
                Err(SendError::Timeout)
            }
        }
    }

    async fn send_inner(&mut self, p: &Prepared, body: &mut Vec<u8>) -> Result<u16, SendError> {
        let resp = match self {
            Sender::Conn { addr, host, send } => {
                if send.as_ref().is_none_or(|s| s.is_closed()) {
                    *send = Some(open(*addr).await?);
                }
                let Some(s) = send.as_mut() else { unreachable!("connected above") };
                let result = match s.ready().await {
                    Ok(()) => s.send_request(build(host, p)).await,
                    Err(e) => Err(e),
                };
                match result {
                    Ok(r) => r,
                    Err(e) => {
                        *send = None;
                        return Err(SendError::Http(e.to_string()));
                    }
                }
            }
            Sender::Pool { host, client } => {
                client.request(build(host, p)).await.map_err(|e| SendError::Http(format!("{e:?}")))?
            }
        };
        let status = resp.status().as_u16();
        let mut incoming = resp.into_body();
        while let Some(frame) = incoming.frame().await {
            let frame = frame.map_err(|e| SendError::Http(e.to_string()))?;
            match frame.into_data() {
                Ok(data) if p.read_body => body.extend_from_slice(&data),
                _ => {}
            }
        }
        Ok(status)
    }
}

async fn open(addr: SocketAddr) -> Result<SendRequest<Body>, SendError> {
    let stream = TcpStream::connect(addr).await.map_err(SendError::Connect)?;
    let _ = stream.set_nodelay(true);
    let (send, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| SendError::Http(e.to_string()))?;
    // The connection's task ends when `send` is dropped or the server closes it.
    tokio::spawn(async move {
        let _ = conn.await;
    });
    Ok(send)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn target_parsing() {
        let t = Target::resolve("http://127.0.0.1:8080/", ClientKind::Conn).await.unwrap();
        assert_eq!(t.base, "http://127.0.0.1:8080");
        assert_eq!(t.addr, "127.0.0.1:8080".parse().unwrap());
        assert_eq!(t.uri("/api/v1/polls/1").to_string(), "/api/v1/polls/1");
        let p = t.with_kind(ClientKind::Pool);
        assert_eq!(p.uri("/api/v1/polls/1").to_string(), "http://127.0.0.1:8080/api/v1/polls/1");
        let prefixed = Target::resolve("http://127.0.0.1:9/social", ClientKind::Conn).await.unwrap();
        assert_eq!(prefixed.uri("/api/v1/instance").to_string(), "/social/api/v1/instance");
        assert!(Target::resolve("https://example.org", ClientKind::Conn).await.is_err());
        assert!(Target::resolve("127.0.0.1:8080", ClientKind::Conn).await.is_err());
    }
}
