"""The independent HTTP/1.1 parser for tests/http_differential.rs: llhttp (Node's parser,
the successor of the http_parser HP-Socket embeds), through PyPI's `llhttp` binding.

Reads one case a line on stdin:  <id> <req|res> <eof 0|1> <hex bytes>
Writes for each case:
    case <id> ok|err:<llhttp error class> <upgraded-after bytes | ->
    msg <hex method> <hex url> <status> <keep-alive 0|1> <hex body>   (one per message)
    hdr <hex name> <hex value>                                       (its fields, trailers too)
    end
Exits 3 when the llhttp module is missing, so the test can tell "skip" from "broken".
"""

import sys

try:
    import llhttp
except ImportError:
    sys.exit(3)


def parser_class(base):
    class Recorder(base):
        def __init__(self):
            super().__init__()
            self.done = []
            self.reset_message()

        def reset_message(self):
            self._method = b""
            self._url = b""
            self._fields = []
            self._field = b""
            self._value = b""
            self._body = b""

        def on_message_begin(self):
            self.reset_message()

        def on_method(self, b):
            self._method += bytes(b)

        def on_url(self, b):
            self._url += bytes(b)

        def on_header_field(self, b):
            self._field += bytes(b)

        def on_header_value(self, b):
            self._value += bytes(b)

        def on_header_value_complete(self):
            self._fields.append((self._field, self._value))
            self._field = b""
            self._value = b""

        def on_body(self, b):
            self._body += bytes(b)

        def on_message_complete(self):
            status = self.status if isinstance(self, llhttp.Response) else 0
            keep = 1 if self.should_keep_alive else 0
            self.done.append((self._method, self._url, status, keep, self._body, self._fields))

    return Recorder


Request = parser_class(llhttp.Request)
Response = parser_class(llhttp.Response)


def run(kind, eof, data):
    p = Request() if kind == "req" else Response()
    outcome, upgraded = "ok", "-"
    try:
        n = p.execute(data)
        if p.is_upgrading:
            upgraded = str(n)
        elif eof:
            p.finish()
    except llhttp.Error as e:
        outcome = "err:" + type(e).__name__
    return outcome, upgraded, p.done


def main():
    out = sys.stdout
    for line in sys.stdin:
        parts = line.split()
        if len(parts) < 3:
            continue
        case, kind, eof = parts[0], parts[1], parts[2] == "1"
        data = bytes.fromhex(parts[3]) if len(parts) > 3 else b""
        outcome, upgraded, done = run(kind, eof, data)
        out.write(f"case {case} {outcome} {upgraded}\n")
        for method, url, status, keep, body, fields in done:
            m = method.hex() or "-"
            u = url.hex() or "-"
            b = body.hex() or "-"
            out.write(f"msg {m} {u} {status} {keep} {b}\n")
            for name, value in fields:
                out.write(f"hdr {name.hex() or '-'} {value.hex() or '-'}\n")
        out.write("end\n")
    out.flush()


if __name__ == "__main__":
    main()
