#!/usr/bin/env python3
"""Publishes COUNT messages as fast as the broker takes them: one each on TOPIC with {n}
replaced by 0..COUNT-1, at QoS 1 over MQTT 3.1.1, then waits for every PUBACK (closing with
acknowledgements unread would reset the connection and lose what the broker had not read yet).
A load generator for tests of scale; prints {"event": "published", "count": N}.

  bulk_publish.py HOST PORT TOPIC COUNT [PAYLOAD] [--rate PER_SECOND] [--size BYTES]

--rate spreads the messages evenly at that rate instead; --size pads each payload to about
BYTES as a JSON object {"seq": n, "temperature": t, "pad": "..."}.
"""

import argparse
import json
import socket
import sys
import time


def remaining_length(n):
    out = bytearray()
    while True:
        digit, n = n % 128, n // 128
        out.append(digit | (0x80 if n else 0))
        if not n:
            return bytes(out)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("host")
    parser.add_argument("port", type=int)
    parser.add_argument("topic")
    parser.add_argument("count", type=int)
    parser.add_argument("payload", nargs="?", default="1")
    parser.add_argument("--rate", type=float)
    parser.add_argument("--size", type=int)
    arguments = parser.parse_args()
    host, port, topic, count = arguments.host, arguments.port, arguments.topic, arguments.count

    def payload(index):
        if arguments.size is None:
            return arguments.payload.encode()
        body = {"seq": index, "temperature": 20 + (index % 50) / 10}
        body["pad"] = "x" * max(0, arguments.size - len(json.dumps(body)) - 10)
        return json.dumps(body).encode()

    connection = socket.create_connection((host, port))
    client_id = ("bulk-publish-" + topic.replace("/", "-").replace("{n}", "n")).encode()[:23]
    variable = b"\x00\x04MQTT\x04\x02\x00\x3c" + len(client_id).to_bytes(2, "big") + client_id
    connection.sendall(b"\x10" + remaining_length(len(variable)) + variable)
    connack = connection.recv(4)
    if len(connack) != 4 or connack[3] != 0:
        sys.exit(f"CONNACK refused: {connack!r}")
    batch = bytearray()
    start = time.monotonic()
    for index in range(count):
        if arguments.rate and index >= (time.monotonic() - start) * arguments.rate:
            connection.sendall(batch)
            batch = bytearray()
            time.sleep(max(0.0, start + index / arguments.rate - time.monotonic()))
        name = topic.replace("{n}", str(index)).encode()
        body = len(name).to_bytes(2, "big") + name + (index % 65535 + 1).to_bytes(2, "big") + payload(index)
        batch += b"\x32" + remaining_length(len(body)) + body
        if len(batch) > 1 << 20:
            connection.sendall(batch)
            batch = bytearray()
    connection.sendall(batch)
    expected, received = 4 * count, 0
    while received < expected:
        chunk = connection.recv(1 << 20)
        if not chunk:
            sys.exit("the broker closed the connection before acknowledging everything")
        received += len(chunk)
    connection.sendall(b"\xe0\x00")
    connection.close()
    print(json.dumps({"event": "published", "count": count}), flush=True)


if __name__ == "__main__":
    main()
