//! permessage-deflate tests, cross-checked against an independent DEFLATE implementation
//! (`miniz_oxide`; tungstenite 0.29 has no permessage-deflate to compare with).

use super::deflate::{Compressor, DeflateParams};
use super::frame::{MaskRule, RSV1};
use super::message::{Config, Endpoint};
use super::probe::{run, run_frames, CountingMasks, Rec};
use super::tests::sf;
use super::{opcode, Limits, Role, WsError};
use miniz_oxide::deflate::core::{
    compress, create_comp_flags_from_zip_params, CompressorOxide, TDEFLFlush,
};
use miniz_oxide::inflate::stream::{inflate, InflateState};
use miniz_oxide::{DataFormat, MZFlush};

const TAIL: [u8; 4] = [0, 0, 0xFF, 0xFF];

fn params(local_reset: bool, remote_reset: bool) -> DeflateParams {
    DeflateParams {
        local_no_context_takeover: local_reset,
        remote_no_context_takeover: remote_reset,
        ..Default::default()
    }
}

fn client_with_deflate(p: DeflateParams) -> Config {
    let mut c = Config::new(Role::Client);
    c.deflate = Some(p);
    c
}

/// miniz_oxide: one message, sync-flushed, the tail stripped (RFC 7692 §7.2.1).
fn mz_compress(z: &mut CompressorOxide, data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut rest = data;
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let (_, used, written) = compress(z, rest, &mut buf, TDEFLFlush::Sync);
        out.extend_from_slice(&buf[..written]);
        rest = &rest[used..];
        if rest.is_empty() && written < buf.len() {
            break;
        }
    }
    assert!(out.ends_with(&TAIL));
    out.truncate(out.len() - 4);
    out
}

/// miniz_oxide: inflates one message (tail appended) with the state kept across messages.
fn mz_inflate(z: &mut InflateState, data: &[u8]) -> Vec<u8> {
    let input = [data, &TAIL].concat();
    let mut rest = &input[..];
    let mut out = Vec::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let r = inflate(z, rest, &mut buf, MZFlush::None);
        r.status.expect("miniz_oxide inflates our output");
        out.extend_from_slice(&buf[..r.bytes_written]);
        rest = &rest[r.bytes_consumed..];
        if rest.is_empty() && r.bytes_written < buf.len() {
            return out;
        }
    }
}

fn messages() -> Vec<Vec<u8>> {
    let mut m = vec![
        b"Hello".to_vec(),
        b"Hello".to_vec(),
        Vec::new(),
        b"Hello, Hello, Hello, Hello".to_vec(),
    ];
    m.push(
        (0..100_000u32)
            .flat_map(|i| (i % 251).to_le_bytes())
            .collect(),
    );
    m.push(vec![b'z'; 300_000]);
    m
}

#[test]
fn our_compressed_messages_inflate_with_miniz_oxide() {
    for reset in [false, true] {
        let mut ours = Compressor::new(&params(reset, false));
        let mut theirs = InflateState::new_boxed(DataFormat::Raw);
        for m in messages() {
            let mut c = Vec::new();
            ours.compress(&m, &mut c);
            if reset {
                // Without context takeover every message inflates alone.
                theirs = InflateState::new_boxed(DataFormat::Raw);
            }
            assert_eq!(mz_inflate(&mut theirs, &c), m);
        }
    }
}

#[test]
fn miniz_oxide_messages_inflate_with_ours() {
    for reset in [false, true] {
        let flags = create_comp_flags_from_zip_params(6, -15, 0);
        let mut theirs = CompressorOxide::new(flags);
        let mut wire = Vec::new();
        for m in messages() {
            if reset {
                theirs = CompressorOxide::new(flags);
            }
            let c = mz_compress(&mut theirs, &m);
            // Fragmented, with a ping between the fragments.
            let half = c.len() / 2;
            wire.extend(sf(false, RSV1, opcode::BINARY, &c[..half]));
            wire.extend(sf(true, 0, opcode::PING, b"p"));
            wire.extend(sf(true, 0, 0, &c[half..]));
        }
        let r = run(client_with_deflate(params(false, reset)), &wire, &[1000]);
        assert_eq!(r.error, None);
        let want: Vec<Rec> = messages()
            .into_iter()
            .flat_map(|m| [Rec::Ping(b"p".to_vec()), Rec::Binary(m)])
            .collect();
        assert_eq!(r.events, want);
    }
}

#[test]
fn a_message_that_ends_the_deflate_stream() {
    // A whole DEFLATE stream (last block with BFINAL) per message, as RFC 7692 §7.2.3.4
    // allows: the decompressor starts afresh after it.
    let mut wire = Vec::new();
    for m in ["first message", "second message"] {
        let c = miniz_oxide::deflate::compress_to_vec(m.as_bytes(), 6);
        wire.extend(sf(true, RSV1, opcode::TEXT, &c));
    }
    let r = run(client_with_deflate(params(false, false)), &wire, &[]);
    assert_eq!(
        r.events,
        vec![
            Rec::Text("first message".into()),
            Rec::Text("second message".into())
        ]
    );
    // Data after the end of the stream is refused.
    let mut c = miniz_oxide::deflate::compress_to_vec(b"x", 6);
    c.extend(miniz_oxide::deflate::compress_to_vec(b"y", 6));
    let r = run(
        client_with_deflate(params(false, false)),
        &sf(true, RSV1, opcode::TEXT, &c),
        &[],
    );
    assert_eq!(r.error, Some(WsError::BadCompressedData));
}

#[test]
fn context_takeover_pays_off_and_can_be_declined() {
    let m = b"a fairly long message that repeats itself, a fairly long message".repeat(4);
    for (reset, smaller) in [(false, true), (true, false)] {
        let mut z = Compressor::new(&params(reset, false));
        let (mut a, mut b) = (Vec::new(), Vec::new());
        z.compress(&m, &mut a);
        z.compress(&m, &mut b);
        assert_eq!(b.len() < a.len() / 2, smaller, "reset: {reset}");
    }
}

#[test]
fn rsv1_marks_the_first_frame_only() {
    let mut c = Config::new(Role::Server);
    c.deflate = Some(DeflateParams::default());
    c.fragment_size = 10;
    let mut ep = Endpoint::new(c, CountingMasks(0));
    let text: String = (0..2000)
        .map(|i| char::from(b'a' + (i * 7 % 26) as u8))
        .collect();
    ep.send_text(&text).unwrap();
    ep.ping(b"").unwrap();
    ep.send_text("").unwrap();
    let out = ep.take_output();
    let f = run_frames(0, MaskRule::Forbidden, &out, &[]);
    let rsv: Vec<(u8, u8)> = f.frames.iter().map(|(h, _, _)| (h.opcode, h.rsv)).collect();
    assert!(rsv.len() > 4);
    assert_eq!(rsv[0], (opcode::TEXT, RSV1));
    assert!(rsv[1..rsv.len() - 2].iter().all(|&x| x == (0, 0)));
    assert_eq!(rsv[rsv.len() - 2], (opcode::PING, 0));
    // The empty message is the single byte 0x00 (RFC 7692 §7.2.3.6).
    assert_eq!(*rsv.last().unwrap(), (opcode::TEXT, RSV1));
    assert_eq!(f.frames.last().unwrap().1, [0x00]);
    let r = run(client_with_deflate(DeflateParams::default()), &out, &[3]);
    assert_eq!(
        r.events,
        vec![Rec::Text(text), Rec::Ping(vec![]), Rec::Text(String::new())]
    );
}

#[test]
fn a_compression_bomb_stops_at_the_limit() {
    let limit = 1 << 20;
    let mut z = Compressor::new(&params(false, false));
    let mut bomb = Vec::new();
    z.compress(&vec![0u8; 32 << 20], &mut bomb);
    assert!(bomb.len() < 64 * 1024, "{}", bomb.len());
    let mut c = client_with_deflate(DeflateParams::default());
    c.limits = Limits::default().with_max_message_size(limit);
    let r = run(c, &sf(true, RSV1, opcode::BINARY, &bomb), &[4096]);
    assert_eq!(r.error, Some(WsError::MessageTooLarge));
    assert!(r.max_buffered <= limit + 1 + 4096, "{}", r.max_buffered);
    let f = run_frames(0, MaskRule::Required, &r.output, &[]);
    assert_eq!(f.frames[0].1[..2], 1009u16.to_be_bytes());
    // Exactly at the limit is fine.
    let mut exact = Vec::new();
    Compressor::new(&params(false, false)).compress(&vec![0u8; limit], &mut exact);
    let r = run(c, &sf(true, RSV1, opcode::BINARY, &exact), &[]);
    assert_eq!(r.error, None);
    assert_eq!(r.events, vec![Rec::Binary(vec![0; limit])]);
}

#[test]
fn bad_compressed_data_fails_with_1007() {
    let r = run(
        client_with_deflate(DeflateParams::default()),
        &sf(true, RSV1, opcode::BINARY, &[0xFF; 16]),
        &[],
    );
    assert_eq!(r.error, Some(WsError::BadCompressedData));
    let f = run_frames(0, MaskRule::Required, &r.output, &[]);
    assert_eq!(f.frames[0].1[..2], 1007u16.to_be_bytes());
}

#[test]
fn text_is_checked_after_inflating() {
    let mut z = Compressor::new(&params(false, false));
    let mut c = Vec::new();
    z.compress(b"valid, then \xff", &mut c);
    let r = run(
        client_with_deflate(DeflateParams::default()),
        &sf(true, RSV1, opcode::TEXT, &c),
        &[],
    );
    assert_eq!(r.error, Some(WsError::InvalidUtf8));
}

#[test]
fn uncompressed_messages_still_pass_with_deflate_agreed() {
    let r = run(
        client_with_deflate(DeflateParams::default()),
        &sf(true, 0, opcode::TEXT, b"plain"),
        &[],
    );
    assert_eq!(r.events, vec![Rec::Text("plain".into())]);
}

#[test]
fn the_first_fault_wins_however_the_bytes_are_split() {
    // A final fixed-Huffman block that inflates to a lone continuation byte, then corrupt
    // data (found by the fuzz target): invalid UTF-8 comes first in the stream.
    let frame = sf(
        false,
        RSV1,
        opcode::TEXT,
        &[0x5b, 0x42, 0x08, 0x01, 0x00, 0x0a, 0xc3],
    );
    for cuts in [&[][..], &[1], &[2, 1]] {
        let r = run(client_with_deflate(DeflateParams::default()), &frame, cuts);
        assert_eq!(r.error, Some(WsError::InvalidUtf8), "{cuts:?}");
    }
}

#[test]
fn passing_the_limit_comes_before_corrupt_data_after_it() {
    // Found by the fuzz target: zlib filled the output to the limit and also found a bad
    // code after it in the same call; fed in pieces, the limit is passed first.
    let hex = "130af6f10a0a0a4a08e085c381e1e1e0e1e1f1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e13be1e1e127\
               e1e10c0c0c0c0c0c0c0c0c0c3a0c0c0c0c0c0c0c2b0c0c0c0ce1e1e1e1e1f10c0c0c0c130c0c0c0c0c0c";
    let hex: String = hex.split_whitespace().collect();
    let data: Vec<u8> = (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
        .collect();
    let mut c = client_with_deflate(DeflateParams::default());
    c.limits = Limits::default().with_max_message_size(772);
    let frame = sf(false, RSV1, opcode::BINARY, &data);
    for cuts in [&[][..], &[1], &[1, 34]] {
        assert_eq!(
            run(c, &frame, cuts).error,
            Some(WsError::MessageTooLarge),
            "{cuts:?}"
        );
    }
}
