//! The dashboard at `/ui/`, embedded in the binary at compile time (`rust-embed` over
//! `frontend/dist`), so any copy of the binary serves it from any working directory. Files are
//! answered with their content type, an `ETag` (their SHA-256) honoured by `If-None-Match`, and
//! cache headers: Vite's content-hashed `assets/` are immutable for a year, everything else is
//! revalidated. Compression is the HTTP server's (`Compress` middleware: gzip when asked).
//! Unknown paths under `/ui/` get `index.html` (the dashboard routes on the client side).
//!
//! When the dashboard was not built before the binary was compiled (no npm there), the build
//! still succeeds and `/ui/` answers a short page saying how to build it; the node logs one
//! warning at start. `http.ui_dir` points at a folder to serve instead (dashboard development).

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use rust_embed::RustEmbed;

/// The built dashboard (`frontend/dist`), as it was when the binary was compiled.
#[derive(RustEmbed)]
#[folder = "../frontend/dist"]
#[allow_missing = true]
struct Dashboard;

/// Returns whether the binary carries a built dashboard.
pub fn is_embedded() -> bool {
    Dashboard::get("index.html").is_some()
}

/// The page `/ui/` answers when the binary was compiled without a built dashboard.
pub const NOT_BUILT_PAGE: &str = r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>bitcoin_rust: dashboard not built</title></head>
<body style="font-family: sans-serif; max-width: 40em; margin: 3em auto; line-height: 1.5">
<h1>The dashboard was not built into this binary</h1>
<p>This node was compiled before the web dashboard was built, so it has no dashboard to serve.
The HTTP API works as usual (try <a href="/status">/status</a>).</p>
<p>To get the dashboard, build it, then compile the node again:</p>
<pre>cd frontend &amp;&amp; npm ci &amp;&amp; npm run build &amp;&amp; cd ..
cargo build --release -p bitcoin-rust-node</pre>
<p>Or serve a built dashboard from a folder with <code>http.ui_dir</code> in the configuration.</p>
</body></html>
"#;

/// Answers one request under `/ui/`.
pub async fn serve(req: HttpRequest) -> HttpResponse {
    let path = req.match_info().query("path").trim_start_matches('/');
    let path = if path.is_empty() { "index.html" } else { path };
    if !is_embedded() {
        return HttpResponse::Ok()
            .content_type("text/html; charset=utf-8")
            .insert_header((header::CACHE_CONTROL, "no-cache"))
            .body(NOT_BUILT_PAGE);
    }
    let (name, file) = match Dashboard::get(path) {
        Some(file) => (path, file),
        None => match Dashboard::get("index.html") {
            Some(file) => ("index.html", file),
            None => return HttpResponse::NotFound().finish(),
        },
    };
    let etag = format!("\"{}\"", hex::encode(file.metadata.sha256_hash()));
    let cache = if name.starts_with("assets/") { "public, max-age=31536000, immutable" } else { "no-cache" };
    let matches = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|tag| tag.trim() == etag || tag.trim() == "*"));
    if matches {
        return HttpResponse::NotModified()
            .insert_header((header::ETAG, etag))
            .insert_header((header::CACHE_CONTROL, cache))
            .finish();
    }
    HttpResponse::Ok()
        .content_type(file.metadata.mimetype())
        .insert_header((header::ETAG, etag))
        .insert_header((header::CACHE_CONTROL, cache))
        .body(file.data.into_owned())
}

/// Adds `/ui/` (embedded) and the redirect from `/` to it.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/ui", web::get().to(|| async { redirect("/ui/") }))
        .route("/ui/{path:.*}", web::get().to(serve))
        .route("/", web::get().to(|| async { redirect("/ui/") }));
}

/// Answers `302 Found` to `to` (the dashboard's entry from `/`, whichever dashboard is served).
pub fn redirect(to: &'static str) -> HttpResponse {
    HttpResponse::Found().insert_header((header::LOCATION, to)).finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::{test, App};

    #[actix_web::test]
    async fn the_dashboard_or_the_how_to_build_page_is_served_with_cache_headers() {
        let app = test::init_service(App::new().configure(routes)).await;
        let res = test::call_service(&app, test::TestRequest::get().uri("/ui/").to_request()).await;
        assert_eq!(res.status(), 200);
        let html = String::from_utf8(test::read_body(res).await.to_vec()).unwrap();
        if !is_embedded() {
            assert!(html.contains("npm run build"), "{html}");
            return;
        }
        assert!(html.contains("<div id=\"root\"") || html.contains("<script"), "the built index.html");
        // A client-side route falls back to index.html; the ETag revalidates.
        let res = test::call_service(&app, test::TestRequest::get().uri("/ui/network").to_request()).await;
        assert_eq!(res.status(), 200);
        let etag = res.headers().get(header::ETAG).unwrap().to_str().unwrap().to_string();
        assert_eq!(res.headers().get(header::CACHE_CONTROL).unwrap(), "no-cache");
        let res = test::call_service(
            &app,
            test::TestRequest::get().uri("/ui/").insert_header((header::IF_NONE_MATCH, etag.as_str())).to_request(),
        )
        .await;
        assert_eq!(res.status(), 304);
        // Hashed assets are immutable and typed.
        let asset = Dashboard::iter().find(|f| f.starts_with("assets/") && f.ends_with(".js"));
        if let Some(asset) = asset {
            let res =
                test::call_service(&app, test::TestRequest::get().uri(&format!("/ui/{asset}")).to_request()).await;
            assert_eq!(res.status(), 200);
            assert!(res.headers().get(header::CACHE_CONTROL).unwrap().to_str().unwrap().contains("immutable"));
            assert!(res.headers().get(header::CONTENT_TYPE).unwrap().to_str().unwrap().contains("javascript"));
        }
    }
}
