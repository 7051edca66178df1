//! Layer 2 (beside [`crate::roles`]): export generators shared by the server and agent
//! families (same operations by connection ID), and by all roles (properties, state). The
//! macros expand inside the families, which import what the expansions name from
//! [`crate::marshal`]; this module imports nothing else.

/// `WSABUF`, at the path it has always had (it is defined with the other C types in
/// [`crate::marshal`]).
pub use crate::marshal::WSABUF;

/// Exports of the operations by connection ID, for one role (`$with` dispatches a handle to
/// its component).
macro_rules! conn_exports {
    ($with:ident, $obj:ty;
     $send:ident, $send_part:ident, $send_packets:ident, $pause:ident, $is_pause:ident,
     $disconnect:ident, $disc_long:ident, $disc_silence:ident, $set_extra:ident,
     $get_extra:ident, $pending:ident, $count:ident, $all_ids:ident, $connect_period:ident,
     $silence_period:ident, $local:ident, $remote:ident, $is_connected:ident) => {
        /// Sends `len` bytes on a connection (queued; FALSE + errno on failure).
        #[no_mangle]
        pub unsafe extern "C" fn $send(o: $obj, id: usize, p: *const u8, len: c_int) -> BOOL {
            ffi!(FALSE, {
                let Some(d) = bytes(p, len) else { return FALSE };
                let Some(id) = need_id(id) else { return FALSE };
                // Empty sends fail: PACK says EMSGSIZE (from the library), the others EINVAL.
                $with!(o, FALSE, |c| match (c.send(id, d), d.is_empty()) {
                    (Err(e), _) => fail(&e),
                    (Ok(()), true) => {
                        set_errno(libc::EINVAL);
                        FALSE
                    }
                    (Ok(()), false) => TRUE,
                })
            })
        }

        /// Sends `len` bytes starting at `offset`.
        #[no_mangle]
        pub unsafe extern "C" fn $send_part(
            o: $obj,
            id: usize,
            p: *const u8,
            len: c_int,
            offset: c_int,
        ) -> BOOL {
            if offset < 0 || p.is_null() {
                set_errno(libc::EINVAL);
                return FALSE;
            }
            $send(o, id, p.add(offset as usize), len)
        }

        /// Sends several buffers as one ordered unit (PACK: one packet).
        #[no_mangle]
        pub unsafe extern "C" fn $send_packets(
            o: $obj,
            id: usize,
            bufs: *const WSABUF,
            count: c_int,
        ) -> BOOL {
            ffi!(FALSE, {
                let Some(v) = wsabufs(bufs, count) else {
                    return FALSE;
                };
                let Some(id) = need_id(id) else { return FALSE };
                $with!(o, FALSE, |c| b(c.send_packets(id, &v)))
            })
        }

        /// Pauses (TRUE) or resumes (FALSE) reading a connection.
        #[no_mangle]
        pub extern "C" fn $pause(o: $obj, id: usize, pause: BOOL) -> BOOL {
            ffi!(FALSE, {
                let Some(id) = need_id(id) else { return FALSE };
                $with!(o, FALSE, |c| b(c.pause_receive(id, pause != 0)))
            })
        }

        /// Whether reading a connection is paused.
        #[no_mangle]
        pub unsafe extern "C" fn $is_pause(o: $obj, id: usize, out: *mut BOOL) -> BOOL {
            ffi!(FALSE, {
                let Some(id) = need_id(id) else { return FALSE };
                $with!(o, FALSE, |c| put(out, c.is_pause_receive(id), |v| v
                    as BOOL))
            })
        }

        /// Disconnects a connection (graceful unless `force`).
        #[no_mangle]
        pub extern "C" fn $disconnect(o: $obj, id: usize, force: BOOL) -> BOOL {
            ffi!(FALSE, {
                let Some(id) = need_id(id) else { return FALSE };
                $with!(o, FALSE, |c| b(c.disconnect(id, force != 0)))
            })
        }

        /// Disconnects connections older than `period` ms.
        #[no_mangle]
        pub extern "C" fn $disc_long(o: $obj, period: u32, force: BOOL) -> BOOL {
            ffi!(FALSE, {
                let d = std::time::Duration::from_millis(period as u64);
                $with!(
                    o,
                    FALSE,
                    |c| b(c.disconnect_long_connections(d, force != 0))
                )
            })
        }

        /// Disconnects connections silent for `period` ms.
        #[no_mangle]
        pub extern "C" fn $disc_silence(o: $obj, period: u32, force: BOOL) -> BOOL {
            ffi!(FALSE, {
                let d = std::time::Duration::from_millis(period as u64);
                $with!(o, FALSE, |c| b(
                    c.disconnect_silence_connections(d, force != 0)
                ))
            })
        }

        /// Attaches a pointer-sized value to a connection.
        #[no_mangle]
        pub extern "C" fn $set_extra(o: $obj, id: usize, extra: *mut c_void) -> BOOL {
            ffi!(FALSE, {
                let Some(id) = need_id(id) else { return FALSE };
                $with!(o, FALSE, |c| b(c.set_connection_extra(id, extra as usize)))
            })
        }

        /// Reads the value attached to a connection.
        #[no_mangle]
        pub unsafe extern "C" fn $get_extra(o: $obj, id: usize, out: *mut *mut c_void) -> BOOL {
            ffi!(FALSE, {
                let Some(id) = need_id(id) else { return FALSE };
                $with!(o, FALSE, |c| put(out, c.connection_extra(id), |v| v
                    as *mut c_void))
            })
        }

        /// Bytes queued and not yet written on a connection.
        #[no_mangle]
        pub unsafe extern "C" fn $pending(o: $obj, id: usize, out: *mut c_int) -> BOOL {
            ffi!(FALSE, {
                let Some(id) = need_id(id) else { return FALSE };
                $with!(o, FALSE, |c| put(out, c.pending_data_length(id), |v| v
                    .min(c_int::MAX as usize)
                    as c_int))
            })
        }

        /// Number of open connections.
        #[no_mangle]
        pub extern "C" fn $count(o: $obj) -> u32 {
            ffi!(0, { $with!(o, 0, |c| c.connection_count() as u32) })
        }

        /// Copies the open connection IDs; `*count` is the capacity in, the number out.
        #[no_mangle]
        pub unsafe extern "C" fn $all_ids(o: $obj, ids: *mut usize, count: *mut u32) -> BOOL {
            ffi!(FALSE, {
                if count.is_null() {
                    set_errno(libc::EINVAL);
                    return FALSE;
                }
                $with!(o, FALSE, |c| {
                    let all = c.all_connection_ids();
                    let cap = *count as usize;
                    *count = all.len() as u32;
                    if ids.is_null() || cap == 0 || cap < all.len() {
                        set_errno(libc::EINVAL);
                        return FALSE;
                    }
                    for (i, id) in all.iter().enumerate() {
                        *ids.add(i) = id.get();
                    }
                    TRUE
                })
            })
        }

        /// Milliseconds since a connection was established.
        #[no_mangle]
        pub unsafe extern "C" fn $connect_period(o: $obj, id: usize, out: *mut u32) -> BOOL {
            ffi!(FALSE, {
                let Some(id) = need_id(id) else { return FALSE };
                $with!(o, FALSE, |c| put(out, c.connect_period(id), |d| d
                    .as_millis()
                    .min(u32::MAX as u128)
                    as u32))
            })
        }

        /// Milliseconds since a connection last received data.
        #[no_mangle]
        pub unsafe extern "C" fn $silence_period(o: $obj, id: usize, out: *mut u32) -> BOOL {
            ffi!(FALSE, {
                let Some(id) = need_id(id) else { return FALSE };
                $with!(o, FALSE, |c| put(out, c.silence_period(id), |d| d
                    .as_millis()
                    .min(u32::MAX as u128)
                    as u32))
            })
        }

        /// Local address of a connection.
        #[no_mangle]
        pub unsafe extern "C" fn $local(
            o: $obj,
            id: usize,
            buf: *mut c_char,
            len: *mut c_int,
            port: *mut u16,
        ) -> BOOL {
            ffi!(FALSE, {
                let Some(id) = need_id(id) else { return FALSE };
                $with!(o, FALSE, |c| put_addr(c.local_address(id), buf, len, port))
            })
        }

        /// Remote address of a connection.
        #[no_mangle]
        pub unsafe extern "C" fn $remote(
            o: $obj,
            id: usize,
            buf: *mut c_char,
            len: *mut c_int,
            port: *mut u16,
        ) -> BOOL {
            ffi!(FALSE, {
                let Some(id) = need_id(id) else { return FALSE };
                $with!(o, FALSE, |c| put_addr(c.remote_address(id), buf, len, port))
            })
        }

        /// Whether a connection is open.
        #[no_mangle]
        pub extern "C" fn $is_connected(o: $obj, id: usize) -> BOOL {
            ffi!(FALSE, {
                let Some(id) = hpsocket::ConnId::new(id) else {
                    return FALSE;
                };
                $with!(o, FALSE, |c| c.is_connected(id) as BOOL)
            })
        }
    };
}
pub(crate) use conn_exports;

/// Exports of getter / setter pairs. Setters return nothing, as in HP-Socket: a value that is
/// out of range, or set while started, is ignored and errno says why.
macro_rules! prop_exports {
    ($with:ident, $obj:ty; $($get:ident / $set:ident: $ty:ty => $getter:ident / $setter:ident;)*) => {$(
        /// Reads a property.
        #[no_mangle]
        pub extern "C" fn $get(o: $obj) -> $ty {
            ffi!(Default::default(), {
                $with!(o, Default::default(), |c| $crate::marshal::CVal::<$ty>::to_c(c.$getter()))
            })
        }
        /// Sets a property (ignored, with errno set, while started or out of range).
        #[no_mangle]
        pub extern "C" fn $set(o: $obj, v: $ty) {
            ffi!((), {
                $with!(o, (), |c| $crate::marshal::or_errno(
                    c.$setter($crate::marshal::CVal::<$ty>::from_c(v))
                ))
            })
        }
    )*};
}
pub(crate) use prop_exports;

/// Life-cycle and state exports shared by every role.
macro_rules! state_exports {
    ($with:ident, $obj:ty; $stop:ident, $wait:ident, $secure:ident, $started:ident,
     $state:ident, $last:ident, $desc:ident) => {
        /// Stops the component: closes every connection (then OnShutdown for servers/agents).
        #[no_mangle]
        pub extern "C" fn $stop(o: $obj) -> BOOL {
            ffi!(FALSE, { $with!(o, FALSE, |c| b(c.stop())) })
        }

        /// Waits until stopped (`ms` = 0xFFFFFFFF: forever); TRUE when stopped. Inside one of
        /// the component's own callbacks a stop cannot finish before the callback returns, so
        /// waiting there would only block the worker: FALSE at once with errno `EDEADLK`
        /// unless already stopped.
        #[no_mangle]
        pub extern "C" fn $wait(o: $obj, ms: u32) -> BOOL {
            ffi!(FALSE, {
                let t = (ms != u32::MAX).then(|| std::time::Duration::from_millis(ms as u64));
                let own = $crate::marshal::in_callback(Some(o as usize));
                $with!(o, FALSE, |c| {
                    if own && c.state() != hpsocket::ServiceState::Stopped {
                        $crate::marshal::set_errno(libc::EDEADLK);
                        FALSE
                    } else {
                        c.wait(t) as BOOL
                    }
                })
            })
        }

        /// TRUE for the SSL components, FALSE for the plain TCP ones.
        #[no_mangle]
        pub extern "C" fn $secure(o: $obj) -> BOOL {
            ffi!(FALSE, { $with!(o, FALSE, |c| c.is_secure() as BOOL) })
        }

        /// TRUE when starting or started.
        #[no_mangle]
        pub extern "C" fn $started(o: $obj) -> BOOL {
            ffi!(FALSE, { $with!(o, FALSE, |c| c.has_started() as BOOL) })
        }

        /// `En_HP_ServiceState` (SS_STOPPED for an unknown handle).
        #[no_mangle]
        pub extern "C" fn $state(o: $obj) -> c_int {
            ffi!(3, { $with!(o, 3, |c| c.state() as c_int) })
        }

        /// `En_HP_SocketError` of the last Start / Stop failure.
        #[no_mangle]
        pub extern "C" fn $last(o: $obj) -> c_int {
            ffi!(2, { $with!(o, 2, |c| code(c.last_error())) })
        }

        /// Description of the last error (static string).
        #[no_mangle]
        pub extern "C" fn $desc(o: $obj) -> *const c_char {
            ffi!(error_desc(2), {
                $with!(o, error_desc(2), |c| error_desc(code(c.last_error())))
            })
        }
    };
}
pub(crate) use state_exports;

/// Runs `$body` with `$c` bound to the PACK component (plain or SSL) behind `$h` (other
/// models: EINVAL).
macro_rules! with_pack_in {
    ($reg:ident, $e:ident, $h:expr, $fail:expr, |$c:ident| $body:expr) => {
        match $reg.get($h).as_deref() {
            Some($e::Pack($c)) => $body,
            Some($e::SslPack($c)) => $body,
            Some(_) => {
                set_errno(libc::EINVAL);
                $fail
            }
            None => $fail,
        }
    };
}
pub(crate) use with_pack_in;

/// The model-specific exports of a role whose operations take a connection ID (Server, Agent):
/// SendSmallFile, PULL Fetch / Peek and the PACK properties (plain and SSL alike).
macro_rules! id_model_exports {
    ($reg:ident, $e:ident, $with:ident; $small:ident, $fetch:ident, $peek:ident,
     $get_max:ident / $set_max:ident, $get_flag:ident / $set_flag:ident) => {
        /// Sends `head`, the file's bytes (< 4 MiB) and `tail` as one unit.
        #[no_mangle]
        pub unsafe extern "C" fn $small(
            h: H,
            id: usize,
            file: *const c_char,
            head: *const WSABUF,
            tail: *const WSABUF,
        ) -> BOOL {
            ffi!(FALSE, {
                let Some(id) = need_id(id) else { return FALSE };
                $crate::marshal::with_small_file(file, head, tail, |parts| {
                    $with!(h, FALSE, |c| b(c.send_packets(id, parts)))
                })
            })
        }

        /// PULL: moves exactly `len` buffered bytes into `p` (`En_HP_FetchResult`).
        #[no_mangle]
        pub extern "C" fn $fetch(h: H, id: usize, p: *mut u8, len: c_int) -> c_int {
            $crate::marshal::pull_take(p, len, |out| match ($reg.get(h).as_deref(), need_id(id)) {
                (Some($e::Pull(s)), Some(id)) => Some(s.fetch(id, out)),
                (Some($e::SslPull(s)), Some(id)) => Some(s.fetch(id, out)),
                _ => None,
            })
        }

        /// PULL: copies exactly `len` buffered bytes into `p` without consuming them.
        #[no_mangle]
        pub extern "C" fn $peek(h: H, id: usize, p: *mut u8, len: c_int) -> c_int {
            $crate::marshal::pull_take(p, len, |out| match ($reg.get(h).as_deref(), need_id(id)) {
                (Some($e::Pull(s)), Some(id)) => Some(s.peek(id, out)),
                (Some($e::SslPull(s)), Some(id)) => Some(s.peek(id, out)),
                _ => None,
            })
        }

        /// PACK: the largest packet body.
        #[no_mangle]
        pub extern "C" fn $get_max(h: H) -> u32 {
            ffi!(0, { $crate::ops::with_pack_in!($reg, $e, h, 0, |c| c.max_pack_size()) })
        }

        /// PACK: sets the largest packet body (ignored while started or out of range).
        #[no_mangle]
        pub extern "C" fn $set_max(h: H, v: u32) {
            ffi!((), {
                $crate::ops::with_pack_in!($reg, $e, h, (), |c| {
                    $crate::marshal::or_errno(c.set_max_pack_size(v))
                })
            })
        }

        /// PACK: the header flag.
        #[no_mangle]
        pub extern "C" fn $get_flag(h: H) -> u16 {
            ffi!(0, { $crate::ops::with_pack_in!($reg, $e, h, 0, |c| c.pack_header_flag()) })
        }

        /// PACK: sets the header flag (ignored while started or out of range).
        #[no_mangle]
        pub extern "C" fn $set_flag(h: H, v: u16) {
            ffi!((), {
                $crate::ops::with_pack_in!($reg, $e, h, (), |c| {
                    $crate::marshal::or_errno(c.set_pack_header_flag(v))
                })
            })
        }
    };
}
pub(crate) use id_model_exports;
