#!/usr/bin/env python3
"""Attacks on a running `hps server` / `hps udp-server`, as issue 14 measured them (by hand;
the fault suite `hpsocket/tests/faults.rs` runs small versions in CI).

Each attack prints the server's resident memory (VmRSS, and VmHWM: the peak) before, during
and after, and whether a fresh client is still served. Examples (server on one terminal):

    hps server --port 5555 &                      # PUSH echo, defaults
    scripts/attack.py --pid $! never-read --conns 100 --mb 30
    scripts/attack.py --pid $! idle --conns 10050
    hps server --model pack --max-pack-size 4194303 --port 5556 &
    scripts/attack.py --pid $! --port 5556 pack-partial --conns 50 --size 4194303
    hps udp-server --port 5557 &
    scripts/attack.py --pid $! --port 5557 udp-probes --sources 10050
"""
import argparse
import os
import resource
import socket
import struct
import time


def status(pid):
    out = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            k, _, v = line.partition(":")
            if k in ("VmRSS", "VmHWM"):
                out[k] = int(v.split()[0]) / 1024
    out["fds"] = len(os.listdir(f"/proc/{pid}/fd"))
    return out


def show(pid, what):
    s = status(pid)
    print(f"{what:<28} RSS {s['VmRSS']:8.1f} MiB   peak {s['VmHWM']:8.1f} MiB   fds {s['fds']}",
          flush=True)
    return s


def served_tcp(host, port, pack=False, timeout=2.0):
    """One echo round trip on a new connection."""
    msg = os.urandom(64)
    if pack:
        msg = struct.pack("<I", len(msg)) + msg
    try:
        with socket.create_connection((host, port), timeout=timeout) as s:
            s.sendall(msg)
            got = b""
            while len(got) < len(msg):
                b = s.recv(len(msg) - len(got))
                if not b:
                    return False
                got += b
            return got == msg
    except OSError:
        return False


def served_udp(host, port, timeout=2.0):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(timeout)
        s.connect((host, port))
        msg = os.urandom(32)
        try:
            s.send(msg)
            return s.recv(2048) == msg
        except OSError:
            return False


def raise_nofile():
    """Thousands of sockets: the soft descriptor limit up to the hard one."""
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def leave(a, socks):
    """The attackers go; after a pause, what the server still holds."""
    for s in socks:
        s.close()
    time.sleep(a.settle)
    show(a.pid, f"{a.settle} s after they left")


def connect_many(host, port, n):
    socks = []
    for _ in range(n):
        try:
            s = socket.create_connection((host, port), timeout=5)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            s.setblocking(False)
            socks.append(s)
        except OSError as e:
            print(f"connect {len(socks)}: {e}")
            break
    return socks


def never_read(a):
    """Connections that send a lot and never read the echo: the server's queues fill."""
    socks = connect_many(a.host, a.port, a.conns)
    chunk = b"x" * 65536
    want = a.mb << 20
    sent = [0] * len(socks)
    deadline = time.time() + a.secs
    while time.time() < deadline and any(x < want for x in sent):
        progressed = False
        for i, s in enumerate(socks):
            if sent[i] >= want:
                continue
            try:
                sent[i] += s.send(chunk)
                progressed = True
            except BlockingIOError:
                pass
            except OSError:
                sent[i] = want  # closed by the server
        if not progressed:
            time.sleep(0.05)
    print(f"sent {sum(sent) / 2**20:.0f} MiB in all over {len(socks)} connections")
    show(a.pid, "while they hold on")
    print(f"fresh client served: {served_tcp(a.host, a.port)}")
    leave(a, socks)


def pack_partial(a):
    """PACK headers announcing `size` bytes, followed by all but the last `short` bytes."""
    socks = connect_many(a.host, a.port, a.conns)
    body = b"p" * 65536
    for s in socks:
        s.setblocking(True)
        s.sendall(struct.pack("<I", a.size))
        left = max(a.size - a.short, 0) if a.fill else 0
        while left > 0:
            n = min(left, len(body))
            s.sendall(body[:n])
            left -= n
    time.sleep(1)
    show(a.pid, "partial packets held")
    print(f"fresh client served: {served_tcp(a.host, a.port, pack=True)}")
    leave(a, socks)


def idle(a):
    """Connections that never send: do they lock new clients out, and for how long?"""
    raise_nofile()
    t0 = time.time()
    socks = connect_many(a.host, a.port, a.conns)
    print(f"{len(socks)} idle connections in {time.time() - t0:.2f} s")
    show(a.pid, "idle connections open")
    t0 = time.time()
    while not served_tcp(a.host, a.port, timeout=1.0):
        if time.time() - t0 > a.secs:
            print(f"fresh client NOT served within {a.secs} s")
            break
        time.sleep(0.5)
    else:
        print(f"fresh client served after {time.time() - t0:.1f} s")
    leave(a, socks)


def udp_probes(a):
    """0-byte datagrams from many new source ports: do they take the server's peer slots?"""
    raise_nofile()
    t0 = time.time()
    answers = 0
    socks = []
    for _ in range(a.sources):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.setblocking(False)
        s.sendto(b"" if not a.data else b"d", (a.host, a.port))
        socks.append(s)
    print(f"{len(socks)} sources sent one datagram each in {time.time() - t0:.2f} s")
    time.sleep(0.5)
    for s in socks:
        try:
            while True:
                s.recv(2048)
                answers += 1
        except OSError:
            pass
    print(f"answers received by the sources: {answers}")
    show(a.pid, "after the flood")
    print(f"fresh peer served: {served_udp(a.host, a.port)}")
    for s in socks:
        s.close()


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--pid", type=int, required=True, help="the server's process ID")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=5555)
    p.add_argument("--settle", type=int, default=3, help="seconds to wait after the attack")
    sub = p.add_subparsers(dest="attack", required=True)
    q = sub.add_parser("never-read")
    q.add_argument("--conns", type=int, default=100)
    q.add_argument("--mb", type=int, default=30)
    q.add_argument("--secs", type=float, default=30)
    q = sub.add_parser("pack-partial")
    q.add_argument("--conns", type=int, default=50)
    q.add_argument("--size", type=int, default=4194303)
    q.add_argument("--short", type=int, default=1)
    q.add_argument("--fill", action="store_true", help="send the body but the last bytes")
    q = sub.add_parser("idle")
    q.add_argument("--conns", type=int, default=10050)
    q.add_argument("--secs", type=float, default=90)
    q = sub.add_parser("udp-probes")
    q.add_argument("--sources", type=int, default=10050)
    q.add_argument("--data", action="store_true", help="1-byte datagrams instead of probes")
    a = p.parse_args()
    show(a.pid, "before")
    {"never-read": never_read, "pack-partial": pack_partial, "idle": idle,
     "udp-probes": udp_probes}[a.attack](a)


if __name__ == "__main__":
    main()
