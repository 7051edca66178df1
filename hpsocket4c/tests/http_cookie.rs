//! The cookie manager and helpers (`HP_HttpCookie_MGR_*`, `HP_HttpCookie_HLP_*`) called from
//! Rust: the helpers' formats and conversions against HP-Socket's, and the process-wide jar
//! seen through an HTTP sync client talking to a raw server on loopback (a cookie set by
//! SetCookie is sent, a Set-Cookie answer is stored, Save / Clear / Load / Delete /
//! RemoveExpired act on what is sent next). In a process of its own: the jar is global.
#![cfg(target_os = "linux")]

use std::ffi::{c_char, c_int, CStr, CString};
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::sync::mpsc;
use std::time::Duration;

use hpsocket4c::http::*;
use hpsocket4c::http_cookie::*;
use hpsocket4c::sys::SYS_GetLastError;

mod common;
use common::http::{read_header_lines, sync_get};

const TRUE: c_int = 1;
const FALSE: c_int = 0;
const EINVAL: u32 = 22;
const ENODATA: u32 = 61;
const ENOBUFS: u32 = 105;

fn text(buf: &[c_char]) -> String {
    unsafe { CStr::from_ptr(buf.as_ptr()) }
        .to_string_lossy()
        .into_owned()
}

#[test]
fn helpers_format_and_convert_as_hp_socket() {
    unsafe {
        // MakeExpiresStr: the size first, then the text.
        let mut len: c_int = 0;
        assert_eq!(
            HP_HttpCookie_HLP_MakeExpiresStr(std::ptr::null_mut(), &mut len, 784111777),
            FALSE
        );
        assert_eq!(SYS_GetLastError(), ENOBUFS);
        assert_eq!(len, 30);
        let mut buf = vec![0 as c_char; len as usize];
        assert_eq!(
            HP_HttpCookie_HLP_MakeExpiresStr(buf.as_mut_ptr(), &mut len, 784111777),
            TRUE
        );
        assert_eq!(text(&buf), "Sun, 06-Nov-1994 08:49:37 GMT");

        // ParseExpires reads it back, and the other formats servers send.
        let mut t: Time64 = 0;
        for s in [
            c"Sun, 06-Nov-1994 08:49:37 GMT",
            c"Sun, 06 Nov 1994 08:49:37 GMT",
            c"Sunday, 06-Nov-94 08:49:37 GMT",
        ] {
            assert_eq!(
                HP_HttpCookie_HLP_ParseExpires(s.as_ptr(), &mut t),
                TRUE,
                "{s:?}"
            );
            assert_eq!(t, 784111777, "{s:?}");
        }
        assert_eq!(
            HP_HttpCookie_HLP_ParseExpires(c"not a date".as_ptr(), &mut t),
            FALSE
        );
        assert_eq!(
            HP_HttpCookie_HLP_ParseExpires(std::ptr::null(), &mut t),
            FALSE
        );
        assert_eq!(SYS_GetLastError(), EINVAL);

        // ToString: the parts given, domain and path adjusted as HP-Socket does.
        let mut buf = [0 as c_char; 256];
        let mut len: c_int = 256;
        let ok = HP_HttpCookie_HLP_ToString(
            buf.as_mut_ptr(),
            &mut len,
            c"sid".as_ptr(),
            c"abc".as_ptr(),
            c".Example.COM".as_ptr(),
            c"/app/page".as_ptr(),
            -1,
            TRUE,
            TRUE,
            2,
        );
        assert_eq!(ok, TRUE);
        assert_eq!(
            text(&buf),
            "sid=abc; domain=example.com; path=/app/; HttpOnly; secure; SameSite=Lax"
        );
        assert_eq!(len as usize, text(&buf).len() + 1);
        let mut len: c_int = 256;
        let ok = HP_HttpCookie_HLP_ToString(
            buf.as_mut_ptr(),
            &mut len,
            c"x".as_ptr(),
            std::ptr::null(),
            std::ptr::null(),
            std::ptr::null(),
            0,
            FALSE,
            FALSE,
            1,
        );
        assert_eq!(ok, TRUE);
        assert_eq!(
            text(&buf),
            "x=; expires=Thu, 01-Jan-1970 00:00:01 GMT; SameSite=Strict"
        );
        let mut small: c_int = 3;
        assert_eq!(
            HP_HttpCookie_HLP_ToString(
                buf.as_mut_ptr(),
                &mut small,
                c"x".as_ptr(),
                c"y".as_ptr(),
                std::ptr::null(),
                std::ptr::null(),
                -1,
                FALSE,
                FALSE,
                0
            ),
            FALSE
        );
        assert_eq!(small, 4, "x=y and the NUL");

        // Conversions.
        let now = HP_HttpCookie_HLP_CurrentUTCTime();
        assert!(now > 1_700_000_000);
        assert_eq!(HP_HttpCookie_HLP_MaxAgeToExpires(-5), -1);
        assert_eq!(HP_HttpCookie_HLP_MaxAgeToExpires(0), 0);
        assert!((HP_HttpCookie_HLP_MaxAgeToExpires(100) - now - 100).abs() <= 1);
        assert_eq!(HP_HttpCookie_HLP_ExpiresToMaxAge(-1), -1);
        assert_eq!(HP_HttpCookie_HLP_ExpiresToMaxAge(5), 0);
        assert!((HP_HttpCookie_HLP_ExpiresToMaxAge(now + 60) - 60).abs() <= 1);

        assert_eq!(HP_HttpCookie_MGR_IsEnableThirdPartyCookie(), TRUE);
        HP_HttpCookie_MGR_SetEnableThirdPartyCookie(FALSE);
        assert_eq!(HP_HttpCookie_MGR_IsEnableThirdPartyCookie(), FALSE);
        HP_HttpCookie_MGR_SetEnableThirdPartyCookie(TRUE);
    }
}

/// A raw HTTP server answering `n` requests: it reports each request's Cookie header and
/// answers 200 with `Set-Cookie: got=<n>; Path=/`.
fn raw_server(n: usize) -> (u16, mpsc::Receiver<String>) {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut done = 0;
        while done < n {
            let (c, _) = l.accept().unwrap();
            c.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
            let mut w = c.try_clone().unwrap();
            let mut r = BufReader::new(c);
            while done < n {
                let mut cookie = String::from("-");
                let mut first = String::new();
                if r.read_line(&mut first).unwrap_or(0) == 0 {
                    break;
                }
                for l in read_header_lines(&mut r) {
                    if let Some(v) = l.strip_prefix("Cookie: ") {
                        cookie = v.to_string();
                    }
                }
                done += 1;
                tx.send(cookie).unwrap();
                write!(w, "HTTP/1.1 200 OK\r\nSet-Cookie: got={done}; Path=/\r\nContent-Length: 0\r\n\r\n").unwrap();
            }
        }
    });
    (port, rx)
}

#[test]
fn the_jar_is_what_http_clients_send_and_store() {
    let (port, rx) = raw_server(6);
    let url = CString::new(format!("http://127.0.0.1:{port}/p/q")).unwrap();
    let c = Create_HP_HttpSyncClient(std::ptr::null_mut());
    let get = || {
        let ok = sync_get(c, &url, FALSE);
        assert_eq!(ok, TRUE, "errno {}", SYS_GetLastError());
        rx.recv_timeout(Duration::from_secs(10)).unwrap()
    };
    let dir = std::env::temp_dir().join(format!("hpsocket4c-cookies-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = CString::new(dir.join("cookies.txt").to_str().unwrap()).unwrap();
    unsafe {
        // Set by hand, then sent.
        let ok = HP_HttpCookie_MGR_SetCookie(
            c"k".as_ptr(),
            c"v".as_ptr(),
            c"127.0.0.1".as_ptr(),
            c"/".as_ptr(),
            3600,
            FALSE,
            FALSE,
            0,
            TRUE,
        );
        assert_eq!(ok, TRUE);
        assert_eq!(get(), "k=v");
        // The answer's Set-Cookie was stored and goes with the next request.
        let second = get();
        assert!(
            second.contains("k=v") && second.contains("got=1"),
            "{second}"
        );
        // Only the value changes with bOnlyUpdateValueIfExists.
        let ok = HP_HttpCookie_MGR_SetCookie(
            c"k".as_ptr(),
            c"w".as_ptr(),
            c"127.0.0.1".as_ptr(),
            c"/".as_ptr(),
            -1,
            FALSE,
            FALSE,
            0,
            TRUE,
        );
        assert_eq!(ok, TRUE);

        // Saved, cleared (nothing sent), loaded back.
        assert_eq!(HP_HttpCookie_MGR_SaveToFile(file.as_ptr(), FALSE), TRUE);
        let saved = std::fs::read_to_string(dir.join("cookies.txt")).unwrap();
        assert!(
            saved.contains("\tk\tw") && saved.contains("\tgot\t2"),
            "{saved}"
        );
        assert_eq!(
            HP_HttpCookie_MGR_ClearCookies(std::ptr::null(), std::ptr::null()),
            TRUE
        );
        let cleared = get();
        assert_eq!(cleared, "-", "no cookie after ClearCookies");
        // got=3 came back meanwhile; loading without keeping replaces it by the file's got=2.
        assert_eq!(HP_HttpCookie_MGR_LoadFromFile(file.as_ptr(), FALSE), TRUE);
        let loaded = get();
        assert!(
            loaded.contains("k=w") && loaded.contains("got=2"),
            "{loaded}"
        );

        // Delete one; a second delete finds nothing.
        assert_eq!(
            HP_HttpCookie_MGR_DeleteCookie(c"127.0.0.1".as_ptr(), c"/".as_ptr(), c"k".as_ptr()),
            TRUE
        );
        assert_eq!(
            HP_HttpCookie_MGR_DeleteCookie(c"127.0.0.1".as_ptr(), c"/".as_ptr(), c"k".as_ptr()),
            FALSE
        );
        assert_eq!(SYS_GetLastError(), ENODATA);
        let after = get();
        assert!(!after.contains("k=") && after.contains("got="), "{after}");
        // Max-Age 0 removes a cookie.
        let ok = HP_HttpCookie_MGR_SetCookie(
            c"got".as_ptr(),
            c"x".as_ptr(),
            c"127.0.0.1".as_ptr(),
            c"/".as_ptr(),
            0,
            FALSE,
            FALSE,
            0,
            FALSE,
        );
        assert_eq!(ok, TRUE);
        assert_eq!(get(), "-");
        assert_eq!(
            HP_HttpCookie_MGR_RemoveExpiredCookies(std::ptr::null(), std::ptr::null()),
            TRUE
        );

        // Bad calls.
        assert_eq!(
            HP_HttpCookie_MGR_SetCookie(
                std::ptr::null(),
                c"v".as_ptr(),
                c"d".as_ptr(),
                c"/".as_ptr(),
                -1,
                FALSE,
                FALSE,
                0,
                TRUE
            ),
            FALSE
        );
        assert_eq!(SYS_GetLastError(), EINVAL);
        assert_eq!(
            HP_HttpCookie_MGR_SetCookie(
                c"n".as_ptr(),
                c"v".as_ptr(),
                c"d".as_ptr(),
                c"nopath".as_ptr(),
                -1,
                FALSE,
                FALSE,
                0,
                TRUE
            ),
            FALSE
        );
        assert_eq!(
            HP_HttpCookie_MGR_LoadFromFile(c"/nonexistent/cookies.txt".as_ptr(), TRUE),
            FALSE
        );
        assert_eq!(SYS_GetLastError(), 2, "ENOENT");
        assert_eq!(
            HP_HttpCookie_MGR_LoadFromFile(std::ptr::null(), TRUE),
            FALSE
        );
        assert_eq!(SYS_GetLastError(), EINVAL);
    }
    Destroy_HP_HttpSyncClient(c);
    let _ = std::fs::remove_dir_all(&dir);
}
