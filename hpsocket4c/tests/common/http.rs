//! Calls of the HTTP exports that several test files make.

use std::ffi::{c_int, c_void, CStr};
use std::io::BufRead;

use hpsocket4c::http::HP_HttpSyncClient_OpenUrl;

/// `GET url` on the sync client `c`, without headers or body; what OpenUrl returns.
pub fn sync_get(c: *mut c_void, url: &CStr, force_reconnect: c_int) -> c_int {
    // SAFETY: valid C strings, no headers and no body; the handle is only looked up.
    unsafe {
        HP_HttpSyncClient_OpenUrl(
            c,
            c"GET".as_ptr(),
            url.as_ptr(),
            std::ptr::null(),
            0,
            std::ptr::null(),
            0,
            force_reconnect,
        )
    }
}

/// The header lines of a message head whose first line was read, up to the blank line (line
/// ends trimmed).
pub fn read_header_lines(r: &mut impl BufRead) -> Vec<String> {
    let mut lines = Vec::new();
    loop {
        let mut l = String::new();
        r.read_line(&mut l).unwrap();
        let l = l.trim_end();
        if l.is_empty() {
            return lines;
        }
        lines.push(l.to_string());
    }
}
