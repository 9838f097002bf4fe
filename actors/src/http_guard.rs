//! The HTTP guard: the one place that decides whether a request may change the node's state
//! from a browser, and the closed label sets the request metrics and logs use.
//!
//! A web page on a foreign origin can make a browser send requests to the node (forms, image
//! tags, `fetch` without CORS). Every call that acts — any method other than GET, HEAD and
//! OPTIONS, plus the first prototype's acting GETs ([`ACTING_GETS`]) and the dashboard's
//! `/events` WebSocket — is therefore refused with 403 `cross_site_refused` when:
//!
//! - it carries an `Origin` header that [`OriginPolicy`] does not allow (the node's own names and
//!   the configured CORS origins), or
//! - it carries no `Origin` but `Sec-Fetch-Site: cross-site` (a GET from an image tag or link on
//!   another site; browsers send `Origin` with every POST and WebSocket handshake).
//!
//! A request without `Origin` and without `Sec-Fetch-Site: cross-site` (curl, scripts, other
//! programs) passes: for those, `http.auth_token` is the guard. A body of a state-changing call
//! must be JSON (`Content-Type: application/json`) or empty, else 415 `unsupported_media_type`:
//! the content types an HTML form can send without asking (`text/plain`, form encodings) never
//! reach a handler.

use crate::api_error::ApiError;
use crate::config::{is_loopback_host, NodeConfig};
use actix_web::dev::ServiceRequest;
use actix_web::http::header::{self, HeaderMap};
use actix_web::http::{Method, StatusCode, Uri};
use std::borrow::Cow;
use std::cell::RefCell;
use std::collections::HashSet;
use std::rc::Rc;

/// GET routes of the first prototype that change state (or, for `/events`, hand the page a live
/// feed): guarded like POSTs.
pub const ACTING_GETS: [&str; 4] = ["/startmining", "/stopmining", "/mine-transactions", "/events"];

/// The longest method a log line shows.
pub const LOG_METHOD_CHARS: usize = 16;
/// The longest path (with its query) a log line shows.
pub const LOG_PATH_CHARS: usize = 256;

/// Why the guard refused a request.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GuardError {
    /// A state-changing call from a web page on an origin the node does not trust.
    #[error("a state-changing call from the web origin {origin} is refused: only this node's own origins and http.cors_origins may make it")]
    ForeignOrigin {
        /// The origin sent (shortened).
        origin: String,
    },
    /// A state-changing call a browser marked as coming from another site.
    #[error("a cross-site request (Sec-Fetch-Site: cross-site) may not change this node's state")]
    CrossSite,
    /// A body that is not JSON.
    #[error("send the body as Content-Type: application/json (got {content_type})")]
    NotJson {
        /// The content type sent (shortened), or `none`.
        content_type: String,
    },
}

impl From<GuardError> for ApiError {
    fn from(e: GuardError) -> ApiError {
        match e {
            GuardError::ForeignOrigin { .. } | GuardError::CrossSite => {
                ApiError::new(StatusCode::FORBIDDEN, "cross_site_refused", e.to_string())
            }
            GuardError::NotJson { .. } => {
                ApiError::new(StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type", e.to_string())
            }
        }
    }
}

/// The web origins this node trusts, for CORS and for state-changing calls alike: loopback
/// origins (`http://localhost:*`, `http://127.x.x.x:*`, `http://[::1]:*`: the dashboard served at
/// `/ui/` and the dev server), the origin of `http.advertise_url`, origins whose host is one of
/// `http.allowed_hosts`, and every origin of `http.cors_origins` (`"*"` trusts any).
#[derive(Debug, Clone, Default)]
pub struct OriginPolicy {
    any: bool,
    origins: Vec<String>,
    hosts: Vec<String>,
}

/// Returns `scheme://authority` of an absolute URL, lower-cased (no path), if it has one.
fn origin_of(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    (!scheme.is_empty() && !authority.is_empty())
        .then(|| format!("{}://{}", scheme.to_ascii_lowercase(), authority.to_ascii_lowercase()))
}

impl OriginPolicy {
    /// The origins `config` trusts.
    pub fn new(config: &NodeConfig) -> OriginPolicy {
        let http = &config.http;
        let mut origins: Vec<String> = http
            .cors_origins
            .iter()
            .filter(|o| *o != "*")
            .map(|o| o.trim_end_matches('/').to_ascii_lowercase())
            .collect();
        origins.extend(origin_of(&http.advertise_url));
        OriginPolicy {
            any: http.cors_origins.iter().any(|o| o == "*"),
            origins,
            hosts: http.allowed_hosts.iter().map(|h| h.to_ascii_lowercase()).collect(),
        }
    }

    /// True when a page on `origin` (an `Origin` header's value) may use the API.
    pub fn allows(&self, origin: &[u8]) -> bool {
        if self.any {
            return true;
        }
        let Ok(origin) = std::str::from_utf8(origin) else { return false };
        let origin = origin.to_ascii_lowercase();
        let Some(authority) = origin.strip_prefix("http://").or_else(|| origin.strip_prefix("https://")) else {
            return false;
        };
        if authority.is_empty() || authority.contains(['/', '?', '#', '@']) {
            return false;
        }
        if is_loopback_host(authority) || self.origins.contains(&origin) {
            return true;
        }
        let name = match authority.rsplit_once(':') {
            Some((h, port)) if !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit()) => h,
            _ => authority,
        };
        self.hosts.iter().any(|h| h == authority || h == name)
    }
}

/// True when the request acts (see the module documentation).
fn acts(method: &Method, path: &str) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS) || ACTING_GETS.contains(&path)
}

fn body_is_empty(headers: &HeaderMap) -> bool {
    if headers.contains_key(header::TRANSFER_ENCODING) {
        return false;
    }
    headers.get(header::CONTENT_LENGTH).is_none_or(|v| v.as_bytes().iter().all(|b| *b == b'0'))
}

fn is_json(content_type: &[u8]) -> bool {
    let media = content_type.split(|b| *b == b';').next().unwrap_or_default();
    media.trim_ascii().eq_ignore_ascii_case(b"application/json")
}

/// Checks a request against the rules of the module documentation.
///
/// # Errors
/// [`GuardError`] naming the rule the request breaks.
pub fn check(method: &Method, path: &str, headers: &HeaderMap, policy: &OriginPolicy) -> Result<(), GuardError> {
    if !acts(method, path) {
        return Ok(());
    }
    let mut origins = headers.get_all(header::ORIGIN).peekable();
    if origins.peek().is_some() {
        for origin in origins {
            if !policy.allows(origin.as_bytes()) {
                let shown = String::from_utf8_lossy(origin.as_bytes());
                return Err(GuardError::ForeignOrigin { origin: truncated(&shown, 100).into_owned() });
            }
        }
    } else if headers
        .get_all(header::HeaderName::from_static("sec-fetch-site"))
        .any(|v| v.as_bytes().trim_ascii().eq_ignore_ascii_case(b"cross-site"))
    {
        return Err(GuardError::CrossSite);
    }
    if matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS) || body_is_empty(headers) {
        return Ok(());
    }
    match headers.get(header::CONTENT_TYPE) {
        Some(ct) if is_json(ct.as_bytes()) => Ok(()),
        Some(ct) => Err(GuardError::NotJson {
            content_type: truncated(&String::from_utf8_lossy(ct.as_bytes()), 100).into_owned(),
        }),
        None => Err(GuardError::NotJson { content_type: "none".into() }),
    }
}

/// [`check`] for a request in a middleware.
///
/// # Errors
/// The refusal as the API's JSON error.
pub fn check_request(req: &ServiceRequest, policy: &OriginPolicy) -> Result<(), ApiError> {
    // The path as the router matches it (percent-encoded unreserved characters decoded), not the
    // raw one: `GET /start%6Dining` reaches `/startmining` and must be guarded like it.
    check(req.method(), req.match_info().as_str(), req.headers(), policy).map_err(ApiError::from)
}

/// The metrics label of a method: the standard methods by name, anything else `other` (a label
/// set an attacker cannot grow).
pub fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::PATCH => "PATCH",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        Method::CONNECT => "CONNECT",
        Method::TRACE => "TRACE",
        _ => "other",
    }
}

/// `text` cut to at most `max` bytes (at a character boundary) with an ellipsis when longer.
pub fn truncated(text: &str, max: usize) -> Cow<'_, str> {
    if text.len() <= max {
        return Cow::Borrowed(text);
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    Cow::Owned(format!("{}…", &text[..end]))
}

/// The status a request was answered with: its response's, or its error's.
pub fn status_of<B>(res: &Result<actix_web::dev::ServiceResponse<B>, actix_web::Error>) -> u16 {
    match res {
        Ok(r) => r.status().as_u16(),
        Err(e) => e.as_response_error().status_code().as_u16(),
    }
}

/// A request's method and path, kept for its log line once it is answered. Displayed
/// truncated ([`LOG_METHOD_CHARS`], [`LOG_PATH_CHARS`]), so a client cannot make a log line long.
pub struct RequestLine {
    method: Method,
    uri: Uri,
}

impl RequestLine {
    /// The line of `req` (cheap: the method and a shared handle on the URI).
    pub fn of(req: &ServiceRequest) -> RequestLine {
        RequestLine { method: req.method().clone(), uri: req.uri().clone() }
    }

    /// Logs the request with its status and time, under the target `bitcoin_rust_node::http`:
    /// a server error at `warn`, a refusal (4xx) at `info`, an answered request at `debug`
    /// (`RUST_LOG=bitcoin_rust_node::http=debug` shows every request). A line per answered
    /// request at `info` cost about 5% of the CPU of each `POST /transactions`, and a busy node
    /// has `/metrics` for its request counts.
    pub fn log(&self, status: u16, seconds: f64) {
        let ms = seconds * 1000.0;
        if status >= 500 {
            tracing::warn!(target: "bitcoin_rust_node::http", "{self} {status} {ms:.3}ms");
        } else if status >= 400 {
            tracing::info!(target: "bitcoin_rust_node::http", "{self} {status} {ms:.3}ms");
        } else {
            tracing::debug!(target: "bitcoin_rust_node::http", "{self} {status} {ms:.3}ms");
        }
    }
}

impl std::fmt::Display for RequestLine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let path = self.uri.path_and_query().map_or("/", |p| p.as_str());
        write!(f, "{} {}", truncated(self.method.as_str(), LOG_METHOD_CHARS), truncated(path, LOG_PATH_CHARS))
    }
}

/// The route labels of the request metrics: the pattern of the route a request matched
/// (`/blocks/{id}`), or `unmatched`. Finding it tries the routes' patterns (regular expressions)
/// in turn; a path that is a fixed route of its own (`/transactions`, `/status`: the pattern is
/// the path itself) is remembered, so the busiest routes cost one set look-up. Only such paths
/// are remembered, so the set holds at most one entry per fixed route, whatever paths clients
/// send. One per HTTP worker (it is not shared between threads).
#[derive(Clone, Default)]
pub struct RouteLabels(Rc<RefCell<HashSet<String>>>);

impl RouteLabels {
    /// The label of `req`'s route.
    pub fn label(&self, req: &ServiceRequest) -> String {
        let path = req.path();
        if self.0.borrow().contains(path) {
            return path.to_string();
        }
        match req.match_pattern() {
            Some(pattern) => {
                if pattern == path {
                    self.0.borrow_mut().insert(pattern.clone());
                }
                pattern
            }
            None => "unmatched".into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::http::header::HeaderValue;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(header::HeaderName::from_static(k), HeaderValue::from_str(v).expect("header value"));
        }
        h
    }

    fn policy(cors: &[&str], hosts: &[&str], advertise: &str) -> OriginPolicy {
        let mut c = NodeConfig::default();
        c.http.cors_origins = cors.iter().map(|s| s.to_string()).collect();
        c.http.allowed_hosts = hosts.iter().map(|s| s.to_string()).collect();
        c.http.advertise_url = advertise.into();
        OriginPolicy::new(&c)
    }

    #[test]
    fn the_policy_trusts_loopback_own_names_and_configured_origins_only() {
        let p = policy(&["https://dash.example"], &["node1"], "http://node.example:3001/");
        for ok in [
            "http://localhost:5173",
            "http://127.0.0.1:3001",
            "http://[::1]:3001",
            "https://dash.example",
            "HTTPS://Dash.Example",
            "http://node.example:3001",
            "http://node1:3001",
            "http://node1",
        ] {
            assert!(p.allows(ok.as_bytes()), "{ok}");
        }
        for bad in [
            "http://evil.example",
            "null",
            "https://dash.example.evil",
            "http://node.example:3002",
            "http://localhost.evil.example",
            "file://",
            "http://node1@evil.example",
        ] {
            assert!(!p.allows(bad.as_bytes()), "{bad}");
        }
        assert!(policy(&["*"], &[], "").allows(b"http://evil.example"));
    }

    #[test]
    fn acting_calls_from_foreign_origins_or_other_sites_are_refused() {
        let p = policy(&[], &[], "");
        let json = ("content-type", "application/json");
        let len = ("content-length", "2");
        let evil = ("origin", "http://evil.example");
        // Reads pass whatever their origin.
        assert_eq!(check(&Method::GET, "/status", &headers(&[evil]), &p), Ok(()));
        for (method, path) in [
            (Method::POST, "/mine"),
            (Method::POST, "/transact"),
            (Method::GET, "/startmining"),
            (Method::GET, "/stopmining"),
            (Method::GET, "/mine-transactions"),
            (Method::GET, "/events"),
            (Method::DELETE, "/anything"),
        ] {
            let refused = check(&method, path, &headers(&[evil, json, len]), &p);
            assert!(matches!(refused, Err(GuardError::ForeignOrigin { .. })), "{method} {path}: {refused:?}");
            let refused = check(&method, path, &headers(&[("sec-fetch-site", "cross-site"), json, len]), &p);
            assert_eq!(refused, Err(GuardError::CrossSite), "{method} {path}");
            // curl, the node's own dashboard, a same-site page.
            assert_eq!(check(&method, path, &headers(&[json, len]), &p), Ok(()));
            let own = [("origin", "http://127.0.0.1:3001"), ("sec-fetch-site", "same-origin"), json, len];
            assert_eq!(check(&method, path, &headers(&own), &p), Ok(()));
        }
        // Two Origin headers: each must be trusted.
        let two = headers(&[("origin", "http://localhost:1"), evil]);
        assert!(check(&Method::POST, "/mine", &two, &p).is_err());
        assert_eq!(ApiError::from(GuardError::CrossSite).status, StatusCode::FORBIDDEN);
    }

    #[test]
    fn an_encoded_path_is_guarded_like_the_route_it_reaches() {
        use actix_web::test::TestRequest;
        let p = policy(&[], &[], "");
        for uri in ["/start%6Dining", "/%73topmining", "/mine-transactions", "/%65vents"] {
            let req = TestRequest::with_uri(uri).insert_header(("sec-fetch-site", "cross-site")).to_srv_request();
            let refused = check_request(&req, &p).expect_err(uri);
            assert_eq!(refused.code, "cross_site_refused", "{uri}");
        }
        let req = TestRequest::with_uri("/st%61tus").insert_header(("sec-fetch-site", "cross-site")).to_srv_request();
        assert!(check_request(&req, &p).is_ok());
    }

    #[test]
    fn bodies_must_be_json_or_empty() {
        let p = policy(&[], &[], "");
        let post = |h: &[(&'static str, &str)]| check(&Method::POST, "/mine", &headers(h), &p);
        assert_eq!(post(&[]), Ok(()));
        assert_eq!(post(&[("content-type", "text/plain"), ("content-length", "0")]), Ok(()));
        assert_eq!(post(&[("content-type", "application/json; charset=utf-8"), ("content-length", "9")]), Ok(()));
        assert_eq!(post(&[("content-type", "Application/JSON"), ("transfer-encoding", "chunked")]), Ok(()));
        for ct in ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"] {
            let refused = post(&[("content-type", ct), ("content-length", "9")]);
            assert!(matches!(refused, Err(GuardError::NotJson { .. })), "{ct}");
        }
        assert!(matches!(post(&[("content-length", "9")]), Err(GuardError::NotJson { .. })));
        let e = ApiError::from(GuardError::NotJson { content_type: "text/plain".into() });
        assert_eq!((e.status, e.code.as_str()), (StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type"));
    }

    #[test]
    fn labels_and_log_lines_come_from_closed_or_bounded_sets() {
        assert_eq!(method_label(&Method::GET), "GET");
        assert_eq!(method_label(&Method::PATCH), "PATCH");
        let odd = Method::from_bytes("X".repeat(4000).as_bytes()).expect("a token");
        assert_eq!(method_label(&odd), "other");
        assert_eq!(truncated("short", 16), "short");
        let text = "é".repeat(100);
        assert_eq!(truncated(&text, 7), "ééé…");
    }
}
