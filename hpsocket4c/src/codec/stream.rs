//! HP-Socket 5.8's streaming compressor and decompressor objects (`IHPCompressor` /
//! `IHPDecompressor` in C++, `HP_Compressor` / `HP_Decompressor` in 4C): zlib, raw deflate and
//! gzip through `flate2`, Brotli through the `brotli` crate.
//!
//! Behaviour (HP-Socket's):
//! - Output goes to the `Fn_CompressDataCallback` / `Fn_DecompressDataCallback` given at
//!   creation, in pieces of at most the object's buffer size (`dwBuffSize`, 16 KiB unless an
//!   `Ex` creator says otherwise), with the `pContext` of the `Process` call. A callback that
//!   returns FALSE stops the call: FALSE with errno `ECANCELED`, and the object is reset.
//! - Compressors: `bLast` finishes the stream (the object is then reset for the next one);
//!   `ProcessEx`'s `bFlush` ends the call with a sync flush, so everything given so far can be
//!   decoded by the peer.
//! - Decompressors: the end of a stream resets the object; input after it in the same call is
//!   ignored. Corrupt input: FALSE with errno `EBADMSG` (the object is reset).
//! - Objects made with invalid parameters exist but are not valid: `IsValid` is FALSE and
//!   `Process` fails with errno `EPERM`.
//!
//! Memory: nothing is accumulated. Each object holds its codec state and one output buffer of
//! `dwBuffSize` bytes (within [`MIN_BUFFER_SIZE`]..=[`MAX_BUFFER_SIZE`]); whatever the input expands to (a
//! decompression bomb included) reaches the callback one buffer at a time, and the callback
//! can stop it by returning FALSE. The Brotli decoder refuses large-window streams, so its
//! window stays within 16 MiB.
//!
//! Handles live in a registry: a destroyed or unknown handle fails with errno `EBADF`. An
//! object is not for two threads at once: a call on an object busy in another call (another
//! thread, or its own callback) fails with errno `EBUSY`.

use std::ffi::{c_int, c_void};
use std::sync::{Arc, LazyLock};

use ::brotli::enc::encode::{
    BrotliEncoderOperation, BrotliEncoderParameter, BrotliEncoderStateStruct,
};
use ::brotli::enc::StandardAlloc;
use ::brotli::{BrotliDecompressStream, BrotliResult, BrotliState};
use flate2::{Compress, Compression, Decompress, FlushCompress, FlushDecompress, Status};
use parking_lot::Mutex;

use crate::codec::zlib::{deflate_window, inflate_window, level, Wrap};
use crate::marshal::{ffi, set_errno, BOOL, FALSE, TRUE};
use crate::roles::{new_handle, Registry};

/// `Fn_CompressDataCallback` / `Fn_DecompressDataCallback` (`Fn_DataCallback`): one piece of
/// output, its length and the `pContext` of the `Process` call; FALSE stops the call.
pub type FnDataCallback = unsafe extern "C" fn(*const u8, c_int, *mut c_void) -> BOOL;

/// HP-Socket's default buffer size (`DEFAULT_COMPRESS_BUFFER_SIZE`): 16 KiB.
pub const DEFAULT_BUFFER_SIZE: u32 = 16 * 1024;

/// The largest buffer an object allocates (and so the largest piece a callback gets): 16 MiB.
/// A larger `dwBuffSize` is taken as this.
pub const MAX_BUFFER_SIZE: u32 = 16 << 20;

/// zlib's defaults for `Create_HP_ZLibCompressor` / `Create_HP_GZipCompressor`.
const DEF_WBITS: c_int = 15;
const DEF_LEVEL: c_int = -1;
const DEF_METHOD: c_int = 8;
const DEF_MEM_LEVEL: c_int = 8;
const DEF_STRATEGY: c_int = 0;

/// Brotli's defaults (`BROTLI_DEFAULT_QUALITY` / `_WINDOW` / `_MODE`).
pub(crate) const BROTLI_DEF_QUALITY: c_int = 11;
pub(crate) const BROTLI_DEF_WINDOW: c_int = 22;
pub(crate) const BROTLI_DEF_MODE: c_int = 0;

/// What a compressor was created as; kept to rebuild its state at each reset.
#[derive(Clone, Copy)]
enum EncKind {
    Deflate {
        wrap: Wrap,
        bits: u8,
        level: Compression,
    },
    Brotli {
        quality: u32,
        window: u32,
        mode: u32,
    },
}

/// What a decompressor was created as.
#[derive(Clone, Copy)]
enum DecKind {
    /// zlib / raw / gzip, or (`Wrap::Auto`) gzip or zlib by the stream's first two bytes.
    Inflate {
        wrap: Wrap,
        bits: u8,
    },
    Brotli,
}

enum Enc {
    Deflate(Compress),
    Brotli(Box<BrotliEncoderStateStruct<StandardAlloc>>),
}

enum Dec {
    Inflate(Decompress),
    /// `Wrap::Auto` before two bytes were seen: the bytes so far.
    Sniffing(Vec<u8>),
    Brotli(Box<BrotliState<StandardAlloc, StandardAlloc, StandardAlloc>>),
}

/// A compressor object: `None` kind means created with invalid parameters.
pub struct Compressor {
    callback: Option<FnDataCallback>,
    kind: Option<EncKind>,
    buf_size: usize,
    state: Mutex<Option<Enc>>,
}

/// A decompressor object: `None` kind means created with invalid parameters.
pub struct Decompressor {
    callback: Option<FnDataCallback>,
    kind: Option<DecKind>,
    buf_size: usize,
    state: Mutex<Option<Dec>>,
}

static COMPRESSORS: LazyLock<Registry<Compressor>> = LazyLock::new(Registry::default);
static DECOMPRESSORS: LazyLock<Registry<Decompressor>> = LazyLock::new(Registry::default);

/// The smallest buffer an object uses: 64 bytes (a smaller `dwBuffSize` is taken as this), so
/// the codecs always have room to make progress.
pub const MIN_BUFFER_SIZE: u32 = 64;

fn buf_size(n: u32) -> usize {
    match n {
        0 => DEFAULT_BUFFER_SIZE as usize,
        n => n.clamp(MIN_BUFFER_SIZE, MAX_BUFFER_SIZE) as usize,
    }
}

fn new_enc(kind: EncKind) -> Enc {
    match kind {
        EncKind::Deflate { wrap, bits, level } => Enc::Deflate(match wrap {
            Wrap::Gzip => Compress::new_gzip(level, bits),
            w => Compress::new_with_window_bits(level, w == Wrap::Zlib, bits),
        }),
        EncKind::Brotli {
            quality,
            window,
            mode,
        } => {
            let mut s = BrotliEncoderStateStruct::new(StandardAlloc::default());
            s.set_parameter(BrotliEncoderParameter::BROTLI_PARAM_QUALITY, quality);
            s.set_parameter(BrotliEncoderParameter::BROTLI_PARAM_LGWIN, window);
            s.set_parameter(BrotliEncoderParameter::BROTLI_PARAM_MODE, mode);
            Enc::Brotli(Box::new(s))
        }
    }
}

/// A Brotli decoder of standard streams (large windows refused).
pub(crate) fn brotli_decoder() -> BrotliState<StandardAlloc, StandardAlloc, StandardAlloc> {
    let mut s = BrotliState::new(
        StandardAlloc::default(),
        StandardAlloc::default(),
        StandardAlloc::default(),
    );
    s.large_window = false;
    s
}

fn new_dec(kind: DecKind) -> Dec {
    match kind {
        DecKind::Inflate {
            wrap: Wrap::Auto, ..
        } => Dec::Sniffing(Vec::new()),
        DecKind::Inflate { wrap, bits } => Dec::Inflate(match wrap {
            Wrap::Gzip => Decompress::new_gzip(bits),
            w => Decompress::new_with_window_bits(w == Wrap::Zlib, bits),
        }),
        DecKind::Brotli => Dec::Brotli(Box::new(brotli_decoder())),
    }
}

/// Brotli parameters: quality 0..=11, window 10..=24 bits, mode 0..=2 (generic, text, font).
pub(crate) fn brotli_params(q: c_int, w: c_int, m: c_int) -> Option<(u32, u32, u32)> {
    match (q, w, m) {
        (0..=11, 10..=24, 0..=2) => Some((q as u32, w as u32, m as u32)),
        _ => None,
    }
}

fn create_compressor(cb: Option<FnDataCallback>, kind: Option<EncKind>, size: u32) -> *mut c_void {
    ffi!(std::ptr::null_mut(), {
        if cb.is_none() {
            set_errno(libc::EINVAL);
            return std::ptr::null_mut();
        }
        let h = new_handle();
        let c = Compressor {
            callback: cb,
            kind,
            buf_size: buf_size(size),
            state: Mutex::new(kind.map(new_enc)),
        };
        COMPRESSORS.insert(h, Arc::new(c));
        h as *mut c_void
    })
}

fn create_decompressor(
    cb: Option<FnDataCallback>,
    kind: Option<DecKind>,
    size: u32,
) -> *mut c_void {
    ffi!(std::ptr::null_mut(), {
        if cb.is_none() {
            set_errno(libc::EINVAL);
            return std::ptr::null_mut();
        }
        let h = new_handle();
        let d = Decompressor {
            callback: cb,
            kind,
            buf_size: buf_size(size),
            state: Mutex::new(kind.map(new_dec)),
        };
        DECOMPRESSORS.insert(h, Arc::new(d));
        h as *mut c_void
    })
}

fn deflate_kind(
    bits: c_int,
    lvl: c_int,
    method: c_int,
    mem: c_int,
    strat: c_int,
) -> Option<EncKind> {
    let (Some(level), 8, Some((wrap, bits)), 1..=9, 0..=4) =
        (level(lvl), method, deflate_window(bits), mem, strat)
    else {
        return None;
    };
    Some(EncKind::Deflate { wrap, bits, level })
}

/// Creates a zlib compressor with zlib's defaults (window bits 15, level -1, method 8,
/// memory level 8, strategy 0) and a 16 KiB buffer.
#[no_mangle]
pub extern "C" fn Create_HP_ZLibCompressor(cb: Option<FnDataCallback>) -> *mut c_void {
    Create_HP_ZLibCompressorEx(
        cb,
        DEF_WBITS,
        DEF_LEVEL,
        DEF_METHOD,
        DEF_MEM_LEVEL,
        DEF_STRATEGY,
        DEFAULT_BUFFER_SIZE,
    )
}

/// Creates a compressor with zlib's `deflateInit2` parameters: window bits 8..=15 (zlib),
/// -15..=-9 (raw deflate) or 25..=31 (gzip), level -1..=9, method 8, memory level 1..=9,
/// strategy 0..=4; `buf_size` 0 means 16 KiB. Out-of-range parameters give an object that is
/// not valid (as in HP-Socket); a NULL callback gives NULL (errno `EINVAL`).
#[no_mangle]
pub extern "C" fn Create_HP_ZLibCompressorEx(
    cb: Option<FnDataCallback>,
    window_bits: c_int,
    lvl: c_int,
    method: c_int,
    mem_level: c_int,
    strategy: c_int,
    buf_size: u32,
) -> *mut c_void {
    let kind = deflate_kind(window_bits, lvl, method, mem_level, strategy);
    create_compressor(cb, kind, buf_size)
}

/// Creates a gzip compressor with zlib's defaults and a 16 KiB buffer.
#[no_mangle]
pub extern "C" fn Create_HP_GZipCompressor(cb: Option<FnDataCallback>) -> *mut c_void {
    Create_HP_GZipCompressorEx(
        cb,
        DEF_LEVEL,
        DEF_METHOD,
        DEF_MEM_LEVEL,
        DEF_STRATEGY,
        DEFAULT_BUFFER_SIZE,
    )
}

/// Creates a gzip compressor (window bits 15 + 16) with the other `deflateInit2` parameters.
#[no_mangle]
pub extern "C" fn Create_HP_GZipCompressorEx(
    cb: Option<FnDataCallback>,
    lvl: c_int,
    method: c_int,
    mem_level: c_int,
    strategy: c_int,
    buf_size: u32,
) -> *mut c_void {
    let kind = deflate_kind(DEF_WBITS + 16, lvl, method, mem_level, strategy);
    create_compressor(cb, kind, buf_size)
}

/// Creates a zlib decompressor (window bits 15) with a 16 KiB buffer.
#[no_mangle]
pub extern "C" fn Create_HP_ZLibDecompressor(cb: Option<FnDataCallback>) -> *mut c_void {
    Create_HP_ZLibDecompressorEx(cb, DEF_WBITS, DEFAULT_BUFFER_SIZE)
}

/// Creates a decompressor with zlib's `inflateInit2` window bits: 0 or 8..=15 zlib, -15..=-8
/// raw, 24..=31 gzip, 40..=47 gzip or zlib by the data.
#[no_mangle]
pub extern "C" fn Create_HP_ZLibDecompressorEx(
    cb: Option<FnDataCallback>,
    window_bits: c_int,
    buf_size: u32,
) -> *mut c_void {
    let kind = inflate_window(window_bits).map(|(wrap, bits)| DecKind::Inflate { wrap, bits });
    create_decompressor(cb, kind, buf_size)
}

/// Creates a gzip decompressor (it takes zlib streams too, as window bits 47 do).
#[no_mangle]
pub extern "C" fn Create_HP_GZipDecompressor(cb: Option<FnDataCallback>) -> *mut c_void {
    Create_HP_GZipDecompressorEx(cb, DEFAULT_BUFFER_SIZE)
}

/// Creates a gzip decompressor with a buffer of `buf_size` bytes.
#[no_mangle]
pub extern "C" fn Create_HP_GZipDecompressorEx(
    cb: Option<FnDataCallback>,
    buf_size: u32,
) -> *mut c_void {
    let kind = Some(DecKind::Inflate {
        wrap: Wrap::Auto,
        bits: 15,
    });
    create_decompressor(cb, kind, buf_size)
}

/// Creates a Brotli compressor (quality 11, window 22, mode 0, 16 KiB buffer).
#[no_mangle]
pub extern "C" fn Create_HP_BrotliCompressor(cb: Option<FnDataCallback>) -> *mut c_void {
    Create_HP_BrotliCompressorEx(
        cb,
        BROTLI_DEF_QUALITY,
        BROTLI_DEF_WINDOW,
        BROTLI_DEF_MODE,
        DEFAULT_BUFFER_SIZE,
    )
}

/// Creates a Brotli compressor: quality 0..=11, window 10..=24 bits, mode 0..=2 (else the
/// object is not valid).
#[no_mangle]
pub extern "C" fn Create_HP_BrotliCompressorEx(
    cb: Option<FnDataCallback>,
    quality: c_int,
    window: c_int,
    mode: c_int,
    buf_size: u32,
) -> *mut c_void {
    let kind =
        brotli_params(quality, window, mode).map(|(quality, window, mode)| EncKind::Brotli {
            quality,
            window,
            mode,
        });
    create_compressor(cb, kind, buf_size)
}

/// Creates a Brotli decompressor with a 16 KiB buffer.
#[no_mangle]
pub extern "C" fn Create_HP_BrotliDecompressor(cb: Option<FnDataCallback>) -> *mut c_void {
    Create_HP_BrotliDecompressorEx(cb, DEFAULT_BUFFER_SIZE)
}

/// Creates a Brotli decompressor with a buffer of `buf_size` bytes.
#[no_mangle]
pub extern "C" fn Create_HP_BrotliDecompressorEx(
    cb: Option<FnDataCallback>,
    buf_size: u32,
) -> *mut c_void {
    create_decompressor(cb, Some(DecKind::Brotli), buf_size)
}

/// Destroys a compressor (a call running on it, in a callback, finishes first).
#[no_mangle]
pub extern "C" fn Destroy_HP_Compressor(c: *mut c_void) {
    ffi!((), {
        if COMPRESSORS.remove(c).is_none() {
            set_errno(libc::EBADF);
        }
    })
}

/// Destroys a decompressor.
#[no_mangle]
pub extern "C" fn Destroy_HP_Decompressor(d: *mut c_void) {
    ffi!((), {
        if DECOMPRESSORS.remove(d).is_none() {
            set_errno(libc::EBADF);
        }
    })
}

/// The input of a `Process` call: NULL is only fine with length 0; negative lengths are not.
unsafe fn input<'a>(p: *const u8, len: c_int) -> Option<&'a [u8]> {
    match len {
        0 => Some(&[]),
        n if n < 0 || p.is_null() => None,
        // SAFETY: the caller provides `len` readable bytes at `p`.
        n => Some(std::slice::from_raw_parts(p, n as usize)),
    }
}

/// Why a run stopped early.
enum Stop {
    /// The callback returned FALSE.
    Cancelled,
    /// The codec refused the data.
    Bad,
}

impl Stop {
    fn errno(&self) -> c_int {
        match self {
            Stop::Cancelled => libc::ECANCELED,
            Stop::Bad => libc::EBADMSG,
        }
    }
}

/// Hands one piece of output to the callback.
fn emit(cb: FnDataCallback, piece: &[u8], ctx: *mut c_void) -> Result<(), Stop> {
    if piece.is_empty() {
        return Ok(());
    }
    // SAFETY: a callback given by the caller, with a piece of at most `buf_size` bytes.
    match unsafe { cb(piece.as_ptr(), piece.len() as c_int, ctx) } {
        FALSE => Err(Stop::Cancelled),
        _ => Ok(()),
    }
}

fn run_deflate(
    c: &mut Compress,
    mut s: &[u8],
    flush: FlushCompress,
    buf: &mut [u8],
    cb: FnDataCallback,
    ctx: *mut c_void,
) -> Result<(), Stop> {
    loop {
        let (in0, out0) = (c.total_in(), c.total_out());
        let st = c.compress(s, buf, flush).map_err(|_| Stop::Bad)?;
        let used = (c.total_in() - in0) as usize;
        let made = (c.total_out() - out0) as usize;
        s = &s[used..];
        emit(cb, &buf[..made], ctx)?;
        let room_left = made < buf.len();
        match (flush, st) {
            (FlushCompress::Finish, Status::StreamEnd) => return Ok(()),
            // No progress with room to write: the codec is stuck; never spin.
            (FlushCompress::Finish, _) if used == 0 && made == 0 => return Err(Stop::Bad),
            (FlushCompress::Finish, _) => {}
            _ if s.is_empty() && room_left => return Ok(()),
            _ if used == 0 && made == 0 => return Ok(()),
            _ => {}
        }
    }
}

fn run_brotli_enc(
    e: &mut BrotliEncoderStateStruct<StandardAlloc>,
    s: &[u8],
    op: BrotliEncoderOperation,
    buf: &mut [u8],
    cb: FnDataCallback,
    ctx: *mut c_void,
) -> Result<(), Stop> {
    let mut avail_in = s.len();
    let mut in_off = 0;
    loop {
        let mut avail_out = buf.len();
        let mut out_off = 0;
        let ok = e.compress_stream(
            op,
            &mut avail_in,
            s,
            &mut in_off,
            &mut avail_out,
            buf,
            &mut out_off,
            &mut None,
            &mut |_, _, _, _| (),
        );
        if !ok {
            return Err(Stop::Bad);
        }
        emit(cb, &buf[..out_off], ctx)?;
        let done = match op {
            BrotliEncoderOperation::BROTLI_OPERATION_FINISH => e.is_finished(),
            _ => avail_in == 0 && !e.has_more_output(),
        };
        if done {
            return Ok(());
        }
    }
}

/// `HP_Compressor_Process`: `ProcessEx` without a flush.
#[no_mangle]
pub unsafe extern "C" fn HP_Compressor_Process(
    c: *mut c_void,
    p: *const u8,
    len: c_int,
    last: BOOL,
    ctx: *mut c_void,
) -> BOOL {
    HP_Compressor_ProcessEx(c, p, len, last, FALSE, ctx)
}

/// Compresses `len` bytes, handing the output to the callback; `last` finishes the stream
/// (and resets the object), `flush` (when not `last`) ends the call with a sync flush. An empty
/// chunk is allowed (with `last` it just finishes the stream). FALSE: `EBADF` (no such object),
/// `EBUSY` (busy in another call), `EPERM` (not valid), `EINVAL` (bad input pointer or length),
/// `ECANCELED` (the callback returned FALSE); the object is reset after a failure.
#[no_mangle]
pub unsafe extern "C" fn HP_Compressor_ProcessEx(
    c: *mut c_void,
    p: *const u8,
    len: c_int,
    last: BOOL,
    flush: BOOL,
    ctx: *mut c_void,
) -> BOOL {
    ffi!(FALSE, {
        let Some(obj) = COMPRESSORS.get(c) else {
            return FALSE;
        };
        let Some(mut guard) = obj.state.try_lock() else {
            set_errno(libc::EBUSY);
            return FALSE;
        };
        let (Some(kind), Some(cb), Some(enc)) = (obj.kind, obj.callback, guard.as_mut()) else {
            set_errno(libc::EPERM);
            return FALSE;
        };
        let Some(s) = input(p, len) else {
            set_errno(libc::EINVAL);
            return FALSE;
        };
        let mut buf = vec![0u8; obj.buf_size];
        let r = match enc {
            Enc::Deflate(d) => {
                let f = if last != FALSE {
                    FlushCompress::Finish
                } else if flush != FALSE {
                    FlushCompress::Sync
                } else {
                    FlushCompress::None
                };
                run_deflate(d, s, f, &mut buf, cb, ctx)
            }
            Enc::Brotli(b) => {
                let op = if last != FALSE {
                    BrotliEncoderOperation::BROTLI_OPERATION_FINISH
                } else if flush != FALSE {
                    BrotliEncoderOperation::BROTLI_OPERATION_FLUSH
                } else {
                    BrotliEncoderOperation::BROTLI_OPERATION_PROCESS
                };
                run_brotli_enc(b, s, op, &mut buf, cb, ctx)
            }
        };
        if r.is_err() || last != FALSE {
            *guard = Some(new_enc(kind));
        }
        match r {
            Ok(()) => TRUE,
            Err(e) => {
                set_errno(e.errno());
                FALSE
            }
        }
    })
}

/// Starts a new stream, dropping the current one. FALSE only for a bad handle (`EBADF`), a
/// busy object (`EBUSY`) or one that is not valid (`EPERM`).
#[no_mangle]
pub extern "C" fn HP_Compressor_Reset(c: *mut c_void) -> BOOL {
    ffi!(FALSE, {
        let Some(obj) = COMPRESSORS.get(c) else {
            return FALSE;
        };
        let Some(mut guard) = obj.state.try_lock() else {
            set_errno(libc::EBUSY);
            return FALSE;
        };
        match obj.kind {
            Some(k) => {
                *guard = Some(new_enc(k));
                TRUE
            }
            None => {
                set_errno(libc::EPERM);
                FALSE
            }
        }
    })
}

/// TRUE if the compressor was created with valid parameters.
#[no_mangle]
pub extern "C" fn HP_Compressor_IsValid(c: *mut c_void) -> BOOL {
    ffi!(FALSE, {
        match COMPRESSORS.get(c) {
            Some(o) if o.kind.is_some() => TRUE,
            Some(_) => FALSE,
            None => FALSE,
        }
    })
}

/// Feeds an inflate decoder; `Ok(true)` at the end of the stream.
fn run_inflate(
    d: &mut Decompress,
    mut s: &[u8],
    buf: &mut [u8],
    cb: FnDataCallback,
    ctx: *mut c_void,
) -> Result<bool, Stop> {
    loop {
        let (in0, out0) = (d.total_in(), d.total_out());
        let st = d
            .decompress(s, buf, FlushDecompress::None)
            .map_err(|_| Stop::Bad)?;
        let used = (d.total_in() - in0) as usize;
        let made = (d.total_out() - out0) as usize;
        s = &s[used..];
        emit(cb, &buf[..made], ctx)?;
        if st == Status::StreamEnd {
            return Ok(true);
        }
        if (s.is_empty() && made < buf.len()) || (used == 0 && made == 0) {
            return Ok(false);
        }
    }
}

fn run_brotli_dec(
    st: &mut BrotliState<StandardAlloc, StandardAlloc, StandardAlloc>,
    s: &[u8],
    buf: &mut [u8],
    cb: FnDataCallback,
    ctx: *mut c_void,
) -> Result<bool, Stop> {
    let mut avail_in = s.len();
    let mut in_off = 0;
    let mut total = 0;
    loop {
        let mut avail_out = buf.len();
        let mut out_off = 0;
        let r = BrotliDecompressStream(
            &mut avail_in,
            &mut in_off,
            s,
            &mut avail_out,
            &mut out_off,
            buf,
            &mut total,
            st,
        );
        if let BrotliResult::ResultFailure = r {
            return Err(Stop::Bad);
        }
        emit(cb, &buf[..out_off], ctx)?;
        match r {
            BrotliResult::ResultSuccess => return Ok(true),
            BrotliResult::NeedsMoreInput => return Ok(false),
            _ => {}
        }
    }
}

/// `HP_Decompressor_Process`: decompresses `len` bytes, handing the output to the callback.
/// TRUE also when the stream is not complete yet (more input is wanted); at its end the
/// object is reset (input after the end, in the same call, is ignored). FALSE: `EBADF`,
/// `EBUSY`, `EPERM`, `EINVAL` as for compressors, `EBADMSG` (corrupt data), `ECANCELED`
/// (the callback returned FALSE); the object is reset after a failure.
#[no_mangle]
pub unsafe extern "C" fn HP_Decompressor_Process(
    d: *mut c_void,
    p: *const u8,
    len: c_int,
    ctx: *mut c_void,
) -> BOOL {
    ffi!(FALSE, {
        let Some(obj) = DECOMPRESSORS.get(d) else {
            return FALSE;
        };
        let Some(mut guard) = obj.state.try_lock() else {
            set_errno(libc::EBUSY);
            return FALSE;
        };
        let (Some(kind), Some(cb), Some(dec)) = (obj.kind, obj.callback, guard.as_mut()) else {
            set_errno(libc::EPERM);
            return FALSE;
        };
        let Some(s) = input(p, len) else {
            set_errno(libc::EINVAL);
            return FALSE;
        };
        let mut buf = vec![0u8; obj.buf_size];
        let r = match dec {
            Dec::Sniffing(seen) => {
                seen.extend_from_slice(s);
                if seen.len() < 2 {
                    Ok(false)
                } else {
                    let mut d = if seen.starts_with(&[0x1f, 0x8b]) {
                        Decompress::new_gzip(15)
                    } else {
                        Decompress::new(true)
                    };
                    let data = std::mem::take(seen);
                    let r = run_inflate(&mut d, &data, &mut buf, cb, ctx);
                    *dec = Dec::Inflate(d);
                    r
                }
            }
            Dec::Inflate(d) => run_inflate(d, s, &mut buf, cb, ctx),
            Dec::Brotli(b) => run_brotli_dec(b, s, &mut buf, cb, ctx),
        };
        if !matches!(r, Ok(false)) {
            *guard = Some(new_dec(kind));
        }
        match r {
            Ok(_) => TRUE,
            Err(e) => {
                set_errno(e.errno());
                FALSE
            }
        }
    })
}

/// Starts over with a new stream.
#[no_mangle]
pub extern "C" fn HP_Decompressor_Reset(d: *mut c_void) -> BOOL {
    ffi!(FALSE, {
        let Some(obj) = DECOMPRESSORS.get(d) else {
            return FALSE;
        };
        let Some(mut guard) = obj.state.try_lock() else {
            set_errno(libc::EBUSY);
            return FALSE;
        };
        match obj.kind {
            Some(k) => {
                *guard = Some(new_dec(k));
                TRUE
            }
            None => {
                set_errno(libc::EPERM);
                FALSE
            }
        }
    })
}

/// TRUE if the decompressor was created with valid parameters.
#[no_mangle]
pub extern "C" fn HP_Decompressor_IsValid(d: *mut c_void) -> BOOL {
    ffi!(FALSE, {
        match DECOMPRESSORS.get(d) {
            Some(o) if o.kind.is_some() => TRUE,
            _ => FALSE,
        }
    })
}
