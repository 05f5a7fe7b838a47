#!/usr/bin/env python3
"""A small Switchboard v1 client in Python, written from docs/protocol.md alone.

It shows everything a client needs: a DEALER socket with the recommended options, the 22-byte header
(struct.pack), protobuf bodies from stubs generated out of proto/, and replies matched by request id.

    python client.py [--server tcp://127.0.0.1:5555]

calls /switchboard.v1.Health/Check and prints the serving status, then sends two bad requests (an
unknown method, and a body that is not valid protobuf) and prints the error status of each.

Stubs: generate them first with
    protoc -I ../../proto --python_out=. ../../proto/switchboard/v1/*.proto
(run-tests.sh does this).
"""
import argparse
import itertools
import struct
import sys
import time

import zmq

from switchboard.v1 import health_pb2

# --- The v1 header (docs/protocol.md, section 3) --------------------------------------------------

HEADER = struct.Struct("<2sBBHHQIH")  # magic, version, kind, flags, status, request id, timeout, text length
assert HEADER.size == 22
MAGIC = b"SB"
VERSION = 1
MAX_TEXT = 1024

REQUEST, RESPONSE, STREAM_MESSAGE, STREAM_END, CANCEL, PING, PONG = range(1, 8)
KIND_NAMES = {1: "REQUEST", 2: "RESPONSE", 3: "STREAM_MESSAGE", 4: "STREAM_END", 5: "CANCEL", 6: "PING", 7: "PONG"}

STATUS_NAMES = {
    0: "OK", 1: "CANCELLED", 2: "UNKNOWN", 3: "INVALID_ARGUMENT", 4: "DEADLINE_EXCEEDED", 5: "NOT_FOUND",
    6: "ALREADY_EXISTS", 7: "PERMISSION_DENIED", 8: "RESOURCE_EXHAUSTED", 9: "FAILED_PRECONDITION",
    10: "ABORTED", 11: "OUT_OF_RANGE", 12: "UNIMPLEMENTED", 13: "INTERNAL", 14: "UNAVAILABLE",
    15: "DATA_LOSS", 16: "UNAUTHENTICATED",
}


def encode_header(kind, request_id, text="", timeout_ms=0, status=0, version=VERSION, flags=0):
    """The header frame. `version` and `flags` are parameters only so tests can send bad ones."""
    data = text.encode("utf-8")
    if len(data) > MAX_TEXT:
        raise ValueError(f"header text is {len(data)} bytes; at most {MAX_TEXT} are allowed")
    return HEADER.pack(MAGIC, version, kind, flags, status, request_id, timeout_ms, len(data)) + data


class Header:
    """A decoded header."""

    def __init__(self, frame):
        if len(frame) < HEADER.size:
            raise ValueError(f"reply header is {len(frame)} bytes; a v1 header has at least {HEADER.size}")
        magic, self.version, self.kind, self.flags, self.status, self.request_id, self.timeout_ms, n = HEADER.unpack_from(frame)
        if magic != MAGIC:
            raise ValueError(f"reply header starts with {magic!r}, not {MAGIC!r}")
        if len(frame) != HEADER.size + n:
            raise ValueError(f"reply header is {len(frame)} bytes but declares {n} bytes of text")
        self.text = frame[HEADER.size:].decode("utf-8")

    @property
    def status_name(self):
        return STATUS_NAMES.get(self.status, "UNKNOWN")

    @property
    def kind_name(self):
        return KIND_NAMES.get(self.kind, f"kind {self.kind}")


class RPCError(Exception):
    """A non-OK status from the server."""

    def __init__(self, header):
        super().__init__(f"{header.status_name} ({header.status}): {header.text}")
        self.status = header.status
        self.status_name = header.status_name
        self.message = header.text


class Client:
    """One DEALER socket; any number of calls, matched by request id."""

    def __init__(self, endpoint, routing_id=None):
        self.socket = zmq.Context.instance().socket(zmq.DEALER)
        # ZMQ_IMMEDIATE stays 0: with 1, replies that arrived just before the server closed the
        # connection can be lost (docs/protocol.md, section 1). Every call has a timeout instead.
        self.socket.setsockopt(zmq.LINGER, 0)  # don't hang on close
        if routing_id:
            self.socket.setsockopt(zmq.ROUTING_ID, routing_id)
        self.socket.connect(endpoint)
        self.ids = itertools.count(1)

    def close(self):
        self.socket.close(0)

    def send(self, frames):
        """Sends raw frames (tests use this to send bad ones)."""
        self.socket.send_multipart(frames, copy=True)

    def receive(self, timeout_s):
        """The next message as (Header, body), or None after timeout_s."""
        if not self.socket.poll(int(timeout_s * 1000)):
            return None
        frames = self.socket.recv_multipart()
        if len(frames) != 2:
            raise ValueError(f"reply has {len(frames)} frames; a v1 message has 2 (header, body)")
        return Header(frames[0]), frames[1]

    def receive_for(self, request_id, timeout_s):
        """Waits for the reply to `request_id`, skipping replies to other (abandoned) requests."""
        deadline = time.monotonic() + timeout_s
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"no reply to request {request_id} within {timeout_s} s")
            message = self.receive(left)
            if message is None:
                continue
            header, body = message
            if header.request_id == request_id:
                return header, body

    def call_raw(self, method, body, timeout_s=2.0):
        """Sends a REQUEST with a raw body; returns (Header, body) of the reply."""
        request_id = next(self.ids)
        # The header's timeout is a little shorter than ours, so we usually hear DEADLINE_EXCEEDED.
        header = encode_header(REQUEST, request_id, method, timeout_ms=int(timeout_s * 1000 * 0.9))
        self.send([header, body])
        return self.receive_for(request_id, timeout_s)

    def call(self, method, request, response_type, timeout_s=2.0):
        """A unary call: returns the decoded response, or raises RPCError with the status."""
        header, body = self.call_raw(method, request.SerializeToString(), timeout_s)
        if header.kind != RESPONSE:
            raise ValueError(f"expected a RESPONSE to a unary call, got {header.kind_name}")
        if header.status != 0:
            raise RPCError(header)
        return response_type.FromString(body)

    def ping(self, nonce, timeout_s=2.0):
        """PING → PONG with the same nonce."""
        self.send([encode_header(PING, nonce), b""])
        header, _ = self.receive_for(nonce, timeout_s)
        return header

    def health(self, timeout_s=2.0):
        return self.call("/switchboard.v1.Health/Check", health_pb2.HealthCheckRequest(),
                         health_pb2.HealthCheckResponse, timeout_s)


def serving_status_name(response):
    return health_pb2.HealthCheckResponse.ServingStatus.Name(response.status)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--server", default="tcp://127.0.0.1:5555", help="the server's ROUTER endpoint")
    parser.add_argument("--timeout", type=float, default=2.0, help="seconds to wait for each reply")
    args = parser.parse_args()

    client = Client(args.server)
    try:
        health = client.health(args.timeout)
        print(f"Health/Check: {serving_status_name(health)} version={health.version} "
              f"uptime={health.uptime_micros / 1e6:.1f}s protocol={health.protocol_version}")

        for method, body, what in [
            ("/switchboard.v1.Health/NoSuchMethod", b"", "unknown method"),
            ("/switchboard.v1.Health/Check", b"\x0a\x05ab", "malformed body"),
        ]:
            header, _ = client.call_raw(method, body, args.timeout)
            print(f"{what}: {header.status_name} ({header.status}): {header.text}")
    except (TimeoutError, RPCError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    finally:
        client.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
