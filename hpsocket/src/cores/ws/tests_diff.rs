//! Differential tests against an independent implementation: tungstenite 0.29's protocol
//! layer (`WebSocket::from_raw_socket` over an in-memory stream), in both directions and both
//! roles. tungstenite has no permessage-deflate; `tests_deflate` cross-checks ours against
//! miniz_oxide instead.

use std::io::{self, Read, Write};

use proptest::prelude::*;
use tungstenite::protocol::frame::coding::{Data as OpData, OpCode};
use tungstenite::protocol::frame::Frame;
use tungstenite::protocol::{Role as TRole, WebSocket};
use tungstenite::Message;

use super::frame::MaskRule;
use super::message::{Config, Endpoint};
use super::probe::{run, run_frames, CountingMasks, Rec};
use super::tests::{act, cf, Act};
use super::{opcode, CloseCode, Role, WsError};

/// A stream that reads `input` then would block, and collects what is written.
#[derive(Default)]
struct Mem {
    input: Vec<u8>,
    pos: usize,
    output: Vec<u8>,
}

impl Read for Mem {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.pos == self.input.len() {
            return Err(io::ErrorKind::WouldBlock.into());
        }
        let n = buf.len().min(self.input.len() - self.pos);
        buf[..n].copy_from_slice(&self.input[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

impl Write for Mem {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.output.extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

fn trole(r: Role) -> TRole {
    match r {
        Role::Server => TRole::Server,
        Role::Client => TRole::Client,
    }
}

fn rec_of(m: Message) -> Rec {
    match m {
        Message::Text(t) => Rec::Text(t.as_str().into()),
        Message::Binary(b) => Rec::Binary(b.to_vec()),
        Message::Ping(p) => Rec::Ping(p.to_vec()),
        Message::Pong(p) => Rec::Pong(p.to_vec()),
        Message::Close(c) => Rec::Close(
            c.as_ref().map(|c| u16::from(c.code)),
            c.map(|c| c.reason.as_str().to_string()).unwrap_or_default(),
        ),
        Message::Frame(_) => unreachable!("never read"),
    }
}

/// What tungstenite in `role` reads from `bytes`: the messages, the error that stopped it,
/// and what it wrote back (pongs, closes).
fn tungstenite_reads(role: Role, bytes: &[u8]) -> (Vec<Rec>, Option<String>, Vec<u8>) {
    let mem = Mem {
        input: bytes.to_vec(),
        ..Mem::default()
    };
    let mut ws = WebSocket::from_raw_socket(mem, trole(role), None);
    let mut recs = Vec::new();
    let error = loop {
        match ws.read() {
            Ok(m) => recs.push(rec_of(m)),
            Err(tungstenite::Error::Io(e)) if e.kind() == io::ErrorKind::WouldBlock => break None,
            Err(tungstenite::Error::ConnectionClosed) => break None,
            Err(e) => break Some(e.to_string()),
        }
    };
    let _ = ws.flush();
    (recs, error, std::mem::take(&mut ws.get_mut().output))
}

/// What tungstenite in `role` writes for `acts`: each data message split into frames of
/// `fragment` bytes (0: whole), with a ping after its first fragment if `ping_inside`.
fn tungstenite_writes(role: Role, acts: &[Act], fragment: usize, ping_inside: bool) -> Vec<u8> {
    let mut ws = WebSocket::from_raw_socket(Mem::default(), trole(role), None);
    for a in acts {
        let (op, data) = match a {
            Act::Text(t) => (OpData::Text, t.as_bytes().to_vec()),
            Act::Binary(b) => (OpData::Binary, b.clone()),
            Act::Ping(p) => {
                ws.send(Message::Ping(p.clone().into())).unwrap();
                continue;
            }
            Act::Pong(p) => {
                ws.send(Message::Pong(p.clone().into())).unwrap();
                continue;
            }
        };
        if fragment == 0 || data.len() <= fragment {
            let m = match op {
                OpData::Text => Message::text(String::from_utf8(data).unwrap()),
                _ => Message::binary(data),
            };
            ws.send(m).unwrap();
            continue;
        }
        let chunks: Vec<&[u8]> = data.chunks(fragment).collect();
        for (i, c) in chunks.iter().enumerate() {
            let code = if i == 0 { op } else { OpData::Continue };
            let fin = i + 1 == chunks.len();
            ws.send(Message::Frame(Frame::message(
                c.to_vec(),
                OpCode::Data(code),
                fin,
            )))
            .unwrap();
            if i == 0 && ping_inside {
                ws.send(Message::Ping(b"inside".to_vec().into())).unwrap();
            }
        }
    }
    std::mem::take(&mut ws.get_mut().output)
}

/// The events a receiver should report for `acts` written by [`tungstenite_writes`].
fn expected(acts: &[Act], fragment: usize, ping_inside: bool) -> Vec<Rec> {
    let mut v = Vec::new();
    for a in acts {
        let len = match a {
            Act::Text(t) => t.len(),
            Act::Binary(b) => b.len(),
            _ => 0,
        };
        if ping_inside && fragment != 0 && len > fragment {
            v.push(Rec::Ping(b"inside".to_vec()));
        }
        v.push(a.expected());
    }
    v
}

fn other(role: Role) -> Role {
    match role {
        Role::Server => Role::Client,
        Role::Client => Role::Server,
    }
}

#[test]
fn tungstenite_client_to_our_server() {
    let acts = vec![
        Act::Text("héllo wörld".into()),
        Act::Binary((0..=255).collect()),
        Act::Ping(b"ping".to_vec()),
        Act::Text("a longer text message, fragmented: ünïcödé splits".into()),
        Act::Pong(b"unsolicited".to_vec()),
        Act::Binary(vec![7; 70_000]),
    ];
    let bytes = tungstenite_writes(Role::Client, &acts, 5, true);
    let r = run(Config::new(Role::Server), &bytes, &[3, 1, 100]);
    assert_eq!(r.error, None);
    assert_eq!(r.events, expected(&acts, 5, true));
}

#[test]
fn our_client_to_tungstenite_server_and_back() {
    let mut c = Config::new(Role::Client);
    c.fragment_size = 4;
    let mut ours = Endpoint::new(c, CountingMasks(9));
    ours.send_text("héllo, fragmented").unwrap();
    ours.ping(b"are you there").unwrap();
    ours.send_binary(&[1, 2, 3, 4, 5, 6, 7, 8, 9]).unwrap();
    ours.close(CloseCode(4001), "done").unwrap();
    let (recs, err, reply) = tungstenite_reads(Role::Server, &ours.take_output());
    assert_eq!(err, None);
    assert_eq!(
        recs,
        vec![
            Rec::Text("héllo, fragmented".into()),
            Rec::Ping(b"are you there".to_vec()),
            Rec::Binary(vec![1, 2, 3, 4, 5, 6, 7, 8, 9]),
            Rec::Close(Some(4001), "done".into()),
        ]
    );
    // tungstenite's pong and close answer, read by our client: the pong arrives after our
    // close, so it is not delivered (tungstenite would still return it).
    let mut events = Vec::new();
    let mut reply = reply;
    ours.feed(&mut reply, |e| {
        events.push(Rec::of(e));
        Ok(())
    })
    .unwrap();
    assert_eq!(events, vec![Rec::Close(Some(4001), "done".into())]);
    assert_eq!(ours.state(), super::message::State::Closed);
}

#[test]
fn pong_answers_match_tungstenite() {
    let mut bytes = Vec::new();
    for p in [&b""[..], b"a", &[9; 125]] {
        bytes.extend(cf(true, 0, opcode::PING, p));
    }
    let ours = run(Config::new(Role::Server), &bytes, &[]);
    let (_, err, theirs) = tungstenite_reads(Role::Server, &bytes);
    assert_eq!(err, None);
    assert_eq!(ours.output, theirs);
}

/// Masked client frames that break a rule, with the error we report.
fn malformed() -> Vec<(&'static str, Vec<u8>, WsError)> {
    let frames = |parts: &[Vec<u8>]| parts.concat();
    vec![
        ("rsv1", cf(true, 0b100, 1, b"x"), WsError::ReservedBits),
        ("rsv3", cf(true, 0b001, 2, b"x"), WsError::ReservedBits),
        ("opcode 3", cf(true, 0, 3, b""), WsError::UnknownOpcode),
        ("opcode 0xB", cf(true, 0, 0xB, b""), WsError::UnknownOpcode),
        (
            "long ping",
            cf(true, 0, 9, &[0; 126]),
            WsError::ControlTooLong,
        ),
        (
            "fragmented ping",
            cf(false, 0, 9, b""),
            WsError::ControlFragmented,
        ),
        (
            "lone continuation",
            cf(true, 0, 0, b"x"),
            WsError::UnexpectedContinuation,
        ),
        (
            "text inside text",
            frames(&[cf(false, 0, 1, b"a"), cf(true, 0, 1, b"b")]),
            WsError::ExpectedContinuation,
        ),
        ("bad utf-8", cf(true, 0, 1, b"\xff"), WsError::InvalidUtf8),
        (
            "bad utf-8 across fragments",
            frames(&[cf(false, 0, 1, b"\xe2\x82"), cf(true, 0, 0, b"x")]),
            WsError::InvalidUtf8,
        ),
        (
            "cut utf-8",
            cf(true, 0, 1, b"\xe2\x82"),
            WsError::InvalidUtf8,
        ),
        (
            "one-byte close",
            cf(true, 0, 8, &[3]),
            WsError::BadClosePayload,
        ),
        (
            "close reason utf-8",
            cf(true, 0, 8, b"\x03\xe8\xff"),
            WsError::InvalidUtf8,
        ),
        (
            "unmasked",
            super::tests::sf(true, 0, 1, b"x"),
            WsError::MaskRequired,
        ),
        (
            "length top bit",
            vec![0x82, 0xFF, 0x80, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4],
            WsError::LengthTopBit,
        ),
    ]
}

#[test]
fn both_refuse_malformed_frames() {
    for (name, bytes, e) in malformed() {
        let ours = run(Config::new(Role::Server), &bytes, &[]);
        assert_eq!(ours.error, Some(e), "{name}");
        let (recs, err, _) = tungstenite_reads(Role::Server, &bytes);
        assert!(err.is_some(), "{name}: tungstenite read {recs:?}");
    }
    // Close codes that may not be sent: both answer with 1002 (tungstenite reports the
    // close with the code replaced, we report the error).
    for code in [999u16, 1004, 1005, 1006, 1015, 2000, 5000] {
        let bytes = cf(true, 0, opcode::CLOSE, &code.to_be_bytes());
        let ours = run(Config::new(Role::Server), &bytes, &[]);
        assert_eq!(ours.error, Some(WsError::BadCloseCode));
        let (recs, _, theirs) = tungstenite_reads(Role::Server, &bytes);
        assert_eq!(
            recs,
            vec![Rec::Close(Some(1002), "Protocol violation".into())]
        );
        for out in [&ours.output, &theirs] {
            let f = run_frames(0, MaskRule::Forbidden, out, &[]);
            assert_eq!(f.frames[0].1[..2], 1002u16.to_be_bytes(), "{code}");
        }
    }
}

#[test]
fn non_minimal_lengths_differ_on_purpose() {
    // 5 bytes announced in the 16-bit form: tungstenite reads it, we refuse it (RFC 6455
    // §5.2: "the minimal number of bytes MUST be used").
    let mut bytes = vec![0x82, 0xFE, 0x00, 0x05, 1, 2, 3, 4];
    bytes.extend([1 ^ 1, 2 ^ 2, 3 ^ 3, 4 ^ 4, 5 ^ 1]);
    let ours = run(Config::new(Role::Server), &bytes, &[]);
    assert_eq!(ours.error, Some(WsError::NonMinimalLength));
    let (recs, err, _) = tungstenite_reads(Role::Server, &bytes);
    assert_eq!((recs, err), (vec![Rec::Binary(vec![1, 2, 3, 4, 5])], None));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn tungstenite_writes_we_read(
        acts in proptest::collection::vec(act(), 0..8),
        role in prop_oneof![Just(Role::Server), Just(Role::Client)],
        fragment in prop_oneof![Just(0usize), 1usize..50, 500usize..5000],
        ping_inside in any::<bool>(),
        cuts in proptest::collection::vec(1usize..700, 0..30),
    ) {
        let bytes = tungstenite_writes(other(role), &acts, fragment, ping_inside);
        let r = run(Config::new(role), &bytes, &cuts);
        prop_assert_eq!(r.error, None);
        prop_assert_eq!(r.events, expected(&acts, fragment, ping_inside));
    }

    #[test]
    fn we_write_tungstenite_reads(
        acts in proptest::collection::vec(act(), 0..8),
        role in prop_oneof![Just(Role::Server), Just(Role::Client)],
        fragment in prop_oneof![Just(0usize), 1usize..50, 500usize..5000],
        close in proptest::option::of((1000u16..1004, "[a-z ]{0,40}")),
    ) {
        let mut c = Config::new(role);
        c.fragment_size = fragment;
        let mut ours = Endpoint::new(c, CountingMasks(5));
        for a in &acts {
            a.send(&mut ours);
        }
        let mut want: Vec<Rec> = acts.iter().map(Act::expected).collect();
        if let Some((code, reason)) = &close {
            ours.close(CloseCode(*code), reason).unwrap();
            want.push(Rec::Close(Some(*code), reason.clone()));
        }
        let (recs, err, _) = tungstenite_reads(other(role), &ours.take_output());
        prop_assert_eq!(err, None);
        prop_assert_eq!(recs, want);
    }

    #[test]
    fn random_frames_are_judged_alike(
        frames in proptest::collection::vec(
            (any::<bool>(), prop_oneof![8 => Just(0u8), 1 => 0u8..8],
             prop_oneof![Just(0u8), Just(1), Just(2), Just(8), Just(9), Just(10), 0u8..16],
             prop_oneof![
                 proptest::collection::vec(any::<u8>(), 0..8),
                 "[a-zé]{0,6}".prop_map(String::into_bytes),
                 proptest::collection::vec(any::<u8>(), 120..130),
             ]),
            1..6),
    ) {
        let bytes: Vec<u8> = frames.iter().flat_map(|(fin, rsv, op, p)| cf(*fin, *rsv, *op, p)).collect();
        let ours = run(Config::new(Role::Server), &bytes, &[]);
        let (mut theirs, err, _) = tungstenite_reads(Role::Server, &bytes);
        // tungstenite reports a bad close code as a close with 1002; we fail with it.
        let replaced = Some(Rec::Close(Some(1002), "Protocol violation".into()));
        let bad_close = ours.error == Some(WsError::BadCloseCode) && theirs.last() == replaced.as_ref();
        if bad_close {
            theirs.pop();
        }
        prop_assert_eq!(&ours.events, &theirs);
        prop_assert_eq!(ours.error.is_some(), err.is_some() || bad_close, "{:?} / {:?}", ours.error, err);
    }
}
