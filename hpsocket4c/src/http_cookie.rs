//! `HP_HttpCookie_MGR_*` and `HP_HttpCookie_HLP_*`: HP-Socket's cookie manager and helpers,
//! over the library's process-wide cookie jar ([`hpsocket::cookie_jar`], the one HTTP agents
//! and clients with `UseCookie` read and fill) and its cookie rules ([`hpsocket::cookie`]).
//!
//! What differs from HP-Socket:
//! - the file `LoadFromFile` / `SaveToFile` read and write is the Netscape / curl
//!   `cookies.txt` format (the library's), not HP-Socket's own layout;
//! - the third-party switch is recorded only: the library never stores a cookie whose
//!   `Domain` the answering host may not set (RFC 6265), whatever the switch says;
//! - `ParseExpires` reads dates with RFC 6265's lenient algorithm (every format servers send),
//!   not only HP-Socket's pattern.
//!
//! Layer 3 (families): imports only [`crate::marshal`].

use std::ffi::{c_char, c_int, CStr};
use std::sync::atomic::{AtomicBool, Ordering};

use hpsocket::cookie::{self, Cookie, CookieJar, SameSite};

use crate::marshal::{ffi, file_path, opt_str, set_errno, BOOL, FALSE, TRUE};

/// HP-Socket's `__time64_t`: seconds since the Unix epoch.
pub type Time64 = i64;

/// `SetEnableThirdPartyCookie`: recorded (see the module documentation).
static THIRD_PARTY: AtomicBool = AtomicBool::new(true);

fn now() -> Time64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as Time64)
}

/// HP-Socket's domain rule: no leading dots, lower case.
fn adjust_domain(d: &str) -> String {
    d.trim_start_matches('.').to_ascii_lowercase()
}

/// HP-Socket's path rule: up to the last `/` (a path not ending in `/` names a document),
/// with a leading `/`.
fn adjust_path(p: &str) -> String {
    let p = match p.rfind('/') {
        _ if p.ends_with('/') => p,
        Some(i) => &p[..=i],
        None => "",
    };
    if p.is_empty() || p.starts_with('/') {
        p.to_string()
    } else {
        format!("/{p}")
    }
}

/// `EnSameSite` as HP-Socket's 4C numbers it (0 none given, 1 strict, 2 lax).
fn same_site(v: c_int) -> SameSite {
    match v {
        1 => SameSite::Strict,
        2 => SameSite::Lax,
        _ => SameSite::Unknown,
    }
}

/// `MaxAgeToExpires`: > 0 now plus that, < 0 -1 (a session cookie), 0 0 (expired).
fn max_age_to_expires(max_age: c_int, now: Time64) -> Time64 {
    match max_age {
        m if m > 0 => now + m as Time64,
        m if m < 0 => -1,
        _ => 0,
    }
}

/// Writes `s` NUL-terminated into a caller buffer, HP-Socket's way: `*len` always becomes the
/// size needed (with the NUL); FALSE (errno ENOBUFS) when the buffer is NULL or smaller.
unsafe fn out_str(s: &str, buf: *mut c_char, len: *mut c_int) -> BOOL {
    if len.is_null() {
        set_errno(libc::EINVAL);
        return FALSE;
    }
    let need = s.len() + 1;
    let fits = !buf.is_null() && *len >= 0 && *len as usize >= need;
    *len = need.min(c_int::MAX as usize) as c_int;
    if !fits {
        set_errno(libc::ENOBUFS);
        return FALSE;
    }
    std::ptr::copy_nonoverlapping(s.as_ptr(), buf as *mut u8, s.len());
    *buf.add(s.len()) = 0;
    TRUE
}

/// HP-Socket's expires text: `Sun, 06-Nov-1994 08:49:37 GMT` (dates before 1 s are 1 s).
fn expires_str(t: Time64) -> String {
    let s = cookie::format_date(t.max(1));
    // The library writes the IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`); HP-Socket joins
    // day, month and year with dashes.
    let p: Vec<&str> = s.split(' ').collect();
    match p.as_slice() {
        [wd, d, m, y, hms, gmt] => format!("{wd} {d}-{m}-{y} {hms} {gmt}"),
        _ => s,
    }
}

/// A safe wrapper, so that the two file exports keep the safe Rust signatures they have.
fn file_arg<'a>(p: *const c_char) -> Option<&'a std::path::Path> {
    // SAFETY: a NUL-terminated string from the caller, or NULL.
    unsafe { file_path(p) }
}

fn io_fail(e: &std::io::Error) -> BOOL {
    set_errno(e.raw_os_error().unwrap_or(libc::EINVAL));
    FALSE
}

/// Reads a cookie file into a new jar (a missing file: an empty jar when `missing_ok`).
fn read_file(path: &std::path::Path, missing_ok: bool) -> std::io::Result<CookieJar> {
    let mut jar = CookieJar::new();
    match std::fs::File::open(path) {
        Ok(f) => {
            jar.load(&mut std::io::BufReader::new(f), now())?;
        }
        Err(e) if missing_ok && e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(e),
    }
    Ok(jar)
}

/// Adds to `jar` the cookies of `from` it does not hold yet (same name, domain and path).
fn merge_missing(jar: &mut CookieJar, from: &CookieJar, now: Time64) {
    for c in from.cookies() {
        let held = jar
            .cookies()
            .iter()
            .any(|o| o.name == c.name && o.domain == c.domain && o.path == c.path);
        if !held {
            jar.set(c.clone(), now);
        }
    }
}

/// Loads the cookies of a `cookies.txt` file into the jar. With `bKeepExists` the jar's own
/// cookies win over the file's; without, the jar is emptied first.
#[no_mangle]
pub extern "C" fn HP_HttpCookie_MGR_LoadFromFile(file: *const c_char, keep: BOOL) -> BOOL {
    ffi!(FALSE, {
        let Some(path) = file_arg(file) else {
            return FALSE;
        };
        let loaded = match read_file(path, false) {
            Ok(j) => j,
            Err(e) => return io_fail(&e),
        };
        let mut jar = hpsocket::cookie_jar().lock();
        if keep == FALSE {
            jar.clear(None, None);
        }
        merge_missing(&mut jar, &loaded, now());
        TRUE
    })
}

/// Saves the jar to a `cookies.txt` file. With `bKeepExists` the file's cookies the jar does
/// not hold are loaded into the jar first (a missing file is fine), so they are kept.
#[no_mangle]
pub extern "C" fn HP_HttpCookie_MGR_SaveToFile(file: *const c_char, keep: BOOL) -> BOOL {
    ffi!(FALSE, {
        let Some(path) = file_arg(file) else {
            return FALSE;
        };
        let mut jar = hpsocket::cookie_jar().lock();
        if keep != FALSE {
            match read_file(path, true) {
                Ok(old) => merge_missing(&mut jar, &old, now()),
                Err(e) => return io_fail(&e),
            }
        }
        let write = || -> std::io::Result<()> {
            let mut w = std::io::BufWriter::new(std::fs::File::create(path)?);
            jar.save(&mut w)?;
            std::io::Write::flush(&mut w)
        };
        match write() {
            Ok(()) => TRUE,
            Err(e) => io_fail(&e),
        }
    })
}

/// Removes the cookies of `domain` (NULL: every domain) under `path` (NULL: every path).
#[no_mangle]
pub unsafe extern "C" fn HP_HttpCookie_MGR_ClearCookies(
    domain: *const c_char,
    path: *const c_char,
) -> BOOL {
    ffi!(FALSE, {
        let (Ok(d), Ok(p)) = (opt_str(domain), opt_str(path)) else {
            return FALSE;
        };
        hpsocket::cookie_jar().lock().clear(d, p);
        TRUE
    })
}

/// Removes the expired cookies of `domain` (NULL: every domain) under `path` (NULL: every
/// path).
#[no_mangle]
pub unsafe extern "C" fn HP_HttpCookie_MGR_RemoveExpiredCookies(
    domain: *const c_char,
    path: *const c_char,
) -> BOOL {
    ffi!(FALSE, {
        let (Ok(d), Ok(p)) = (opt_str(domain), opt_str(path)) else {
            return FALSE;
        };
        let now = now();
        let mut jar = hpsocket::cookie_jar().lock();
        let gone: Vec<Cookie> = jar
            .cookies()
            .iter()
            .filter(|c| c.expired(now))
            .filter(|c| match d {
                Some(d) => cookie::domain_match(&c.domain, d.trim_start_matches('.')),
                None => true,
            })
            .filter(|c| match p {
                Some(p) => cookie::path_match(&c.path, p),
                None => true,
            })
            .cloned()
            .collect();
        for c in gone {
            jar.delete(&c.domain, &c.path, &c.name);
        }
        TRUE
    })
}

/// Sets a cookie for `domain` (and its subdomains) under `path`: `iMaxAge` > 0 seconds to
/// live, < 0 a session cookie, 0 removes it. With `bOnlyUpdateValueIfExists` a cookie already
/// there keeps its other attributes and takes the new value. Name, domain and path are
/// required (FALSE, errno EINVAL).
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn HP_HttpCookie_MGR_SetCookie(
    name: *const c_char,
    value: *const c_char,
    domain: *const c_char,
    path: *const c_char,
    max_age: c_int,
    http_only: BOOL,
    secure: BOOL,
    same: c_int,
    only_update_value: BOOL,
) -> BOOL {
    ffi!(FALSE, {
        let (Ok(Some(name)), Ok(value), Ok(Some(domain)), Ok(Some(path))) = (
            opt_str(name),
            opt_str(value),
            opt_str(domain),
            opt_str(path),
        ) else {
            set_errno(libc::EINVAL);
            return FALSE;
        };
        let (domain, path) = (adjust_domain(domain), adjust_path(path));
        if name.trim().is_empty() || domain.is_empty() || path.is_empty() {
            set_errno(libc::EINVAL);
            return FALSE;
        }
        let now = now();
        let expires = max_age_to_expires(max_age, now);
        let mut jar = hpsocket::cookie_jar().lock();
        let existing = jar
            .cookies()
            .iter()
            .find(|c| c.name == name && c.domain == domain && c.path == path)
            .cloned();
        let c = match existing {
            Some(mut c) if only_update_value != FALSE => {
                c.value = value.unwrap_or("").to_string();
                c
            }
            _ => Cookie {
                name: name.to_string(),
                value: value.unwrap_or("").to_string(),
                domain,
                host_only: false,
                path,
                expires: (expires >= 0).then_some(expires),
                http_only: http_only != FALSE,
                secure: secure != FALSE,
                same_site: same_site(same),
            },
        };
        jar.set(c, now);
        TRUE
    })
}

/// Removes one cookie (FALSE, errno ENODATA, when there is no such cookie).
#[no_mangle]
pub unsafe extern "C" fn HP_HttpCookie_MGR_DeleteCookie(
    domain: *const c_char,
    path: *const c_char,
    name: *const c_char,
) -> BOOL {
    ffi!(FALSE, {
        let (Ok(Some(domain)), Ok(Some(path)), Ok(Some(name))) =
            (opt_str(domain), opt_str(path), opt_str(name))
        else {
            set_errno(libc::EINVAL);
            return FALSE;
        };
        let (domain, path) = (adjust_domain(domain), adjust_path(path));
        if hpsocket::cookie_jar().lock().delete(&domain, &path, name) {
            TRUE
        } else {
            set_errno(libc::ENODATA);
            FALSE
        }
    })
}

/// Records whether third-party cookies are allowed (default TRUE; see the module docs).
#[no_mangle]
pub extern "C" fn HP_HttpCookie_MGR_SetEnableThirdPartyCookie(enable: BOOL) {
    THIRD_PARTY.store(enable != FALSE, Ordering::Relaxed)
}

/// The recorded third-party switch.
#[no_mangle]
pub extern "C" fn HP_HttpCookie_MGR_IsEnableThirdPartyCookie() -> BOOL {
    THIRD_PARTY.load(Ordering::Relaxed) as BOOL
}

/// Parses a cookie `expires` date into seconds since the epoch.
#[no_mangle]
pub unsafe extern "C" fn HP_HttpCookie_HLP_ParseExpires(
    expires: *const c_char,
    out: *mut Time64,
) -> BOOL {
    ffi!(FALSE, {
        if expires.is_null() || out.is_null() {
            set_errno(libc::EINVAL);
            return FALSE;
        }
        let text = CStr::from_ptr(expires).to_string_lossy();
        match cookie::parse_date(&text) {
            Some(t) if t >= 0 => {
                *out = t;
                TRUE
            }
            _ => {
                set_errno(libc::EINVAL);
                FALSE
            }
        }
    })
}

/// Writes an `expires` date (`Sun, 06-Nov-1994 08:49:37 GMT`); `*piBuffLen` becomes the size
/// needed (with the NUL), FALSE when the buffer is NULL or smaller.
#[no_mangle]
pub unsafe extern "C" fn HP_HttpCookie_HLP_MakeExpiresStr(
    buf: *mut c_char,
    len: *mut c_int,
    expires: Time64,
) -> BOOL {
    ffi!(FALSE, { out_str(&expires_str(expires), buf, len) })
}

/// Writes a `Set-Cookie` value: `name=value; domain=..; path=..; expires=..; HttpOnly;
/// secure; SameSite=..` (the parts given); buffer rules as MakeExpiresStr.
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn HP_HttpCookie_HLP_ToString(
    buf: *mut c_char,
    len: *mut c_int,
    name: *const c_char,
    value: *const c_char,
    domain: *const c_char,
    path: *const c_char,
    max_age: c_int,
    http_only: BOOL,
    secure: BOOL,
    same: c_int,
) -> BOOL {
    ffi!(FALSE, {
        let (Ok(Some(name)), Ok(value), Ok(domain), Ok(path)) = (
            opt_str(name),
            opt_str(value),
            opt_str(domain),
            opt_str(path),
        ) else {
            set_errno(libc::EINVAL);
            return FALSE;
        };
        if name.is_empty() {
            set_errno(libc::EINVAL);
            return FALSE;
        }
        let mut s = format!("{name}={}", value.unwrap_or(""));
        let domain = adjust_domain(domain.unwrap_or(""));
        if !domain.is_empty() {
            s += &format!("; domain={domain}");
        }
        let path = adjust_path(path.unwrap_or(""));
        if !path.is_empty() {
            s += &format!("; path={path}");
        }
        let expires = max_age_to_expires(max_age, now());
        if expires >= 0 {
            s += &format!("; expires={}", expires_str(expires));
        }
        if http_only != FALSE {
            s += "; HttpOnly";
        }
        if secure != FALSE {
            s += "; secure";
        }
        match same {
            1 => s += "; SameSite=Strict",
            2 => s += "; SameSite=Lax",
            _ => {}
        }
        out_str(&s, buf, len)
    })
}

/// Seconds since the epoch, now.
#[no_mangle]
pub extern "C" fn HP_HttpCookie_HLP_CurrentUTCTime() -> Time64 {
    now()
}

/// `Max-Age` to `expires`: > 0 now plus it, < 0 -1, 0 0.
#[no_mangle]
pub extern "C" fn HP_HttpCookie_HLP_MaxAgeToExpires(max_age: c_int) -> Time64 {
    max_age_to_expires(max_age, now())
}

/// `expires` to `Max-Age`: -1 for a negative time, else the seconds left (0 when past).
#[no_mangle]
pub extern "C" fn HP_HttpCookie_HLP_ExpiresToMaxAge(expires: Time64) -> c_int {
    if expires < 0 {
        return -1;
    }
    (expires - now()).clamp(0, c_int::MAX as Time64) as c_int
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_and_domains_follow_hp_socket() {
        assert_eq!(adjust_path("/a/b/c"), "/a/b/");
        assert_eq!(adjust_path("/a/"), "/a/");
        assert_eq!(adjust_path("a/b"), "/a/");
        assert_eq!(adjust_path("doc"), "");
        assert_eq!(adjust_domain(".Example.COM"), "example.com");
        assert_eq!(expires_str(784111777), "Sun, 06-Nov-1994 08:49:37 GMT");
        assert_eq!(expires_str(-5), "Thu, 01-Jan-1970 00:00:01 GMT");
    }
}
