//! What every response carries (SPEC §6): compression when the client takes
//! it, and security headers — a content security policy that allows only this
//! site and the two inline scripts (the questionnaire's skip logic, the kiosk's reset), no framing, no
//! referrer (links carry tokens), no sniffing, and `no-store` on staff pages.

use axum::Router;
use axum::extract::Request;
use axum::http::{HeaderName, HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;
use base64::Engine;
use sha2::{Digest, Sha256};
use std::sync::OnceLock;
use tower_http::compression::CompressionLayer;

/// The policy: scripts only by hash (the questionnaire's skip logic), styles
/// inline (every page carries its own), images and forms from this site.
fn policy() -> &'static HeaderValue {
    static POLICY: OnceLock<HeaderValue> = OnceLock::new();
    POLICY.get_or_init(|| {
        let hash = |s: &str| base64::engine::general_purpose::STANDARD.encode(Sha256::digest(s));
        let (skip, reset) = (hash(crate::views::form::SKIP_SCRIPT), hash(crate::views::RESET_SCRIPT));
        let text = format!(
            "default-src 'none'; script-src 'sha256-{skip}' 'sha256-{reset}'; style-src 'unsafe-inline'; img-src 'self' data:; \
             form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
        );
        HeaderValue::from_str(&text).unwrap_or_else(|_| HeaderValue::from_static("default-src 'self'"))
    })
}

/// The offline app's policy: its own script, style, manifest and worker,
/// requests to this site only (the pack, the sync), nothing inline.
const APP_POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; manifest-src 'self'; \
     worker-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// Pages whose content is for staff only: never kept by a browser or proxy.
fn is_staff(path: &str) -> bool {
    ["/admin", "/enumerator", "/reports", "/api/", "/login", "/d/"].iter().any(|p| path.starts_with(p))
}

async fn security_headers(req: Request, next: Next) -> Response {
    let staff = is_staff(req.uri().path());
    let app = req.uri().path().starts_with("/app/");
    let mut resp = next.run(req).await;
    let h = resp.headers_mut();
    let csp = if app { HeaderValue::from_static(APP_POLICY) } else { policy().clone() };
    h.insert(header::CONTENT_SECURITY_POLICY, csp);
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(HeaderName::from_static("x-frame-options"), HeaderValue::from_static("DENY"));
    if staff {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    resp
}

/// The layers every router of the service gets.
pub fn harden(router: Router) -> Router {
    router.layer(axum::middleware::from_fn(security_headers)).layer(CompressionLayer::new())
}
