//! Splits a request target into HP-Socket's URL fields (`En_HP_HttpUrlField`), for the forms
//! RFC 9112 §3.2 allows: origin (`/path?query`), absolute (`http://user@host:port/path`),
//! authority (`host:port`, CONNECT only) and asterisk (`*`). httparse has already checked
//! the target's bytes; this finds the fields and refuses targets of no valid form.

use super::message::Span;
use super::UrlField;

/// The fields of URL `target`, as spans of the head (`base` is where the target starts in
/// it); `None` when the target has no valid form.
pub(crate) fn split(target: &[u8], base: usize, connect: bool) -> Option<[Option<Span>; 7]> {
    let mut f = Fields {
        spans: [None; 7],
        base,
    };
    if connect {
        // authority-form: host and port, nothing else (http_parser's rule for CONNECT).
        let has_port = f.authority(target, 0)?;
        return (has_port && f.spans[UrlField::UserInfo as usize].is_none()).then_some(f.spans);
    }
    match *target.first()? {
        b'*' if target.len() == 1 => f.set(UrlField::Path, 0, 1),
        b'/' => f.path_query_fragment(target, 0),
        c if c.is_ascii_alphabetic() => {
            // absolute-form: scheme "://" authority [path] ["?" query] ["#" fragment]
            let colon = target.iter().position(|&c| c == b':')?;
            let scheme_ok = target
                .get(..colon)?
                .iter()
                .all(|c| c.is_ascii_alphanumeric() || b"+-.".contains(c));
            if !scheme_ok || target.get(colon..colon + 3)? != b"://" {
                return None;
            }
            f.set(UrlField::Schema, 0, colon);
            let start = colon + 3;
            let end = target
                .iter()
                .skip(start)
                .position(|c| b"/?#".contains(c))
                .map_or(target.len(), |p| start + p);
            f.authority(target.get(..end)?, start)?;
            f.path_query_fragment(target, end);
        }
        _ => return None,
    }
    Some(f.spans)
}

struct Fields {
    spans: [Option<Span>; 7],
    base: usize,
}

impl Fields {
    fn set(&mut self, field: UrlField, start: usize, end: usize) {
        self.spans[field as usize] = Some(Span { start, end }.shift(self.base));
    }

    /// Parses `[userinfo "@"] host [":" port]`, all of `s[start..]`. Returns whether a port
    /// was there; `None` when malformed (an empty host among others).
    fn authority(&mut self, s: &[u8], start: usize) -> Option<bool> {
        let mut host_start = start;
        if let Some(p) = s.get(start..)?.iter().position(|&c| c == b'@') {
            let at = start + p;
            // One '@' only: "a@b@c" is how smuggled hosts hide.
            if s.get(at + 1..)?.contains(&b'@') {
                return None;
            }
            self.set(UrlField::UserInfo, start, at);
            host_start = at + 1;
        }
        let rest = s.get(host_start..)?;
        let port_start = if rest.first() == Some(&b'[') {
            // IP literal: "[" v6 address, maybe with a zone "]"
            let close = rest.iter().position(|&c| c == b']')?;
            let inside = rest.get(1..close)?;
            let ok = !inside.is_empty()
                && inside
                    .iter()
                    .all(|c| c.is_ascii_alphanumeric() || b":.%".contains(c));
            if !ok {
                return None;
            }
            self.set(UrlField::Host, host_start + 1, host_start + close);
            match rest.get(close + 1) {
                None => None,
                Some(b':') => Some(host_start + close + 2),
                Some(_) => return None,
            }
        } else {
            let colon = rest.iter().position(|&c| c == b':');
            let end = colon.map_or(s.len(), |c| host_start + c);
            let host = s.get(host_start..end)?;
            let ok = !host.is_empty()
                && host
                    .iter()
                    .all(|c| c.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=%".contains(c));
            if !ok {
                return None;
            }
            self.set(UrlField::Host, host_start, end);
            colon.map(|_| end + 1)
        };
        let Some(p) = port_start else {
            return Some(false);
        };
        // 1 to 5 digits, at most 65535 (http_parser's rule).
        let digits = s.get(p..)?;
        if digits.is_empty() || digits.len() > 5 {
            return None;
        }
        let value = digits.iter().try_fold(0u32, |n, d| {
            d.is_ascii_digit().then(|| n * 10 + u32::from(d - b'0'))
        })?;
        if value > 65535 {
            return None;
        }
        self.set(UrlField::Port, p, s.len());
        Some(true)
    }

    /// Fills path, query and fragment from `s[start..]`, which is empty or starts with '/',
    /// '?' or '#'.
    fn path_query_fragment(&mut self, s: &[u8], start: usize) {
        let tail = s.get(start..).unwrap_or_default();
        let hash = tail.iter().position(|&c| c == b'#').map(|p| start + p);
        let before_hash = hash.unwrap_or(s.len());
        let question = s
            .get(start..before_hash)
            .unwrap_or_default()
            .iter()
            .position(|&c| c == b'?')
            .map(|p| start + p);
        let path_end = question.unwrap_or(before_hash);
        if path_end > start {
            self.set(UrlField::Path, start, path_end);
        }
        if let Some(q) = question {
            self.set(UrlField::Query, q + 1, before_hash);
        }
        if let Some(h) = hash {
            self.set(UrlField::Fragment, h + 1, s.len());
        }
    }
}
