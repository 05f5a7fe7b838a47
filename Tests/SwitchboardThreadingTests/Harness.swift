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
            if let into = c.mergedInto {
                if !c.identifiers.isEmpty || c.lastCase.rawValue != 0 || !c.openCases.isEmpty { out.append("\(id) merged but owns things") }
                if customers[Int(into.rawValue) - 1].mergedInto != nil { out.append("\(id) forwards to merged \(into)") }
                if canonical(id) != into { out.append("\(id) does not resolve to \(into)") }
                continue
            }
            identifierTotal += c.identifiers.count
            for ident in c.identifiers where identifierIndex[ident] != id {
                out.append("\(ident) listed on \(id) but indexed to \(String(describing: identifierIndex[ident]))")
            }
            var mask: UInt8 = 0
            for ident in c.identifiers { mask |= ident.kind.bit }
            if mask != c.kindMask { out.append("\(id) kind mask \(c.kindMask) != \(mask)") }
            for caseID in casesOf(id) where cases[Int(caseID.rawValue) - 1].customer != id {
                out.append("\(caseID) listed on \(id) but owned by \(cases[Int(caseID.rawValue) - 1].customer)")
            }
            for caseID in c.openCases where !cases[Int(caseID.rawValue) - 1].status.isOpen { out.append("\(caseID) closed but in open list") }
        }
        if customerCount != customers.count(where: { $0.mergedInto == nil }) { out.append("customerCount \(customerCount) is wrong") }
        if identifierTotal != identifierIndex.count { out.append("index has \(identifierIndex.count) identifiers, customers hold \(identifierTotal)") }
        for (n, c) in cases.enumerated() {
            let caseID = CaseID(UInt64(n + 1))
            let owner = customers[Int(c.customer.rawValue) - 1]
            if owner.mergedInto != nil { out.append("\(caseID) owned by merged \(c.customer)") }
            if !casesOf(c.customer).contains(caseID) { out.append("\(caseID) missing from \(c.customer)'s cases") }
            if c.status.isOpen != owner.openCases.contains(caseID) { out.append("\(caseID) open=\(c.status.isOpen) vs open list") }
        }
        return out
    }

    /// Counts that any change would move: used to show a duplicate changes nothing.
    var fingerprint: [Int] {
        [customers.count, cases.count, identifierIndex.count, messages.count, idempotency.count, mergeLog.count, entries.count]
    }
}
