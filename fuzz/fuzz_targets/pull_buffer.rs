//! Differential fuzzing of the PULL buffer against a plain byte vector: arbitrary appends,
//! fetches and peeks must agree byte for byte and result for result.
#![no_main]

use hpsocket::FetchResult;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: &[u8]| {
    let mut pull = hpsocket::fuzzing::Pull::default();
    let mut model: Vec<u8> = Vec::new();
    let mut ops = input.chunks(3);
    while let Some(op) = ops.next() {
        let n = op.get(1).copied().unwrap_or(0) as usize * 7 + op.get(2).copied().unwrap_or(0) as usize % 7;
        match op[0] % 3 {
            0 => {
                let bytes: Vec<u8> = (0..n).map(|i| (i as u8).wrapping_mul(op[0])).collect();
                model.extend_from_slice(&bytes);
                assert_eq!(pull.append(&bytes), model.len());
            }
            k => {
                let consume = k == 1;
                let mut out = vec![0u8; n];
                let r = pull.take(&mut out, consume);
                if n == 0 || model.len() < n {
                    assert_eq!(r, FetchResult::LengthTooLong);
                } else {
                    assert_eq!(r, FetchResult::Ok);
                    assert_eq!(&out[..], &model[..n]);
                    if consume {
                        model.drain(..n);
                    }
                }
            }
        }
        assert_eq!(pull.len(), model.len());
    }
});
