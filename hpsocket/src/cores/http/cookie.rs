//! Cookies (RFC 6265), sans-IO: parse `Set-Cookie`, keep a jar, match cookies to requests by
//! domain, path, `Secure` and expiry, and write the jar to and from a file. The clock is the
//! caller's (seconds since the Unix epoch), so every rule is tested without waiting.
//!
//! HP-Socket's cookie manager (`CCookieMgr`, the 4C `HP_HttpCookie_*` functions) does the
//! same jobs; differences, each deliberate:
//! - the file format is the Netscape / curl `cookies.txt` format (tab-separated, one cookie
//!   per line), so a jar saved here loads in curl (`-b FILE`) and back;
//! - a `Domain` attribute must domain-match the host that set it, and an IP-address host
//!   sets only host-only cookies (RFC 6265 §5.3); there is no public-suffix list, so a server
//!   may still set a cookie for a whole registrable suffix it belongs to (`example.co.uk` can
//!   set `co.uk`) — the same as HP-Socket;
//! - `Expires` dates are read with RFC 6265's lenient algorithm (§5.1.1), which accepts every
//!   date format servers send in practice, `Wed, 21-Oct-2015 07:28:00 GMT` included.
//!
//! Memory: at most [`MAX_COOKIES`] cookies (the oldest go first), each name + value at most
//! [`MAX_COOKIE_SIZE`] bytes (larger ones are ignored, as browsers do).

use std::io::{BufRead, Write};

/// Most cookies a jar keeps (least recently set dropped first).
pub const MAX_COOKIES: usize = 3000;
/// Largest name + value of one cookie (RFC 6265 §6.1's minimum a user agent must support).
pub const MAX_COOKIE_SIZE: usize = 4096;

/// `SameSite` (HP-Socket's `EnCookieSameSite`: 0 unknown, 1 none, 2 lax, 3 strict).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SameSite {
    /// Not given.
    #[default]
    Unknown = 0,
    /// `SameSite=None`.
    None = 1,
    /// `SameSite=Lax`.
    Lax = 2,
    /// `SameSite=Strict`.
    Strict = 3,
}

/// One cookie.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cookie {
    /// Name.
    pub name: String,
    /// Value.
    pub value: String,
    /// Domain, lower case, without a leading dot.
    pub domain: String,
    /// Sent to this exact host only (no `Domain` attribute was given).
    pub host_only: bool,
    /// Path prefix it is sent for.
    pub path: String,
    /// Expiry in seconds since the epoch; `None`: a session cookie.
    pub expires: Option<i64>,
    /// `HttpOnly`.
    pub http_only: bool,
    /// `Secure`: only over https.
    pub secure: bool,
    /// `SameSite`.
    pub same_site: SameSite,
}

impl Cookie {
    /// Whether it is sent with a request to `host` for `path` (`secure`: https).
    pub fn matches(&self, host: &str, path: &str, secure: bool) -> bool {
        (!self.secure || secure)
            && if self.host_only {
                host.eq_ignore_ascii_case(&self.domain)
            } else {
                domain_match(host, &self.domain)
            }
            && path_match(path, &self.path)
    }

    /// Whether it has expired at `now`.
    pub fn expired(&self, now: i64) -> bool {
        self.expires.is_some_and(|e| e <= now)
    }
}

fn is_ip(host: &str) -> bool {
    host.parse::<std::net::IpAddr>().is_ok() || host.starts_with('[')
}

/// RFC 6265 §5.1.3.
pub fn domain_match(host: &str, domain: &str) -> bool {
    let host = host.to_ascii_lowercase();
    let domain = domain.to_ascii_lowercase();
    host == domain
        || (!is_ip(&host)
            && host.len() > domain.len()
            && host.ends_with(&domain)
            && host.as_bytes()[host.len() - domain.len() - 1] == b'.')
}

/// RFC 6265 §5.1.4.
pub fn path_match(request: &str, cookie: &str) -> bool {
    let request = request.split(['?', '#']).next().unwrap_or("/");
    request == cookie
        || (request.starts_with(cookie)
            && (cookie.ends_with('/') || request.as_bytes().get(cookie.len()) == Some(&b'/')))
}

/// RFC 6265 §5.1.4's default path of a request path.
pub fn default_path(request: &str) -> String {
    let p = request.split(['?', '#']).next().unwrap_or("");
    if !p.starts_with('/') {
        return "/".into();
    }
    match p.rfind('/') {
        Some(0) | None => "/".into(),
        Some(i) => p[..i].into(),
    }
}

/// Parses a cookie date with RFC 6265 §5.1.1's algorithm; seconds since the epoch.
pub fn parse_date(s: &str) -> Option<i64> {
    let (mut time, mut day, mut month, mut year) = (None, None, None, None);
    let delim = |c: char| {
        c == '\t'
            || (' '..='/').contains(&c)
            || (';'..='@').contains(&c)
            || ('['..='`').contains(&c)
            || ('{'..='~').contains(&c)
    };
    for tok in s.split(delim).filter(|t| !t.is_empty()) {
        if time.is_none() {
            let parts: Vec<&str> = tok.split(':').collect();
            if parts.len() == 3 {
                let nums: Option<Vec<u32>> = parts
                    .iter()
                    .map(|p| {
                        let d: String = p.chars().take_while(|c| c.is_ascii_digit()).collect();
                        (!d.is_empty() && d.len() <= 2)
                            .then(|| d.parse().ok())
                            .flatten()
                    })
                    .collect();
                if let Some(n) = nums {
                    time = Some((n[0], n[1], n[2]));
                    continue;
                }
            }
        }
        let digits: String = tok.chars().take_while(|c| c.is_ascii_digit()).collect();
        if day.is_none() && (1..=2).contains(&digits.len()) {
            day = digits.parse().ok();
            continue;
        }
        if month.is_none() && tok.len() >= 3 {
            let m = [
                "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
            ]
            .iter()
            .position(|m| tok[..3].eq_ignore_ascii_case(m));
            if let Some(m) = m {
                month = Some(m as u32 + 1);
                continue;
            }
        }
        if year.is_none() && (2..=4).contains(&digits.len()) {
            let mut y: i64 = digits.parse().ok()?;
            if (70..=99).contains(&y) {
                y += 1900;
            } else if y < 70 && digits.len() <= 2 {
                y += 2000;
            }
            year = Some(y);
        }
    }
    let (h, mi, sec) = time?;
    let (d, mo, y) = (day?, month?, year?);
    if !(1..=31).contains(&d) || y < 1601 || h > 23 || mi > 59 || sec > 59 {
        return None;
    }
    Some(days_from_civil(y, mo, d) * 86_400 + (h * 3600 + mi * 60 + sec) as i64)
}

/// Days from 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m as i64 + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Formats seconds since the epoch as an IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`).
pub fn format_date(t: i64) -> String {
    let days = t.div_euclid(86_400);
    let secs = t.rem_euclid(86_400);
    // Civil from days (inverse of days_from_civil).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    let wd = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"][days.rem_euclid(7) as usize];
    let mon = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ][(m - 1) as usize];
    format!(
        "{wd}, {d:02} {mon} {y} {:02}:{:02}:{:02} GMT",
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    )
}

/// Parses one `Set-Cookie` value received from `host` in answer to `request_path`, at
/// `now`; `None` when it must be ignored (no name, too large, a `Domain` the host may not
/// set).
pub fn parse_set_cookie(value: &str, host: &str, request_path: &str, now: i64) -> Option<Cookie> {
    let mut parts = value.split(';');
    let pair = parts.next()?;
    let (name, val) = pair.split_once('=')?;
    let (name, val) = (name.trim(), val.trim().trim_matches('"'));
    if name.is_empty() || name.len() + val.len() > MAX_COOKIE_SIZE {
        return None;
    }
    let host = host.trim_matches(['[', ']']).to_ascii_lowercase();
    let mut c = Cookie {
        name: name.into(),
        value: val.into(),
        domain: host.clone(),
        host_only: true,
        path: default_path(request_path),
        expires: None,
        http_only: false,
        secure: false,
        same_site: SameSite::Unknown,
    };
    let mut max_age = None;
    for attr in parts {
        let (k, v) = match attr.split_once('=') {
            Some((k, v)) => (k.trim(), v.trim()),
            None => (attr.trim(), ""),
        };
        match k.to_ascii_lowercase().as_str() {
            "expires" => {
                if let Some(t) = parse_date(v) {
                    c.expires = Some(t);
                }
            }
            "max-age" => {
                if let Ok(n) = v.parse::<i64>() {
                    max_age = Some(n);
                }
            }
            "domain" if !v.is_empty() => {
                let d = v.trim_start_matches('.').to_ascii_lowercase();
                if !domain_match(&host, &d) {
                    return None;
                }
                if !is_ip(&host) {
                    c.domain = d;
                    c.host_only = false;
                }
            }
            "path" if v.starts_with('/') => c.path = v.into(),
            "secure" => c.secure = true,
            "httponly" => c.http_only = true,
            "samesite" => {
                c.same_site = match v.to_ascii_lowercase().as_str() {
                    "none" => SameSite::None,
                    "lax" => SameSite::Lax,
                    "strict" => SameSite::Strict,
                    _ => SameSite::Unknown,
                }
            }
            _ => {}
        }
    }
    // Max-Age wins over Expires (§5.3 step 3).
    if let Some(n) = max_age {
        c.expires = Some(if n <= 0 {
            i64::MIN
        } else {
            now.saturating_add(n)
        });
    }
    Some(c)
}

/// A cookie jar: HP-Socket's cookie manager.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct CookieJar {
    cookies: Vec<Cookie>,
}

impl CookieJar {
    /// An empty jar.
    pub fn new() -> CookieJar {
        CookieJar::default()
    }

    /// Every cookie, oldest first.
    pub fn cookies(&self) -> &[Cookie] {
        &self.cookies
    }

    /// Stores `c`, replacing the cookie with its name, domain and path; an expired `c` only
    /// deletes that one.
    pub fn set(&mut self, c: Cookie, now: i64) {
        self.cookies
            .retain(|o| !(o.name == c.name && o.domain == c.domain && o.path == c.path));
        if c.expired(now) {
            return;
        }
        if self.cookies.len() >= MAX_COOKIES {
            self.cookies.remove(0);
        }
        self.cookies.push(c);
    }

    /// Takes every `Set-Cookie` of a response from `host` to a request for `path`.
    pub fn store_response<'a>(
        &mut self,
        set_cookies: impl IntoIterator<Item = &'a [u8]>,
        host: &str,
        path: &str,
        now: i64,
    ) {
        for v in set_cookies {
            let Ok(v) = std::str::from_utf8(v) else {
                continue;
            };
            if let Some(c) = parse_set_cookie(v, host, path, now) {
                self.set(c, now);
            }
        }
    }

    /// `name=value` pairs for a request to `host` and `path` (`secure`: https), longer paths
    /// first (RFC 6265 §5.4).
    pub fn for_request(
        &self,
        host: &str,
        path: &str,
        secure: bool,
        now: i64,
    ) -> Vec<(String, String)> {
        let host = host.trim_matches(['[', ']']);
        let mut v: Vec<&Cookie> = self
            .cookies
            .iter()
            .filter(|c| !c.expired(now) && c.matches(host, path, secure))
            .collect();
        v.sort_by_key(|c| std::cmp::Reverse(c.path.len()));
        v.into_iter()
            .map(|c| (c.name.clone(), c.value.clone()))
            .collect()
    }

    /// Deletes the cookie with this domain, path and name; true when there was one.
    pub fn delete(&mut self, domain: &str, path: &str, name: &str) -> bool {
        let n = self.cookies.len();
        let domain = domain.trim_start_matches('.').to_ascii_lowercase();
        self.cookies
            .retain(|c| !(c.domain == domain && c.path == path && c.name == name));
        n != self.cookies.len()
    }

    /// Removes cookies of `domain` (and its subdomains) under `path`; `None` matches all.
    pub fn clear(&mut self, domain: Option<&str>, path: Option<&str>) {
        self.cookies.retain(|c| {
            let d = domain.is_none_or(|d| domain_match(&c.domain, d.trim_start_matches('.')));
            let p = path.is_none_or(|p| path_match(&c.path, p));
            !(d && p)
        });
    }

    /// Drops expired cookies.
    pub fn remove_expired(&mut self, now: i64) {
        self.cookies.retain(|c| !c.expired(now));
    }

    /// Writes the jar in the Netscape / curl format (session cookies with expiry 0).
    pub fn save(&self, w: &mut dyn Write) -> std::io::Result<()> {
        writeln!(w, "# Netscape HTTP Cookie File")?;
        writeln!(w, "# Written by hpsocket; loadable by curl (-b FILE).")?;
        for c in &self.cookies {
            let domain = if c.host_only {
                c.domain.clone()
            } else {
                format!(".{}", c.domain)
            };
            let domain = if c.http_only {
                format!("#HttpOnly_{domain}")
            } else {
                domain
            };
            writeln!(
                w,
                "{domain}\t{}\t{}\t{}\t{}\t{}\t{}",
                if c.host_only { "FALSE" } else { "TRUE" },
                c.path,
                if c.secure { "TRUE" } else { "FALSE" },
                c.expires.unwrap_or(0).max(0),
                c.name,
                c.value
            )?;
        }
        Ok(())
    }

    /// Reads cookies in the Netscape / curl format into the jar (expired ones skipped,
    /// malformed lines ignored); returns how many were read.
    pub fn load(&mut self, r: &mut dyn BufRead, now: i64) -> std::io::Result<usize> {
        let mut n = 0;
        for line in r.lines() {
            let line = line?;
            let (line, http_only) = match line.strip_prefix("#HttpOnly_") {
                Some(l) => (l.to_string(), true),
                None if line.starts_with('#') || line.trim().is_empty() => continue,
                None => (line, false),
            };
            let f: Vec<&str> = line.split('\t').collect();
            if f.len() != 7 {
                continue;
            }
            let Ok(exp) = f[4].parse::<i64>() else {
                continue;
            };
            let host_only = !f[0].starts_with('.') && f[1] != "TRUE";
            let c = Cookie {
                name: f[5].into(),
                value: f[6].into(),
                domain: f[0].trim_start_matches('.').to_ascii_lowercase(),
                host_only,
                path: f[2].into(),
                expires: (exp != 0).then_some(exp),
                http_only,
                secure: f[3] == "TRUE",
                same_site: SameSite::Unknown,
            };
            if c.name.is_empty() || c.expired(now) {
                continue;
            }
            self.set(c, now);
            n += 1;
        }
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_700_000_000;

    #[test]
    fn dates_in_every_common_form_parse_to_the_same_instant() {
        let t = parse_date("Wed, 21 Oct 2015 07:28:00 GMT").unwrap();
        assert_eq!(t, 1_445_412_480);
        for s in [
            "Wed, 21-Oct-2015 07:28:00 GMT",
            "Wednesday, 21-Oct-15 07:28:00 GMT",
            "Wed Oct 21 07:28:00 2015",
            "21 Oct 2015 07:28:00",
        ] {
            assert_eq!(parse_date(s), Some(t), "{s}");
        }
        assert_eq!(format_date(t), "Wed, 21 Oct 2015 07:28:00 GMT");
        assert_eq!(parse_date(&format_date(0)), Some(0));
        for bad in [
            "",
            "yesterday",
            "32 Oct 2015 07:28:00",
            "21 Oct 2015 25:00:00",
            "21 Foo 2015 07:28:00",
        ] {
            assert_eq!(parse_date(bad), None, "{bad}");
        }
    }

    proptest::proptest! {
        #[test]
        fn formatted_dates_parse_back(t in 0i64..8_000_000_000) {
            proptest::prop_assert_eq!(parse_date(&format_date(t)), Some(t));
        }
    }

    #[test]
    fn set_cookie_attributes_and_defaults() {
        let c = parse_set_cookie(
            "sid=abc; Path=/app; Domain=.Example.com; Secure; HttpOnly; SameSite=Lax; Max-Age=60",
            "www.example.com",
            "/x/y",
            NOW,
        )
        .unwrap();
        assert_eq!(
            (c.name.as_str(), c.value.as_str(), c.domain.as_str()),
            ("sid", "abc", "example.com")
        );
        assert!(!c.host_only && c.secure && c.http_only);
        assert_eq!(
            (c.path.as_str(), c.expires, c.same_site),
            ("/app", Some(NOW + 60), SameSite::Lax)
        );
        let c = parse_set_cookie("a=1", "h.example.com", "/x/y", NOW).unwrap();
        assert!(c.host_only);
        assert_eq!(
            (c.domain.as_str(), c.path.as_str(), c.expires),
            ("h.example.com", "/x", None)
        );
        // A domain the host may not set, a nameless cookie, an oversize one: ignored.
        assert!(parse_set_cookie("a=1; Domain=other.com", "h.example.com", "/", NOW).is_none());
        assert!(parse_set_cookie("=1", "h", "/", NOW).is_none());
        assert!(parse_set_cookie(&format!("a={}", "v".repeat(5000)), "h", "/", NOW).is_none());
        // An IP host sets host-only cookies even with its own address as Domain.
        let c = parse_set_cookie("a=1; Domain=127.0.0.1", "127.0.0.1", "/", NOW).unwrap();
        assert!(c.host_only);
    }

    #[test]
    fn requests_get_the_cookies_that_match_them() {
        let mut jar = CookieJar::new();
        let set = [
            &b"a=1; Domain=example.com; Path=/"[..],
            b"b=2; Path=/app",
            b"c=3; Secure",
            b"d=4; Max-Age=0",
            b"e=5; Expires=Wed, 21 Oct 2015 07:28:00 GMT",
        ];
        jar.store_response(set, "www.example.com", "/app/page", NOW);
        let names = |host: &str, path: &str, secure: bool| -> Vec<String> {
            jar.for_request(host, path, secure, NOW)
                .into_iter()
                .map(|(n, _)| n)
                .collect()
        };
        // c took the default path of /app/page: /app.
        assert_eq!(names("www.example.com", "/app/x", true), ["b", "c", "a"]);
        assert_eq!(names("www.example.com", "/app/x", false), ["b", "a"]);
        assert_eq!(names("www.example.com", "/apple", false), ["a"]);
        assert_eq!(
            names("api.example.com", "/app", true),
            ["a"],
            "only the domain cookie"
        );
        assert_eq!(names("example.com.evil", "/", true), Vec::<String>::new());
        // Replacing, deleting, expiring.
        jar.store_response(
            [&b"a=9; Domain=example.com"[..]],
            "www.example.com",
            "/",
            NOW,
        );
        assert_eq!(
            jar.for_request("example.com", "/", false, NOW),
            [("a".into(), "9".into())]
        );
        assert!(jar.delete("example.com", "/", "a"));
        assert!(!jar.delete("example.com", "/", "a"));
        jar.store_response([&b"t=1; Max-Age=10"[..]], "h", "/", NOW);
        assert_eq!(jar.for_request("h", "/", false, NOW + 11), vec![]);
        jar.remove_expired(NOW + 11);
        assert!(jar.cookies().iter().all(|c| c.name != "t"));
        jar.clear(Some("example.com"), None);
        assert!(jar
            .cookies()
            .iter()
            .all(|c| !c.domain.ends_with("example.com")));
    }

    #[test]
    fn a_saved_jar_loads_back_the_same() {
        let mut jar = CookieJar::new();
        jar.store_response(
            [
                &b"a=1; Domain=example.com; Path=/; Max-Age=3600; HttpOnly"[..],
                b"b=2; Path=/app; Secure",
            ],
            "www.example.com",
            "/app/x",
            NOW,
        );
        let mut out = Vec::new();
        jar.save(&mut out).unwrap();
        let text = String::from_utf8(out.clone()).unwrap();
        assert!(
            text.contains("#HttpOnly_.example.com\tTRUE\t/\tFALSE\t"),
            "{text}"
        );
        let mut back = CookieJar::new();
        assert_eq!(back.load(&mut &out[..], NOW).unwrap(), 2);
        let mut orig = jar.cookies().to_vec();
        for c in &mut orig {
            c.same_site = SameSite::Unknown;
        }
        assert_eq!(back.cookies(), orig.as_slice());
        // Garbage lines are skipped, not fatal.
        let mut g = CookieJar::new();
        assert_eq!(g.load(&mut &b"junk\n\tonly\ttabs\n"[..], NOW).unwrap(), 0);
    }

    #[test]
    fn the_jar_is_bounded() {
        let mut jar = CookieJar::new();
        for i in 0..MAX_COOKIES + 10 {
            jar.store_response([format!("c{i}=v").as_bytes()], "h", "/", NOW);
        }
        assert_eq!(jar.cookies().len(), MAX_COOKIES);
        assert_eq!(jar.cookies()[0].name, "c10", "the oldest went first");
    }
}
