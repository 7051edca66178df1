//! Placeholders for functions of the UDP and HTTP families that wrappers bind unconditionally.
//!
//! The UDP and HTTP component families arrive with their own issues. Until then these exports
//! exist only so that wrappers which look them up without checking first (the PyPI `hpsocket`
//! package's `pyhpsocket.py` does so for `HP_UdpCast_GetRemoteAddress`, and names the
//! `HP_HttpClient_Get*` ones) still load against this library. Each has the exact C signature
//! of the original and fails cleanly: FALSE or NULL, with errno `ENOSYS`. No object of those
//! families can be created here, so a real call could not have succeeded anyway. They are
//! deliberately not declared in `include/HPSocket4C.h`.

use std::ffi::{c_char, c_int, c_void};

use crate::{set_errno, BOOL, FALSE};

/// `BOOL HP_UdpCast_GetRemoteAddress(HP_UdpCast, TCHAR lpszAddress[], int* piAddressLen,
/// USHORT* pusPort)`: not available yet (FALSE, errno `ENOSYS`).
#[no_mangle]
pub extern "C" fn HP_UdpCast_GetRemoteAddress(
    _cast: *mut c_void,
    _address: *mut c_char,
    _address_len: *mut c_int,
    _port: *mut u16,
) -> BOOL {
    set_errno(libc::ENOSYS);
    FALSE
}

/// `LPCSTR HP_HttpClient_GetContentType(HP_HttpClient)`: not available yet (NULL, errno
/// `ENOSYS`).
#[no_mangle]
pub extern "C" fn HP_HttpClient_GetContentType(_client: *mut c_void) -> *const c_char {
    set_errno(libc::ENOSYS);
    std::ptr::null()
}

/// `LPCSTR HP_HttpClient_GetContentEncoding(HP_HttpClient)`: not available yet (NULL, errno
/// `ENOSYS`).
#[no_mangle]
pub extern "C" fn HP_HttpClient_GetContentEncoding(_client: *mut c_void) -> *const c_char {
    set_errno(libc::ENOSYS);
    std::ptr::null()
}

/// `LPCSTR HP_HttpClient_GetTransferEncoding(HP_HttpClient)`: not available yet (NULL, errno
/// `ENOSYS`).
#[no_mangle]
pub extern "C" fn HP_HttpClient_GetTransferEncoding(_client: *mut c_void) -> *const c_char {
    set_errno(libc::ENOSYS);
    std::ptr::null()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::errno;

    #[test]
    fn placeholders_fail_with_enosys() {
        let mut buf = [0 as c_char; 64];
        let mut len = 64;
        let mut port = 0u16;
        let r = HP_UdpCast_GetRemoteAddress(
            0x1000 as *mut c_void,
            buf.as_mut_ptr(),
            &mut len,
            &mut port,
        );
        assert_eq!((r, errno()), (FALSE, libc::ENOSYS));
        for f in [
            HP_HttpClient_GetContentType,
            HP_HttpClient_GetContentEncoding,
            HP_HttpClient_GetTransferEncoding,
        ] {
            crate::set_errno(0);
            assert!(f(std::ptr::null_mut()).is_null());
            assert_eq!(errno(), libc::ENOSYS);
        }
    }
}
