//! The HTTP demos: `hps http-server --root DIR` (static files, HEAD, keep-alive, directory
//! listings, 404; one log line per request) and `hps http-client URL` (prints the status,
//! headers and body of one request). The file serving ([`Files`]) works on any HTTP server
//! component: `hps ws-server --root` uses it too.

use std::path::{Component as PathPart, Path, PathBuf};
use std::process::ExitCode;

use clap::Args;
use hpsocket::*;
use tracing::info;

use crate::certs::Res;

#[derive(Args)]
pub struct HttpServerArgs {
    /// Directory to serve.
    #[arg(long, default_value = ".")]
    root: PathBuf,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    addr: String,
    /// Port (0: any free port; the chosen one is printed).
    #[arg(long, default_value_t = 8080)]
    port: u16,
    /// Worker threads (default: one per CPU).
    #[arg(long)]
    workers: Option<u32>,
    /// Stop after this many seconds (0: run until killed).
    #[arg(long, default_value_t = 0.0)]
    seconds: f64,
}

/// The content type of a file, by its extension.
fn content_type(p: &Path) -> &'static str {
    match p
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        Some("html" | "htm") => "text/html; charset=utf-8",
        Some("txt" | "md" | "rs" | "toml") => "text/plain; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("js" | "mjs") => "text/javascript; charset=utf-8",
        Some("json") => "application/json",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("jpg" | "jpeg") => "image/jpeg",
        Some("gif") => "image/gif",
        Some("ico") => "image/x-icon",
        Some("wasm") => "application/wasm",
        Some("pdf") => "application/pdf",
        _ => "application/octet-stream",
    }
}

/// Decodes `%XX` escapes of a URL path; `None` when they do not make UTF-8.
fn percent_decode(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hex = std::str::from_utf8(b.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// The file a URL path names under `root`, refusing anything that leaves it (`..`, absolute
/// parts); `None` for such paths.
fn resolve(root: &Path, url_path: &str) -> Option<PathBuf> {
    let decoded = percent_decode(url_path)?;
    let mut p = root.to_path_buf();
    for part in Path::new(decoded.trim_start_matches('/')).components() {
        match part {
            PathPart::Normal(n) => p.push(n),
            PathPart::CurDir => {}
            _ => return None,
        }
    }
    Some(p)
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn listing(dir: &Path, url_path: &str) -> std::io::Result<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok())
        .map(|e| {
            let mut n = e.file_name().to_string_lossy().into_owned();
            if e.path().is_dir() {
                n.push('/');
            }
            n
        })
        .collect();
    names.sort();
    let base = if url_path.ends_with('/') {
        url_path.to_string()
    } else {
        format!("{url_path}/")
    };
    let mut html = format!(
        "<!doctype html><meta charset=utf-8><title>{0}</title><h1>Index of {0}</h1><ul>",
        html_escape(&base)
    );
    for n in names {
        html.push_str(&format!(
            "<li><a href=\"{0}{1}\">{1}</a></li>",
            html_escape(&base),
            html_escape(&n)
        ));
    }
    html.push_str("</ul>");
    Ok(html)
}

/// Static files under a root directory: what `hps http-server` serves, and `hps ws-server
/// --root` beside its WebSockets (any HTTP server component: `HttpServer`, `WsServer`, their
/// TLS variants).
pub(crate) struct Files {
    root: PathBuf,
}

/// Sends a whole in-memory response to the request `m` (a HEAD gets the head only); returns
/// the status sent.
pub(crate) fn send_bytes<M: HttpModel, T: Transport>(
    s: &Server<M, T>,
    id: ConnId,
    m: &HttpMessage,
    status: u16,
    ctype: &str,
    body: &[u8],
) -> Result<u16> {
    let len = body.len().to_string();
    let headers = [("Content-Type", ctype), ("Content-Length", len.as_str())];
    let body = if m.method() == "HEAD" { b"" } else { body };
    s.send_response(id, status, None, &headers, body)
        .map(|_| status)
}

/// The listener's verdict on an answered request, with one log line for it (`peer method
/// url -> status`).
pub(crate) fn logged<M: HttpModel, T: Transport>(
    s: &Server<M, T>,
    id: ConnId,
    m: &HttpMessage,
    answer: Result<u16>,
) -> ParseResult {
    match answer {
        Ok(status) => {
            info!(
                "{} {} {} -> {status}",
                s.remote_address(id)
                    .map(|p| p.to_string())
                    .unwrap_or_default(),
                m.method(),
                m.url()
            );
            ParseResult::Ok
        }
        Err(e) => {
            info!("{} {}: answer failed: {e}", m.method(), m.url());
            ParseResult::Error
        }
    }
}

/// Logs a request the server could not parse (it has answered it already).
pub(crate) fn log_parse_error<M: HttpModel, T: Transport>(
    s: &Server<M, T>,
    id: ConnId,
    e: &HttpParseError,
) {
    info!(
        "{}: bad request ({e}, status {:?})",
        s.remote_address(id)
            .map(|p| p.to_string())
            .unwrap_or_default(),
        e.status()
    );
}

impl Files {
    /// Serves `root` (which must exist).
    pub(crate) fn new(root: &Path) -> std::io::Result<Files> {
        Ok(Files {
            root: root.canonicalize()?,
        })
    }

    pub(crate) fn root(&self) -> &Path {
        &self.root
    }

    /// Whether the URL path names a directory with an `index.html`.
    pub(crate) fn has_index(&self, url_path: &str) -> bool {
        resolve(&self.root, url_path).is_some_and(|d| d.join("index.html").is_file())
    }

    /// Answers a GET or HEAD for a file (`sendfile`), a directory (its `index.html`, else a
    /// listing), or with 404 / 403 / 405 / 400 / 413; returns the status sent.
    pub(crate) fn answer<M: HttpModel, T: Transport>(
        &self,
        s: &Server<M, T>,
        id: ConnId,
        m: &HttpMessage,
    ) -> Result<u16> {
        let head = m.method() == "HEAD";
        let path = m.url_field(UrlField::Path).unwrap_or("/").to_string();
        let send =
            |status: u16, ctype: &str, body: &[u8]| send_bytes(s, id, m, status, ctype, body);
        if m.method() != "GET" && !head {
            return send(405, "text/plain; charset=utf-8", b"method not allowed\n");
        }
        let Some(file) = resolve(&self.root, &path) else {
            return send(400, "text/plain; charset=utf-8", b"bad path\n");
        };
        if file.is_dir() {
            let index = file.join("index.html");
            if index.is_file() {
                return match std::fs::read(&index) {
                    Ok(b) => send(200, content_type(&index), &b),
                    Err(_) => send(403, "text/plain; charset=utf-8", b"forbidden\n"),
                };
            }
            return match listing(&file, &path) {
                Ok(html) => send(200, "text/html; charset=utf-8", html.as_bytes()),
                Err(_) => send(403, "text/plain; charset=utf-8", b"forbidden\n"),
            };
        }
        match std::fs::metadata(&file) {
            Ok(md) if md.len() > MAX_LOCAL_FILE => send(
                413,
                "text/plain; charset=utf-8",
                b"file too large for this demo\n",
            ),
            Ok(md) if head => {
                let len = md.len().to_string();
                let headers = [
                    ("Content-Type", content_type(&file)),
                    ("Content-Length", &len),
                ];
                s.send_response(id, 200, None, &headers, b"").map(|_| 200)
            }
            // From the page cache to the socket (`sendfile`): no copy through this process.
            Ok(_) => match s.send_local_file(
                id,
                &file,
                200,
                None,
                &[("Content-Type", content_type(&file))],
            ) {
                Ok(()) => Ok(200),
                Err(Error::Io(_)) => send(403, "text/plain; charset=utf-8", b"forbidden\n"),
                Err(e) => Err(e),
            },
            Err(_) => send(404, "text/plain; charset=utf-8", b"not found\n"),
        }
    }
}

impl ServerListener<HttpServer> for Files {
    fn on_message_complete(&self, s: &HttpServer, id: ConnId, m: &HttpMessage) -> ParseResult {
        logged(s, id, m, self.answer(s, id, m))
    }

    /// No `on_send`: files go out with `sendfile`, uncopied.
    fn wants_send_events(&self) -> bool {
        false
    }

    fn on_parse_error(&self, s: &HttpServer, id: ConnId, _m: &HttpMessage, e: &HttpParseError) {
        log_parse_error(s, id, e);
    }
}

pub fn server(a: &HttpServerArgs) -> Res<ExitCode> {
    let files = Files::new(&a.root)?;
    let root = files.root().to_path_buf();
    let s = HttpServer::new(files);
    if let Some(w) = a.workers {
        s.set_worker_thread_count(w)?;
    }
    s.start(&a.addr, a.port)?;
    let banner = format!(
        "hps HTTP server on http://{}/ serving {}\n",
        s.listen_address()?,
        root.display()
    );
    crate::announce_and_serve(&banner, a.seconds, |t| s.wait(t), || s.stop())
}

#[derive(Args)]
pub struct HttpClientArgs {
    /// URL to request (`http://host[:port]/path`).
    url: String,
    /// Method.
    #[arg(long, short = 'X', default_value = "GET")]
    method: String,
    /// Request body.
    #[arg(long, short = 'd')]
    data: Option<String>,
    /// Extra header fields, `Name: value` (repeatable).
    #[arg(long = "header", short = 'H')]
    headers: Vec<String>,
    /// Give up after this many seconds.
    #[arg(long, default_value_t = 10.0)]
    timeout: f64,
}

pub fn client(a: &HttpClientArgs) -> Res<ExitCode> {
    if Url::parse(&a.url).is_none_or(|u| u.secure) {
        eprintln!("hps http-client: not an http:// URL: {}", a.url);
        return Ok(ExitCode::from(2));
    }
    let c = HttpSyncClient::new();
    let ms = (a.timeout * 1000.0).clamp(1.0, u32::MAX as f64) as u32;
    c.set_connect_timeout(ms)?;
    c.set_request_timeout(ms)?;
    let extra: Vec<(String, String)> = a
        .headers
        .iter()
        .filter_map(|h| h.split_once(':'))
        .map(|(n, v)| (n.trim().to_string(), v.trim().to_string()))
        .collect();
    let headers: Vec<Header<'_>> = extra
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    let body = a.data.as_deref().unwrap_or("").as_bytes();
    let r = c.open_url(&a.method, &a.url, &headers, body, false);
    let _ = c.stop();
    if let Err(e) = r {
        eprintln!("hps http-client: {e}");
        return Ok(ExitCode::from(1));
    }
    let g = c.response();
    println!("{} {}", g.status, g.reason);
    for (n, v) in &g.headers {
        println!("{n}: {}", String::from_utf8_lossy(v));
    }
    println!();
    use std::io::Write;
    std::io::stdout().write_all(&g.body)?;
    Ok(if g.status < 400 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
