"""Independent WebSocket peers for tests/ws_python.rs: Python's `websockets` (asyncio's
reference implementation's sync API) and `wsproto` (sans-IO, driven here over a plain
socket), each as a client of our server and as an echo server for our client.

    python3 ws_peers.py websockets-client PORT     # exits 0 after checking every echo
    python3 ws_peers.py wsproto-client PORT
    python3 ws_peers.py websockets-server          # prints "PORT <n>", echoes until closed
    python3 ws_peers.py wsproto-server

Clients exchange: a UTF-8 text, a binary, a fragmented text, a 1 MiB binary, a ping
answered by a pong, then close with 4001 "bye" and expect the echo of that code. Both
sides ask for permessage-deflate.
"""

import os
import socket
import sys

BIG = bytes((i * 7) % 256 for i in range(1 << 20))
TEXT = "héllo, ✓ wörld"


def fail(why):
    print("FAIL", why, flush=True)
    sys.exit(1)


def websockets_client(port):
    from websockets.sync.client import connect
    from websockets.extensions.permessage_deflate import ClientPerMessageDeflateFactory

    with connect(
        f"ws://127.0.0.1:{port}/py",
        extensions=[ClientPerMessageDeflateFactory()],
        max_size=2 << 20,
        open_timeout=10,
    ) as ws:
        if "permessage-deflate" not in (ws.response.headers.get("Sec-WebSocket-Extensions") or ""):
            fail("no permessage-deflate agreed")
        ws.send(TEXT)
        if ws.recv(timeout=10) != TEXT:
            fail("text")
        ws.send(b"\x00\x01binary\xff")
        if ws.recv(timeout=10) != b"\x00\x01binary\xff":
            fail("binary")
        ws.send(["frag", "men", "ted"])
        if ws.recv(timeout=10) != "fragmented":
            fail("fragmented")
        ws.send(BIG)
        if ws.recv(timeout=10) != BIG:
            fail("1 MiB binary")
        if not ws.ping(b"p").wait(10):
            fail("no pong")
        ws.close(4001, "bye")
        # The code of the close frame the server answered with.
        if ws.close_code != 4001:
            fail(f"close answer {ws.close_code}")
    print("OK", flush=True)


def websockets_server():
    from websockets.sync.server import serve
    from websockets.extensions.permessage_deflate import ServerPerMessageDeflateFactory

    def echo(ws):
        for msg in ws:
            ws.send(msg)

    with serve(
        echo,
        "127.0.0.1",
        0,
        extensions=[ServerPerMessageDeflateFactory()],
        max_size=2 << 20,
    ) as server:
        print("PORT", server.socket.getsockname()[1], flush=True)
        server.serve_forever()


def wsproto_drive(sock, conn, on_event):
    """Reads until `on_event` returns True for an event (or the peer closes)."""
    while True:
        data = sock.recv(1 << 16)
        conn.receive_data(data or None)
        for ev in conn.events():
            out = on_event(ev)
            if out is True:
                return
        if not data:
            return


def wsproto_client(port):
    from wsproto import ConnectionType, WSConnection
    from wsproto.events import (AcceptConnection, BytesMessage, CloseConnection, Message, Ping,
                                Pong, Request, TextMessage)
    from wsproto.extensions import PerMessageDeflate

    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    conn = WSConnection(ConnectionType.CLIENT)
    sock.sendall(conn.send(Request(host="127.0.0.1", target="/wsproto",
                                   extensions=[PerMessageDeflate()])))
    state = {"accepted": None, "msg": [], "pong": False, "close": None}

    def handle(ev):
        if isinstance(ev, AcceptConnection):
            state["accepted"] = ev
            return True
        if isinstance(ev, Message):
            state["msg"].append(ev.data)
            if ev.message_finished:
                return True
        if isinstance(ev, Pong):
            state["pong"] = True
            return True
        if isinstance(ev, Ping):
            sock.sendall(conn.send(ev.response()))
        if isinstance(ev, CloseConnection):
            state["close"] = ev
            return True
        return False

    def roundtrip(make, expect, what):
        state["msg"] = []
        for m in make:
            sock.sendall(conn.send(m))
        wsproto_drive(sock, conn, handle)
        got = "".join(state["msg"]) if isinstance(expect, str) else b"".join(state["msg"])
        if got != expect:
            fail(what)

    wsproto_drive(sock, conn, handle)
    if state["accepted"] is None:
        fail("not accepted")
    if not any(isinstance(e, PerMessageDeflate) for e in state["accepted"].extensions):
        fail("no permessage-deflate agreed")
    roundtrip([TextMessage(TEXT)], TEXT, "text")
    roundtrip([BytesMessage(b"\x00bin\xff")], b"\x00bin\xff", "binary")
    roundtrip([TextMessage("frag", message_finished=False),
               TextMessage("mented", message_finished=True)], "fragmented", "fragmented")
    roundtrip([BytesMessage(BIG)], BIG, "1 MiB binary")
    sock.sendall(conn.send(Ping(b"p")))
    wsproto_drive(sock, conn, handle)
    if not state["pong"]:
        fail("no pong")
    sock.sendall(conn.send(CloseConnection(code=4001, reason="bye")))
    wsproto_drive(sock, conn, handle)
    if state["close"] is None or state["close"].code != 4001:
        fail(f"close answer {state['close']}")
    sock.close()
    print("OK", flush=True)


def wsproto_server():
    from wsproto import ConnectionType, WSConnection
    from wsproto.events import (AcceptConnection, BytesMessage, CloseConnection, Message, Ping,
                                Request, TextMessage)
    from wsproto.extensions import PerMessageDeflate

    lsock = socket.socket()
    lsock.bind(("127.0.0.1", 0))
    lsock.listen(4)
    print("PORT", lsock.getsockname()[1], flush=True)
    while True:
        sock, _ = lsock.accept()
        sock.settimeout(30)
        conn = WSConnection(ConnectionType.SERVER)
        parts = []

        def handle(ev):
            if isinstance(ev, Request):
                sock.sendall(conn.send(AcceptConnection(extensions=[PerMessageDeflate()])))
            elif isinstance(ev, Message):
                parts.append(ev.data)
                if ev.message_finished:
                    whole = ("".join(parts) if isinstance(ev, TextMessage) else b"".join(parts))
                    parts.clear()
                    kind = TextMessage if isinstance(ev, TextMessage) else BytesMessage
                    sock.sendall(conn.send(kind(whole)))
            elif isinstance(ev, Ping):
                sock.sendall(conn.send(ev.response()))
            elif isinstance(ev, CloseConnection):
                sock.sendall(conn.send(ev.response()))
                return True
            return False

        try:
            wsproto_drive(sock, conn, handle)
        finally:
            sock.close()


if __name__ == "__main__":
    mode = sys.argv[1]
    if mode == "websockets-client":
        websockets_client(int(sys.argv[2]))
    elif mode == "wsproto-client":
        wsproto_client(int(sys.argv[2]))
    elif mode == "websockets-server":
        websockets_server()
    elif mode == "wsproto-server":
        wsproto_server()
    else:
        fail(f"unknown mode {mode}")
