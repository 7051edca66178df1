//! Fuzzing of the ARQ core: arbitrary bytes to the segment decoder and the handshake
//! decoder, and, cut into datagrams, to a live KCP engine (with our own traffic in flight)
//! and to an ARQ session in each of its states. Nothing may panic; the receive side must
//! stay within twice the window, the transmit queue within its bound.
#![no_main]

use hpsocket::arq::{ArqConfig, ArqSession, Handshake, Kcp, KcpConfig, Segments, HANDSHAKE_LEN};
use libfuzzer_sys::fuzz_target;

/// Cuts `data` into datagrams: each starts with a length byte (scaled to reach past a
/// segment header and a small MTU).
fn datagrams(mut data: &[u8]) -> Vec<&[u8]> {
    let mut out = Vec::new();
    while let Some((&n, rest)) = data.split_first() {
        let n = (n as usize * 3).min(rest.len());
        out.push(&rest[..n]);
        data = &rest[n..];
    }
    out
}

fuzz_target!(|input: &[u8]| {
    let Some((setup, data)) = input.split_first_chunk::<4>() else {
        return;
    };
    for seg in Segments::new(data) {
        match seg {
            Ok((h, p)) => assert_eq!(h.len as usize, p.len()),
            Err(_) => break,
        }
    }
    if let Ok(h) = Handshake::decode(data) {
        assert_eq!(h.encode().as_slice(), &data[..HANDSHAKE_LEN]);
    }

    // A live engine whose conversation the input may or may not hit.
    let conv = u32::from(setup[0] & 1);
    let cfg = KcpConfig {
        mtu: 100 + u32::from(setup[1]),
        max_message_size: 300 + usize::from(setup[2]) * 4,
        no_congestion_control: setup[3] & 1 != 0,
        fast_resend: u32::from(setup[3] >> 6),
        ..KcpConfig::default()
    };
    let mut k = Kcp::new(conv, cfg).unwrap();
    let mut now = 0u32;
    for (i, d) in datagrams(data).into_iter().enumerate() {
        if i % 3 == 0 {
            let _ = k.send(&d[..d.len().min(cfg.max_message_size)]);
        }
        let _ = k.input(now, d);
        while let Some(m) = k.recv() {
            assert!(m.len() <= cfg.max_message_size);
        }
        now = now.wrapping_add(u32::from(setup[3] & 0x3F) * 7);
        k.update(now);
        assert!(k.buffered_segments() <= 2 * 128);
        assert!(k.transmit_queue_len() <= 4 * (32 + 128) + 16);
        if i % 2 == 0 {
            while k.poll_transmit().is_some() {}
        }
    }

    // A session: fresh, or made ready by a handshake naming it back, fed the datagrams.
    let mut s = ArqSession::new(7, 0, ArqConfig::default()).unwrap();
    if setup[0] & 2 != 0 {
        let hs = Handshake {
            complete: true,
            self_id: 9,
            peer_id: 7,
        };
        s.input(1, &hs.encode()).unwrap();
        assert!(s.is_ready());
        let _ = s.send(&[1; 100]);
    }
    let mut now = 1u32;
    for d in datagrams(data) {
        let _ = s.input(now, d);
        while s.recv().is_some() {}
        now = now.wrapping_add(u32::from(setup[2]));
        s.handle_timeout(now);
        while s.poll_event().is_some() {}
        let mut n = 0;
        while s.poll_transmit().is_some() {
            n += 1;
        }
        assert!(n <= 4 * (128 + 512) + 16 + 2);
        assert!(s.kcp().buffered_segments() <= 2 * 512);
        if s.is_closed() {
            break;
        }
    }
});
