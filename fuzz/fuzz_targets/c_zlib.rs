//! The C zlib / gzip entry points (`SYS_Compress[Ex]`, `SYS_Uncompress[Ex]`, `SYS_GZipCompress`,
//! `SYS_GZipUncompress`, `SYS_GZipGuessUncompressBound`) on arbitrary input and destination
//! sizes: the byte-codec contract (see `common`), and round trips: whatever is compressed,
//! with whichever parameters, decompresses to itself, at the size `SYS_GuessCompressBound` allows.
#![no_main]

#[path = "common/mod.rs"]
mod common;

use std::ffi::c_int;

use hpsocket4c::codec::*;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: &[u8]| {
    let Some((&sel, rest)) = input.split_first() else {
        return;
    };
    let Some((&cap, data)) = rest.split_first() else {
        return;
    };
    // Small destinations most of the time: the interesting cases are the too-small ones.
    let cap = if cap & 0x80 != 0 {
        (cap as usize & 0x7f) << 6
    } else {
        cap as usize
    };
    let bits = [15, -15, 31, 9, -9, 25][sel as usize % 6];
    let lvl = (sel / 6 % 11) as c_int - 1;

    // Decoders on arbitrary bytes.
    common::check(SYS_Uncompress, data, cap);
    common::check(SYS_GZipUncompress, data, cap);
    common::check(UNCOMPRESS_EX[sel as usize % UNCOMPRESS_EX.len()], data, cap);
    unsafe { SYS_GZipGuessUncompressBound(data.as_ptr(), data.len() as u32) };

    // Round trips.
    let z = common::check(SYS_Compress, data, cap).expect("compress refused its input");
    assert!(z.len() as u32 <= SYS_GuessCompressBound(data.len() as u32, 0));
    assert_eq!(
        common::check(SYS_Uncompress, &z, data.len()).as_deref(),
        Some(data)
    );
    let g = common::check(SYS_GZipCompress, data, cap).expect("gzip refused its input");
    assert!(g.len() as u32 <= SYS_GuessCompressBound(data.len() as u32, 1));
    assert_eq!(
        common::check(SYS_GZipUncompress, &g, data.len()).as_deref(),
        Some(data)
    );
    assert_eq!(
        unsafe { SYS_GZipGuessUncompressBound(g.as_ptr(), g.len() as u32) },
        data.len() as u32
    );

    // CompressEx with the selected level and window, read back with the matching window.
    let mut buf = vec![0u8; SYS_GuessCompressBound(data.len() as u32, 1) as usize + 32];
    let mut len = buf.len() as u32;
    let r = unsafe {
        SYS_CompressEx(
            data.as_ptr(),
            data.len() as u32,
            buf.as_mut_ptr(),
            &mut len,
            lvl,
            8,
            bits,
            8,
            0,
        )
    };
    assert_eq!(r, 0);
    buf.truncate(len as usize);
    let mut out = vec![0u8; data.len()];
    let mut olen = out.len() as u32;
    let r = unsafe { SYS_UncompressEx(buf.as_ptr(), len, out.as_mut_ptr(), &mut olen, bits) };
    assert_eq!((r, &out[..olen as usize]), (0, data));
});

macro_rules! thunks {
    ($($name:ident = $bits:expr;)*) => {
        $(unsafe extern "C" fn $name(p: *const u8, n: u32, d: *mut u8, l: *mut u32) -> c_int {
            SYS_UncompressEx(p, n, d, l, $bits)
        })*
        const UNCOMPRESS_EX: &[common::Codec] = &[$($name),*];
    };
}
thunks! {
    ex_zlib = 15; ex_raw = -15; ex_gzip = 31; ex_auto = 47; ex_header = 0; ex_small = 9;
    ex_bad = 3;
}
