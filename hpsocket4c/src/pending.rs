//! Placeholders for functions of the HTTP family that wrappers bind unconditionally.
//!
//! The HTTP component family is not built. These exports exist only so that wrappers which
//! look them up without checking first (the PyPI `hpsocket` package's `pyhpsocket.py` names
//! the `HP_HttpClient_Get*` ones) still load against this library. Each has the exact C signature
//! of the original and fails cleanly: FALSE or NULL, with errno `ENOSYS`. No object of those
//! families can be created here, so a real call could not have succeeded anyway. They are
//! deliberately not declared in `include/HPSocket4C.h`.
//!
//! Layer 3 (families): imports only [`crate::marshal`].

use std::ffi::{c_char, c_void};

use crate::marshal::set_errno;

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
    use crate::marshal::errno;

    #[test]
    fn placeholders_fail_with_enosys() {
        for f in [
            HP_HttpClient_GetContentType,
            HP_HttpClient_GetContentEncoding,
            HP_HttpClient_GetTransferEncoding,
        ] {
            set_errno(0);
            assert!(f(std::ptr::null_mut()).is_null());
            assert_eq!(errno(), libc::ENOSYS);
        }
    }
}
