#!/usr/bin/env python3
"""Independent gRPC peers for mqtt-discovery's tests, written with grpcio (not our code).

The stubs come from Proto/discovery.proto (Akri's v0 proto) through grpcio-tools at start.
Every peer prints one JSON object per line on standard output, flushed, so a test can wait
for the event it needs; signals drive the scenarios (no sleeps, no timers in the tests).

  echo-server ADDRESS              generic methods /test.Echo/{Unary,Stream,Fail,Slow}
  call ADDRESS METHOD HEX [--stream] [--timeout S] [--max-receive N] [--repeat N]
  agent DIR [--details FILE] [--property KEY=VALUE]...
        a stock Akri agent: the Registration server on DIR/agent-registration.sock; after a
        registration it calls Discover on the endpoint (UDS or NETWORK) and prints each list.
        SIGUSR1 cancels the stream and opens a new one.
  handler DIR NAME [--local] [--pod-ip IP --port PORT]
        a stock handler like Akri's debugEcho: serves Discover on DIR/NAME.sock (or TCP),
        registers with the agent, and reports one device per `descriptions` entry of the
        details. SIGUSR1 toggles availability (offline reports an empty list).
"""

import argparse
import concurrent.futures
import json
import os
import signal
import sys
import tempfile
import threading

import grpc
from grpc_tools import protoc

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def emit(**event):
    sys.stdout.write(json.dumps(event, sort_keys=True) + "\n")
    sys.stdout.flush()


def load_stubs():
    out = tempfile.mkdtemp(prefix="akri-stubs-")
    proto_dir = os.path.join(ROOT, "Proto")
    status = protoc.main(
        ["protoc", f"-I{proto_dir}", f"--python_out={out}", f"--grpc_python_out={out}", "discovery.proto"]
    )
    if status != 0:
        raise SystemExit(f"protoc failed on {proto_dir}/discovery.proto: {status}")
    sys.path.insert(0, out)
    import discovery_pb2
    import discovery_pb2_grpc

    return discovery_pb2, discovery_pb2_grpc


def target(address):
    """A grpcio target: unix:PATH for a socket path, else HOST:PORT (http:// stripped)."""
    if address.startswith("/"):
        return "unix:" + address
    return address.removeprefix("http://")


# MARK: - echo-server and call: raw bytes both ways


def echo_server(args):
    def unary(request, context):
        return request

    def stream(request, context):
        for _ in range(3):
            yield request

    def fail(request, context):
        context.abort(grpc.StatusCode.INVALID_ARGUMENT, "bad details: 3:7 naïve % value")

    def slow(request, context):
        threading.Event().wait(60)
        return request

    handlers = {
        "Unary": grpc.unary_unary_rpc_method_handler(unary),
        "Stream": grpc.unary_stream_rpc_method_handler(stream),
        "Fail": grpc.unary_unary_rpc_method_handler(fail),
        "Slow": grpc.unary_unary_rpc_method_handler(slow),
    }
    server = grpc.server(concurrent.futures.ThreadPoolExecutor(max_workers=4))
    server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler("test.Echo", handlers),))
    server.add_insecure_port(target(args.address))
    server.start()
    emit(event="serving", address=args.address)
    wait_for_termination(server)


def call(args):
    options = [("grpc.max_receive_message_length", args.max_receive)] if args.max_receive else []
    with grpc.insecure_channel(target(args.address), options=options) as channel:
        request = bytes.fromhex(args.hex) * args.repeat
        try:
            if args.stream:
                method = channel.unary_stream(args.method)
                responses = [r.hex() for r in method(request, timeout=args.timeout)]
            else:
                method = channel.unary_unary(args.method)
                responses = [method(request, timeout=args.timeout).hex()]
            emit(event="result", code="OK", messages=responses)
        except grpc.RpcError as error:
            emit(event="result", code=error.code().name, details=error.details() or "")


# MARK: - a stock Akri agent


def agent(args):
    pb, pb_grpc = load_stubs()
    details = open(args.details).read() if args.details else ""
    properties = {}
    for item in args.property:
        key, _, value = item.partition("=")
        properties[key] = pb.ByteData(vec=value.encode())
    reopen = threading.Event()
    state = {"call": None}

    def discover(endpoint, endpoint_type):
        address = endpoint if endpoint_type == pb.RegisterDiscoveryHandlerRequest.UDS else endpoint
        channel = grpc.insecure_channel(target(address))
        stub = pb_grpc.DiscoveryHandlerStub(channel)
        while True:
            request = pb.DiscoverRequest(discovery_details=details, discovery_properties=properties)
            responses = stub.Discover(request)
            state["call"] = responses
            emit(event="discovering", endpoint=endpoint)
            try:
                for response in responses:
                    emit(
                        event="devices",
                        devices=[{"id": d.id, "properties": dict(d.properties)} for d in response.devices],
                    )
                emit(event="stream-ended", code="OK")
                return
            except grpc.RpcError as error:
                if error.code() == grpc.StatusCode.CANCELLED and reopen.is_set():
                    reopen.clear()
                    emit(event="cancelled")
                    continue
                emit(event="stream-ended", code=error.code().name, details=error.details() or "")
                return

    class Registration(pb_grpc.RegistrationServicer):
        def RegisterDiscoveryHandler(self, request, context):
            emit(
                event="registered",
                name=request.name,
                endpoint=request.endpoint,
                endpoint_type=pb.RegisterDiscoveryHandlerRequest.EndpointType.Name(request.endpoint_type),
                shared=request.shared,
            )
            threading.Thread(
                target=discover, args=(request.endpoint, request.endpoint_type), daemon=True
            ).start()
            return pb.Empty()

    def on_usr1(signum, frame):
        call_in_progress = state["call"]
        if call_in_progress is not None:
            reopen.set()
            call_in_progress.cancel()

    signal.signal(signal.SIGUSR1, on_usr1)
    socket_path = os.path.join(args.directory, "agent-registration.sock")
    if os.path.exists(socket_path):
        os.unlink(socket_path)
    server = grpc.server(concurrent.futures.ThreadPoolExecutor(max_workers=8))
    pb_grpc.add_RegistrationServicer_to_server(Registration(), server)
    server.add_insecure_port("unix:" + socket_path)
    server.start()
    emit(event="serving", socket=socket_path)
    wait_for_termination(server)


# MARK: - a stock handler, like Akri's debugEcho


def handler(args):
    pb, pb_grpc = load_stubs()
    available = threading.Event()
    available.set()
    changed = threading.Condition()

    def descriptions(details):
        # debugEcho's details: `descriptions:` then one `- name` line per device.
        names = []
        for line in details.splitlines():
            line = line.strip()
            if line.startswith("- "):
                names.append(line[2:].strip().strip('"'))
        if not names:
            raise ValueError("no descriptions in the details")
        return names

    class DiscoveryHandler(pb_grpc.DiscoveryHandlerServicer):
        def Discover(self, request, context):
            try:
                names = descriptions(request.discovery_details)
            except ValueError as error:
                emit(event="refused", details=request.discovery_details)
                context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(error))
            emit(event="discover", details=request.discovery_details)

            def wake():
                with changed:
                    changed.notify_all()

            context.add_callback(wake)
            while context.is_active():
                with changed:
                    devices = [
                        pb.Device(id=name, properties={"DEBUG_ECHO_DESCRIPTION": name})
                        for name in (names if available.is_set() else [])
                    ]
                    yield pb.DiscoverResponse(devices=devices)
                    emit(event="sent", count=len(devices))
                    changed.wait()

    def on_usr1(signum, frame):
        if available.is_set():
            available.clear()
        else:
            available.set()
        with changed:
            changed.notify_all()

    signal.signal(signal.SIGUSR1, on_usr1)
    server = grpc.server(concurrent.futures.ThreadPoolExecutor(max_workers=8))
    pb_grpc.add_DiscoveryHandlerServicer_to_server(DiscoveryHandler(), server)
    if args.pod_ip:
        server.add_insecure_port(f"{args.pod_ip}:{args.port}")
        endpoint = f"http://{args.pod_ip}:{args.port}"
        endpoint_type = pb.RegisterDiscoveryHandlerRequest.NETWORK
    else:
        endpoint = os.path.join(args.directory, f"{args.name}.sock")
        if os.path.exists(endpoint):
            os.unlink(endpoint)
        server.add_insecure_port("unix:" + endpoint)
        endpoint_type = pb.RegisterDiscoveryHandlerRequest.UDS
    server.start()
    registration = os.path.join(args.directory, "agent-registration.sock")
    with grpc.insecure_channel("unix:" + registration) as channel:
        stub = pb_grpc.RegistrationStub(channel)
        stub.RegisterDiscoveryHandler(
            pb.RegisterDiscoveryHandlerRequest(
                name=args.name, endpoint=endpoint, endpoint_type=endpoint_type, shared=not args.local
            ),
            wait_for_ready=True,
            timeout=30,
        )
    emit(event="registered", endpoint=endpoint)
    wait_for_termination(server)


def wait_for_termination(server):
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    signal.signal(signal.SIGINT, lambda *_: done.set())
    done.wait()
    server.stop(grace=None)
    emit(event="stopped")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    p = commands.add_parser("echo-server")
    p.add_argument("address")
    p = commands.add_parser("call")
    p.add_argument("address")
    p.add_argument("method")
    p.add_argument("hex")
    p.add_argument("--stream", action="store_true")
    p.add_argument("--timeout", type=float, default=30)
    p.add_argument("--max-receive", type=int, default=0)
    p.add_argument("--repeat", type=int, default=1, help="send HEX this many times over, as one message")
    p = commands.add_parser("agent")
    p.add_argument("directory")
    p.add_argument("--details")
    p.add_argument("--property", action="append", default=[])
    p = commands.add_parser("handler")
    p.add_argument("directory")
    p.add_argument("name")
    p.add_argument("--local", action="store_true")
    p.add_argument("--pod-ip")
    p.add_argument("--port", type=int)
    args = parser.parse_args()
    {"echo-server": echo_server, "call": call, "agent": agent, "handler": handler}[args.command](args)


if __name__ == "__main__":
    main()
