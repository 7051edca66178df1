//! The UDP families of the 4C API: `Create_HP_Udp{Server,Client,Cast}` and their listeners,
//! `HP_UdpServer_*`, `HP_UdpClient_*` and `HP_UdpCast_*`.
//!
//! As in HP-Socket, a UDP server is driven through the shared `HP_Server_*` functions and the
//! UDP client and cast through `HP_Client_*`: they are the `Udp` / `Cast` variants of the
//! server and client enums, wrapped in [`crate::roles::udp::Udp`].
//!
//! Layer 3 (families): imports only [`crate::marshal`] and [`crate::roles`].

use std::ffi::{c_char, c_int, c_void};

use hpsocket::*;

use crate::marshal::{ffi, or_errno, put_addr, set_errno, CVal, BOOL, FALSE};
use crate::roles::{lifecycle_exports, Cli, Srv, CLIENTS, SERVERS};

// ---- Create / Destroy ----

lifecycle_exports!(SERVERS, Srv;
    Create_HP_UdpServer / Destroy_HP_UdpServer => Udp(UdpServer);
);

lifecycle_exports!(CLIENTS, Cli;
    Create_HP_UdpClient / Destroy_HP_UdpClient => Udp(UdpClient);
    Create_HP_UdpCast / Destroy_HP_UdpCast => Cast(UdpCast);
);

// ---- the UDP-specific functions ----

type H = *mut c_void;

/// Runs `$body` with `$c` bound to the component behind `$h` when it is variant `$e::$v` of
/// registry `$reg` (another kind of component: EINVAL).
macro_rules! with_only {
    ($reg:ident, $e:ident :: $v:ident, $h:expr, $fail:expr, |$c:ident| $body:expr) => {
        match $reg.get($h).as_deref() {
            Some($e::$v($c)) => $body,
            Some(_) => {
                set_errno(libc::EINVAL);
                $fail
            }
            None => $fail,
        }
    };
}

/// The UDP server behind `$h`.
macro_rules! with_udp_srv {
    ($($t:tt)*) => { with_only!(SERVERS, Srv::Udp, $($t)*) };
}

/// The UDP client behind `$h`.
macro_rules! with_udp_cli {
    ($($t:tt)*) => { with_only!(CLIENTS, Cli::Udp, $($t)*) };
}

/// The cast behind `$h`.
macro_rules! with_cast {
    ($($t:tt)*) => { with_only!(CLIENTS, Cli::Cast, $($t)*) };
}

crate::ops::prop_exports!(with_udp_srv, H;
    HP_UdpServer_GetMaxDatagramSize / HP_UdpServer_SetMaxDatagramSize: u32 => max_datagram_size / set_max_datagram_size;
    HP_UdpServer_GetPostReceiveCount / HP_UdpServer_SetPostReceiveCount: u32 => post_receive_count / set_post_receive_count;
    HP_UdpServer_GetDetectAttempts / HP_UdpServer_SetDetectAttempts: u32 => detect_attempts / set_detect_attempts;
    HP_UdpServer_GetDetectInterval / HP_UdpServer_SetDetectInterval: u32 => detect_interval / set_detect_interval;
);

crate::ops::prop_exports!(with_udp_cli, H;
    HP_UdpClient_GetMaxDatagramSize / HP_UdpClient_SetMaxDatagramSize: u32 => max_datagram_size / set_max_datagram_size;
    HP_UdpClient_GetDetectAttempts / HP_UdpClient_SetDetectAttempts: u32 => detect_attempts / set_detect_attempts;
    HP_UdpClient_GetDetectInterval / HP_UdpClient_SetDetectInterval: u32 => detect_interval / set_detect_interval;
);

crate::ops::prop_exports!(with_cast, H;
    HP_UdpCast_GetMaxDatagramSize / HP_UdpCast_SetMaxDatagramSize: u32 => max_datagram_size / set_max_datagram_size;
    HP_UdpCast_IsMultiCastLoop / HP_UdpCast_SetMultiCastLoop: c_int => multicast_loop / set_multicast_loop;
);

impl CVal<c_int> for CastMode {
    fn to_c(self) -> c_int {
        self as c_int
    }
    fn from_c(c: c_int) -> Self {
        match c {
            1 => CastMode::Broadcast,
            _ => CastMode::Multicast,
        }
    }
}

/// `En_HP_CastMode`: CM_MULTICAST (0) or CM_BROADCAST (1).
#[no_mangle]
pub extern "C" fn HP_UdpCast_GetCastMode(h: H) -> c_int {
    ffi!(0, { with_cast!(h, 0, |c| c.cast_mode() as c_int) })
}

/// Sets the cast mode (ignored with errno EINVAL for a value that is neither mode).
#[no_mangle]
pub extern "C" fn HP_UdpCast_SetCastMode(h: H, mode: c_int) {
    ffi!((), {
        if !(0..=1).contains(&mode) {
            set_errno(libc::EINVAL);
            return;
        }
        with_cast!(h, (), |c| or_errno(c.set_cast_mode(CVal::from_c(mode))))
    })
}

/// The multicast TTL.
#[no_mangle]
pub extern "C" fn HP_UdpCast_GetMultiCastTtl(h: H) -> c_int {
    ffi!(0, { with_cast!(h, 0, |c| c.multicast_ttl() as c_int) })
}

/// Sets the multicast TTL (0 ..= 255; anything else is ignored with errno EINVAL).
#[no_mangle]
pub extern "C" fn HP_UdpCast_SetMultiCastTtl(h: H, ttl: c_int) {
    ffi!((), {
        let Ok(ttl) = u32::try_from(ttl) else {
            set_errno(libc::EINVAL);
            return;
        };
        with_cast!(h, (), |c| or_errno(c.set_multicast_ttl(ttl)))
    })
}

/// HP-Socket 5.2's switch for address reuse: TRUE is `ReuseAddressPolicy` "address only"
/// (the default here), FALSE "none". 5.8 programs use `HP_Client_SetReuseAddressPolicy`.
#[no_mangle]
pub extern "C" fn HP_UdpCast_SetReuseAddress(h: H, reuse: BOOL) {
    ffi!((), {
        let p = if reuse != 0 {
            ReuseAddressPolicy::AddrOnly
        } else {
            ReuseAddressPolicy::None
        };
        with_cast!(h, (), |c| or_errno(c.set_reuse_address_policy(p)))
    })
}

/// Whether address reuse is on (any policy but "none").
#[no_mangle]
pub extern "C" fn HP_UdpCast_IsReuseAddress(h: H) -> BOOL {
    ffi!(FALSE, {
        with_cast!(
            h,
            FALSE,
            |c| (c.reuse_address_policy() != ReuseAddressPolicy::None) as BOOL
        )
    })
}

/// The sender of the current datagram (inside OnReceive), or of the last one received.
/// FALSE with errno ENOTCONN before any datagram arrived.
#[no_mangle]
pub unsafe extern "C" fn HP_UdpCast_GetRemoteAddress(
    h: H,
    buf: *mut c_char,
    len: *mut c_int,
    port: *mut u16,
) -> BOOL {
    ffi!(FALSE, {
        with_cast!(h, FALSE, |c| match c.last_sender() {
            Some(a) => put_addr(Ok(a), buf, len, port),
            None => {
                set_errno(libc::ENOTCONN);
                FALSE
            }
        })
    })
}
