//! Fuzzing of the HTTP/1.1 parser: arbitrary bytes, fed whole and split at fuzzer-chosen
//! points, to the request side and to the response side, must give exactly the same events
//! (body pieces merged), switch protocols at the same byte, keep no more than a head's
//! worth of bytes, and never panic.
#![no_main]

use hpsocket::fuzzing::http::{run, Options};
use libfuzzer_sys::fuzz_target;

const METHODS: [&str; 4] = ["GET", "HEAD", "CONNECT", "POST"];

fuzz_target!(|input: &[u8]| {
    let Some((setup, data)) = input.split_first_chunk::<6>() else {
        return;
    };
    let cuts: Vec<usize> = setup[..3].iter().map(|&c| c as usize + 1).collect();
    let flags = setup[3];
    // Small limits now and then, so every limit's edge is within the fuzzer's reach.
    let opts = Options {
        head: if flags & 1 != 0 {
            16 + setup[4] as usize
        } else {
            0
        },
        headers: if flags & 2 != 0 { 3 } else { 0 },
        body: if flags & 4 != 0 { 64 } else { 0 },
        chunk_line: if flags & 8 != 0 { 12 } else { 0 },
        headers_complete: match (flags >> 4) & 3 {
            0 => 0,
            1 => 1,
            2 => 2,
            _ => -1,
        },
        fail_at: if flags & 0x40 != 0 {
            1 + setup[5] as usize % 16
        } else {
            0
        },
    };
    let eof = flags & 0x80 != 0;
    // The requests the response side answers: a few methods, picked by the last setup byte.
    let methods: Vec<&str> = (0..4)
        .map(|i| METHODS[(setup[5] >> (2 * i)) as usize & 3])
        .collect();
    let head_limit = if opts.head == 0 { 16 * 1024 } else { opts.head };
    for request in [true, false] {
        let whole = run(request, &methods, data, &[], eof, opts);
        let split = run(request, &methods, data, &cuts, eof, opts);
        assert_eq!(whole.events, split.events, "request side: {request}");
        assert_eq!(
            whole.upgraded_after, split.upgraded_after,
            "request side: {request}"
        );
        assert!(split.max_buffered <= head_limit + 1);
        assert!(whole.upgraded_after.is_none_or(|n| n <= data.len()));
    }
});
