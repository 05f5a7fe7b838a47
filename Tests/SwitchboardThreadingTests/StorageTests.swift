import PropertyBased
import SwitchboardDomain
import SwitchboardTestSupport
import Testing

@testable import SwitchboardThreading

/// A record whose hash is chosen by the test, so collisions (in the slot position, in the 32-bit
/// tag, in the whole hash) can be forced.
private struct Probe: HashedNode, Equatable {
    let key: Int
    let hashCode: Int
    var value: Int
}

/// Hashes from a small set of shapes: all bits from the key, only low bits (same slot, different
/// tag), only high bits (same tag, different slot) and a constant (everything collides).
private func hash(_ key: Int, shape: Int) -> Int {
    switch shape {
    case 0: return key &* 0x5851_F42D_4C95_7F2D
    case 1: return key & 0x7
    case 2: return (key & 0x3) << 40
    default: return 42
    }
}

@Suite struct HashedNodeTableBehaviour {
    /// Any sequence of inserts, updates and lookups gives the same answers as a `Dictionary`,
    /// whatever the hash collisions and whether the table was reserved or grew from empty.
    @Test func answersLikeADictionary() async {
        await propertyCheck(count: 200, input: Gen.int(in: 0...3), Gen.int(in: 0...300), Gen.int(in: 0...Int.max).array(of: 0...400)) {
            shape, reserve, ops in
            var table = HashedNodeTable<Probe>()
            if reserve > 0 { table.reserveCapacity(reserve) }
            var model: [Int: Int] = [:]
            for op in ops {
                let key = (op >> 8) % 150
                let h = hash(key, shape: shape)
                let found = table.find(hash: h, where: { $0.key == key })
                #expect(found.map { table[node: $0].value } == model[key])
                // Warming decides nothing; it only has to be safe on any table state.
                _ = table.warm(hash: h, touch: { $0.value }, touchHint: { Int($0) })
                switch op & 3 {
                case 0, 1:
                    if let n = found {
                        table[node: n].value = op
                    } else {
                        table.append(Probe(key: key, hashCode: h, value: op), hint: UInt32(key))
                    }
                    model[key] = op
                default:
                    break
                }
                #expect(table.count == model.count)
                #expect(table.slotCount >= 2 * table.count)
            }
            for key in 0..<150 {
                let found = table.find(hash: hash(key, shape: shape), where: { $0.key == key })
                #expect(found.map { table[node: $0].value } == model[key])
            }
            // Records keep their numbers in insertion order.
            for (n, node) in table.nodes.enumerated() {
                #expect(table.find(hash: node.hashCode, where: { $0.key == node.key }) == n)
            }
        }
    }

    /// Reserving sizes the index once: inserting up to the reservation never rebuilds it.
    @Test func reservationIsNotOutgrown() {
        var table = HashedNodeTable<Probe>()
        table.reserveCapacity(1000)
        let slots = table.slotCount
        for k in 0..<1000 { table.append(Probe(key: k, hashCode: hash(k, shape: 0), value: k)) }
        #expect(table.slotCount == slots)
        #expect(table.find(hash: hash(999, shape: 0), where: { $0.key == 999 }) == 999)
        #expect(table.find(hash: hash(1000, shape: 0), where: { $0.key == 1000 }) == nil)
    }

    /// An empty table answers lookups without having allocated an index.
    @Test func emptyTableFindsNothing() {
        let table = HashedNodeTable<Probe>()
        #expect(table.find(hash: 0, where: { _ in true }) == nil)
        #expect(table.slotCount == 0)
    }
}

@Suite struct InternerBehaviour {
    /// Equal values get one number, different values different numbers, 0 is "none", and the number
    /// gives the value back.
    @Test func internsLikeADictionary() async {
        await propertyCheck(count: 100, input: Gen.int(in: 0...40).array(of: 0...200)) { values in
            var interner = Interner<String>()
            var model: [String: UInt32] = [:]
            for v in values {
                let s = "topic-\(v)"
                let n = interner.intern(s)
                #expect(n != 0)
                if let known = model[s] { #expect(n == known) } else { #expect(!model.values.contains(n)) }
                model[s] = n
                #expect(interner.value(n) == s)
                #expect(interner.number(of: s) == n)
            }
            #expect(interner.count == model.count)
            #expect(interner.value(0) == nil)
            #expect(interner.number(of: "never") == nil)
        }
    }
}

@Suite struct CompactRecords {
    /// The per-contact records are plain data of the documented sizes: a customer 40 bytes, a case
    /// one 64-byte cache line, a history entry 56 bytes. Growing past these is a memory regression
    /// at millions of customers.
    @Test func recordsStayCompact() {
        #expect(MemoryLayout<CustomerRecord>.stride == 40)
        #expect(MemoryLayout<CaseRecord>.stride == 64)
        #expect(MemoryLayout<StoredEntry>.stride == 56)
        let d = CaseDirectory()
        #expect(d.footprint.caseRecordBytes == 64)
    }

    /// A decision without merges carries no arrays, and its optional parts round-trip through
    /// their packed storage.
    @Test func decisionPartsRoundTrip() {
        var d = ThreadingDecision(contact: ContactID(1), isAnonymous: true, at: Instant(microseconds: 5))
        #expect(d.identityChanges == nil && d.merges.isEmpty && d.refusedMerges.isEmpty)
        #expect(d.isAnonymous && !d.isNewCase && !d.isNewCustomer && !d.reopened)
        #expect(d.passedOver == nil && d.caseLastActive == nil)
        for why in PassedOverCase.Why.allCases {
            for rule in ThreadingRule.allCases {
                let p = PassedOverCase(caseID: CaseID(7), rule: rule, why: why)
                d.passedOver = p
                #expect(d.passedOver == p)
            }
        }
        d.passedOver = nil
        #expect(d.passedOver == nil)
        d.caseLastActive = Instant(microseconds: 0)
        #expect(d.caseLastActive == Instant(microseconds: 0))
        d.caseLastActive = nil
        #expect(d.caseLastActive == nil)
        d.isNewCase = true
        d.reopened = true
        d.isAnonymous = false
        #expect(d.isNewCase && d.reopened && !d.isAnonymous && !d.isNewCustomer)
        let merge = MergeRecord(
            absorbed: CustomerID(2), into: CustomerID(1), at: .zero, identifier: Identifier(uncheckedKind: .login, value: "a"), contact: ContactID(1))
        d.merges = [merge]
        #expect(d.merges == [merge] && d.refusedMerges.isEmpty)
        d.merges = []
        #expect(d.identityChanges == nil)
    }
}

@Suite struct CaseListsPastTheInlineSlot {
    /// A customer with many open cases (one per topic) and many closed ones keeps every rule
    /// exact once the lists spill out of the customer record: a topic joins its own open case, the
    /// reopen rule sees only the `recentlyClosedLimit` most recently closed cases, newest first.
    @Test func manyOpenAndClosedCasesKeepTheRules() throws {
        var h = Harness()
        var byTopic: [ThreadingDecision] = []
        for t in 0..<10 {
            let d = try h.decide(.call(from: "+14155550100", topic: "t\(t)"))
            #expect(d.isNewCase)
            byTopic.append(d)
            h.advance(hours: 0.1)
        }
        #expect(h.directory.openCases(of: byTopic[0].customer) == byTopic.map(\.caseID))
        let t3 = try h.decide(.call(from: "+14155550100", topic: "t3"))
        #expect(t3.rule == .openCase && t3.caseID == byTopic[3].caseID)
        // Resolved now, it closes t3's case only once the case's first contact ends too (below).
        try h.directory.recordOutcome(contact: t3.contact, case: t3.caseID, resolved: true, at: h.clock.now)
        #expect(h.directory.openCases(of: byTopic[0].customer).contains(byTopic[3].caseID))
        for d in byTopic {
            h.advance(hours: 0.1)
            try h.directory.recordOutcome(contact: d.contact, case: d.caseID, resolved: true, at: h.clock.now)
        }
        #expect(h.directory.openCases(of: byTopic[0].customer).isEmpty)
        #expect(h.directory.violations().isEmpty)
        h.advance(hours: 1)
        // t0 and t1 closed first and fell off the list of 8; t5 is on it.
        let t1 = try h.decide(.call(from: "+14155550100", topic: "t1"))
        #expect(t1.rule == .newCase && t1.passedOver?.why == .differentTopic && t1.passedOver?.caseID == byTopic[9].caseID)
        let t5 = try h.decide(.call(from: "+14155550100", topic: "t5"))
        #expect(t5.rule == .reopened && t5.caseID == byTopic[5].caseID && t5.reopened)
        #expect(h.directory.violations().isEmpty)
    }

    /// An outgoing Message-ID later delivered inbound (the customer's mail client echoing it) is
    /// taken over by the inbound contact, and a second delivery of it is then a duplicate.
    @Test func outgoingMessageIDDeliveredInboundIsTakenOver() throws {
        var h = Harness()
        let first = try h.decide(.email(from: "alice@example.com"))
        try h.directory.recordOutgoingMessage("<shared@x>", case: first.caseID)
        let before = h.directory.messages.count
        let inbound = try h.decide(.email(from: "alice@example.com", messageID: "<shared@x>"))
        #expect(h.directory.messages.count == before)
        guard case .duplicate(let dup) = try h.push(.email(from: "alice@example.com", messageID: "shared@x")) else {
            Issue.record("second delivery was not a duplicate")
            return
        }
        #expect(dup.original == inbound.contact && dup.matchedOn == .messageID)
    }

    /// History entries round-trip subject, topic, agent, outcome with disposition and times.
    @Test func historyRoundTripsEveryField() throws {
        var h = Harness()
        let d = try h.decide(ThreadingInput(channel: .social, identifiers: [.login("ann")], subject: "Broken", topic: "repair"))
        h.advance(hours: 1)
        let handledAt = h.clock.now
        try h.directory.recordHandled(contact: d.contact, case: d.caseID, agent: "agent-7", at: handledAt)
        h.advance(hours: 1)
        try h.directory.recordOutcome(contact: d.contact, case: d.caseID, resolved: false, disposition: "callback", at: h.clock.now)
        let entry = try #require(h.directory.history(of: d.caseID).first)
        #expect(entry.contact == d.contact && entry.channel == .social && entry.subject == "Broken" && entry.topic == "repair")
        #expect(entry.agent == "agent-7" && entry.handledAt == handledAt)
        #expect(entry.outcome == .unresolved(disposition: "callback") && entry.endedAt == h.clock.now)
        try h.directory.recordOutcome(contact: d.contact, case: d.caseID, outcome: .abandoned, at: h.clock.now)
        #expect(h.directory.history(of: d.caseID).first?.outcome == .abandoned)
        #expect(h.directory.lastHandler(of: d.caseID)?.agent == "agent-7")
    }
}

@Suite struct Reservation {
    /// `reserveCapacity` sizes every table: threading as many contacts as reserved (new customers
    /// with an email and a Message-ID each) never grows a record array or rebuilds an index.
    @Test func reservedDirectoryDoesNotGrow() throws {
        var h = Harness()
        let n = 3_000
        h.directory.reserveCapacity(customers: n, cases: n, contacts: n, identifiersPerCustomer: 1, emailShare: 1)
        let before = h.directory.footprint.totalBytes
        let capacities = [h.directory.customers.capacity, h.directory.cases.capacity, h.directory.entries.capacity, h.directory.texts.capacity]
        for i in 0..<n {
            _ = try h.decide(.email(from: "c\(i)@example.com", subject: "s", messageID: "<m\(i)@x>"))
        }
        #expect(h.directory.footprint.totalBytes == before)
        #expect(
            [h.directory.customers.capacity, h.directory.cases.capacity, h.directory.entries.capacity, h.directory.texts.capacity] == capacities)
        #expect(h.directory.customerCount == n && h.directory.caseCount == n)
    }
}

@Suite struct ChunkedArrayBehaviour {
    /// Appends and in-place updates give the same elements as an `Array`, across chunk boundaries,
    /// reserved or not.
    @Test func behavesLikeAnArray() async {
        let chunk = ChunkedArray<Int>.chunkSize
        await propertyCheck(count: 30, input: Gen.int(in: 0...(3 * chunk + 5)), Gen.bool, Gen.int(in: 0...Int.max).array(of: 0...50)) {
            n, reserve, updates in
            var chunked = ChunkedArray<Int>()
            if reserve { chunked.reserveCapacity(n) }
            var model: [Int] = []
            for i in 0..<n {
                chunked.append(i &* 31)
                model.append(i &* 31)
            }
            for u in updates where n > 0 {
                let i = u % n
                chunked[i] &+= u
                model[i] &+= u
            }
            #expect(chunked.count == n && Array(chunked) == model)
            #expect(chunked.capacity >= n && chunked.capacity % chunk == 0)
            if reserve { #expect(chunked.capacity < n + chunk) }
        }
    }
}
