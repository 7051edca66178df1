//! Unit and property tests of the message endpoint, through the recorder the fuzz target
//! uses (`probe`).

use super::frame::{write_frame, MaskRule, RSV1};
use super::message::{Config, Endpoint, State};
use super::probe::{run, run_frames, run_with, CountingMasks, Rec, Run};
use super::{opcode, CloseCode, Limits, Role, SendError, WsError};
use proptest::prelude::*;

const MASK: [u8; 4] = [0x37, 0xfa, 0x21, 0x3d];

/// One frame as a client sends it (masked).
pub(super) fn cf(fin: bool, rsv: u8, op: u8, p: &[u8]) -> Vec<u8> {
    let mut v = Vec::new();
    write_frame(fin, rsv, op, Some(MASK), p, &mut v);
    v
}

/// One frame as a server sends it (unmasked).
pub(super) fn sf(fin: bool, rsv: u8, op: u8, p: &[u8]) -> Vec<u8> {
    let mut v = Vec::new();
    write_frame(fin, rsv, op, None, p, &mut v);
    v
}

fn cat(parts: &[Vec<u8>]) -> Vec<u8> {
    parts.concat()
}

fn server(data: &[u8]) -> Run {
    run(Config::new(Role::Server), data, &[])
}

fn server_with(limits: Limits, data: &[u8]) -> Run {
    let mut c = Config::new(Role::Server);
    c.limits = limits;
    run(c, data, &[])
}

fn close_payload(code: u16, reason: &str) -> Vec<u8> {
    let mut p = code.to_be_bytes().to_vec();
    p.extend_from_slice(reason.as_bytes());
    p
}

/// Decodes what a server endpoint queued, as a client would read it.
fn frames_of(output: &[u8], rule: MaskRule) -> Vec<(u8, bool, Vec<u8>)> {
    let f = run_frames(0, rule, output, &[]);
    assert_eq!(f.error, None);
    f.frames
        .into_iter()
        .map(|(h, b, done)| {
            assert!(done);
            (h.opcode, h.fin, b)
        })
        .collect()
}

/// The close frame a failure queued (server side: unmasked).
fn failing_close(r: &Run) -> u16 {
    let f = frames_of(&r.output, MaskRule::Forbidden);
    let (op, _, p) = f.last().expect("a close frame");
    assert_eq!(*op, opcode::CLOSE);
    u16::from_be_bytes([p[0], p[1]])
}

fn fails(data: &[u8], e: WsError, code: u16) {
    let r = server(data);
    assert_eq!(r.error, Some(e), "{r:?}");
    assert_eq!(r.state, State::Failed(e));
    assert_eq!(failing_close(&r), code);
}

#[test]
fn text_and_binary_messages() {
    let r = server(&cat(&[
        cf(true, 0, 1, "héllo".as_bytes()),
        cf(true, 0, 2, &[0, 1, 2]),
        cf(true, 0, 1, b""),
    ]));
    assert_eq!(r.error, None);
    assert_eq!(
        r.events,
        vec![
            Rec::Text("héllo".into()),
            Rec::Binary(vec![0, 1, 2]),
            Rec::Text(String::new())
        ]
    );
    assert!(r.output.is_empty());
}

#[test]
fn control_frames_between_fragments_and_pong_replies() {
    let r = server(&cat(&[
        cf(false, 0, 1, b"Hel"),
        cf(true, 0, opcode::PING, b"p1"),
        cf(false, 0, 0, b"l"),
        cf(true, 0, opcode::PONG, b"q"),
        cf(true, 0, 0, b"o"),
    ]));
    assert_eq!(r.error, None);
    assert_eq!(
        r.events,
        vec![
            Rec::Ping(b"p1".to_vec()),
            Rec::Pong(b"q".to_vec()),
            Rec::Text("Hello".into())
        ]
    );
    // The server answers unmasked, with the ping's payload.
    assert_eq!(r.output, sf(true, 0, opcode::PONG, b"p1"));
}

#[test]
fn a_client_answers_pings_masked() {
    let r = run(
        Config::new(Role::Client),
        &sf(true, 0, opcode::PING, b"abc"),
        &[],
    );
    assert_eq!(r.events, vec![Rec::Ping(b"abc".to_vec())]);
    let f = run_frames(0, MaskRule::Required, &r.output, &[]);
    assert_eq!(f.frames[0].1, b"abc");
    assert_eq!(f.frames[0].0.opcode, opcode::PONG);
}

#[test]
fn mask_direction() {
    fails(&sf(true, 0, 1, b"x"), WsError::MaskRequired, 1002);
    let r = run(Config::new(Role::Client), &cf(true, 0, 1, b"x"), &[]);
    assert_eq!(r.error, Some(WsError::UnexpectedMask));
}

#[test]
fn reserved_bits_without_an_extension() {
    for rsv in 1..8 {
        fails(&cf(true, rsv, 1, b"x"), WsError::ReservedBits, 1002);
    }
    // With permessage-deflate RSV1 is allowed on a message's first frame only.
    let mut c = Config::new(Role::Server);
    c.deflate = Some(Default::default());
    for bad in [
        cat(&[cf(false, 0, 1, b"a"), cf(true, RSV1, 0, b"b")]),
        cf(true, RSV1, opcode::PING, b""),
        cf(true, 0b010, 2, b""),
    ] {
        assert_eq!(run(c, &bad, &[]).error, Some(WsError::ReservedBits));
    }
}

#[test]
fn reserved_opcodes() {
    for op in [3, 4, 5, 6, 7, 0xB, 0xC, 0xD, 0xE, 0xF] {
        fails(&cf(true, 0, op, b""), WsError::UnknownOpcode, 1002);
    }
}

#[test]
fn control_frame_rules() {
    for op in [opcode::PING, opcode::PONG, opcode::CLOSE] {
        // Refused on the header alone, before the body.
        let long = cf(true, 0, op, &[b'a'; 126]);
        let r = server(&long[..8]);
        assert_eq!(r.error, Some(WsError::ControlTooLong));
        fails(&cf(false, 0, op, b""), WsError::ControlFragmented, 1002);
    }
    assert_eq!(server(&cf(true, 0, opcode::PING, &[7; 125])).error, None);
}

#[test]
fn fragmentation_rules() {
    fails(&cf(true, 0, 0, b"x"), WsError::UnexpectedContinuation, 1002);
    fails(
        &cat(&[cf(false, 0, 1, b"a"), cf(true, 0, 2, b"b")]),
        WsError::ExpectedContinuation,
        1002,
    );
    // A finished message leaves nothing to continue.
    fails(
        &cat(&[cf(true, 0, 2, b"a"), cf(true, 0, 0, b"b")]),
        WsError::UnexpectedContinuation,
        1002,
    );
}

#[test]
fn utf8_across_fragments_and_pieces() {
    let e = "é".as_bytes();
    let r = server(&cat(&[cf(false, 0, 1, &e[..1]), cf(true, 0, 0, &e[1..])]));
    assert_eq!(r.events, vec![Rec::Text("é".into())]);
    // A character cut off at the end of the message.
    fails(&cf(true, 0, 1, &e[..1]), WsError::InvalidUtf8, 1007);
    fails(
        &cat(&[cf(false, 0, 1, b"a"), cf(true, 0, 0, &e[..1])]),
        WsError::InvalidUtf8,
        1007,
    );
    // Fails at the first fragment, before the message is complete.
    let r = server(&cf(false, 0, 1, b"ok\xff"));
    assert_eq!(r.error, Some(WsError::InvalidUtf8));
    // Fails inside one frame fed in pieces, as soon as the bad byte arrives.
    let frame = cf(true, 0, 1, b"abc\xc0\x80 and much more text");
    let r = run(Config::new(Role::Server), &frame[..11], &[]);
    assert_eq!(r.error, Some(WsError::InvalidUtf8));
    // A surrogate and a code point above U+10FFFF.
    fails(&cf(true, 0, 1, b"\xed\xa0\x80"), WsError::InvalidUtf8, 1007);
    fails(
        &cf(true, 0, 1, b"\xf4\x90\x80\x80"),
        WsError::InvalidUtf8,
        1007,
    );
    // Binary messages are not checked.
    assert_eq!(server(&cf(true, 0, 2, b"\xff")).error, None);
}

#[test]
fn close_frame_payloads() {
    fails(
        &cf(true, 0, opcode::CLOSE, &[3]),
        WsError::BadClosePayload,
        1002,
    );
    for code in [
        0, 999, 1004, 1005, 1006, 1015, 1016, 2000, 2999, 5000, 65535,
    ] {
        fails(
            &cf(true, 0, opcode::CLOSE, &close_payload(code, "")),
            WsError::BadCloseCode,
            1002,
        );
    }
    fails(
        &cf(
            true,
            0,
            opcode::CLOSE,
            &close_payload(1000, "\u{0}\u{7f}\u{80}")[..5],
        ),
        WsError::InvalidUtf8,
        1007,
    );
    for code in [1000, 1001, 1003, 1007, 1011, 1012, 1014, 3000, 4999] {
        let r = server(&cf(true, 0, opcode::CLOSE, &close_payload(code, "bye")));
        assert_eq!(r.events, vec![Rec::Close(Some(code), "bye".into())]);
        // The answer echoes the code, without the reason.
        assert_eq!(
            r.output,
            sf(true, 0, opcode::CLOSE, &code.to_be_bytes()),
            "{code}"
        );
    }
}

#[test]
fn received_close_completes_the_handshake() {
    let mut ep = Endpoint::new(Config::new(Role::Server), CountingMasks(0));
    let mut events = Vec::new();
    let mut data = cat(&[
        cf(true, 0, opcode::CLOSE, b""),
        cf(true, 0, 1, b"after"),
        vec![0xFF; 20],
    ]);
    ep.feed(&mut data, |e| {
        events.push(Rec::of(e));
        Ok(())
    })
    .unwrap();
    assert_eq!(events, vec![Rec::Close(None, String::new())]);
    assert_eq!(ep.state(), State::Closed);
    // An empty close is answered with an empty close, once.
    assert_eq!(ep.take_output(), sf(true, 0, opcode::CLOSE, b""));
    assert_eq!(ep.send_text("x"), Err(SendError::Closed));
    assert_eq!(ep.ping(b""), Err(SendError::Closed));
    ep.feed(&mut cf(true, 0, opcode::CLOSE, b""), |_| {
        panic!("event after close")
    })
    .unwrap();
    assert!(ep.output().is_empty());
}

#[test]
fn our_close_waits_for_the_peers() {
    let mut ep = Endpoint::new(Config::new(Role::Server), CountingMasks(0));
    ep.send_text("last").unwrap();
    ep.close(CloseCode::GOING_AWAY, "bye").unwrap();
    assert_eq!(ep.state(), State::CloseSent);
    let mut expected = sf(true, 0, 1, b"last");
    expected.extend(sf(true, 0, opcode::CLOSE, &close_payload(1001, "bye")));
    assert_eq!(ep.take_output(), expected);
    assert_eq!(ep.send_binary(b"x"), Err(SendError::Closed));
    assert_eq!(ep.close(CloseCode::NORMAL, ""), Err(SendError::Closed));
    // Data and pings that still arrive are checked, not delivered nor answered.
    let mut events = Vec::new();
    let mut data = cat(&[
        cf(true, 0, 1, b"late"),
        cf(true, 0, opcode::PING, b"p"),
        cf(true, 0, opcode::CLOSE, &close_payload(1000, "")),
    ]);
    ep.feed(&mut data, |e| {
        events.push(Rec::of(e));
        Ok(())
    })
    .unwrap();
    assert_eq!(events, vec![Rec::Close(Some(1000), String::new())]);
    assert_eq!(ep.state(), State::Closed);
    assert!(ep.output().is_empty());
    // A protocol error while closing fails without a second close frame.
    let mut ep = Endpoint::new(Config::new(Role::Server), CountingMasks(0));
    ep.close(CloseCode::NORMAL, "").unwrap();
    ep.take_output();
    assert_eq!(
        ep.feed(&mut cf(true, 0, 1, b"\xff"), |_| Ok(())),
        Err(WsError::InvalidUtf8)
    );
    assert!(ep.output().is_empty());
}

#[test]
fn send_errors() {
    let mut ep = Endpoint::new(Config::new(Role::Client), CountingMasks(0));
    assert_eq!(ep.ping(&[0; 126]), Err(SendError::ControlTooLong));
    assert_eq!(ep.pong(&[0; 126]), Err(SendError::ControlTooLong));
    for code in [999, 1004, 1005, 1006, 1015, 2999, 5000] {
        assert_eq!(ep.close(CloseCode(code), ""), Err(SendError::BadCloseCode));
    }
    assert_eq!(
        ep.close(CloseCode::NORMAL, &"r".repeat(124)),
        Err(SendError::ControlTooLong)
    );
    assert!(ep.output().is_empty());
    ep.close(CloseCode::NORMAL, &"r".repeat(123)).unwrap();
}

#[test]
fn limits_are_checked_on_the_header() {
    let limits = Limits::default()
        .with_max_frame_size(100)
        .with_max_message_size(150);
    let big = cf(true, 0, 2, &[0; 101]);
    let r = server_with(limits, &big[..8]);
    assert_eq!(r.error, Some(WsError::FrameTooLarge));
    assert_eq!(failing_close(&r), 1009);
    // Two fragments that pass the message limit together: refused at the second header.
    let two = cat(&[cf(false, 0, 2, &[0; 100]), cf(true, 0, 0, &[0; 51])]);
    let r = server_with(limits, &two[..106 + 8]);
    assert_eq!(r.error, Some(WsError::MessageTooLarge));
    assert_eq!(failing_close(&r), 1009);
    let ok = cat(&[cf(false, 0, 2, &[0; 100]), cf(true, 0, 0, &[0; 50])]);
    assert_eq!(server_with(limits, &ok).events.len(), 1);
    // 0 lifts a limit.
    let r = server_with(
        Limits::default().with_max_frame_size(0),
        &cf(true, 0, 2, &[1; 70_000]),
    );
    assert_eq!(r.events, vec![Rec::Binary(vec![1; 70_000])]);
}

#[test]
fn buffers_grow_with_the_bytes_that_arrived() {
    // A header announcing 10 MiB costs nothing until the bytes come.
    let head = cf(true, 0, 2, &vec![0; 10 << 20]);
    let r = run(Config::new(Role::Server), &head[..14 + 100], &[7]);
    assert_eq!(r.error, None);
    assert!(r.max_buffered < 4096, "{}", r.max_buffered);
    // A large message's buffer is released after delivery.
    let mut ep = Endpoint::new(Config::new(Role::Server), CountingMasks(0));
    ep.feed(&mut cf(true, 0, 2, &[1; 200_000]), |_| Ok(()))
        .unwrap();
    assert!(ep.buffered() < 64 * 1024 + 200);
}

#[test]
fn a_refused_event_stops_without_a_close_frame() {
    let mut ep = Endpoint::new(Config::new(Role::Server), CountingMasks(0));
    let mut data = cat(&[cf(true, 0, 1, b"a"), cf(true, 0, 1, b"b")]);
    let mut n = 0;
    let r = ep.feed(&mut data, |_| {
        n += 1;
        Err(WsError::Refused)
    });
    assert_eq!(r, Err(WsError::Refused));
    assert_eq!(n, 1);
    assert_eq!(ep.state(), State::Failed(WsError::Refused));
    assert!(ep.output().is_empty());
    assert_eq!(ep.feed(&mut [0x81], |_| Ok(())), Err(WsError::Refused));
    assert_eq!(ep.send_text("x"), Err(SendError::Closed));
}

#[test]
fn errors_stick() {
    let mut ep = Endpoint::new(Config::new(Role::Server), CountingMasks(0));
    assert_eq!(
        ep.feed(&mut sf(true, 0, 1, b""), |_| Ok(())),
        Err(WsError::MaskRequired)
    );
    let mut good = cf(true, 0, 1, b"x");
    assert_eq!(ep.feed(&mut good, |_| Ok(())), Err(WsError::MaskRequired));
}

#[test]
fn a_client_masks_each_frame_with_a_fresh_key() {
    let mut c = Config::new(Role::Client);
    c.fragment_size = 3;
    let mut ep = Endpoint::new(c, CountingMasks(1));
    ep.send_binary(b"0123456789").unwrap();
    ep.ping(b"p").unwrap();
    let out = ep.take_output();
    let f = run_frames(0, MaskRule::Required, &out, &[]);
    let mut masks = CountingMasks(1);
    use super::message::MaskSource as _;
    let got: Vec<_> = f
        .frames
        .iter()
        .map(|(h, b, _)| (h.opcode, h.fin, h.mask, b.clone()))
        .collect();
    let want: Vec<_> = [
        (2, false, &b"012"[..]),
        (0, false, b"345"),
        (0, false, b"678"),
        (0, true, b"9"),
        (9, true, b"p"),
    ]
    .into_iter()
    .map(|(op, fin, b)| (op, fin, Some(masks.next_mask()), b.to_vec()))
    .collect();
    assert_eq!(got, want);
    // And a server decodes them.
    let r = run(Config::new(Role::Server), &out, &[2]);
    assert_eq!(
        r.events,
        vec![
            Rec::Binary(b"0123456789".to_vec()),
            Rec::Ping(b"p".to_vec())
        ]
    );
}

#[test]
fn empty_messages_are_one_frame() {
    let mut c = Config::new(Role::Server);
    c.fragment_size = 4;
    let mut ep = Endpoint::new(c, CountingMasks(0));
    ep.send_text("").unwrap();
    assert_eq!(ep.take_output(), sf(true, 0, 1, b""));
}

// ---- properties --------------------------------------------------------------------------

/// One thing a sender does.
#[derive(Debug, Clone)]
pub(super) enum Act {
    Text(String),
    Binary(Vec<u8>),
    Ping(Vec<u8>),
    Pong(Vec<u8>),
}

pub(super) fn act() -> impl Strategy<Value = Act> {
    prop_oneof![
        4 => any::<String>().prop_map(Act::Text),
        1 => "[a-c]{0,3000}".prop_map(Act::Text),
        4 => proptest::collection::vec(any::<u8>(), 0..300).prop_map(Act::Binary),
        1 => proptest::collection::vec(0u8..3, 0..70_000).prop_map(Act::Binary),
        1 => proptest::collection::vec(any::<u8>(), 0..=125).prop_map(Act::Ping),
        1 => proptest::collection::vec(any::<u8>(), 0..=125).prop_map(Act::Pong),
    ]
}

impl Act {
    pub(super) fn expected(&self) -> Rec {
        match self {
            Act::Text(t) => Rec::Text(t.clone()),
            Act::Binary(b) => Rec::Binary(b.clone()),
            Act::Ping(p) => Rec::Ping(p.clone()),
            Act::Pong(p) => Rec::Pong(p.clone()),
        }
    }

    pub(super) fn send<M: super::message::MaskSource>(&self, ep: &mut Endpoint<M>) {
        match self {
            Act::Text(t) => ep.send_text(t),
            Act::Binary(b) => ep.send_binary(b),
            Act::Ping(p) => ep.ping(p),
            Act::Pong(p) => ep.pong(p),
        }
        .unwrap();
    }
}

fn other(role: Role) -> Role {
    match role {
        Role::Server => Role::Client,
        Role::Client => Role::Server,
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn any_sequence_in_any_split_decodes_the_same(
        acts in proptest::collection::vec(act(), 0..8),
        role in prop_oneof![Just(Role::Server), Just(Role::Client)],
        deflate in prop_oneof![
            Just(None),
            Just(Some((false, false, 15))),
            Just(Some((true, true, 9))),
            Just(Some((false, true, 12))),
        ],
        fragment in prop_oneof![Just(0usize), 1usize..40, 100usize..5000],
        cuts in proptest::collection::vec(1usize..600, 0..50),
        close in any::<bool>(),
    ) {
        let params = deflate.map(|(local, remote, bits)| super::deflate::DeflateParams {
            local_no_context_takeover: local,
            local_max_window_bits: bits,
            remote_no_context_takeover: remote,
            level: 6,
        });
        let mut sc = Config::new(other(role));
        sc.fragment_size = fragment;
        sc.deflate = params.map(|p| super::deflate::DeflateParams {
            // The sender's local side is the receiver's remote side.
            local_no_context_takeover: p.remote_no_context_takeover,
            remote_no_context_takeover: p.local_no_context_takeover,
            ..p
        });
        let mut sender = Endpoint::new(sc, CountingMasks(3));
        for a in &acts {
            a.send(&mut sender);
        }
        if close {
            sender.close(CloseCode(4000), "done").unwrap();
        }
        let bytes = sender.take_output();
        let mut rc = Config::new(role);
        rc.deflate = params;
        let whole = run(rc, &bytes, &[]);
        let split = run_with(Endpoint::new(rc, CountingMasks(7)), &bytes, &cuts);
        let mut expected: Vec<Rec> = acts.iter().map(Act::expected).collect();
        if close {
            expected.push(Rec::Close(Some(4000), "done".into()));
        }
        prop_assert_eq!(whole.error, None);
        prop_assert_eq!(&whole.events, &expected);
        prop_assert_eq!(&split, &Run { max_buffered: split.max_buffered, ..whole });
    }

    #[test]
    fn arbitrary_bytes_split_anyhow_give_the_same_result(
        data in proptest::collection::vec(any::<u8>(), 0..400),
        cuts in proptest::collection::vec(1usize..20, 1..20),
        role in prop_oneof![Just(Role::Server), Just(Role::Client)],
        deflate in any::<bool>(),
    ) {
        let mut c = Config::new(role);
        c.limits = Limits::default().with_max_frame_size(200).with_max_message_size(300);
        c.deflate = deflate.then(Default::default);
        let whole = run(c, &data, &[]);
        let split = run(c, &data, &cuts);
        prop_assert_eq!(&split, &Run { max_buffered: split.max_buffered, ..whole });
        prop_assert!(split.max_buffered <= 4096 + 301);
    }
}
