//! Per-address rate limits on what an outsider can repeat (SPEC §10): taking
//! questionnaires from a counter, trying short codes, posting answers and
//! signing in. Each kind of request has its own budget per client address,
//! refilled over time (`governor`'s GCRA). The budgets live in the process:
//! several processes behind one address multiply them, which the README says.

use crate::views::{Lang, message};
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

type Limiter = DefaultKeyedRateLimiter<IpAddr>;

/// The budgets, one per kind of request.
pub struct Limits {
    counter: Limiter,
    kiosk: Limiter,
    code: Limiter,
    submit: Limiter,
    login: Limiter,
    /// Not a limit: answers from one address beyond this budget are flagged
    /// for review as a burst.
    burst: Limiter,
    /// Read the client's address from the last `X-Forwarded-For` entry (the
    /// service runs behind a reverse proxy that sets it).
    trust_proxy: bool,
}

fn quota(burst: u32, every: Duration) -> Quota {
    let burst = NonZeroU32::new(burst).unwrap_or(NonZeroU32::MIN);
    Quota::with_period(every).map_or_else(|| Quota::per_second(burst), |q| q.allow_burst(burst))
}

impl Limits {
    /// The service's budgets per address:
    /// - counter: 3 questionnaires, then one more every 5 minutes;
    /// - a counter's own tablet (kiosk): 10, then one every 20 seconds;
    /// - short codes: 10 tries, then one every 6 seconds;
    /// - answers posted (submit or save): 60, then 2 a second;
    /// - sign-in attempts: 10, then one every 30 seconds.
    pub fn standard(trust_proxy: bool) -> Self {
        Limits {
            counter: RateLimiter::keyed(quota(3, Duration::from_secs(300))),
            kiosk: RateLimiter::keyed(quota(10, Duration::from_secs(20))),
            code: RateLimiter::keyed(quota(10, Duration::from_secs(6))),
            submit: RateLimiter::keyed(quota(60, Duration::from_millis(500))),
            login: RateLimiter::keyed(quota(10, Duration::from_secs(30))),
            burst: RateLimiter::keyed(quota(5, Duration::from_secs(120))),
            trust_proxy,
        }
    }

    fn for_request(&self, method: &Method, path: &str) -> Option<&Limiter> {
        match (method, path) {
            (&Method::POST, p) if p.starts_with("/c/") => Some(&self.counter),
            (&Method::POST, p) if p.starts_with("/d/") => Some(&self.kiosk),
            (&Method::GET, "/k") => Some(&self.code),
            (&Method::POST, p) if p.starts_with("/s/") => Some(&self.submit),
            (&Method::POST, "/login") => Some(&self.login),
            _ => None,
        }
    }

    fn client(&self, req: &Request) -> IpAddr {
        let connect = req.extensions().get::<ConnectInfo<SocketAddr>>().map(|c| c.0);
        self.client_of(req.headers(), connect).unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED))
    }

    /// The client's address: the last `X-Forwarded-For` entry behind a trusted
    /// proxy, else the connection's.
    pub fn client_of(&self, headers: &axum::http::HeaderMap, connect: Option<SocketAddr>) -> Option<IpAddr> {
        if self.trust_proxy
            && let Some(ip) = headers
                .get("x-forwarded-for")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.rsplit(',').next())
                .and_then(|ip| ip.trim().parse::<IpAddr>().ok())
        {
            return Some(ip);
        }
        connect.map(|c| c.ip())
    }

    /// Counts an answer from `ip`; whether it is one of a burst (more than 5
    /// within about ten minutes).
    pub fn burst(&self, ip: IpAddr) -> bool {
        self.burst.check_key(&ip).is_err()
    }

    /// Forgets addresses whose budget is full again, so memory stays bounded.
    pub fn forget_idle(&self) {
        for l in [&self.counter, &self.kiosk, &self.code, &self.submit, &self.login, &self.burst] {
            l.retain_recent();
        }
    }
}

/// The client's address as the rate limits see it, for handlers that count
/// per client (failed sign-ins).
#[derive(Debug, Clone, Copy)]
pub struct Client(pub Option<IpAddr>);

impl Client {
    /// A fixed-size key for the address, IPv6 by its /64 (one household or
    /// phone gets a whole /64), never the address itself.
    pub fn key(&self) -> String {
        let text = match self.0 {
            Some(IpAddr::V6(v6)) => {
                let s = v6.segments();
                format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
            Some(ip) => ip.to_string(),
            None => "unknown".to_owned(),
        };
        sipas_shared::auth::secret_hash(&format!("client:{text}"))
    }
}

impl axum::extract::FromRequestParts<crate::AppState> for Client {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &crate::AppState,
    ) -> Result<Self, Self::Rejection> {
        let connect = parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0);
        Ok(Client(match &state.limits {
            Some(limits) => limits.client_of(&parts.headers, connect),
            None => connect.map(|c| c.ip()),
        }))
    }
}

/// The middleware: a request over its budget gets 429 with `Retry-After`
/// and a page that says when to try again.
pub async fn limit(State(limits): State<Option<Arc<Limits>>>, req: Request, next: Next) -> Response {
    let Some(limits) = limits else { return next.run(req).await };
    if let Some(limiter) = limits.for_request(req.method(), req.uri().path()) {
        let client = limits.client(&req);
        if let Err(not_until) = limiter.check_key(&client) {
            let wait = not_until.wait_time_from(governor::clock::Clock::now(&governor::clock::DefaultClock::default()));
            let secs = wait.as_secs().max(1);
            let lang = Lang::from_query(req.uri().query().and_then(|q| q.contains("lang=en").then_some("en")));
            let body = match lang {
                Lang::Vi => format!("Có quá nhiều yêu cầu từ địa chỉ này. Xin thử lại sau {secs} giây."),
                Lang::En => format!("Too many requests from this address. Please try again in {secs} seconds."),
            };
            let title = match lang {
                Lang::Vi => "Xin thử lại sau",
                Lang::En => "Please try again later",
            };
            let mut resp = (StatusCode::TOO_MANY_REQUESTS, message(lang, title, &[&body])).into_response();
            if let Ok(v) = HeaderValue::from_str(&secs.to_string()) {
                resp.headers_mut().insert(header::RETRY_AFTER, v);
            }
            return resp;
        }
    }
    next.run(req).await
}
