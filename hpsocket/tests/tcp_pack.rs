//! PACK components over real loopback sockets.

mod util;

use std::io::{Read, Write};
use std::sync::atomic::Ordering;

use hpsocket::*;
use util::*;

fn pack_server(
    flag: u16,
    max: u32,
    echo: bool,
) -> (
    TcpPackServer,
    std::sync::Arc<Recorder>,
    std::net::SocketAddr,
) {
    let rec = if echo {
        Recorder::echoing()
    } else {
        Recorder::new()
    };
    rec.keep_data.store(true, Ordering::Relaxed);
    let s = TcpPackServer::new(L(rec.clone()));
    s.set_worker_thread_count(2).unwrap();
    s.set_pack_header_flag(flag).unwrap();
    s.set_max_pack_size(max).unwrap();
    s.start("127.0.0.1", 0).unwrap();
    let a = s.listen_address().unwrap();
    (s, rec, a)
}

/// Reads one PACK frame from a raw socket.
fn read_frame(s: &mut std::net::TcpStream) -> (u16, Vec<u8>) {
    let mut h = [0u8; 4];
    s.read_exact(&mut h).unwrap();
    let w = u32::from_le_bytes(h);
    let mut body = vec![0u8; (w & 0x3F_FFFF) as usize];
    s.read_exact(&mut body).unwrap();
    ((w >> 22) as u16, body)
}

#[test]
fn every_receive_is_one_whole_packet_under_any_split() {
    let (server, rec, a) = pack_server(0x123, 1 << 20, true);
    let mut c = connect(a);
    let sizes = [1usize, 3, 100, 4095, 4096, 4097, 65536, 300_000];
    let mut wire = Vec::new();
    for (i, n) in sizes.iter().enumerate() {
        wire.extend(pack_frame(0x123, &pattern(i as u64, *n)));
    }
    // First 2,000 bytes one at a time (headers split across reads), the rest in one go.
    for b in &wire[..2000] {
        c.write_all(std::slice::from_ref(b)).unwrap();
    }
    c.write_all(&wire[2000..]).unwrap();
    for (i, n) in sizes.iter().enumerate() {
        let (flag, body) = read_frame(&mut c);
        assert_eq!(flag, 0x123);
        assert!(body == pattern(i as u64, *n), "packet {i}");
    }
    let evs = rec.events();
    let got: Vec<usize> = evs
        .iter()
        .filter_map(|e| {
            if let Ev::Receive(_, n) = e {
                Some(*n)
            } else {
                None
            }
        })
        .collect();
    assert_eq!(got, sizes);
    server.stop().unwrap();
}

#[test]
fn bad_headers_close_only_the_offending_connection() {
    let (server, rec, a) = pack_server(7, 1000, true);
    let mut good = connect(a);
    let mut wrong_flag = connect(a);
    let mut too_big = connect(a);
    let mut zero = connect(a);
    assert!(rec.wait_count(4, |e| matches!(e, Ev::Accept(_))));
    wrong_flag.write_all(&pack_frame(8, b"hi")).unwrap();
    too_big
        .write_all(&(((7u32) << 22) | 1001).to_le_bytes())
        .unwrap();
    zero.write_all(&((7u32) << 22).to_le_bytes()).unwrap();
    assert!(rec.wait_count(3, |e| matches!(e, Ev::Close(..))));
    let mut errs: Vec<(SocketOperation, i32)> = rec.closes().iter().map(|c| (c.1, c.2)).collect();
    errs.sort_by_key(|e| e.1);
    assert_eq!(
        errs,
        vec![
            (SocketOperation::Receive, 74), // EBADMSG: flag
            (SocketOperation::Receive, 90), // EMSGSIZE: too big
            (SocketOperation::Receive, 90), // EMSGSIZE: zero length
        ]
    );
    for s in [&mut wrong_flag, &mut too_big, &mut zero] {
        let mut b = [0u8; 1];
        assert!(matches!(s.read(&mut b), Ok(0) | Err(_)));
    }
    good.write_all(&pack_frame(7, b"still fine")).unwrap();
    assert_eq!(read_frame(&mut good), (7, b"still fine".to_vec()));
    assert!(eventually(|| server.connection_count() == 1));
    server.stop().unwrap();
}

#[test]
fn oversize_or_empty_send_is_refused_and_nothing_is_written() {
    let (server, rec, a) = pack_server(0, 100, false);
    let mut c = connect(a);
    assert!(rec.wait_count(1, |e| matches!(e, Ev::Accept(_))));
    let id = server.all_connection_ids()[0];
    let e = server.send(id, &[0u8; 101]).unwrap_err();
    assert!(matches!(
        e,
        Error::MessageSize {
            size: 101,
            max: 100
        }
    ));
    assert_eq!(e.errno(), 90);
    assert!(matches!(
        server.send(id, &[]),
        Err(Error::MessageSize { .. })
    ));
    assert!(matches!(
        server.send_packets(id, &[&[1u8; 60], &[2u8; 41]]),
        Err(Error::MessageSize { .. })
    ));
    assert_eq!(server.pending_data_length(id).unwrap(), 0);
    // send_packets: one packet, one header over the total.
    server.send_packets(id, &[b"ab", b"cd", b"e"]).unwrap();
    assert_eq!(read_frame(&mut c), (0, b"abcde".to_vec()));
    server.stop().unwrap();
}

#[test]
fn pack_agent_and_client_echo_up_to_the_hard_maximum() {
    let max = MAX_PACK_SIZE_LIMIT;
    let (server, _srec, a) = pack_server(0x3FF, max, true);
    let rec = Recorder::new();
    rec.keep_data.store(true, Ordering::Relaxed);
    let agent = TcpPackAgent::new(L(rec.clone()));
    agent.set_pack_header_flag(0x3FF).unwrap();
    agent.set_max_pack_size(max).unwrap();
    agent.start(None, false).unwrap();
    let id = agent.connect("127.0.0.1", a.port()).unwrap();
    let big = pattern(42, max as usize);
    agent.send(id, &big).unwrap();
    agent.send(id, b"small").unwrap();
    assert!(rec.wait_count(2, |e| matches!(e, Ev::Receive(..))));
    let evs = rec.events();
    let sizes: Vec<usize> = evs
        .iter()
        .filter_map(|e| {
            if let Ev::Receive(_, n) = e {
                Some(*n)
            } else {
                None
            }
        })
        .collect();
    assert_eq!(sizes, vec![max as usize, 5]);
    let data = rec.data.lock()[&id].clone();
    assert!(data[..max as usize] == big[..]);
    assert_eq!(&data[max as usize..], b"small");
    agent.stop().unwrap();

    let crec = Recorder::new();
    crec.keep_data.store(true, Ordering::Relaxed);
    let client = TcpPackClient::new(L(crec.clone()));
    client.set_pack_header_flag(0x3FF).unwrap();
    client.start("127.0.0.1", a.port(), false).unwrap();
    for i in 0..50u64 {
        client
            .send(&pattern(i, 1 + (i as usize * 997) % 5000))
            .unwrap();
    }
    assert!(crec.wait_count(50, |e| matches!(e, Ev::Receive(..))));
    let evs = crec.events();
    let sizes: Vec<usize> = evs
        .iter()
        .filter_map(|e| {
            if let Ev::Receive(_, n) = e {
                Some(*n)
            } else {
                None
            }
        })
        .collect();
    assert_eq!(
        sizes,
        (0..50).map(|i| 1 + (i * 997) % 5000).collect::<Vec<_>>()
    );
    client.stop().unwrap();
    server.stop().unwrap();
}

#[test]
fn pack_properties_are_checked() {
    let s = TcpPackServer::new(L(Recorder::new()));
    assert_eq!(s.max_pack_size(), 262_144);
    assert_eq!(s.pack_header_flag(), 0);
    assert!(matches!(
        s.set_max_pack_size(0),
        Err(Error::InvalidParam(_))
    ));
    assert!(matches!(
        s.set_max_pack_size(0x40_0000),
        Err(Error::InvalidParam(_))
    ));
    assert!(matches!(
        s.set_pack_header_flag(0x400),
        Err(Error::InvalidParam(_))
    ));
    s.start("127.0.0.1", 0).unwrap();
    assert!(matches!(
        s.set_max_pack_size(1000),
        Err(Error::IllegalState(_))
    ));
    assert!(matches!(
        s.set_pack_header_flag(1),
        Err(Error::IllegalState(_))
    ));
    s.stop().unwrap();
}

#[test]
fn pause_inside_on_receive_holds_remaining_packets() {
    let (server, rec, a) = pack_server(0, 1000, false);
    let s2 = server.clone();
    // Pause after the first packet of a burst: the rest of that read must wait, not vanish.
    *rec.on_recv_hook.lock() = Some(Box::new(move |id, data| {
        if data == b"pause" {
            s2.pause_receive(id, true).unwrap();
        }
    }));
    let mut c = connect(a);
    let mut wire = pack_frame(0, b"pause");
    for i in 0..20u8 {
        wire.extend(pack_frame(0, &[i; 10]));
    }
    c.write_all(&wire).unwrap();
    assert!(rec.wait_count(1, |e| matches!(e, Ev::Receive(..))));
    std::thread::sleep(std::time::Duration::from_millis(50));
    assert_eq!(
        rec.count(|e| matches!(e, Ev::Receive(..))),
        1,
        "paused: nothing more delivered"
    );
    let id = server.all_connection_ids()[0];
    server.pause_receive(id, false).unwrap();
    assert!(rec.wait_count(21, |e| matches!(e, Ev::Receive(..))));
    let data = rec.data.lock()[&id].clone();
    let mut expect = b"pause".to_vec();
    for i in 0..20u8 {
        expect.extend([i; 10]);
    }
    assert_eq!(data, expect);
    server.stop().unwrap();
}
