import SwitchboardDomain
import SwitchboardWire
import Testing

/// The one mapping from core errors to wire statuses, and gRPC's numbering.
@Suite struct StatusCodeTests {
    /// Status numbers are gRPC's, 0 through 16, with gRPC's names.
    @Test func statusNumbersAndNamesAreGRPCs() {
        let expected: [(StatusCode, UInt16, String)] = [
            (.ok, 0, "OK"), (.cancelled, 1, "CANCELLED"), (.unknown, 2, "UNKNOWN"),
            (.invalidArgument, 3, "INVALID_ARGUMENT"), (.deadlineExceeded, 4, "DEADLINE_EXCEEDED"),
            (.notFound, 5, "NOT_FOUND"), (.alreadyExists, 6, "ALREADY_EXISTS"),
            (.permissionDenied, 7, "PERMISSION_DENIED"), (.resourceExhausted, 8, "RESOURCE_EXHAUSTED"),
            (.failedPrecondition, 9, "FAILED_PRECONDITION"), (.aborted, 10, "ABORTED"),
            (.outOfRange, 11, "OUT_OF_RANGE"), (.unimplemented, 12, "UNIMPLEMENTED"),
            (.internal, 13, "INTERNAL"), (.unavailable, 14, "UNAVAILABLE"), (.dataLoss, 15, "DATA_LOSS"),
            (.unauthenticated, 16, "UNAUTHENTICATED"),
        ]
        #expect(expected.count == StatusCode.allCases.count)
        for (code, number, name) in expected {
            #expect(code.rawValue == number)
            #expect(code.name == name)
        }
    }

    /// Each core error code maps to the status docs/protocol.md promises for it.
    @Test func coreErrorCodesMapToTheirStatus() {
        let expected: [(SwitchboardError.Code, StatusCode)] = [
            (.invalidArgument, .invalidArgument), (.notFound, .notFound), (.alreadyExists, .alreadyExists),
            (.failedPrecondition, .failedPrecondition), (.resourceExhausted, .resourceExhausted),
            (.permissionDenied, .permissionDenied), (.unavailable, .unavailable),
            (.deadlineExceeded, .deadlineExceeded), (.unimplemented, .unimplemented), (.internal, .internal),
        ]
        for (code, status) in expected {
            #expect(StatusCode(code) == status, "\(code)")
        }
    }

    /// A core error reaches the wire with the field at fault in front of its message, and its cause
    /// (for logs only) left off.
    @Test func coreErrorMessageNamesTheField() {
        var error = SwitchboardError.invalidArgument("not an email address; send user@domain", field: "identifiers[0].email")
        error.cause = "parser state 7"
        let wire = WireError(error)
        #expect(wire.status == .invalidArgument)
        #expect(wire.message == "identifiers[0].email: not an email address; send user@domain")
        #expect(!wire.message.contains("parser state"))
    }

    /// A message that already starts with its field is not prefixed twice; no field, no prefix.
    @Test func fieldPrefixIsNotRepeated() {
        let named = SwitchboardError.invalidArgument("priority: must be 1 to 10", field: "priority")
        #expect(WireError(named).message == "priority: must be 1 to 10")
        #expect(WireError(SwitchboardError.failedPrecondition("offer expired")).message == "offer expired")
    }

    /// Only the statuses gRPC calls retryable are marked so.
    @Test func retryableStatuses() {
        #expect(StatusCode.allCases.filter(\.isRetryable) == [.deadlineExceeded, .resourceExhausted, .aborted, .unavailable])
    }
}
