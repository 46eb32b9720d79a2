//! An SMTP server on loopback that keeps what it accepts, for the e-mail
//! tests: enough of RFC 5321 for a real client (EHLO, MAIL, RCPT, DATA,
//! RSET, NOOP, QUIT), and faults on demand — a message refused for now at
//! the end of DATA, a connection dropped at MAIL FROM, an address refused
//! for good. Blocking threads, so it serves while a test waits on a child
//! process.

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};

/// One message the server accepted (replied 250 to its data).
#[derive(Debug, Clone)]
pub struct Delivered {
    pub to: String,
    pub data: Vec<u8>,
    /// When the server accepted it.
    pub at: std::time::Instant,
}

/// Faults to play, each once, counted over MAIL FROM commands from the start.
#[derive(Debug, Default)]
pub struct Faults {
    /// Reply 451 to the end of DATA of these transactions (1-based).
    pub refuse_data_at: BTreeSet<usize>,
    /// Drop the connection on these MAIL FROM commands (1-based).
    pub drop_at_mail: BTreeSet<usize>,
    /// Addresses refused for good at RCPT TO: 550 5.1.1.
    pub unknown: BTreeSet<String>,
    /// Refuse the sender at MAIL FROM, for good (550 5.1.0).
    pub refuse_sender: bool,
    /// Refuse every recipient by policy (554 5.7.1, a blocked host).
    pub blocked: bool,
    /// Refuse these addresses once for now, naming them (450 4.2.0 greylisting).
    pub greylist: BTreeSet<String>,
    /// Take these transactions' data, then close without a reply (1-based).
    pub silent_after_data_at: BTreeSet<usize>,
}

#[derive(Default)]
struct State {
    delivered: Vec<Delivered>,
    mails: usize,
    faults: Faults,
}

pub struct Sink {
    pub port: u16,
    state: Arc<Mutex<State>>,
}

impl Sink {
    pub fn start(faults: Faults) -> Sink {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind sink");
        let port = listener.local_addr().expect("addr").port();
        let state = Arc::new(Mutex::new(State { faults, ..State::default() }));
        let shared = state.clone();
        std::thread::spawn(move || {
            for conn in listener.incoming().flatten() {
                let state = shared.clone();
                std::thread::spawn(move || {
                    let _ = serve(conn, &state);
                });
            }
        });
        Sink { port, state }
    }

    /// A port where no server listens: every connection is refused.
    pub fn closed() -> Sink {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("addr").port();
        drop(listener);
        Sink { port, state: Arc::default() }
    }

    pub fn delivered(&self) -> Vec<Delivered> {
        self.state.lock().expect("sink").delivered.clone()
    }

    /// The environment a `sipas` run needs to send through this sink.
    pub fn env(&self) -> Vec<(String, String)> {
        self.env_at(6000)
    }

    /// [`env`](Self::env) with the provider's limit of `per_minute` messages.
    pub fn env_at(&self, per_minute: u32) -> Vec<(String, String)> {
        vec![
            ("SIPAS_SMTP_HOST".into(), "127.0.0.1".into()),
            ("SIPAS_SMTP_PORT".into(), self.port.to_string()),
            ("SIPAS_SMTP_SECURITY".into(), "none".into()),
            ("SIPAS_MAIL_FROM".into(), "Sở Nội vụ <khaosat@snv.quangbinh.gov.vn>".into()),
            ("SIPAS_SMTP_TIMEOUT".into(), "5".into()),
            ("SIPAS_MAIL_PER_MINUTE".into(), per_minute.to_string()),
        ]
    }
}

fn serve(conn: TcpStream, state: &Mutex<State>) -> std::io::Result<()> {
    conn.set_read_timeout(Some(std::time::Duration::from_secs(30)))?;
    let mut out = conn.try_clone()?;
    let mut input = BufReader::new(conn);
    out.write_all(b"220 sink ESMTP\r\n")?;
    let mut rcpt: Option<String> = None;
    let mut mail_no = 0;
    let mut line = String::new();
    loop {
        line.clear();
        if input.read_line(&mut line)? == 0 {
            return Ok(());
        }
        let upper = line.trim_end().to_ascii_uppercase();
        let reply: &[u8] = if upper.starts_with("EHLO") {
            b"250-sink\r\n250 8BITMIME\r\n"
        } else if upper.starts_with("HELO") || upper.starts_with("NOOP") {
            b"250 ok\r\n"
        } else if upper.starts_with("RSET") {
            rcpt = None;
            b"250 ok\r\n"
        } else if upper.starts_with("MAIL FROM") {
            let mut s = state.lock().expect("sink");
            s.mails += 1;
            mail_no = s.mails;
            if s.faults.drop_at_mail.remove(&mail_no) {
                return Ok(());
            }
            if s.faults.refuse_sender {
                b"550 5.1.0 <khaosat@snv.quangbinh.gov.vn>: Sender address rejected\r\n"
            } else {
                b"250 ok\r\n"
            }
        } else if upper.starts_with("RCPT TO") {
            let addr = line.trim_end()[8..].trim().trim_start_matches(':').trim().trim_matches(['<', '>']).to_owned();
            let mut s = state.lock().expect("sink");
            let unknown = s.faults.unknown.contains(&addr.to_lowercase());
            if s.faults.greylist.remove(&addr.to_lowercase()) {
                let reply = format!("450 4.2.0 <{addr}>: Recipient address rejected: Greylisted\r\n");
                drop(s);
                out.write_all(reply.as_bytes())?;
                continue;
            }
            if s.faults.blocked {
                b"554 5.7.1 Client host [185.1.20.3] blocked using zen.example\r\n"
            } else if unknown {
                b"550 5.1.1 mailbox unavailable\r\n"
            } else {
                rcpt = Some(addr);
                b"250 ok\r\n"
            }
        } else if upper == "DATA" {
            out.write_all(b"354 go on\r\n")?;
            let mut data = Vec::new();
            loop {
                line.clear();
                if input.read_line(&mut line)? == 0 {
                    return Ok(());
                }
                if line == ".\r\n" || line == ".\n" {
                    break;
                }
                let l = line.strip_prefix('.').unwrap_or(&line);
                data.extend_from_slice(l.as_bytes());
            }
            let mut s = state.lock().expect("sink");
            if s.faults.silent_after_data_at.remove(&mail_no) {
                // Taken, and the reply lost: the client cannot know.
                s.delivered.push(Delivered {
                    to: rcpt.take().unwrap_or_default(),
                    data,
                    at: std::time::Instant::now(),
                });
                return Ok(());
            }
            if s.faults.refuse_data_at.remove(&mail_no) {
                b"451 4.3.0 try again later\r\n"
            } else {
                s.delivered.push(Delivered {
                    to: rcpt.take().unwrap_or_default(),
                    data,
                    at: std::time::Instant::now(),
                });
                b"250 2.0.0 queued\r\n"
            }
        } else if upper.starts_with("QUIT") {
            out.write_all(b"221 bye\r\n")?;
            return Ok(());
        } else {
            b"502 not implemented\r\n"
        };
        out.write_all(reply)?;
    }
}

/// The plain-text part of a message, decoded.
pub fn plain_text(data: &[u8]) -> String {
    let mail = mailparse::parse_mail(data).expect("a MIME message");
    let part = std::iter::once(&mail)
        .chain(mail.subparts.iter())
        .find(|p| p.ctype.mimetype == "text/plain")
        .expect("a text part");
    part.get_body().expect("decoded body")
}

/// The value of a header, decoded.
pub fn header(data: &[u8], name: &str) -> Option<String> {
    let mail = mailparse::parse_mail(data).expect("a MIME message");
    mail.headers.iter().find(|h| h.get_key().eq_ignore_ascii_case(name)).map(|h| h.get_value())
}
