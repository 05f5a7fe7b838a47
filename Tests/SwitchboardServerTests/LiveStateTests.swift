@testable import SwitchboardServer
import SwitchboardCore
import SwitchboardDomain
import SwitchboardWire
import Testing

@Suite struct LiveStateTests {
    /// A retried EndContact is answered from memory within the idempotency retention; past it the
    /// answer is forgotten and the retry is NOT_FOUND, so a server that runs for weeks does not keep
    /// an answer for every contact it ever saw.
    @Test func finishedContactsAreForgottenAfterTheIdempotencyRetention() throws {
        let state = try LiveState(policy: Policy())
        let t0 = Instant.seconds(1_000)
        let (first, _) = try state.push(pushRequest(.chat, email: "first@example.com"), at: t0)
        var end = Switchboard_V1_EndContactRequest()
        end.contactID = first.contactID
        end.reason = .abandoned
        _ = try state.end(end, at: t0 + .seconds(10))

        let (retry, changed) = try state.end(end, at: t0 + .hours(23))
        #expect(!changed)
        #expect(retry.waitedMicros == 10_000_000)
        #expect(state.rememberedFinishedCount == 1)

        // A contact finishing more than 24 h after the first takes the first's answer with it.
        let (second, _) = try state.push(pushRequest(.chat, email: "second@example.com"), at: t0 + .hours(25))
        var endSecond = end
        endSecond.contactID = second.contactID
        _ = try state.end(endSecond, at: t0 + .hours(25))
        #expect(state.rememberedFinishedCount == 1)
        let error = #expect(throws: SwitchboardError.self) { _ = try state.end(end, at: t0 + .hours(25)) }
        #expect(error?.code == .notFound)
        #expect(error?.message.contains("more than 24 h ago") == true)
    }
}
