import PropertyBased
import SwitchboardDomain
import SwitchboardTestSupport
import Testing

@testable import SwitchboardThreading

/// Random contact streams over a small pool of identifiers, so that identifiers collide, customers
/// merge, merges are refused, cases open, close and reopen.
private let pool: [RawIdentifier] =
    (0..<20).map { .email("e\($0)@example.com") } + (0..<12).map { .phone("+1415555\(1000 + $0)") }
    + (0..<6).map { .login("user\($0)") } + (0..<4).map { .externalID("CRM-\($0)") }
    + (0..<4).map { .socialHandle(platform: "x", handle: "h\($0)") } + (0..<2).map { .socialUserID(platform: "x", id: "\($0)") }

/// Decodes one random integer into a contact: a few identifiers from the pool, a channel, maybe a
/// topic, a reply to an earlier message, a reused idempotency key, and time passing.
private func input(_ n: Int, step: Int) -> (ThreadingInput, advanceHours: Double, resolve: Bool) {
    var bits = UInt64(truncatingIfNeeded: n) &* 0x9E37_79B9_7F4A_7C15
    func take(_ k: UInt64) -> Int {
        defer { bits = bits >> 8 | bits << 56 }
        return Int(bits % k)
    }
    let count = [1, 1, 1, 1, 1, 1, 2, 2, 2, 0, 0, 3][take(12)]
    var ids: [RawIdentifier] = []
    for _ in 0..<count { ids.append(pool[take(UInt64(pool.count))]) }
    let channel = Channel.allCases[take(4)]
    let topics: [String?] = [nil, nil, "billing", "repair"]
    var input = ThreadingInput(channel: channel, identifiers: ids, topic: topics[take(4)])
    if take(3) == 0 { input.messageID = "m\(step)@x" }
    if take(3) == 0, step > 0 { input.inReplyTo = "m\(take(UInt64(step)))@x" }
    if take(4) == 0 { input.idempotencyKey = "k\(take(8))" }
    let advance = [0, 0.5, 3, 30, 100][take(5)]
    return (input, Double(advance), take(3) == 0)
}

@Suite struct ThreadingProperties {
    /// After any stream of contacts: every identifier maps to exactly one live customer, merged-away
    /// customers own nothing and resolve to a live one (merges are transitive), every case belongs to a
    /// live customer.
    @Test func identityInvariantsHoldForAnyContactStream() async {
        await propertyCheck(count: 200, input: Gen.int(in: 0...Int.max).array(of: 1...60)) { stream in
            var h = Harness()
            for (step, n) in stream.enumerated() {
                let (contact, hours, resolve) = input(n, step: step)
                h.advance(hours: hours)
                guard let result = try? h.push(contact), let d = result.decision else { continue }
                if resolve { try? h.directory.recordOutcome(contact: d.contact, case: d.caseID, resolved: true, at: h.clock.now) }
                // Every identifier the contact carried now has a live owner.
                for raw in contact.identifiers {
                    let owner = try? h.directory.customer(for: raw)
                    #expect(owner.map { h.directory.canonical($0) == $0 } == true, "\(raw) has no live owner")
                }
                #expect(h.directory.canonical(d.customer) == d.customer)
            }
            let violations = h.directory.violations()
            #expect(violations.isEmpty, "\(violations)")
            for m in h.directory.mergeLog {
                let live = h.directory.canonical(m.absorbed)
                #expect(h.directory.customer(for: m.identifier) == live)
            }
        }
    }

    /// Redelivering any earlier contact with its idempotency key (or Message-ID) returns the original
    /// contact and creates nothing.
    @Test func duplicatesNeverCreateASecondContact() async {
        await propertyCheck(count: 100, input: Gen.int(in: 0...Int.max).array(of: 1...40), Gen.int(in: 0...Int.max)) { stream, pick in
            var h = Harness()
            var delivered: [(ThreadingInput, ContactID)] = []
            for (step, n) in stream.enumerated() {
                var (contact, _, _) = input(n, step: step)
                contact.idempotencyKey = "key-\(step)"
                h.advance(hours: 0.1)
                if let d = try? h.push(contact).decision { delivered.append((contact, d.contact)) }
            }
            guard !delivered.isEmpty else { return }
            let (again, original) = delivered[pick % delivered.count]
            let before = h.directory.fingerprint
            let result = try? h.push(again)
            guard case .duplicate(let dup) = result else {
                Issue.record("redelivery was not a duplicate: \(String(describing: result))")
                return
            }
            #expect(dup.original == original)
            #expect(h.directory.fingerprint == before)
        }
    }
}

@Suite struct LongStream {
    /// A long seeded stream keeps every invariant while actually merging, refusing merges,
    /// reopening and deduplicating (so the properties above are not vacuous).
    @Test func longSeededStreamKeepsInvariantsWhileExercisingEveryPath() throws {
        var rng = SplitMix64(seed: 42)
        var h = Harness()
        var merges = 0, refused = 0, reopened = 0, duplicates = 0, foreign = 0
        for step in 0..<3_000 {
            let (contact, hours, resolve) = input(Int(truncatingIfNeeded: rng.next()), step: step)
            h.advance(hours: hours)
            guard let result = try? h.push(contact) else { continue }
            guard let d = result.decision else {
                duplicates += 1
                continue
            }
            merges += d.merges.count
            refused += d.refusedMerges.count
            if d.reopened { reopened += 1 }
            if d.refusedForeignCase != nil { foreign += 1 }
            if resolve { try h.directory.recordOutcome(contact: d.contact, case: d.caseID, resolved: true, at: h.clock.now) }
        }
        #expect(h.directory.violations().isEmpty)
        #expect(merges > 0 && refused > 0 && reopened > 0 && duplicates > 0 && foreign > 0, "\(merges) \(refused) \(reopened) \(duplicates) \(foreign)")
    }
}
