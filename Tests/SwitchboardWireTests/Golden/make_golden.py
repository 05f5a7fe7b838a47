#!/usr/bin/env python3
"""Writes the golden frames in Golden/ from the v1 spec, independently of the Swift encoder.

The frames are built here by hand (struct.pack for headers, a few lines of protobuf wire format for
bodies) rather than by our Swift code, so the Swift tests that compare the encoder's output with
these files check the encoder against the spec, not against itself. Run it only when the contract
changes on purpose:

    python3 Tests/SwitchboardWireTests/Golden/make_golden.py

Every file is one ZeroMQ frame as a DEALER client sends or receives it. README.md beside this script
lists them.
"""
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = HERE

KIND = {"REQUEST": 1, "RESPONSE": 2, "STREAM_MESSAGE": 3, "STREAM_END": 4, "CANCEL": 5, "PING": 6, "PONG": 7}
STATUS = {"OK": 0, "CANCELLED": 1, "INVALID_ARGUMENT": 3, "UNIMPLEMENTED": 12}


def header(kind, request_id, status="OK", timeout_ms=0, text=""):
    t = text.encode("utf-8")
    assert len(t) <= 1024
    # magic "SB", version 1, kind, flags 0, status u16, request id u64, timeout u32, text length u16
    return struct.pack("<2sBBHHQIH", b"SB", 1, KIND[kind], 0, STATUS[status], request_id, timeout_ms, len(t)) + t


# --- protobuf wire format, just what the fixtures need -------------------------------------------

def varint(n):
    if n < 0:
        n += 1 << 64
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def key(field, wire_type):
    return varint(field << 3 | wire_type)


def v(field, n):
    """A varint field (int64, uint32, uint64, bool, enum); proto3 leaves zero out."""
    return b"" if n == 0 else key(field, 0) + varint(n)


def s(field, text):
    """A string field; proto3 leaves the empty string out."""
    data = text.encode("utf-8")
    return b"" if not data else key(field, 2) + varint(len(data)) + data


def m(field, body):
    """An embedded message field (present even when empty)."""
    return key(field, 2) + varint(len(body)) + body


def d(field, x):
    """A double field."""
    return b"" if x == 0 else key(field, 1) + struct.pack("<d", x)


# Enum values (see proto/switchboard/v1/common.proto).
CHANNEL_VOICE, CHANNEL_CHAT, CHANNEL_EMAIL = 1, 2, 3
SERVING = 1
THREADING_RULE_EMAIL_REPLY = 2
CONTACT_OUTCOME_UNRESOLVED = 3

T0 = 1_763_900_000_000_000  # 2025-11-23T12:13:20Z in Unix microseconds


def health_check_response():
    # status, version, uptime_micros, protocol_version, server_time_unix_micros
    return v(1, SERVING) + s(2, "0.1.0") + v(3, 90_000_000) + v(4, 1) + v(5, T0)


def push_contact_request():
    identifiers = m(2, s(1, "ana.lopez@example.com")) + m(2, s(2, "+34911234567"))
    email = s(1, "<m2@mail.example.com>") + s(2, "<m1@sb.example.com>") + s(3, "<m1@sb.example.com>")
    metadata_entry = s(1, "mailbox") + s(2, "support")
    return (
        v(1, CHANNEL_EMAIL)
        + identifiers
        + s(3, "Re: Refund for order 1182 [SB-7]")
        + s(4, "Hello, I was charged twice for order 1182.")
        + s(5, "es")
        + v(6, 5)
        + m(7, s(1, "billing") + v(2, 3))
        + m(8, s(1, "refunds"))
        + s(9, "billing/refund")
        + m(11, email)
        + s(12, "mail:<m2@mail.example.com>")
        + m(13, metadata_entry)
    )


def push_contact_response():
    threading = v(1, THREADING_RULE_EMAIL_REPLY) + s(2, "In-Reply-To <m1@sb.example.com> is contact 41 of case 7")
    return v(1, 42) + v(2, 7) + v(3, 3) + m(4, threading) + v(5, 2) + v(6, 45_000_000)


def stream_offers_request():
    return s(1, "agent-7")


def stream_offers_offer():
    contact = (
        v(1, 42) + v(2, 7) + v(3, 3) + v(4, CHANNEL_EMAIL)
        + m(5, s(1, "ana.lopez@example.com"))
        + s(6, "Re: Refund for order 1182 [SB-7]")
        + s(8, "es") + v(9, 5) + v(13, T0)
    )
    history = (
        v(1, 41) + v(2, CHANNEL_CHAT) + v(3, T0 - 86_400_000_000) + s(4, "Charged twice?")
        + s(5, "agent-7") + v(6, CONTACT_OUTCOME_UNRESOLVED) + s(7, "escalated_to_billing")
        + v(8, T0 - 86_000_000_000)
    )
    candidate = s(1, "agent-7") + d(2, 0.875)
    explanation = s(1, "affinity") + m(4, candidate) + s(5, "agent-7 handled this case before")
    offer = m(1, contact) + m(2, history) + v(3, T0 + 1_000_000) + v(4, T0 + 31_000_000) + m(5, explanation)
    return m(1, offer)


def event_contact_assigned():
    assigned = v(1, 42) + v(2, 7) + v(3, 3) + v(4, CHANNEL_VOICE) + s(5, "agent-7") + v(6, 12_500_000)
    return v(1, 17) + v(2, T0 + 2_000_000) + m(13, assigned)


FILES = {
    # Health/Check: request id 1, 1000 ms timeout, empty body; the OK reply.
    "health-check.request.header.bin": header("REQUEST", 1, timeout_ms=1000, text="/switchboard.v1.Health/Check"),
    "health-check.request.body.bin": b"",
    "health-check.response.header.bin": header("RESPONSE", 1),
    "health-check.response.body.bin": health_check_response(),
    # Ingest/PushContact: an email reply; request id 2, 5000 ms timeout.
    "push-contact.request.header.bin": header("REQUEST", 2, timeout_ms=5000, text="/switchboard.v1.Ingest/PushContact"),
    "push-contact.request.body.bin": push_contact_request(),
    "push-contact.response.header.bin": header("RESPONSE", 2),
    "push-contact.response.body.bin": push_contact_response(),
    # An unknown method: request id 3, answered UNIMPLEMENTED with an empty body.
    "unknown-method.request.header.bin": header("REQUEST", 3, text="/switchboard.v1.Health/Nope"),
    "unknown-method.response.header.bin": header(
        "RESPONSE", 3, status="UNIMPLEMENTED",
        text="unknown method '/switchboard.v1.Health/Nope'; methods look like /switchboard.v1.Health/Check (`switchboard call --list` prints them all)",
    ),
    # Agents/StreamOffers: request id 4, no deadline; one offer; the client cancels; the stream ends CANCELLED.
    "stream-offers.request.header.bin": header("REQUEST", 4, text="/switchboard.v1.Agents/StreamOffers"),
    "stream-offers.request.body.bin": stream_offers_request(),
    "stream-offers.message.header.bin": header("STREAM_MESSAGE", 4),
    "stream-offers.message.body.bin": stream_offers_offer(),
    "stream-offers.cancel.header.bin": header("CANCEL", 4),
    "stream-offers.end.header.bin": header("STREAM_END", 4, status="CANCELLED", text="the stream was cancelled by the client"),
    # Liveness: PING with nonce 0x0102030405060708 and its PONG.
    "ping.header.bin": header("PING", 0x0102030405060708),
    "pong.header.bin": header("PONG", 0x0102030405060708),
    # The PUB socket: topic frame and Event frame of a voice contact assigned to an agent.
    "event-contact-assigned.topic.bin": b"contact.assigned.voice",
    "event-contact-assigned.event.bin": event_contact_assigned(),
}


def main():
    os.makedirs(OUT, exist_ok=True)
    for name, data in FILES.items():
        with open(os.path.join(OUT, name), "wb") as f:
            f.write(data)
    print(f"wrote {len(FILES)} golden frames to {OUT}")


if __name__ == "__main__":
    main()
