//! Unit tests of the ARQ core: the codecs, the settings' checks, forged input, the protocol's
//! timers (window probe, fast retransmit, dead link) and the handshake's packets.

use proptest::prelude::*;

use super::*;

fn header(cmd: Command, sn: u32, una: u32, len: u32) -> Header {
    Header {
        conv: 9,
        cmd,
        frg: 0,
        wnd: 128,
        ts: 0,
        sn,
        una,
        len,
    }
}

fn datagram(segs: &[(Header, &[u8])]) -> Vec<u8> {
    let mut d = Vec::new();
    for (h, p) in segs {
        h.encode(&mut d);
        d.extend_from_slice(p);
    }
    d
}

fn command() -> impl Strategy<Value = Command> {
    prop_oneof![
        Just(Command::Push),
        Just(Command::Ack),
        Just(Command::WindowAsk),
        Just(Command::WindowTell)
    ]
}

prop_compose! {
    fn any_segment()(conv in any::<u32>(), cmd in command(), frg in any::<u8>(), wnd in any::<u16>(),
        ts in any::<u32>(), sn in any::<u32>(), una in any::<u32>(),
        payload in proptest::collection::vec(any::<u8>(), 0..200)) -> (Header, Vec<u8>) {
        (Header { conv, cmd, frg, wnd, ts, sn, una, len: payload.len() as u32 }, payload)
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn segments_round_trip(segs in proptest::collection::vec(any_segment(), 1..6)) {
        let mut d = Vec::new();
        for (h, p) in &segs {
            h.encode(&mut d);
            d.extend_from_slice(p);
        }
        let back: Vec<(Header, Vec<u8>)> = Segments::new(&d)
            .map(|r| r.map(|(h, p)| (h, p.to_vec())))
            .collect::<Result<_, _>>()
            .unwrap();
        prop_assert_eq!(back, segs);
    }

    #[test]
    fn decoder_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        let mut n = 0;
        for r in Segments::new(&bytes) {
            n += 1;
            if let Ok((h, p)) = r {
                prop_assert_eq!(h.len as usize, p.len());
            }
        }
        prop_assert!(n <= bytes.len() / HEADER_LEN + 1);
        let _ = Handshake::decode(&bytes);
    }

    #[test]
    fn handshake_round_trip(complete in any::<bool>(), self_id in any::<u32>(), peer_id in any::<u32>()) {
        let h = Handshake { complete, self_id, peer_id };
        prop_assert_eq!(Handshake::decode(&h.encode()), Ok(h));
        prop_assert_eq!(classify(&h.encode()), DatagramKind::Handshake);
    }

    /// Whatever arrives, the receive side holds at most twice the window and the queue of
    /// datagrams to send stays bounded; nothing panics.
    #[test]
    fn forged_input_stays_bounded(
        segs in proptest::collection::vec(any_segment(), 1..400),
        right_conv in any::<bool>(),
        grouping in 1usize..8,
    ) {
        let cfg = KcpConfig { max_message_size: 1000, ..KcpConfig::default() };
        let mut k = Kcp::new(9, cfg).unwrap();
        k.send(b"x").unwrap();
        k.flush(0);
        for (i, chunk) in segs.chunks(grouping).enumerate() {
            let mut d = Vec::new();
            for (h, p) in chunk {
                let mut h = *h;
                if right_conv {
                    h.conv = 9;
                    // Mostly near the window, so that data gets in.
                    h.sn %= 300;
                    h.una %= 2;
                    h.frg %= 4;
                }
                h.encode(&mut d);
                d.extend_from_slice(p);
            }
            let _ = k.input(i as u32, &d);
            while k.recv().is_some() {}
            if i % 5 == 0 {
                k.update(i as u32 * 10);
            }
            prop_assert!(k.buffered_segments() <= 2 * 128);
            prop_assert!(k.transmit_queue_len() <= 4 * (32 + 128) + 16);
        }
    }
}

#[test]
fn decoder_errors() {
    assert_eq!(
        Header::decode(&[0; 23]),
        Err(SegmentError::Truncated { have: 23 })
    );
    let mut d = datagram(&[(header(Command::Push, 0, 0, 5), b"abc")]);
    assert_eq!(
        Segments::new(&d).next(),
        Some(Err(SegmentError::LengthMismatch {
            announced: 5,
            remaining: 3
        }))
    );
    d[4] = 80;
    assert_eq!(
        Segments::new(&d).next(),
        Some(Err(SegmentError::UnknownCommand(80)))
    );
    // A whole segment then 10 stray bytes.
    let mut d = datagram(&[(header(Command::Ack, 0, 0, 0), b"")]);
    d.extend_from_slice(&[0; 10]);
    let r: Vec<_> = Segments::new(&d).collect();
    assert!(r[0].is_ok());
    assert_eq!(r[1], Err(SegmentError::Truncated { have: 10 }));
    assert_eq!(r.len(), 2);
}

#[test]
fn wire_bytes_are_little_endian() {
    let h = Header {
        conv: 0x0403_0201,
        cmd: Command::WindowTell,
        frg: 7,
        wnd: 0x0908,
        ts: 0x0D0C_0B0A,
        sn: 0x1110_0F0E,
        una: 0x1514_1312,
        len: 0,
    };
    let mut d = Vec::new();
    h.encode(&mut d);
    assert_eq!(
        d,
        [1, 2, 3, 4, 84, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 0, 0, 0, 0]
    );
    let hs = Handshake {
        complete: true,
        self_id: 0x0403_0201,
        peer_id: 0x0807_0605,
    };
    assert_eq!(hs.encode(), [0x4F, 0xBB, 1, 1, 1, 2, 3, 4, 5, 6, 7, 8]);
}

#[test]
fn handshake_errors_and_kinds() {
    let good = Handshake {
        complete: false,
        self_id: 1,
        peer_id: 0,
    }
    .encode();
    let mut b = good;
    b[0] = 0;
    assert!(matches!(
        Handshake::decode(&b),
        Err(HandshakeError::Magic(_))
    ));
    let mut b = good;
    b[2] = 2;
    assert_eq!(Handshake::decode(&b), Err(HandshakeError::Command(2)));
    let mut b = good;
    b[3] = 2;
    assert_eq!(Handshake::decode(&b), Err(HandshakeError::Flags(2)));
    assert_eq!(
        Handshake::decode(&good[..11]),
        Err(HandshakeError::Length(11))
    );
    assert_eq!(classify(&[]), DatagramKind::Probe);
    assert_eq!(classify(&CLOSE_NOTIFY), DatagramKind::CloseNotify);
    assert_eq!(classify(&[0; 16]), DatagramKind::Invalid);
    assert_eq!(classify(&[0; 23]), DatagramKind::Invalid);
    assert_eq!(classify(&[0; 24]), DatagramKind::Segments);
    let mut ids = ConvIds::new(u32::MAX - 1);
    assert_eq!(
        [ids.next_id(), ids.next_id(), ids.next_id()],
        [u32::MAX, 1, 2]
    );
}

#[test]
fn settings_checks() {
    assert!(KcpConfig::default().validate().is_ok());
    assert!(KcpConfig::hp_socket().validate().is_ok());
    assert!(ArqConfig::default().validate().is_ok());
    let k = KcpConfig::hp_socket();
    let bad = |kcp: KcpConfig, t: u32| {
        ArqConfig {
            kcp,
            handshake_timeout: t,
        }
        .validate()
        .is_err()
    };
    assert!(bad(KcpConfig { mtu: 71, ..k }, 5000));
    assert!(bad(KcpConfig { mtu: 65_508, ..k }, 5000));
    assert!(bad(k, 60));
    assert!(!bad(k, 61));
    assert!(bad(
        KcpConfig {
            max_message_size: 0,
            ..k
        },
        5000
    ));
    let full = 127 * (1472 - 24);
    assert!(bad(
        KcpConfig {
            max_message_size: full,
            ..k
        },
        5000
    ));
    assert!(!bad(
        KcpConfig {
            max_message_size: full - 1,
            ..k
        },
        5000
    ));
    assert!(KcpConfig {
        max_message_size: full,
        ..k
    }
    .validate()
    .is_ok());
    assert!(KcpConfig {
        send_window: 0,
        ..k
    }
    .validate()
    .is_err());
    assert!(Kcp::new(1, KcpConfig { mtu: 49, ..k }).is_err());
    assert!(ArqSession::new(0, 0, ArqConfig::default()).is_err());
}

/// A receiver that has sent nothing, and one segment of each forged kind.
#[test]
fn forged_segments_are_refused_whole() {
    let mut k = Kcp::new(9, KcpConfig::default()).unwrap();
    let before = format!("{k:?}");
    let ok = (header(Command::Push, 0, 0, 1), &b"a"[..]);
    let cases: Vec<(Header, &[u8], InputError)> = vec![
        (
            Header { conv: 8, ..ok.0 },
            b"a",
            InputError::WrongConversation {
                expected: 9,
                got: 8,
            },
        ),
        (
            header(Command::Push, 128, 0, 1),
            b"a",
            InputError::OutsideWindow {
                sn: 128,
                next: 0,
                window: 128,
            },
        ),
        (
            header(Command::Ack, 0, 0, 0),
            b"",
            InputError::AckOfUnsent { sn: 0, next: 0 },
        ),
        (
            header(Command::Push, 0, 1, 1),
            b"a",
            InputError::AckOfUnsent { sn: 1, next: 0 },
        ),
        (
            Header { frg: 127, ..ok.0 },
            b"a",
            InputError::TooManyFragments { frg: 127 },
        ),
    ];
    for (h, p, e) in cases {
        // The forged segment after a good one: neither is taken.
        let d = datagram(&[ok, (h, p)]);
        assert_eq!(k.input(0, &d), Err(e), "{h:?}");
        assert_eq!(format!("{k:?}"), before);
        assert_eq!(k.transmit_queue_len(), 0);
    }
    let small = KcpConfig {
        max_message_size: 10,
        ..KcpConfig::default()
    };
    let mut k = Kcp::new(9, small).unwrap();
    let d = datagram(&[(header(Command::Push, 0, 0, 11), &[0; 11])]);
    assert_eq!(
        k.input(0, &d),
        Err(InputError::SegmentTooLarge { len: 11, max: 10 })
    );
    assert!(matches!(k.input(0, &[0; 30]), Err(InputError::Segment(_))));
    assert!(matches!(
        k.input(0, &vec![0; MAX_DATAGRAM + 1]),
        Err(InputError::DatagramTooLarge { .. })
    ));
    // The good segment alone is taken.
    assert_eq!(k.input(0, &datagram(&[ok])), Ok(()));
    assert_eq!(k.recv().as_deref(), Some(&b"a"[..]));
}

/// Fragments that add up past the maximum message end the conversation.
#[test]
fn oversized_message_is_fatal() {
    let cfg = KcpConfig {
        max_message_size: 10,
        ..KcpConfig::default()
    };
    let mut k = Kcp::new(9, cfg).unwrap();
    let first = Header {
        frg: 1,
        ..header(Command::Push, 0, 0, 6)
    };
    assert_eq!(k.input(0, &datagram(&[(first, &[1; 6])])), Ok(()));
    let second = header(Command::Push, 1, 0, 6);
    let e = InputError::MessageTooLarge { max: 10 };
    assert_eq!(k.input(0, &datagram(&[(second, &[2; 6])])), Err(e));
    assert!(e.is_fatal());
    assert_eq!(k.input(0, &datagram(&[(second, &[2; 6])])), Err(e));
    assert_eq!(k.recv(), None);
}

fn pump(from: &mut Kcp, to: &mut Kcp, now: u32, mut keep: impl FnMut(&[u8]) -> bool) {
    while let Some(d) = from.poll_transmit() {
        if keep(&d) {
            to.input(now, &d).unwrap();
        }
    }
}

#[test]
fn window_probe_after_zero_window() {
    let mut a = Kcp::new(9, KcpConfig::default()).unwrap();
    let mut b = Kcp::new(9, KcpConfig::default()).unwrap();
    // b never reads: its window fills up and it says 0.
    for i in 0..300u32 {
        a.send(&i.to_le_bytes()).unwrap();
    }
    let mut now = 0;
    for _ in 0..200 {
        a.update(now);
        b.update(now);
        pump(&mut a, &mut b, now, |_| true);
        pump(&mut b, &mut a, now, |_| true);
        now += 100;
    }
    assert_eq!(b.buffered_segments(), 128);
    // Only probes go out now: one every 7 s and more.
    let mut asks = 0;
    for _ in 0..200 {
        a.update(now);
        while let Some(d) = a.poll_transmit() {
            let (h, _) = Segments::new(&d).next().unwrap().unwrap();
            assert_eq!(h.cmd, Command::WindowAsk);
            asks += 1;
            b.input(now, &d).unwrap();
        }
        b.update(now);
        while let Some(d) = b.poll_transmit() {
            let (h, _) = Segments::new(&d).next().unwrap().unwrap();
            assert_eq!((h.cmd, h.wnd), (Command::WindowTell, 0));
            a.input(now, &d).unwrap();
        }
        now += 100;
    }
    assert_eq!(asks, 2, "at 7 s and 10.5 s after the window closed");
    // Reading reopens the window and b says so unasked.
    let mut got = 0;
    while b.recv().is_some() {
        got += 1;
    }
    assert_eq!(got, 128);
    for _ in 0..100 {
        b.update(now);
        a.update(now);
        pump(&mut b, &mut a, now, |_| true);
        pump(&mut a, &mut b, now, |_| true);
        while b.recv().is_some() {
            got += 1;
        }
        now += 100;
    }
    assert_eq!(got, 300);
}

#[test]
fn fast_retransmit_before_timeout() {
    let cfg = KcpConfig::default().with_nodelay(true, 10, 2, true);
    let mut a = Kcp::new(9, cfg).unwrap();
    let mut b = Kcp::new(9, cfg).unwrap();
    for i in 0..6u8 {
        a.send(&[i]).unwrap();
    }
    a.flush(0);
    // Each segment in its own datagram: MTU 1400 packs them, so split them up.
    let mut sent = Vec::new();
    while let Some(d) = a.poll_transmit() {
        sent.extend(Segments::new(&d).map(|r| r.unwrap().0));
    }
    assert_eq!(sent.len(), 6);
    // Lose sn 0; deliver 1..6 one datagram at a time, acking each.
    for h in &sent[1..] {
        b.input(1, &datagram(&[(*h, &[h.sn as u8][..])])).unwrap();
        b.flush(1);
        pump(&mut b, &mut a, 2, |_| true);
    }
    a.flush(3);
    let again: Vec<u32> = std::iter::from_fn(|| a.poll_transmit())
        .flat_map(|d| {
            Segments::new(&d)
                .map(|r| r.unwrap().0.sn)
                .collect::<Vec<_>>()
        })
        .collect();
    assert_eq!(again, vec![0], "sn 0 again at 3 ms, long before its RTO");
    assert_eq!(a.retransmits(), 1);
}

#[test]
fn dead_link_after_unanswered_retransmissions() {
    let cfg = KcpConfig {
        dead_link: 5,
        ..KcpConfig::default()
    };
    let mut a = Kcp::new(9, cfg).unwrap();
    a.send(b"lost").unwrap();
    let mut now = 0;
    while !a.is_dead_link() && now < 10_000_000 {
        a.update(now);
        while a.poll_transmit().is_some() {}
        now = a.check(now).max(now + 1);
    }
    assert!(a.is_dead_link());
    // The first flush sends nothing (the congestion window starts at 0), the next at
    // 100 ms does; then back-offs of 200 + 25 (RTO/8), 400, 800, 1600 ms, each rounded up
    // to the 100 ms flush tick.
    assert_eq!(a.retransmits(), 4);
    assert_eq!(now, 3300);
    assert_eq!(a.waiting_send(), 1);
}

#[test]
fn empty_and_largest_messages() {
    let cfg = KcpConfig::default();
    let mut a = Kcp::new(9, cfg).unwrap();
    let mut b = Kcp::new(9, cfg).unwrap();
    let max = cfg.max_message_size;
    assert_eq!(
        a.send(&vec![0; max + 1]),
        Err(SendError::TooLarge { len: max + 1, max })
    );
    a.send(b"").unwrap();
    let big: Vec<u8> = (0..max).map(|i| i as u8).collect();
    a.send(&big).unwrap();
    let mut now = 0;
    let mut got = Vec::new();
    while (got.len() < 2 || a.pending_bytes() > 0) && now < 100_000 {
        a.update(now);
        b.update(now);
        pump(&mut a, &mut b, now, |_| true);
        pump(&mut b, &mut a, now, |_| true);
        got.extend(std::iter::from_fn(|| b.recv()));
        now += 10;
    }
    assert_eq!(got, vec![Vec::new(), big]);
    assert_eq!(a.pending_bytes(), 0);
}

#[test]
fn send_queue_is_bounded() {
    let cfg = KcpConfig {
        send_queue_limit: 10_000,
        ..KcpConfig::default()
    };
    let mut a = Kcp::new(9, cfg).unwrap();
    for _ in 0..10 {
        a.send(&[0; 1000]).unwrap();
    }
    assert_eq!(
        a.send(&[0; 1]),
        Err(SendError::QueueFull {
            pending: 10_000,
            limit: 10_000
        })
    );
}

fn drain(from: &mut ArqSession) -> Vec<Vec<u8>> {
    std::iter::from_fn(|| from.poll_transmit()).collect()
}

#[test]
fn handshake_packets_follow_hp_socket() {
    let cfg = ArqConfig::default();
    let mut c = ArqSession::new(0x11, 100, cfg).unwrap();
    let first = drain(&mut c);
    assert_eq!(
        first,
        vec![[0x4F, 0xBB, 1, 0, 0x11, 0, 0, 0, 0, 0, 0, 0].to_vec()]
    );
    // The server is made when the client's handshake arrives, and sends its own at once.
    let mut s = ArqSession::new(0x22, 100, cfg).unwrap();
    s.input(100, &first[0]).unwrap();
    let hs: Vec<Handshake> = drain(&mut s)
        .iter()
        .map(|d| Handshake::decode(d).unwrap())
        .collect();
    let h = |complete, self_id, peer_id| Handshake {
        complete,
        self_id,
        peer_id,
    };
    assert_eq!(hs, vec![h(false, 0x22, 0), h(false, 0x22, 0x11)]);
    c.input(101, &hs[1].encode()).unwrap();
    assert!(c.is_ready());
    assert_eq!(c.poll_event(), Some(Event::Connected));
    // Ready, the client now says complete, when its next handshake is due.
    assert!(drain(&mut c).is_empty());
    assert_eq!(c.poll_timeout(), Some(101));
    c.handle_timeout(101);
    let d = drain(&mut c);
    assert_eq!(Handshake::decode(&d[0]), Ok(h(true, 0x11, 0x22)));
    s.input(102, &d[0]).unwrap();
    assert!(s.is_ready());
    // The server's next handshake is due 60 ms after its last (HP-Socket's pace).
    let mut d = Vec::new();
    while d.is_empty() {
        let t = s.poll_timeout().unwrap();
        assert!(t <= 160);
        s.handle_timeout(t);
        d = drain(&mut s);
    }
    assert_eq!(Handshake::decode(&d[0]), Ok(h(true, 0x22, 0x11)));
    c.input(103, &d[0]).unwrap();
    // Both heard "complete": no more handshakes, only KCP's timer.
    c.handle_timeout(2_000);
    assert!(drain(&mut c).iter().all(|d| d.len() != HANDSHAKE_LEN));
    // A handshake of another conversation resets.
    let e = c.input(2_001, &h(true, 0x33, 0x11).encode());
    assert_eq!(e, Err(InputError::Reset { got: 0x33 }));
    assert_eq!(
        c.poll_event(),
        Some(Event::Closed(CloseReason::Error(InputError::Reset {
            got: 0x33
        })))
    );
}

#[test]
fn handshake_times_out() {
    let mut c = ArqSession::new(5, u32::MAX - 1000, ArqConfig::default()).unwrap();
    let mut sent = 0;
    let mut now = u32::MAX - 1000;
    while let Some(t) = c.poll_timeout() {
        now = t;
        c.handle_timeout(now);
        sent += drain(&mut c).len();
    }
    assert_eq!(c.close_reason(), Some(CloseReason::HandshakeTimeout));
    assert_eq!(
        now, 4000,
        "5,001 ms after creation, across the clock's wrap"
    );
    // 0, 60, 180, 360, 600, 900, 1260, 1680, 2160, 2700, 3300, 3960, 4680 ms.
    assert_eq!(sent, 13);
    assert_eq!(c.send(b"x"), Err(SendError::Closed));
    assert_eq!(c.input(now, &[]), Err(InputError::Closed));
}
