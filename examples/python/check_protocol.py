#!/usr/bin/env python3
"""Checks that a running Switchboard server speaks v1 as docs/protocol.md describes, from Python.

    python check_protocol.py --server tcp://127.0.0.1:PORT --golden ../../Tests/SwitchboardWireTests/Golden

Each check prints PASS or FAIL with the reason; the last line is "N passed, M failed", and the exit
status is non-zero when anything failed. run-tests.sh starts a server and runs this.
"""
import argparse
import os
import sys
import traceback

from client import (CANCEL, MAX_TEXT, PING, PONG, REQUEST, RESPONSE, Client, Header, encode_header,
                    serving_status_name)
from switchboard.v1 import agents_pb2, events_pb2, health_pb2, ingest_pb2

CHECKS = []


def check(fn):
    CHECKS.append(fn)
    return fn


def expect(condition, what):
    if not condition:
        raise AssertionError(what)


def expect_status(header, name, request_id=None):
    expect(header.kind == RESPONSE, f"expected a RESPONSE, got {header.kind_name}")
    expect(header.status_name == name, f"expected {name}, got {header.status_name} ({header.status}): {header.text!r}")
    if request_id is not None:
        expect(header.request_id == request_id, f"expected request id {request_id}, got {header.request_id}")
    expect(header.version == 1, f"reply header version {header.version}, expected 1")


# --- Against the live server ----------------------------------------------------------------------

@check
def health_check_is_serving(ctx):
    health = ctx.client.health()
    expect(serving_status_name(health) == "SERVING", f"status {serving_status_name(health)}")
    expect(health.version != "", "version is empty")
    expect(health.uptime_micros >= 0, f"uptime {health.uptime_micros}")
    print(f"    Health/Check: {serving_status_name(health)} version={health.version}")


@check
def unknown_method_is_unimplemented(ctx):
    header, body = ctx.client.call_raw("/switchboard.v1.Health/NoSuchMethod", b"")
    expect_status(header, "UNIMPLEMENTED")
    expect("/switchboard.v1.Health/NoSuchMethod" in header.text, f"message does not name the method: {header.text!r}")
    expect(body == b"", "error reply has a body")
    print(f"    unknown method: {header.status_name}: {header.text}")


@check
def malformed_body_is_invalid_argument(ctx):
    # Field 1, length 5, but only 2 bytes follow: truncated protobuf.
    header, body = ctx.client.call_raw("/switchboard.v1.Health/Check", b"\x0a\x05ab")
    expect_status(header, "INVALID_ARGUMENT")
    expect("HealthCheckRequest" in header.text, f"message does not name the type: {header.text!r}")
    expect(body == b"", "error reply has a body")
    print(f"    malformed body: {header.status_name}: {header.text}")


@check
def unsupported_version_is_failed_precondition(ctx):
    ctx.client.send([encode_header(REQUEST, 901, "/switchboard.v1.Health/Check", version=2), b""])
    header, _ = ctx.client.receive_for(901, 2.0)
    expect_status(header, "FAILED_PRECONDITION", 901)
    expect("1" in header.text, f"message does not name the supported version: {header.text!r}")


@check
def nonzero_flags_are_invalid_argument(ctx):
    ctx.client.send([encode_header(REQUEST, 902, "/switchboard.v1.Health/Check", flags=1), b""])
    header, _ = ctx.client.receive_for(902, 2.0)
    expect_status(header, "INVALID_ARGUMENT", 902)


@check
def header_length_mismatch_is_invalid_argument(ctx):
    frame = encode_header(REQUEST, 903, "/switchboard.v1.Health/Check") + b"extra"
    ctx.client.send([frame, b""])
    header, _ = ctx.client.receive_for(903, 2.0)
    expect_status(header, "INVALID_ARGUMENT", 903)


@check
def ping_is_answered_by_pong(ctx):
    nonce = 0x0102030405060708
    header = ctx.client.ping(nonce)
    expect(header.kind == PONG, f"expected PONG, got {header.kind_name}")
    expect(header.request_id == nonce, f"PONG id {header.request_id:#x}")


@check
def cancel_of_unknown_id_is_ignored(ctx):
    ctx.client.send([encode_header(CANCEL, 904), b""])
    # Nothing may come back for it; the next call is answered normally.
    health = ctx.client.health()
    expect(serving_status_name(health) == "SERVING", "server stopped serving after a stray CANCEL")
    expect(ctx.client.receive(0.2) is None, "something was sent in answer to a CANCEL of an unknown id")


@check
def pipelined_requests_are_all_answered(ctx):
    ids = list(range(1000, 1032))
    for request_id in ids:
        ctx.client.send([encode_header(REQUEST, request_id, "/switchboard.v1.Health/Check", timeout_ms=2000), b""])
    seen = set()
    while len(seen) < len(ids):
        message = ctx.client.receive(2.0)
        expect(message is not None, f"only {len(seen)} of {len(ids)} pipelined requests were answered")
        header, body = message
        expect_status(header, "OK")
        expect(header.request_id in ids, f"unexpected request id {header.request_id}")
        health_pb2.HealthCheckResponse.FromString(body)
        seen.add(header.request_id)


@check
def unanswerable_messages_are_dropped_and_server_still_serves(ctx):
    bad = Client(ctx.server)
    try:
        bad.send([b"SB\x01"])  # one frame, and a header too short for a request id
        bad.send([b"hello", b"", b"three frames"])  # wrong frame count
        bad.send([b"SB\x01\x01", b""])  # two frames, header too short for a request id
        expect(bad.receive(0.3) is None, "the server answered a message it cannot answer")
    finally:
        bad.close()
    health = ctx.client.health()
    expect(serving_status_name(health) == "SERVING", "server stopped serving after unanswerable messages")


@check
def method_text_over_the_limit_is_never_sent(ctx):
    try:
        encode_header(REQUEST, 1, "x" * (MAX_TEXT + 1))
    except ValueError:
        return
    raise AssertionError("a header text over 1024 bytes was encoded")


# --- The golden frames (no server needed) ---------------------------------------------------------

def golden(ctx, name):
    with open(os.path.join(ctx.golden, name), "rb") as f:
        return f.read()


@check
def golden_health_request_matches_our_encoder(ctx):
    expect(encode_header(REQUEST, 1, "/switchboard.v1.Health/Check", timeout_ms=1000)
           == golden(ctx, "health-check.request.header.bin"), "health-check.request.header.bin differs")
    expect(health_pb2.HealthCheckRequest().SerializeToString() == golden(ctx, "health-check.request.body.bin"),
           "health-check.request.body.bin differs")


@check
def golden_health_reply_decodes(ctx):
    header = Header(golden(ctx, "health-check.response.header.bin"))
    expect(header.kind == RESPONSE and header.status == 0 and header.request_id == 1, "reply header fields")
    reply = health_pb2.HealthCheckResponse.FromString(golden(ctx, "health-check.response.body.bin"))
    expect(serving_status_name(reply) == "SERVING" and reply.version == "0.1.0", f"reply {reply}")
    expect(reply.uptime_micros == 90_000_000 and reply.server_time_unix_micros == 1763900000000000, f"reply {reply}")


@check
def golden_push_contact_round_trips(ctx):
    data = golden(ctx, "push-contact.request.body.bin")
    request = ingest_pb2.PushContactRequest.FromString(data)
    expect(request.identifiers[0].email == "ana.lopez@example.com", "identifiers[0].email")
    expect(request.identifiers[1].phone == "+34911234567", "identifiers[1].phone")
    expect(list(request.email.references) == ["<m1@sb.example.com>"], "email.references")
    expect(dict(request.metadata) == {"mailbox": "support"}, "metadata")
    expect(request.SerializeToString(deterministic=True) == data, "re-encoding differs from the golden bytes")
    reply = ingest_pb2.PushContactResponse.FromString(golden(ctx, "push-contact.response.body.bin"))
    expect((reply.contact_id, reply.case_id, reply.customer_id, reply.queue_position) == (42, 7, 3, 2), f"{reply}")


@check
def golden_offer_and_event_decode(ctx):
    element = agents_pb2.StreamOffersResponse.FromString(golden(ctx, "stream-offers.message.body.bin"))
    expect(element.WhichOneof("item") == "offer", "stream element is not an offer")
    expect(element.offer.history[0].handled_by_agent_id == "agent-7", "history[0].handled_by_agent_id")
    expect(abs(element.offer.explanation.top_candidates[0].score - 0.875) < 1e-12, "top candidate score")
    end = Header(golden(ctx, "stream-offers.end.header.bin"))
    expect(end.status_name == "CANCELLED" and end.request_id == 4, "STREAM_END fields")
    expect(golden(ctx, "event-contact-assigned.topic.bin") == b"contact.assigned.voice", "topic")
    event = events_pb2.Event.FromString(golden(ctx, "event-contact-assigned.event.bin"))
    expect(event.WhichOneof("kind") == "contact_assigned" and event.contact_assigned.agent_id == "agent-7", f"{event}")
    expect(Header(golden(ctx, "pong.header.bin")).kind == PONG, "pong kind")
    expect(encode_header(PING, 0x0102030405060708) == golden(ctx, "ping.header.bin"), "ping header differs")


class Context:
    def __init__(self, server, golden):
        self.server = server
        self.golden = golden
        self.client = Client(server)


def main():
    parser = argparse.ArgumentParser(description="Checks a Switchboard server against the v1 protocol.")
    parser.add_argument("--server", required=True)
    parser.add_argument("--golden", required=True, help="the Golden/ folder of SwitchboardWireTests")
    args = parser.parse_args()

    ctx = Context(args.server, args.golden)
    passed = failed = 0
    for fn in CHECKS:
        try:
            fn(ctx)
            passed += 1
            print(f"PASS {fn.__name__}")
        except Exception as error:  # noqa: BLE001 - any failure of a check is reported, then the next runs
            failed += 1
            print(f"FAIL {fn.__name__}: {error}")
            if not isinstance(error, AssertionError):
                traceback.print_exc()
            # A check that failed mid-conversation may leave replies behind: start the next clean.
            ctx.client.close()
            ctx.client = Client(args.server)
    ctx.client.close()
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
