//! (A copy of carbonext-bench/tests/common/token_proxy.rs: this crate has no axum and no
//! dependency on the bench crate.)
//!
//! A recording proxy in front of the sandbox's token endpoint, so a test knows every access
//! token a client was issued (the sandbox keeps them private). Plain tokio and reqwest, one
//! HTTP/1.1 request per connection (`Connection: close`).
//!
//! Modes ([`TokenProxy::set_mode`]): forward as is; forward and then revoke every token (the
//! one just issued included) once, so the client's first API call gets 401 and it must
//! refresh; or answer a bogus token the API will refuse (a persistent 401).

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// What the proxy does with the next token requests.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Forward to the sandbox.
    Forward,
    /// Forward, then revoke all tokens once (and switch back to `Forward`).
    RevokeAfterNextIssue,
    /// Answer 200 with a fresh bogus token the sandbox does not know.
    Bogus,
}

#[derive(Default)]
struct Shared {
    tokens: Vec<String>,
    mode: Option<Mode>,
    bogus_count: u32,
}

/// The running proxy.
#[derive(Clone)]
pub struct TokenProxy {
    addr: SocketAddr,
    shared: Arc<Mutex<Shared>>,
}

impl TokenProxy {
    /// Listens on 127.0.0.1 and forwards to `token_url`; `revoke` revokes every token.
    pub async fn start(token_url: String, revoke: impl Fn() + Send + Sync + 'static) -> Self {
        let listener = TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)))
            .await
            .expect("bind 127.0.0.1");
        let addr = listener.local_addr().expect("address");
        let shared = Arc::new(Mutex::new(Shared::default()));
        let http = reqwest::Client::new();
        let revoke = Arc::new(revoke);
        let state = Arc::clone(&shared);
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let (state, http, url, revoke) = (
                    Arc::clone(&state),
                    http.clone(),
                    token_url.clone(),
                    Arc::clone(&revoke),
                );
                tokio::spawn(async move {
                    let _ = serve(stream, state, http, url, move || revoke()).await;
                });
            }
        });
        Self { addr, shared }
    }

    /// The token URL to give the client.
    pub fn url(&self) -> String {
        format!("http://{}/token", self.addr)
    }

    /// Changes what the next token requests get.
    pub fn set_mode(&self, mode: Mode) {
        self.shared.lock().unwrap().mode = Some(mode);
    }

    /// Every access token handed out so far.
    pub fn tokens(&self) -> Vec<String> {
        self.shared.lock().unwrap().tokens.clone()
    }
}

async fn serve(
    mut stream: TcpStream,
    state: Arc<Mutex<Shared>>,
    http: reqwest::Client,
    url: String,
    revoke: impl Fn(),
) -> std::io::Result<()> {
    let (headers, body) = read_request(&mut stream).await?;
    let mode = state.lock().unwrap().mode.unwrap_or(Mode::Forward);
    let (status, answer) = if mode == Mode::Bogus {
        let n = {
            let mut s = state.lock().unwrap();
            s.bogus_count += 1;
            s.bogus_count
        };
        let token = format!("bogusTokenNumber{n}xYz7Qw3");
        let body = serde_json::json!({
            "access_token": token,
            "expires_in": 300,
            "token_type": "Bearer",
        });
        (200, body.to_string().into_bytes())
    } else {
        let mut request = http.post(&url).body(body);
        for (name, value) in &headers {
            if name == "content-type" || name == "authorization" {
                request = request.header(name.as_str(), value.as_str());
            }
        }
        match request.send().await {
            Ok(response) => {
                let status = response.status().as_u16();
                (status, response.bytes().await.unwrap_or_default().to_vec())
            }
            Err(_) => (502, b"{}".to_vec()),
        }
    };
    if let Ok(json) = serde_json::from_slice::<serde_json::Value>(&answer) {
        if let Some(token) = json["access_token"].as_str() {
            let mut s = state.lock().unwrap();
            s.tokens.push(token.to_owned());
            if s.mode == Some(Mode::RevokeAfterNextIssue) {
                s.mode = Some(Mode::Forward);
                drop(s);
                revoke();
            }
        }
    }
    let head = format!(
        "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\
         cache-control: no-store\r\nconnection: close\r\n\r\n",
        answer.len()
    );
    stream.write_all(head.as_bytes()).await?;
    stream.write_all(&answer).await?;
    stream.shutdown().await
}

/// Reads one request: lower-cased headers and the body (by `content-length`).
async fn read_request(stream: &mut TcpStream) -> std::io::Result<(Vec<(String, String)>, Vec<u8>)> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let end = loop {
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
    };
    let head = String::from_utf8_lossy(&buf[..end]).into_owned();
    let headers: Vec<(String, String)> = head
        .lines()
        .skip(1)
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let length = headers
        .iter()
        .find(|(k, _)| k == "content-length")
        .and_then(|(_, v)| v.parse::<usize>().ok())
        .unwrap_or(0);
    let mut body = buf[end..].to_vec();
    while body.len() < length {
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            break;
        }
        body.extend_from_slice(&chunk[..n]);
    }
    Ok((headers, body))
}
