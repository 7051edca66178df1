//! Fuzzing of the WebSocket core: arbitrary bytes, fed whole and split at fuzzer-chosen
//! points, to the server's and the client's message endpoints, with and without
//! permessage-deflate (small limits now and then), and to the bare frame decoder. Both feeds
//! must give the same events, error and output; memory must stay within the message limit;
//! nothing may panic.
#![no_main]

// `cores::ws` is crate-private and this target cannot reach it through `hpsocket::fuzzing`
// yet, so it compiles the module's own source: the same code the library runs.
#[allow(dead_code, unused_imports, unreachable_pub)]
#[path = "../../hpsocket/src/cores/ws/mod.rs"]
mod ws;

use libfuzzer_sys::fuzz_target;
use ws::deflate::DeflateParams;
use ws::frame::MaskRule;
use ws::message::Config;
use ws::probe::{run, run_frames, Run};
use ws::{Limits, Role};

fuzz_target!(|input: &[u8]| {
    let Some((setup, data)) = input.split_first_chunk::<4>() else {
        return;
    };
    let cuts: Vec<usize> = setup[..2].iter().map(|&c| c as usize + 1).collect();
    let flags = setup[2];
    // Small limits now and then, so every limit's edge is within the fuzzer's reach; 1 MiB
    // otherwise keeps a compression bomb's cost per run low.
    let limits = if flags & 1 != 0 {
        Limits::default()
            .with_max_frame_size(16 + setup[3] as usize)
            .with_max_message_size(64 + 4 * setup[3] as usize)
    } else {
        Limits::default().with_max_message_size(1 << 20)
    };
    let deflate = DeflateParams {
        local_no_context_takeover: flags & 2 != 0,
        remote_no_context_takeover: flags & 4 != 0,
        local_max_window_bits: 9 + (flags >> 5),
        level: (flags >> 3 & 3) as u32 * 3,
    };
    for role in [Role::Server, Role::Client] {
        for deflate in [None, Some(deflate)] {
            let mut c = Config::new(role);
            c.limits = limits;
            c.deflate = deflate;
            c.fragment_size = setup[3] as usize;
            let whole = run(c, data, &[]);
            let split = run(c, data, &cuts);
            assert_eq!(
                split,
                Run {
                    max_buffered: split.max_buffered,
                    ..whole
                },
                "{role:?}, deflate: {}",
                deflate.is_some()
            );
            // The message buffer, one control payload and a partial header.
            let bound = limits.max_message_size + 1 + 256;
            assert!(whole.max_buffered <= bound && split.max_buffered <= bound);
            // Pongs (masked on the client: 4 bytes more) and one close.
            assert!(split.output.len() <= 3 * data.len() + 256);
        }
    }
    for rule in [MaskRule::Any, MaskRule::Required, MaskRule::Forbidden] {
        let whole = run_frames(limits.max_frame_size, rule, data, &[]);
        let split = run_frames(limits.max_frame_size, rule, data, &cuts);
        assert_eq!(whole, split);
    }
});
