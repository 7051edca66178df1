//! Differential fuzzing of the PACK framer: any chunking (and holding) of a byte stream must
//! give exactly what a one-shot reference parser gives — the same packets, the same error.
#![no_main]

use libfuzzer_sys::fuzz_target;

/// Independent one-shot parser of HP-Socket's PACK stream.
fn reference(max: u32, flag: u16, mut data: &[u8]) -> (Vec<Vec<u8>>, Option<i32>) {
    let mut out = Vec::new();
    while data.len() >= 4 {
        let w = u32::from_le_bytes([data[0], data[1], data[2], data[3]]);
        let (len, f) = (w & 0x3F_FFFF, (w >> 22) as u16);
        if flag != 0 && f != flag {
            return (out, Some(74));
        }
        if len == 0 || len > max {
            return (out, Some(90));
        }
        let len = len as usize;
        if data.len() < 4 + len {
            break;
        }
        out.push(data[4..4 + len].to_vec());
        data = &data[4 + len..];
    }
    (out, None)
}

fuzz_target!(|input: &[u8]| {
    if input.len() < 8 {
        return;
    }
    let max = 1 + (u16::from_le_bytes([input[0], input[1]]) as u32 % 4096);
    let flag = u16::from_le_bytes([input[2], input[3]]) & 0x3FF;
    let cuts: Vec<usize> = input[4..7].iter().map(|&c| c as usize + 1).collect();
    let hold_every = (input[7] % 4) as usize;
    let data = &input[8..];
    let got = hpsocket::fuzzing::pack_chunked(max, flag, data, &cuts, hold_every);
    assert_eq!(got, reference(max, flag, data));
});
