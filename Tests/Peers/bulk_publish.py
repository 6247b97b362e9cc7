#!/usr/bin/env python3
"""Publishes COUNT messages as fast as the broker takes them: one each on TOPIC with {n}
replaced by 0..COUNT-1, at QoS 1 over MQTT 3.1.1, then waits for every PUBACK (closing with
acknowledgements unread would reset the connection and lose what the broker had not read yet).
A load generator for tests of scale; prints {"event": "published", "count": N}.

  bulk_publish.py HOST PORT TOPIC COUNT [PAYLOAD]
"""

import json
import socket
import sys


def remaining_length(n):
    out = bytearray()
    while True:
        digit, n = n % 128, n // 128
        out.append(digit | (0x80 if n else 0))
        if not n:
            return bytes(out)


def main():
    host, port, topic, count = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
    payload = (sys.argv[5] if len(sys.argv) > 5 else "1").encode()
    connection = socket.create_connection((host, port))
    client_id = b"bulk-publish"
    variable = b"\x00\x04MQTT\x04\x02\x00\x3c" + len(client_id).to_bytes(2, "big") + client_id
    connection.sendall(b"\x10" + remaining_length(len(variable)) + variable)
    connack = connection.recv(4)
    if len(connack) != 4 or connack[3] != 0:
        sys.exit(f"CONNACK refused: {connack!r}")
    batch = bytearray()
    for index in range(count):
        name = topic.replace("{n}", str(index)).encode()
        body = len(name).to_bytes(2, "big") + name + (index % 65535 + 1).to_bytes(2, "big") + payload
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
