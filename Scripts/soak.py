#!/usr/bin/env python3
"""The soak run behind Scripts/soak: a device broker with persistence is killed with SIGKILL and
started again, again and again, while devices come and go and a QoS 1 and a QoS 2 stream flow
through `mqtt-discovery sub --session-store` and through `mqtt-discovery monitor --upstream` (whose
upstream broker is killed now and then too). A control subscriber (`mosquitto_sub -V mqttv311`,
persistent session) receives the same streams, so what the broker itself lost (it saves its state
by snapshot, so a SIGKILL loses what came since the last one) is told apart from what we lost.

At the end it prints tallies and exits 1 if anything the broker kept for the control is missing
from ours (short of what the broker acknowledged and lost with a kill before saving it), a QoS 2
message reached us twice other than by the broker's doing (it resent after PUBREL, or it took the
message twice from the publisher and the control got it twice as well), the instance set is not the
devices the broker says are online (alive, or dead before they could reconnect after a kill: it
keeps no will across a crash), or a process's descriptors grew without bound.

With --network (root, `ip`, `nft`) the brokers run in a network namespace of their own, behind a
veth pair, and our processes reach them through a bad network instead (`Network`): 5% of their
packets dropped each way by nftables, 200 ms +/- 100 ms of delay (`Delay`, in user space: this
kernel has no netem), and a 30 s blackhole partition a third of the way in. No broker is killed
and no device dies: keep-alive notices the partition, the sessions resume, nothing is lost, and
no device may be reported removed (the partition is shorter than the grace period).

  soak.py BINARY --seconds S --kills K --devices D [--network] [--keep]
"""

import argparse
import asyncio
import collections
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

import paho.mqtt.client as mqtt


# Every process started, so that an interrupted run (Ctrl-C, SIGTERM) leaves none behind.
CHILDREN = []


def stop_children():
    for process in CHILDREN:
        if process.poll() is None:
            process.kill()
    for process in CHILDREN:
        process.wait()


def interrupted(signum, frame):
    raise KeyboardInterrupt


def log(text):
    sys.stderr.write(f"{time.strftime('%H:%M:%S')} {text}\n")
    sys.stderr.flush()


class Network:
    """The brokers' own network namespace, joined to ours by a veth pair, where nftables makes the
    link bad for the connections of our processes alone: they use each broker's second listener
    (`IMPAIRED`), whose packets are dropped at random, 5% each way, and all of them during a
    partition (a blackhole: nothing is refused or reset, keep-alive has to notice). The plant (the
    devices, the publisher, the controls) uses the first listener, untouched. This kernel has no
    netem, so the delay is added in user space (`Delay`)."""

    PLANT = {"devices": 1883, "upstream": 1885}
    IMPAIRED = {"devices": 1884, "upstream": 1886}

    def __init__(self):
        tag = os.getpid()
        self.name = f"soak-{tag}"
        self.veth = f"soak{tag % 100000}"
        # A /30 of its own (by process id), so that runs side by side do not meet.
        block = tag % 16384
        network = f"10.213.{block // 64}."
        first = (block % 64) * 4
        self.outside = network + str(first + 1)
        self.inside = network + str(first + 2)
        self.up = False
        self.run("ip", "netns", "add", self.name)
        self.up = True
        self.run("ip", "link", "add", self.veth, "type", "veth", "peer", "name", "eth0", "netns", self.name)
        self.run("ip", "addr", "add", f"{self.outside}/30", "dev", self.veth)
        self.run("ip", "link", "set", self.veth, "up")
        self.run("ip", "-n", self.name, "addr", "add", f"{self.inside}/30", "dev", "eth0")
        self.run("ip", "-n", self.name, "link", "set", "eth0", "up")
        self.run("ip", "-n", self.name, "link", "set", "lo", "up")
        ports = ", ".join(str(port) for port in self.IMPAIRED.values())
        rules = (
            "table inet soak {\n"
            "  set cut { type inet_service; }\n"
            "  chain input { type filter hook input priority 0; policy accept;\n"
            f"    tcp dport @cut drop\n    tcp dport {{ {ports} }} numgen random mod 100 < 5 drop\n  }}\n"
            "  chain output { type filter hook output priority 0; policy accept;\n"
            f"    tcp sport @cut drop\n    tcp sport {{ {ports} }} numgen random mod 100 < 5 drop\n  }}\n"
            "}\n"
        )
        self.run("ip", "netns", "exec", self.name, "nft", "-f", "-", input=rules)

    @staticmethod
    def run(*command, input=None):
        result = subprocess.run(command, input=input, capture_output=True, text=True)
        if result.returncode != 0:
            raise SystemExit(f"{' '.join(command)}: {result.stderr.strip()} (--network needs root, ip and nft)")

    def partition(self):
        ports = ", ".join(str(port) for port in self.IMPAIRED.values())
        self.run("ip", "netns", "exec", self.name, "nft", "add", "element", "inet", "soak", "cut", f"{{ {ports} }}")

    def heal(self):
        self.run("ip", "netns", "exec", self.name, "nft", "flush", "set", "inet", "soak", "cut")

    def close(self):
        if self.up:
            self.up = False
            subprocess.run(["ip", "netns", "del", self.name], capture_output=True)


class Delay:
    """Latency the kernel here cannot add (no netem): a TCP proxy in front of a broker's impaired
    listener that delivers each chunk 200 ms +/- 100 ms after it was read, in order."""

    def __init__(self, host, port):
        self.target = (host, port)
        self.loop = asyncio.new_event_loop()
        self.ready = threading.Event()
        threading.Thread(target=self.serve, daemon=True).start()
        self.ready.wait()

    def serve(self):
        asyncio.set_event_loop(self.loop)
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM | socket.SOCK_CLOEXEC)
        listener.bind(("127.0.0.1", 0))
        self.port = listener.getsockname()[1]
        server = self.loop.run_until_complete(asyncio.start_server(self.connection, sock=listener))
        self.ready.set()
        self.loop.run_until_complete(server.serve_forever())

    async def connection(self, client_reader, client_writer):
        try:
            broker_reader, broker_writer = await asyncio.open_connection(*self.target)
        except OSError:
            client_writer.close()
            return
        await asyncio.gather(
            self.pipe(client_reader, broker_writer), self.pipe(broker_reader, client_writer), return_exceptions=True
        )

    async def pipe(self, reader, writer):
        queue = asyncio.Queue()

        async def deliver():
            while True:
                due, chunk = await queue.get()
                await asyncio.sleep(max(0, due - self.loop.time()))
                if chunk is None:
                    break
                writer.write(chunk)
                await writer.drain()
            writer.close()

        delivery = asyncio.ensure_future(deliver())
        last = 0.0
        try:
            while True:
                chunk = await reader.read(65536)
                last = max(last, self.loop.time() + random.uniform(0.1, 0.3))
                await queue.put((last, chunk or None))
                if not chunk:
                    break
        except OSError:
            await queue.put((last, None))
        try:
            await delivery
        except OSError:
            pass


class Broker:
    """A mosquitto with persistence on a port of its own, killed and started again at will."""

    def __init__(self, name, work, network=None):
        self.name = name
        self.dir = os.path.join(work, name)
        os.makedirs(self.dir)
        self.process = None
        self.network = network
        self.impaired_port = None
        if network:
            # Its own namespace: the ports are free by construction.
            self.host = network.inside
            self.port = Network.PLANT[name]
            self.impaired_port = Network.IMPAIRED[name]
            self.write_config()
            if not self.start():
                raise SystemExit(f"cannot start mosquitto {name} in network namespace {network.name}")
            return
        self.host = "127.0.0.1"
        for _ in range(50):
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM | socket.SOCK_CLOEXEC) as probe:
                probe.bind(("127.0.0.1", 0))
                self.port = probe.getsockname()[1]
            self.write_config()
            if self.start():
                return
        raise SystemExit(f"cannot start mosquitto {name}")

    def write_config(self):
        listeners = f"listener {self.port} {self.host}\n"
        if self.impaired_port:
            # Our processes' listener when the network is bad (see Network).
            listeners += f"listener {self.impaired_port} {self.host}\n"
        with open(os.path.join(self.dir, "mosquitto.conf"), "w") as conf:
            conf.write(
                listeners + "allow_anonymous true\nuser root\n"
                # Saved after every change (a queued message, a subscription): what a SIGKILL loses
                # is then only what came in since the last save, the same for every subscriber.
                f"persistence true\npersistence_location {self.dir}/\nautosave_interval 1\nautosave_on_changes true\n"
                # No in-flight limit: mosquitto holds a 3.1.1 client to it for what it sends as well,
                # and disconnects one that has more QoS 2 messages in flight (the publisher, after an
                # outage), again on every reconnect: the streams would stall for good.
                "max_queued_messages 0\nmax_queued_bytes 0\nmax_inflight_messages 0\n"
                f"log_dest file {self.dir}/mosquitto.log\n"
                # Every packet, to tell the broker's protocol errors from ours (see resent_after_pubrel).
                "log_type all\n"
            )

    def start(self):
        inside = ["ip", "netns", "exec", self.network.name] if self.network else []
        self.process = subprocess.Popen(
            inside + ["mosquitto", "-c", os.path.join(self.dir, "mosquitto.conf")],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, close_fds=True,
        )
        CHILDREN.append(self.process)
        deadline = time.time() + 20
        while time.time() < deadline:
            if self.process.poll() is not None:
                return False
            try:
                with socket.create_connection((self.host, self.port), timeout=1):
                    return True
            except OSError:
                time.sleep(0.05)
        return False

    def kill(self):
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()

    def restart(self):
        if not self.start():
            raise SystemExit(f"mosquitto {self.name} did not come back")

    @property
    def url(self):
        return f"tcp://{self.host}:{self.port}"


class Publisher:
    """The two streams: numbered messages at QoS 1 and QoS 2, through paho with a persistent
    session (it resends what the broker had not acknowledged when it comes back)."""

    def __init__(self, broker, rate):
        self.rate = rate
        self.acked = {1: set(), 2: set()}
        self.pending = {}
        # (qos, number) -> (packet id, when published), and each packet id's uses in order: to find
        # a message in the broker's log.
        self.sent_as = {}
        self.uses = collections.defaultdict(list)
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.client = mqtt.Client(
            mqtt.CallbackAPIVersion.VERSION2, client_id="soak-publisher", clean_session=False,
            protocol=mqtt.MQTTv311,
        )
        # No limit: an exchange the broker forgot in a SIGKILL (a PUBREL it never answers) would
        # otherwise hold its slot for good, and after enough kills the stream would stop.
        self.client.max_inflight_messages_set(0)
        self.client.max_queued_messages_set(0)
        self.client.reconnect_delay_set(0.1, 2)
        self.client.on_publish = self.published
        self.client.connect(broker.host, broker.port, keepalive=5)
        self.client.loop_start()
        self.sent = 0

    def published(self, client, userdata, mid, reason_code, properties):
        with self.lock:
            entry = self.pending.pop(mid, None)
        if entry:
            self.acked[entry[0]].add(entry[1])

    def run(self):
        number = 0
        while not self.stop.is_set():
            number += 1
            for qos in (1, 2):
                published = time.time()
                info = self.client.publish(f"soak/stream/q{qos}", f"{number:09d}", qos=qos)
                with self.lock:
                    self.pending[info.mid] = (qos, number)
                    self.sent_as[(qos, number)] = (info.mid, published)
                    self.uses[info.mid].append(published)
            self.sent = number
            time.sleep(1 / self.rate)

    def finish(self, timeout):
        self.stop.set()
        deadline = time.time() + timeout
        while time.time() < deadline:
            with self.lock:
                if not self.pending:
                    break
            time.sleep(0.2)
        self.client.loop_stop()


def numbers(path, qos, json_lines):
    """The stream's message numbers in a receiver's output file, in arrival order."""
    seen = []
    topic = f"soak/stream/q{qos}"
    try:
        with open(path, errors="replace") as lines:
            for line in lines:
                line = line.strip()
                if json_lines:
                    try:
                        message = json.loads(line)
                    except ValueError:
                        continue
                    if message.get("topic") == topic:
                        seen.append(int(message["payload"]))
                elif line.startswith(topic + " "):
                    seen.append(int(line.split(" ", 1)[1]))
    except FileNotFoundError:
        pass
    return seen


def resent_after_pubrel(path, client):
    """How many times the broker sent `client` a PUBLISH again after it had sent PUBREL for the same
    packet identifier: against MQTT 5.0 §4.4 [MQTT-4.4.0-1] (after PUBREC only PUBREL is resent).
    A client that had completed that exchange (its PUBCOMP lost with the connection) must take such
    a PUBLISH as a new message (§4.3.3), so each is a duplicate the broker made, not the client."""
    released = set()
    count = 0
    try:
        with open(path, errors="replace") as lines:
            for line in lines:
                if f"Sending PUBREL to {client} (m" in line:
                    released.add(line.rsplit("(m", 1)[1].split(")")[0])
                elif f"Sending PUBLISH to {client} (d1, q2," in line:
                    mid = line.split(", m", 1)[1].split(",")[0]
                    if mid in released:
                        count += 1
                        released.discard(mid)
                elif f"Sending PUBLISH to {client} (d0, q2," in line:
                    released.discard(line.split(", m", 1)[1].split(",")[0])
    except FileNotFoundError:
        pass
    return count


def acknowledged_unsaved(path, client="soak-publisher"):
    """The messages the broker acknowledged to `client` and then lost with a SIGKILL before its next
    save: {(qos, packet id): [log times]}. mosquitto persists by snapshot, saving from its main loop
    once something changed (autosave_on_changes) and logging "Saving in-memory database" before it
    writes; a line after that one means the save completed. What it acknowledged (PUBACK, or PUBCOMP
    for QoS 2) after its last completed save in a life that ended in a kill was never on disk: it was
    delivered to the subscribers that had room in their window at once (the control, usually), and
    lost for those it was queued for; the publisher, acknowledged, never sends it again."""
    unsaved = {}
    tail = []
    saving = False
    try:
        with open(path, errors="replace") as lines:
            for line in lines:
                stamp, _, text = line.partition(": ")
                if text.startswith("mosquitto version") and text.rstrip().endswith("starting"):
                    for key, when in tail:
                        unsaved.setdefault(key, []).append(when)
                    tail, saving = [], False
                    continue
                if saving:
                    tail, saving = [], False
                if text.startswith("Saving in-memory database"):
                    saving = True
                elif text.startswith(f"Sending PUBACK to {client} (m") or text.startswith(f"Sending PUBCOMP to {client} (m"):
                    qos = 1 if text.startswith("Sending PUBACK") else 2
                    tail.append(((qos, int(text.split("(m", 1)[1].split(",")[0].split(")")[0])), int(stamp)))
    except FileNotFoundError:
        pass
    return unsaved


def connections_ended_by_kills(path, prefix="simulate-"):
    """The clients whose last connection ended with the broker's own death: it never saw them
    go, so it never fired their wills (and mosquitto keeps no will across a restart)."""
    connected, ended_by_kill = set(), set()
    try:
        with open(path, errors="replace") as lines:
            for line in lines:
                _, _, text = line.partition(": ")
                if text.startswith("mosquitto version") and text.rstrip().endswith("starting"):
                    ended_by_kill |= connected
                    connected = set()
                elif text.startswith("New client connected") and f" as {prefix}" in text:
                    client = text.split(" as ", 1)[1].split(" ", 1)[0]
                    connected.add(client)
                    ended_by_kill.discard(client)
                elif text.startswith(f"Client {prefix}"):
                    # "closed its connection", "has exceeded timeout", "disconnected": the will fires.
                    connected.discard(text.split(" ", 2)[1])
    except FileNotFoundError:
        pass
    return ended_by_kill


def retained_statuses(broker):
    """What the broker says of each device now: its retained status ("online"/"offline")."""
    listing = subprocess.run(
        ["mosquitto_sub", "-h", broker.host, "-p", str(broker.port), "-t", "soak/dev/+/status", "-v",
         "--retained-only", "-W", "2"],
        capture_output=True, text=True, timeout=30,
    )
    statuses = {}
    for line in listing.stdout.splitlines():
        topic, _, payload = line.partition(" ")
        statuses[topic.split("/")[2]] = payload
    return statuses


def resources(pid):
    try:
        with open(f"/proc/{pid}/status") as status:
            rss = next(int(line.split()[1]) for line in status if line.startswith("VmRSS"))
        return rss, len(os.listdir(f"/proc/{pid}/fd"))
    except (OSError, StopIteration):
        return None


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("binary")
    parser.add_argument("--seconds", type=float, default=1800)
    parser.add_argument("--kills", type=int, default=100)
    parser.add_argument("--devices", type=int, default=10)
    parser.add_argument("--rate", type=float, default=50)
    parser.add_argument("--network", action="store_true")
    parser.add_argument("--keep", action="store_true", help="keep the work directory of a run that passed")
    arguments = parser.parse_args()
    binary = arguments.binary
    work = tempfile.mkdtemp(prefix="soak-")
    log(f"work directory {work}")
    signal.signal(signal.SIGTERM, interrupted)
    network = None
    try:
        network = Network() if arguments.network else None
        return soak(arguments, binary, work, network)
    except KeyboardInterrupt:
        log("interrupted")
        return 130
    finally:
        stop_children()
        if network:
            network.close()


def soak(arguments, binary, work, network):
    devices = Broker("devices", work, network)
    upstream = Broker("upstream", work, network)
    # With --network our processes reach both brokers through a bad network (the impaired
    # listeners, behind a delay); the devices, the publisher and the controls do not (they stand
    # for the plant, and for the truth).
    delays = [Delay(broker.host, broker.impaired_port) for broker in (devices, upstream)] if network else None
    ours_url = f"tcp://127.0.0.1:{delays[0].port}" if network else devices.url
    ours_upstream = f"tcp://127.0.0.1:{delays[1].port}" if network else upstream.url
    # Keep-alive short enough to notice a partition well inside it.
    keep_alive = ["--keepalive", "5"] if network else []
    out = lambda name: open(os.path.join(work, name), "w")  # noqa: E731
    spawned = []

    def spawn(command, stdout=subprocess.DEVNULL):
        process = subprocess.Popen(command, stdout=stdout, stderr=out(f"{len(spawned)}.err"), close_fds=True)
        spawned.append(process)
        CHILDREN.append(process)
        return process

    details = os.path.join(work, "soak.yaml")
    with open(details, "w") as conf:
        conf.write(
            f"brokers:\n  - {{url: '{ours_url}', keepAliveSeconds: 5}}\ngracePeriodSeconds: {120 if network else 30}\n"
            "topics:\n"
            "  - {filter: 'soak/dev/{device}/telemetry', timeoutSeconds: 10}\n"
            "  - {filter: 'soak/dev/{device}/status', online: online, offline: offline}\n"
        )
    socket_dir = os.path.join(work, "sockets")
    os.makedirs(socket_dir)
    run = spawn([binary, "run", "-c", details, "--directory", socket_dir, "--output", "json"], out("run.json"))
    ours = spawn([
        binary, "sub", "--url", ours_url, "-i", "soak-ours", "--no-clean", "--session-expiry", "86400",
        "-q", "2", "-t", "soak/stream/#", "--session-store", os.path.join(work, "ours-store"), "--output", "json",
    ] + keep_alive + ["--log-level", os.environ.get("SOAK_LOG_LEVEL", "warning")], out("ours.json"))
    control = spawn([
        "mosquitto_sub", "-h", devices.host, "-p", str(devices.port), "-V", "mqttv311", "-c", "-i", "soak-control",
        "-q", "2", "-t", "soak/stream/#", "-v", "-k", "5",
    ], out("control.txt"))
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM | socket.SOCK_CLOEXEC) as probe:
        probe.bind(("127.0.0.1", 0))
        monitor_port = probe.getsockname()[1]
    monitor = spawn([
        binary, "monitor", "--url", ours_url, "-t", "soak/stream/#", "--device", "stream",
        "--listen", f"127.0.0.1:{monitor_port}", "--upstream", ours_upstream,
        "--queue-dir", os.path.join(work, "queue"), "--log-level", "warning",
    ] + keep_alive)
    upstream_control = spawn([
        "mosquitto_sub", "-h", upstream.host, "-p", str(upstream.port), "-V", "mqttv311", "-c", "-i", "soak-up",
        "-q", "1", "-t", "soak/stream/#", "-v", "-k", "5",
    ], out("upstream.txt"))
    time.sleep(2)

    alive = {}

    def start_device(index):
        alive[index] = spawn([
            binary, "simulate", "--url", devices.url, "--devices", "1", "--first", str(index),
            "--topic", "soak/dev/{device}/telemetry", "--will", "soak/dev/{device}/status", "--interval", "1",
        ])

    for index in range(1, arguments.devices + 1):
        start_device(index)

    publisher = Publisher(devices, arguments.rate)
    stream = threading.Thread(target=publisher.run, daemon=True)
    stream.start()

    samples = {name: [] for name in ("run", "sub", "monitor")}
    watched = {"run": run, "sub": ours, "monitor": monitor}
    start = time.time()
    kill_times = [] if network else sorted(random.uniform(5, arguments.seconds - 10) for _ in range(arguments.kills))
    kills = upstream_kills = 0
    # A third of the way in, so the sessions have long to recover before the end.
    partition = (arguments.seconds / 3, arguments.seconds / 3 + 30) if network else None
    partitioned = False
    next_sample = start
    while time.time() - start < arguments.seconds:
        now = time.time()
        if kill_times and now - start >= kill_times[0]:
            kill_times.pop(0)
            devices.kill()
            kills += 1
            if kills % 5 == 0:
                upstream.kill()
                upstream_kills += 1
            time.sleep(random.uniform(0.2, 2.0))
            devices.restart()
            if upstream.process.poll() is not None:
                upstream.restart()
            log(f"kill {kills}: devices broker restarted ({upstream_kills} upstream kills)")
        if partition and not partitioned and now - start >= partition[0]:
            network.partition()
            partitioned = True
            log("partition: nothing passes for 30 s")
        if partition and partitioned and now - start >= partition[1]:
            network.heal()
            partition = None
            log("partition over")
        if not network and random.random() < 0.02:
            # A device goes (its will fires) or comes back.
            index = random.randint(1, arguments.devices)
            if index in alive:
                alive.pop(index).send_signal(signal.SIGKILL)
            else:
                start_device(index)
        if now >= next_sample:
            for name, process in watched.items():
                sample = resources(process.pid)
                if sample:
                    samples[name].append(sample)
            next_sample = now + 10
        time.sleep(0.1)

    if network:
        network.heal()
    log("stopping the streams; waiting for the last acknowledgements")
    publisher.finish(60)
    # No kill comes any more: what the broker lost unsaved is known (see acknowledged_unsaved).
    unsaved = acknowledged_unsaved(os.path.join(devices.dir, "mosquitto.log"))

    def lost_unsaved_by_broker(qos, number):
        """Whether the device broker acknowledged this message and lost it with a kill before its
        next save (see acknowledged_unsaved)."""
        mid, published = publisher.sent_as[(qos, number)]
        # Until the publisher used the packet id again (65,535 publishes later); the log's clock
        # has whole seconds.
        after = [when for when in publisher.uses[mid] if when > published]
        until = after[0] if after else float("inf")
        return any(published - 1 <= when < until for when in unsaved.get((qos, mid), []))

    # Done when ours and the upstream have everything the control has (bar the broker's unsaved
    # losses) and the control has stopped growing; a client in backoff, or a TCP connection
    # retransmitting after the partition, may take a while. Past the deadline the tallies say what
    # is missing.
    deadline = time.time() + 300
    control_counts = []
    while time.time() < deadline:
        theirs = {qos: set(numbers(os.path.join(work, "control.txt"), qos, False)) for qos in (1, 2)}
        control_counts = (control_counts + [sum(len(kept) for kept in theirs.values())])[-11:]
        mine = {qos: set(numbers(os.path.join(work, "ours.json"), qos, True)) for qos in (1, 2)}
        forwarded = set(numbers(os.path.join(work, "upstream.txt"), 1, False))
        behind = [(qos, number) for qos in (1, 2) for number in theirs[qos] - mine[qos]]
        behind += [(1, number) for number in theirs[1] - forwarded]
        settled = len(control_counts) == 11 and control_counts[0] == control_counts[-1]
        if settled and all(lost_unsaved_by_broker(*message) for message in behind):
            break
        time.sleep(2)

    failures = []
    if network:
        print(f"soak (network): {arguments.seconds:.0f} s with the brokers in network namespace {network.name}, "
              "our processes' packets to and from them dropped at random (5% each way, nftables) and delayed "
              f"200 ms +/- 100 ms, a 30 s blackhole partition; {publisher.sent} messages per stream at {arguments.rate:g}/s")
        removals = sum(1 for line in open(os.path.join(work, "run.json")) if '"event":"removed"' in line)
        print(f"devices reported removed: {removals}")
        if removals:
            failures.append(f"{removals} devices reported removed with none dead and the partition inside the grace")
    else:
        print(f"soak: {arguments.seconds:.0f} s, {kills} SIGKILLs of the device broker, {upstream_kills} of the upstream, "
              f"{publisher.sent} messages per stream at {arguments.rate:g}/s")

    for qos in (1, 2):
        acked = publisher.acked[qos]
        theirs = numbers(os.path.join(work, "control.txt"), qos, False)
        mine = numbers(os.path.join(work, "ours.json"), qos, True)
        kept = set(theirs)
        missing = sorted(kept - set(mine))
        lost_unsaved = [number for number in missing if lost_unsaved_by_broker(qos, number)]
        unexplained = [number for number in missing if number not in lost_unsaved]
        duplicates = len(mine) - len(set(mine))
        disorder = sum(1 for a, b in zip(mine, mine[1:]) if b < a)
        broker_lost = len(acked - kept)
        control_disorder = sum(1 for a, b in zip(theirs, theirs[1:]) if b < a)
        print(f"QoS {qos}: acknowledged to the publisher {len(acked)}; the broker lost {broker_lost} of them (control); "
              f"ours received {len(set(mine))} distinct, missing {len(missing)} the control has "
              f"({len(lost_unsaved)} of them acknowledged by the broker after its last save before a kill: "
              "lost queued for us, delivered live to the control), "
              f"{duplicates} duplicates, {disorder} out of order (the control: {len(theirs) - len(kept)} duplicates, "
              f"{control_disorder} out of order)")
        if unexplained:
            failures.append(f"QoS {qos}: {len(unexplained)} missing, e.g. {unexplained[:5]}")
        if qos == 2 and duplicates:
            # A message the broker took twice from the publisher (it forgot, in a kill, that it had
            # completed the exchange; a resent PUBLISH is then new to it) reaches every subscriber
            # twice: the control too. Ours beyond the control's must be the broker's resending.
            times_ours, times_control = collections.Counter(mine), collections.Counter(theirs)
            beyond_control = sum(max(0, count - max(1, times_control[number])) for number, count in times_ours.items())
            broken = resent_after_pubrel(os.path.join(devices.dir, "mosquitto.log"), "soak-ours")
            print(f"QoS 2: {duplicates - beyond_control} of the duplicates reached the control as often (the broker "
                  f"took them twice from the publisher); it sent us {broken} PUBLISH packets again after their PUBREL "
                  "(against MQTT-4.4.0-1; each a new message to the client, §4.3.3)")
            if beyond_control > broken:
                failures.append(f"QoS 2: {beyond_control} duplicates beyond the control's, {broken} of them the broker's")
    acknowledged = min(len(publisher.acked[1]), len(publisher.acked[2]))
    if acknowledged < 0.9 * publisher.sent:
        failures.append(f"inconclusive: the publisher's streams stalled ({acknowledged} of {publisher.sent} acknowledged)")
    forwarded = set(numbers(os.path.join(work, "upstream.txt"), 1, False))
    device_side = set(numbers(os.path.join(work, "control.txt"), 1, False))
    lost_upstream = sorted(device_side - forwarded)
    upstream_unsaved = [number for number in lost_upstream if lost_unsaved_by_broker(1, number)]
    unexplained_upstream = [number for number in lost_upstream if number not in upstream_unsaved]
    print(f"monitor --upstream (QoS 1 stream): {len(forwarded)} reached the upstream; "
          f"{len(lost_upstream)} the control has did not ({len(upstream_unsaved)} of them acknowledged by the device "
          "broker after its last save before a kill: lost queued for the monitor)")
    if unexplained_upstream:
        failures.append(f"upstream: {len(unexplained_upstream)} missing, e.g. {unexplained_upstream[:5]}")

    # The instance set: every device alive, none other, once their timeouts have passed. A device
    # that died while its broker was down keeps its retained "online": the will went with the
    # broker's memory (mosquitto does not persist wills, not even a persistent session's), so by
    # its status topic, which has no timeout, it is alive; the broker's word is the truth here.
    living = {f"device-{index}" for index, process in alive.items() if process.poll() is None}
    exited = sorted(index for index, process in alive.items() if process.poll() is not None)
    if exited:
        failures.append(f"simulated devices exited by themselves: {exited}")
    statuses = retained_statuses(devices)
    lost_wills = sorted(device for device, status in statuses.items() if status == "online" and device not in living)
    silent = sorted(device for device in living if statuses.get(device) != "online")
    if silent:
        failures.append(f"devices alive without a retained online status: {silent}")
    # The broker fires a will when it sees the connection go; a will is lost only if the device's
    # last connection ended with the broker's death (the device died before it could reconnect).
    ended_by_kills = connections_ended_by_kills(os.path.join(devices.dir, "mosquitto.log"))
    unexplained_wills = [device for device in lost_wills if f"simulate-{device}" not in ended_by_kills]
    if lost_wills:
        print(f"wills lost with the broker: {len(lost_wills)} ({', '.join(lost_wills)}: its last connection ended "
              "with a kill of the broker and it died before reconnecting; its retained status still says "
              "online, and no timeout applies to it)")
    if unexplained_wills:
        failures.append(f"devices dead with the broker up yet still online by their retained status: {unexplained_wills}")
    expected = living | set(lost_wills)
    deadline = time.time() + 60
    while True:
        listing = subprocess.run([binary, "watch", "--directory", socket_dir, "--once", "--output", "json"],
                                 capture_output=True, text=True, timeout=60)
        present = {json.loads(line)["id"] for line in listing.stdout.splitlines() if '"added"' in line}
        if present == expected or time.time() > deadline:
            break
        time.sleep(2)
    print(f"instances: {len(present)}, devices alive: {len(living)}, online by their retained status: {len(expected)}"
          + ("" if present == expected else f"; extra {sorted(present - expected)}, missing {sorted(expected - present)}"))
    if present != expected:
        failures.append("the instance set is not the devices the broker says are online")
    for name, series in samples.items():
        if not series:
            continue
        rss = [s[0] for s in series]
        fds = [s[1] for s in series]
        print(f"{name}: RSS {rss[0] / 1024:.1f} → max {max(rss) / 1024:.1f} → last {rss[-1] / 1024:.1f} MiB; "
              f"descriptors {fds[0]} → max {max(fds)} → last {fds[-1]}")
        if fds[-1] > fds[0] + 20:
            failures.append(f"{name}: descriptors grew from {fds[0]} to {fds[-1]}")

    for process in spawned:
        if process.poll() is None:
            process.terminate()
    for process in spawned:
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
    devices.kill()
    upstream.kill()
    if failures:
        print("FAILED: " + "; ".join(failures))
        return 1
    if arguments.keep:
        print(f"ok (files in {work})")
    else:
        # A failed run keeps its logs (the brokers' alone can be hundreds of MB) for reading.
        shutil.rmtree(work, ignore_errors=True)
        print("ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
