#!/usr/bin/env python3
"""A hostile (and a well-behaved) HTTP/2 client for mqtt-discovery's tests, written with the
`h2` project's libraries (hyperframe for frames, hpack for header blocks), not with our code.

  attack SOCKET KIND [--path PATH]   one attack on one connection; prints what the server did
  discover SOCKET DETAILS_FILE       a Discover call with h2's connection; prints the first list
  deadline SOCKET PATH TIMEOUT       a call with grpc-timeout the client never cancels
  vectors OUT.json                   frames of every type and header blocks (Huffman and not, a
                                     small dynamic table evicting) as h2's libraries encode them
  read-ours IN.json                  what h2's libraries make of frames and blocks we encoded
  idle SOCKET COUNT                  opens COUNT connections, sends the preface on each, holds
                                     them until SIGTERM (prints "holding" when all are open)

Each prints JSON lines; "result" says what came back: the GOAWAY error code (by RFC name),
RST_STREAM codes, PING and SETTINGS acknowledgements counted.
"""

import argparse
import json
import resource
import signal
import socket
import sys
import threading

import h2.config
import h2.connection
import h2.events
import hpack
from hyperframe.frame import (
    ContinuationFrame,
    DataFrame,
    Frame,
    GoAwayFrame,
    HeadersFrame,
    PingFrame,
    RstStreamFrame,
    SettingsFrame,
    WindowUpdateFrame,
)

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
CODES = [
    "NO_ERROR", "PROTOCOL_ERROR", "INTERNAL_ERROR", "FLOW_CONTROL_ERROR", "SETTINGS_TIMEOUT", "STREAM_CLOSED",
    "FRAME_SIZE_ERROR", "REFUSED_STREAM", "CANCEL", "COMPRESSION_ERROR", "CONNECT_ERROR", "ENHANCE_YOUR_CALM",
    "INADEQUATE_SECURITY", "HTTP_1_1_REQUIRED",
]


def emit(**event):
    sys.stdout.write(json.dumps(event, sort_keys=True) + "\n")
    sys.stdout.flush()


def connect(path):
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM | socket.SOCK_CLOEXEC)
    sock.connect(path)
    return sock


class Reader(threading.Thread):
    """Reads the server's frames until the connection closes."""

    def __init__(self, sock):
        super().__init__(daemon=True)
        self.sock = sock
        self.goaway = None
        self.resets = {}
        self.ping_acks = 0
        self.settings_acks = 0
        self.headers = []
        self.data = []
        self.closed = threading.Event()
        self.changed = threading.Condition()

    def run(self):
        buffer = b""
        try:
            while True:
                chunk = self.sock.recv(1 << 16)
                if not chunk:
                    break
                buffer += chunk
                while len(buffer) >= 9:
                    frame, length = Frame.parse_frame_header(memoryview(buffer[:9]))
                    if len(buffer) < 9 + length:
                        break
                    frame.parse_body(memoryview(buffer[9 : 9 + length]))
                    buffer = buffer[9 + length :]
                    self.record(frame)
        except OSError:
            pass
        with self.changed:
            self.closed.set()
            self.changed.notify_all()

    def record(self, frame):
        with self.changed:
            if isinstance(frame, GoAwayFrame):
                self.goaway = CODES[frame.error_code] if frame.error_code < len(CODES) else str(frame.error_code)
                self.goaway_debug = frame.additional_data.decode(errors="replace")
            elif isinstance(frame, RstStreamFrame):
                self.resets[frame.stream_id] = CODES[frame.error_code] if frame.error_code < len(CODES) else str(
                    frame.error_code
                )
            elif isinstance(frame, PingFrame) and "ACK" in frame.flags:
                self.ping_acks += 1
            elif isinstance(frame, SettingsFrame) and "ACK" in frame.flags:
                self.settings_acks += 1
            elif isinstance(frame, HeadersFrame):
                self.headers.append((frame.stream_id, frame.data, "END_STREAM" in frame.flags))
            elif isinstance(frame, DataFrame):
                self.data.append((frame.stream_id, frame.data))
            self.changed.notify_all()

    def wait(self, condition, timeout=60):
        with self.changed:
            self.changed.wait_for(lambda: condition() or self.closed.is_set(), timeout=timeout)
            return condition()


def request_block(path, encoder=None, end=True):
    encoder = encoder or hpack.Encoder()
    return encoder.encode(
        [
            (":method", "POST"),
            (":scheme", "http"),
            (":path", path),
            (":authority", "[::1]:50051"),
            ("content-type", "application/grpc"),
            ("te", "trailers"),
        ]
    )


def grpc_message(payload):
    return b"\x00" + len(payload).to_bytes(4, "big") + payload


def attack(args):
    sock = connect(args.socket)
    reader = Reader(sock)
    reader.start()

    def send(data):
        # The server may close as soon as it has seen enough: what it said is in the reader.
        try:
            sock.sendall(data)
        except OSError:
            pass

    kind = args.kind
    if kind == "bad-preface":
        send(b"PRI * HTTP/2.0\r\n\r\nXX\r\n\r\n")
    else:
        send(PREFACE + SettingsFrame(0).serialize())
    encoder = hpack.Encoder()
    if kind == "oversized-frame":
        header = (20000).to_bytes(3, "big") + b"\x00\x00" + (1).to_bytes(4, "big")
        send(header + b"\x00" * 20000)
    elif kind == "flow-control":
        # Requests that never finish hold their data unconsumed: four streams of 4 MiB each pass
        # the connection's window, however large the streams' are.
        for stream in (1, 3, 5, 7):
            send(HeadersFrame(stream, request_block(args.path, encoder), flags=["END_HEADERS"]).serialize())
            payload = (4 << 20).to_bytes(4, "big")
            send(DataFrame(stream, b"\x00" + payload).serialize())
            for _ in range((4 << 20) // 16384 - 1):
                if reader.goaway or reader.closed.is_set():
                    break
                send(DataFrame(stream, b"\x00" * 16384).serialize())
    elif kind == "headers-closed-stream":
        send(HeadersFrame(1, request_block("/no.Such/Method", encoder), flags=["END_HEADERS", "END_STREAM"]).serialize())
        reader.wait(lambda: any(end for (stream, _, end) in reader.headers if stream == 1))
        send(HeadersFrame(1, request_block(args.path, encoder), flags=["END_HEADERS", "END_STREAM"]).serialize())
    elif kind == "continuation-flood":
        send(HeadersFrame(1, request_block(args.path, encoder)).serialize())
        for _ in range(10000):
            if reader.goaway or reader.closed.is_set():
                break
            send(ContinuationFrame(1, b"").serialize())
    elif kind == "hpack-index":
        send(HeadersFrame(1, b"\xbf\x7f", flags=["END_HEADERS"]).serialize())
    elif kind == "hpack-table-size":
        send(HeadersFrame(1, b"\x3f\xe2\x1f" + request_block(args.path, encoder), flags=["END_HEADERS"]).serialize())
    elif kind == "hpack-huffman":
        # A Huffman string padded with a whole octet of ones (more than 7 bits: RFC 7541 §5.2).
        send(HeadersFrame(1, b"\x00\x81\xff\x81\x00", flags=["END_HEADERS"]).serialize())
    elif kind == "ping-flood":
        frames = b"".join(PingFrame(0, opaque_data=i.to_bytes(8, "big")).serialize() for i in range(100000))
        send(frames)
        reader.wait(lambda: reader.ping_acks >= 100000 or reader.goaway, timeout=120)
    elif kind == "settings-flood":
        frames = b"".join(SettingsFrame(0, settings={4: 65535 + (i % 7)}).serialize() for i in range(10000))
        send(frames)
        reader.wait(lambda: reader.settings_acks >= 10001 or reader.goaway, timeout=120)
    elif kind == "rapid-reset":
        for stream in range(1, 20001, 2):
            if reader.goaway or reader.closed.is_set():
                break
            send(
                HeadersFrame(stream, request_block(args.path, encoder), flags=["END_HEADERS"]).serialize()
                + RstStreamFrame(stream, error_code=8).serialize()
            )
    elif kind == "window-overflow":
        send(WindowUpdateFrame(0, window_increment=0x7FFFFFFF).serialize())
    elif kind != "bad-preface":
        raise SystemExit(f"unknown attack {kind}")
    if kind not in ("ping-flood", "settings-flood"):
        reader.wait(lambda: reader.goaway is not None or bool(reader.resets))
    emit(
        event="result",
        kind=kind,
        goaway=reader.goaway,
        debug=getattr(reader, "goaway_debug", ""),
        resets={str(k): v for k, v in reader.resets.items()},
        ping_acks=reader.ping_acks,
        settings_acks=reader.settings_acks,
    )
    sock.close()


def discover(args):
    """A well-behaved Discover call, with h2's own connection state machine."""
    details = open(args.details, "rb").read()
    request = b"\x0a" + encode_varint(len(details)) + details
    sock = connect(args.socket)
    conn = h2.connection.H2Connection(config=h2.config.H2Configuration(client_side=True, header_encoding="utf-8"))
    conn.initiate_connection()
    stream = conn.get_next_available_stream_id()
    conn.send_headers(
        stream,
        [
            (":method", "POST"),
            (":scheme", "http"),
            (":path", "/v0.DiscoveryHandler/Discover"),
            (":authority", "[::1]:50051"),
            ("content-type", "application/grpc"),
            ("te", "trailers"),
        ],
    )
    conn.send_data(stream, grpc_message(request), end_stream=True)
    sock.sendall(conn.data_to_send())
    received = b""
    status = None
    while True:
        chunk = sock.recv(1 << 16)
        if not chunk:
            break
        for event in conn.receive_data(chunk):
            if isinstance(event, h2.events.ResponseReceived):
                status = dict(event.headers).get(":status")
            elif isinstance(event, h2.events.DataReceived):
                received += event.data
                conn.acknowledge_received_data(event.flow_controlled_length, event.stream_id)
            elif isinstance(event, h2.events.StreamEnded):
                break
        sock.sendall(conn.data_to_send())
        if len(received) >= 5 and len(received) >= 5 + int.from_bytes(received[1:5], "big"):
            break
    emit(event="served", status=status, message=received[5:].hex())
    conn.close_connection()
    sock.sendall(conn.data_to_send())
    sock.close()


def deadline(args):
    """A call with grpc-timeout that the client never cancels: only the server can end it."""
    sock = connect(args.socket)
    conn = h2.connection.H2Connection(config=h2.config.H2Configuration(client_side=True, header_encoding="utf-8"))
    conn.initiate_connection()
    stream = conn.get_next_available_stream_id()
    conn.send_headers(
        stream,
        [
            (":method", "POST"),
            (":scheme", "http"),
            (":path", args.path),
            (":authority", "[::1]:50051"),
            ("content-type", "application/grpc"),
            ("te", "trailers"),
            ("grpc-timeout", args.timeout),
        ],
    )
    conn.send_data(stream, grpc_message(b""), end_stream=True)
    sock.sendall(conn.data_to_send())
    trailers = {}
    reset = None
    done = False
    while not done:
        chunk = sock.recv(1 << 16)
        if not chunk:
            break
        for event in conn.receive_data(chunk):
            if isinstance(event, (h2.events.ResponseReceived, h2.events.TrailersReceived)):
                trailers.update(dict(event.headers))
            elif isinstance(event, h2.events.StreamReset):
                reset = event.error_code
                done = True
            elif isinstance(event, h2.events.StreamEnded):
                done = True
        sock.sendall(conn.data_to_send())
    emit(event="ended", grpc_status=trailers.get("grpc-status"), grpc_message=trailers.get("grpc-message"), reset=reset)
    sock.close()


def encode_varint(value):
    out = b""
    while value >= 0x80:
        out += bytes([(value & 0x7F) | 0x80])
        value >>= 7
    return out + bytes([value])


def idle(args):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    sockets = []
    for _ in range(args.count):
        sock = connect(args.socket)
        sock.sendall(PREFACE + SettingsFrame(0).serialize())
        sockets.append(sock)
    emit(event="holding", count=len(sockets))
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    done.wait()
    for sock in sockets:
        sock.close()


# MARK: - Codec vectors: h2's encoders against our decoders, and back


def vectors(args):
    """Frames of every type and header blocks as hyperframe and hpack encode them."""
    from hyperframe.frame import PriorityFrame, PushPromiseFrame

    frames = [
        DataFrame(1, b"hello", flags=["END_STREAM"]),
        DataFrame(3, b"padded", flags=["PADDED"], pad_length=7),
        HeadersFrame(5, b"\x82\x86", flags=["END_HEADERS", "PRIORITY"], depends_on=3, stream_weight=200, exclusive=True),
        HeadersFrame(7, b"\x84", flags=["PADDED"], pad_length=3),
        PriorityFrame(9, depends_on=1, stream_weight=15, exclusive=False),
        RstStreamFrame(11, error_code=8),
        SettingsFrame(0, settings={1: 4096, 3: 100, 4: 1048576, 5: 16384, 6: 16384}),
        SettingsFrame(0, flags=["ACK"]),
        PushPromiseFrame(2, promised_stream_id=4, data=b"\x82", flags=["END_HEADERS"]),
        PingFrame(0, opaque_data=b"\x01\x02\x03\x04\x05\x06\x07\x08", flags=["ACK"]),
        GoAwayFrame(0, last_stream_id=13, error_code=11, additional_data=b"calm"),
        WindowUpdateFrame(0, window_increment=65535),
        WindowUpdateFrame(5, window_increment=1),
        ContinuationFrame(7, b"\x85", flags=["END_HEADERS"]),
    ]
    lists = [
        [(":method", "GET"), (":scheme", "http"), (":path", "/"), (":authority", "www.example.com")],
        [(":method", "GET"), (":scheme", "http"), (":path", "/"), (":authority", "www.example.com"),
         ("cache-control", "no-cache")],
        [(":method", "GET"), (":scheme", "https"), (":path", "/index.html"), (":authority", "www.example.com"),
         ("custom-key", "custom-value")],
        [("grpc-status", "3"), ("grpc-message", "2:12: topic filter %27a/%23/b%27"), ("x-long", "v" * 200)],
        [("grpc-status", "0"), ("x-long", "w" * 200), ("custom-key", "custom-value")],
    ]
    blocks = []
    for huffman in (True, False):
        encoder = hpack.Encoder()
        encoder.header_table_size = 256  # small: later lists evict earlier entries
        for headers in lists:
            blocks.append(
                {"huffman": huffman, "headers": [list(h) for h in headers], "hex": encoder.encode(headers, huffman=huffman).hex()}
            )
    json.dump(
        {"frames": [{"name": type(f).__name__, "hex": f.serialize().hex()} for f in frames], "blocks": blocks},
        open(args.output, "w"),
    )
    emit(event="written", frames=len(frames), blocks=len(blocks))


def read_ours(args):
    """Parses frames and decodes header blocks we encoded; prints what h2 makes of them."""
    data = json.load(open(args.input))
    frames = []
    for item in data["frames"]:
        raw = bytes.fromhex(item)
        frame, length = Frame.parse_frame_header(memoryview(raw[:9]))
        frame.parse_body(memoryview(raw[9 : 9 + length]))
        frames.append({"name": type(frame).__name__, "stream": frame.stream_id, "flags": sorted(frame.flags)})
    decoder = hpack.Decoder()
    blocks = [[list(h) for h in decoder.decode(bytes.fromhex(block), raw=False)] for block in data["blocks"]]
    emit(event="read", frames=frames, blocks=blocks)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    p = commands.add_parser("attack")
    p.add_argument("socket")
    p.add_argument("kind")
    p.add_argument("--path", default="/v0.DiscoveryHandler/Discover")
    p = commands.add_parser("discover")
    p.add_argument("socket")
    p.add_argument("details")
    p = commands.add_parser("deadline")
    p.add_argument("socket")
    p.add_argument("path")
    p.add_argument("timeout")
    p = commands.add_parser("vectors")
    p.add_argument("output")
    p = commands.add_parser("read-ours")
    p.add_argument("input")
    p = commands.add_parser("idle")
    p.add_argument("socket")
    p.add_argument("count", type=int)
    args = parser.parse_args()
    commands = {
        "attack": attack,
        "discover": discover,
        "deadline": deadline,
        "idle": idle,
        "vectors": vectors,
        "read-ours": read_ours,
    }
    commands[args.command](args)


if __name__ == "__main__":
    main()
