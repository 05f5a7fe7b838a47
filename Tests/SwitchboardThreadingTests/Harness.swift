import SwitchboardDomain
import SwitchboardTestSupport
import Testing

@testable import SwitchboardThreading

/// A directory, a manual clock and a contact counter: what the engine would hold.
struct Harness {
    var directory: CaseDirectory
    var clock = ManualClock(start: Instant(microseconds: 1_000_000_000_000))
    var nextContact: UInt64 = 1

    init(policy: ThreadingPolicy = ThreadingPolicy()) {
        directory = CaseDirectory(policy: policy)
    }

    mutating func push(_ input: ThreadingInput) throws(SwitchboardError) -> ThreadingResult {
        let id = ContactID(nextContact)
        let result = try directory.thread(input, contact: id, at: clock.now)
        if case .threaded = result { nextContact += 1 }
        return result
    }

    /// Pushes and requires a decision (not a duplicate).
    mutating func decide(_ input: ThreadingInput, sourceLocation: SourceLocation = #_sourceLocation) throws -> ThreadingDecision {
        let result = try push(input)
        return try #require(result.decision, "expected a decision, got \(result)", sourceLocation: sourceLocation)
    }

    mutating func advance(days: Double) { clock.advance(by: .days(days)) }
    mutating func advance(hours: Double) { clock.advance(by: .hours(hours)) }
}

extension ThreadingInput {
    static func email(
        from: String, subject: String? = nil, messageID: String? = nil, inReplyTo: String? = nil, references: [String] = [],
        topic: String? = nil, key: String? = nil, extra: [RawIdentifier] = []
    ) -> ThreadingInput {
        ThreadingInput(
            channel: .email, identifiers: [.email(from)] + extra, subject: subject, topic: topic, messageID: messageID, inReplyTo: inReplyTo,
            references: references, idempotencyKey: key)
    }

    static func call(from phone: String, topic: String? = nil, caseReference: CaseID? = nil, extra: [RawIdentifier] = []) -> ThreadingInput {
        ThreadingInput(channel: .voice, identifiers: [.phone(phone)] + extra, topic: topic, caseReference: caseReference)
    }
}

extension CaseDirectory {
    /// Every structural invariant, as a list of violations (empty when all hold).
    func violations() -> [String] {
        var out: [String] = []
        var identifierTotal = 0
        for (i, c) in customers.enumerated() {
            let id = CustomerID(UInt64(i + 1))
            let held = identifiersOf(c)
            let open = openCases(of: id)
            if c.mergedInto != 0 {
                let into = CustomerID(UInt64(c.mergedInto))
                if !held.isEmpty || c.lastCase != 0 || c.openCase != 0 || c.closedCase != 0 || c.extras != 0 {
                    out.append("\(id) merged but owns things")
                }
                if customers[Int(into.rawValue) - 1].mergedInto != 0 { out.append("\(id) forwards to merged \(into)") }
                if canonical(id) != into { out.append("\(id) does not resolve to \(into)") }
                continue
            }
            identifierTotal += held.count
            for ident in held where customer(for: ident) != id {
                out.append("\(ident) listed on \(id) but indexed to \(String(describing: customer(for: ident)))")
            }
            var mask: UInt8 = 0
            for ident in held { mask |= ident.kind.bit }
            if mask != c.kindMask { out.append("\(id) kind mask \(c.kindMask) != \(mask)") }
            for caseID in casesOf(id) where cases[Int(caseID.rawValue) - 1].customer != UInt32(id.rawValue) {
                out.append("\(caseID) listed on \(id) but owned by \(cases[Int(caseID.rawValue) - 1].customer)")
            }
            for caseID in open where !cases[Int(caseID.rawValue) - 1].status.isOpen { out.append("\(caseID) closed but in open list") }
            if Set(open).count != open.count { out.append("\(id) lists an open case twice") }
            // The inline slots hold the first element: an empty inline slot means an empty list.
            if c.extras != 0 {
                let more = extras[Int(c.extras) - 1]
                if c.openCase == 0 && !more.moreOpen.isEmpty { out.append("\(id) spilled open cases without an inline one") }
                if c.closedCase == 0 && !more.moreClosed.isEmpty { out.append("\(id) spilled closed cases without an inline one") }
                if 1 + more.moreClosed.count > CaseDirectory.recentlyClosedLimit { out.append("\(id) keeps too many closed cases") }
            }
        }
        if customerCount != customers.count(where: { $0.mergedInto == 0 }) { out.append("customerCount \(customerCount) is wrong") }
        if identifierTotal != identifiers.count { out.append("index has \(identifiers.count) identifiers, customers hold \(identifierTotal)") }
        for (n, c) in cases.enumerated() {
            let caseID = CaseID(UInt64(n + 1))
            let ownerID = CustomerID(UInt64(c.customer))
            let owner = customers[Int(c.customer) - 1]
            if owner.mergedInto != 0 { out.append("\(caseID) owned by merged \(ownerID)") }
            if !casesOf(ownerID).contains(caseID) { out.append("\(caseID) missing from \(ownerID)'s cases") }
            if c.status.isOpen != openCases(of: ownerID).contains(caseID) { out.append("\(caseID) open=\(c.status.isOpen) vs open list") }
            let unended = history(of: caseID).filter { $0.outcome == .pending }.count
            if c.openContacts != UInt16.max && Int(c.openContacts) != unended { out.append("\(caseID) counts \(c.openContacts) open contacts but has \(unended)") }
            if c.channelMask & CaseRecord.resolutionPendingBit != 0 && (!c.status.isOpen || unended == 0) {
                out.append("\(caseID) waits to close with \(unended) open contacts, status \(c.status)")
            }
        }
        return out
    }

    /// Counts that any change would move: used to show a duplicate changes nothing.
    var fingerprint: [Int] {
        [customers.count, cases.count, identifiers.count, messages.count, idempotency.count, mergeLog.count, entries.count]
    }
}
