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

/// How long a phone's questionnaire from one pass is remembered: as long as
/// the pass is accepted.
const PHONE_MEMORY: Duration = Duration::from_secs(6 * 60);

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
    /// Questionnaires an enrolled screen's passes may hand out, per screen.
    screen: DefaultKeyedRateLimiter<i64>,
    /// Phones (their cookie) that took a questionnaire from a pass, and when.
    phones: std::sync::Mutex<std::collections::HashMap<String, std::time::Instant>>,
    /// Proxies in front of the service that append to `X-Forwarded-For`:
    /// the client is the entry this many from the right, across every line
    /// of the header (0: the connection's own address).
    proxy_hops: usize,
}

fn quota(burst: u32, every: Duration) -> Quota {
    let burst = NonZeroU32::new(burst).unwrap_or(NonZeroU32::MIN);
    Quota::with_period(every).map_or_else(|| Quota::per_second(burst), |q| q.allow_burst(burst))
}

impl Limits {
    /// The service's budgets per address:
    /// - counter, where nothing better proves presence (a printed poster, or
    ///   a phone that keeps no cookie): 3 questionnaires per address, then
    ///   one more every 5 minutes;
    /// - counter through an enrolled screen's pass: one questionnaire per
    ///   phone (its cookie) per pass, and per screen 20, then one every 6
    ///   seconds (10 a minute: more than a one-stop office's desks finish);
    /// - a counter's own tablet (kiosk): 10, then one every 20 seconds;
    /// - short codes: 10 tries, then one every 6 seconds;
    /// - answers posted (submit or save): 60, then 2 a second;
    /// - sign-in attempts: 30, then one every 10 seconds (an office of 30
    ///   staff signing in at opening time behind one address; guessing a
    ///   name is stopped per name and browser after 5 failures anyway).
    pub fn standard(proxy_hops: usize) -> Self {
        Limits {
            counter: RateLimiter::keyed(quota(3, Duration::from_secs(300))),
            kiosk: RateLimiter::keyed(quota(10, Duration::from_secs(20))),
            code: RateLimiter::keyed(quota(10, Duration::from_secs(6))),
            submit: RateLimiter::keyed(quota(60, Duration::from_millis(500))),
            login: RateLimiter::keyed(quota(30, Duration::from_secs(10))),
            burst: RateLimiter::keyed(quota(5, Duration::from_secs(120))),
            screen: RateLimiter::keyed(quota(20, Duration::from_secs(6))),
            phones: std::sync::Mutex::new(std::collections::HashMap::new()),
            proxy_hops,
        }
    }

    fn for_request(&self, method: &Method, path: &str) -> Option<&Limiter> {
        match (method, path) {
            // The counter decides in its handler: by the screen's pass and
            // the phone's cookie where there are, by address otherwise.
            (&Method::POST, p) if p.starts_with("/c/") => None,
            (&Method::POST, p) if p.starts_with("/d/") => Some(&self.kiosk),
            (&Method::GET, "/k") => Some(&self.code),
            (&Method::POST, p) if p.starts_with("/s/") => Some(&self.submit),
            (&Method::POST, "/login") => Some(&self.login),
            _ => None,
        }
    }

    fn client(&self, req: &Request) -> IpAddr {
        let connect = req.extensions().get::<ConnectInfo<SocketAddr>>().map(|c| c.0);
        self.client_of(req.headers(), connect).map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), budget_key)
    }

    /// The client's address: behind `proxy_hops` trusted proxies, the entry
    /// that many from the right of `X-Forwarded-For`, its lines read in order
    /// as one list (a proxy may add a line of its own: the client's spoofed
    /// first line is then never read); else the connection's. A list too
    /// short to hold the client is the connection's proxy speaking for itself.
    /// Whether the service was told it runs behind a proxy (`--trust-proxy`).
    pub fn behind_proxy(&self) -> bool {
        self.proxy_hops > 0
    }

    pub fn client_of(&self, headers: &axum::http::HeaderMap, connect: Option<SocketAddr>) -> Option<IpAddr> {
        if self.proxy_hops > 0 {
            let entries: Vec<&str> = headers
                .get_all("x-forwarded-for")
                .iter()
                .filter_map(|v| v.to_str().ok())
                .flat_map(|v| v.split(','))
                .map(str::trim)
                .collect();
            let at = entries.len().checked_sub(self.proxy_hops);
            return match at.and_then(|i| forwarded_ip(entries[i])) {
                Some(ip) => Some(ip),
                None => connect.map(|c| c.ip()),
            };
        }
        connect.map(|c| c.ip())
    }

    /// Counts an answer from `ip`; whether it is one of a burst (more than 5
    /// within about ten minutes).
    pub fn burst(&self, ip: IpAddr) -> bool {
        self.burst.check_key(&budget_key(ip)).is_err()
    }

    /// Forgets addresses whose budget is full again, so memory stays bounded.
    pub fn forget_idle(&self) {
        for l in [&self.counter, &self.kiosk, &self.code, &self.submit, &self.login, &self.burst] {
            l.retain_recent();
        }
        self.screen.retain_recent();
        if let Ok(mut phones) = self.phones.lock() {
            phones.retain(|_, at| at.elapsed() < PHONE_MEMORY);
        }
    }

    /// A questionnaire from a counter without a screen's pass, charged to
    /// the client's address (IPv6 by its /64); the seconds to wait if over.
    ///
    /// # Errors
    /// The wait, in seconds, when the address has used its budget.
    pub fn counter_by_address(&self, ip: Option<IpAddr>) -> Result<(), u64> {
        let key = ip.map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), budget_key);
        self.counter.check_key(&key).map_err(wait_secs)
    }

    /// A questionnaire through screen `device`'s pass for the phone `phone`:
    /// one per phone while a pass lasts, and within the screen's budget.
    ///
    /// # Errors
    /// `Err(None)` when this phone already took one; `Err(Some(secs))` when
    /// the screen has handed out what a counter can for now.
    pub fn counter_by_screen(&self, device: i64, phone: &str) -> Result<(), Option<u64>> {
        let mut phones = self.phones.lock().map_err(|_| None)?;
        if phones.get(phone).is_some_and(|at| at.elapsed() < PHONE_MEMORY) {
            return Err(None);
        }
        self.screen.check_key(&device).map_err(|n| Some(wait_secs(n)))?;
        phones.insert(phone.to_owned(), std::time::Instant::now());
        Ok(())
    }
}

fn wait_secs(not_until: governor::NotUntil<<governor::clock::DefaultClock as governor::clock::Clock>::Instant>) -> u64 {
    not_until.wait_time_from(governor::clock::Clock::now(&governor::clock::DefaultClock::default())).as_secs().max(1)
}

/// The 429 page for a budget used up: for a citizen at a counter, words for
/// a citizen; elsewhere, when to come back.
pub fn too_many(lang: Lang, secs: u64, at_counter: bool) -> Response {
    let body = match (lang, at_counter) {
        (Lang::Vi, true) => format!(
            "Quầy đang có nhiều người dùng, Ông/Bà vui lòng thử lại sau ít phút hoặc nhờ cán bộ hướng dẫn (khoảng {} phút).",
            secs.div_ceil(60)
        ),
        (Lang::En, true) => format!(
            "The counter is busy. Please try again in a few minutes (about {}) or ask the staff for help.",
            secs.div_ceil(60)
        ),
        (Lang::Vi, false) => format!("Có quá nhiều yêu cầu từ địa chỉ này. Xin thử lại sau {secs} giây."),
        (Lang::En, false) => format!("Too many requests from this address. Please try again in {secs} seconds."),
    };
    let title = match lang {
        Lang::Vi => "Xin thử lại sau",
        Lang::En => "Please try again later",
    };
    let mut resp = (StatusCode::TOO_MANY_REQUESTS, message(lang, title, &[&body])).into_response();
    if let Ok(v) = HeaderValue::from_str(&secs.to_string()) {
        resp.headers_mut().insert(header::RETRY_AFTER, v);
    }
    resp
}

/// What a budget is kept under: an IPv4 address, or an IPv6 address by its
/// /64 (a phone or household is given a whole /64 and may pick any address
/// in it), an IPv4-mapped IPv6 address as the IPv4 one.
pub fn budget_key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let s = v6.segments();
                IpAddr::V6(std::net::Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
            }
        },
        v4 => v4,
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
        let text = match self.0.map(budget_key) {
            Some(IpAddr::V6(v6)) => {
                let s = v6.segments();
                format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
            Some(ip) => ip.to_string(),
            None => "unknown".to_owned(),
        };
        sipas_shared::model::auth::secret_hash(&format!("client:{text}"))
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
            let secs = wait_secs(not_until);
            let lang = Lang::from_query(req.uri().query().and_then(|q| q.contains("lang=en").then_some("en")));
            return too_many(lang, secs, req.uri().path().starts_with("/d/"));
        }
    }
    next.run(req).await
}

/// An address as proxies write it in `X-Forwarded-For`: `203.0.113.5`,
/// `203.0.113.5:4711`, `2001:db8::1`, `[2001:db8::1]`, `[2001:db8::1]:443`,
/// quoted or not; `None` for `unknown` or an obfuscated name.
fn forwarded_ip(entry: &str) -> Option<IpAddr> {
    let entry = entry.trim().trim_matches('"');
    if let Ok(ip) = entry.parse::<IpAddr>() {
        return Some(ip);
    }
    if let Ok(addr) = entry.parse::<SocketAddr>() {
        return Some(addr.ip());
    }
    entry.strip_prefix('[').and_then(|e| e.split_once(']')).and_then(|(ip, _)| ip.parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(lines: &[&str]) -> axum::http::HeaderMap {
        let mut h = axum::http::HeaderMap::new();
        for l in lines {
            h.append("x-forwarded-for", HeaderValue::from_str(l).expect("value"));
        }
        h
    }

    #[test]
    fn the_client_is_read_from_the_right_across_every_line() {
        let proxy: SocketAddr = "10.0.0.1:4000".parse().expect("addr");
        let one = Limits::standard(1);
        // HAProxy's `option forwardfor` adds a line of its own: the client's
        // spoofed first line must not win (before: 39 of 60 links).
        let spoofed = headers(&["198.51.100.7", "203.0.113.5"]);
        assert_eq!(one.client_of(&spoofed, Some(proxy)), "203.0.113.5".parse().ok());
        let two = Limits::standard(2);
        let chain = headers(&["198.51.100.7, 203.0.113.5", "192.0.2.10"]);
        assert_eq!(two.client_of(&chain, Some(proxy)), "203.0.113.5".parse().ok());
        // Addresses with a port, in brackets or quoted, as proxies write them:
        // before, each fell back to the proxy's address, one budget for all.
        for (written, ip) in [
            ("203.0.113.5:4711", "203.0.113.5"),
            ("[2001:db8::7]:443", "2001:db8::7"),
            ("[2001:db8::7]", "2001:db8::7"),
            ("\"[2001:db8::7]:443\"", "2001:db8::7"),
        ] {
            assert_eq!(one.client_of(&headers(&[written]), Some(proxy)), ip.parse().ok(), "{written}");
        }
        assert_eq!(one.client_of(&headers(&["unknown"]), Some(proxy)), Some(proxy.ip()));
        // Nothing forwarded: the connection's own address; no trust: always.
        assert_eq!(one.client_of(&headers(&[]), Some(proxy)), Some(proxy.ip()));
        assert_eq!(Limits::standard(0).client_of(&spoofed, Some(proxy)), Some(proxy.ip()));
    }

    #[test]
    fn an_ipv6_client_has_one_budget_for_its_whole_64() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().expect("ip");
        let b: IpAddr = "2001:db8:1:2:ffff:1:2:3".parse().expect("ip");
        let c: IpAddr = "2001:db8:1:3::1".parse().expect("ip");
        assert_eq!(budget_key(a), budget_key(b));
        assert_ne!(budget_key(a), budget_key(c));
        let limits = Limits::standard(0);
        // The burst flag too: six answers from addresses of one /64.
        let flagged = (0..6u16)
            .map(|i| limits.burst(IpAddr::V6(std::net::Ipv6Addr::new(0x2001, 0xdb8, 1, 2, i, i, i, i))))
            .filter(|b| *b)
            .count();
        assert_eq!(flagged, 1, "the sixth from one /64 is a burst");
        let mapped: IpAddr = "::ffff:192.0.2.1".parse().expect("ip");
        assert_eq!(budget_key(mapped), "192.0.2.1".parse::<IpAddr>().expect("ip"));
    }
}
