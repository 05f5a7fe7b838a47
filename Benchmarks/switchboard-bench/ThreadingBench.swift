#if canImport(Glibc)
import Glibc
#endif
import Histogram
import SwitchboardCore
import SwitchboardDomain
import SwitchboardThreading

/// `threading`: one million known customers (each with an email and a phone and one case opened by
/// an email with a Message-ID), then threading decisions for returning and new customers:
///
/// - `email_reply`: the customer replies by email (In-Reply-To the original Message-ID, own new id);
/// - `call_by_phone`: the customer calls from their number (E.164 caller id);
/// - `call_national`: the customer calls and the number arrives in national format `(415) 555-…`;
/// - `new_contact`: an email from an unknown address (new customer and case);
/// - `anonymous`: a web chat with no identifiers.
///
/// Each input is built just before its decision, untimed; each decision is timed alone (`clock_gettime` adds ~20–40 ns to
/// every sample). Prints one JSON line per kind and one for the whole mix, then:
///
/// - `memory`: bytes per customer (with its two identifiers, case, history entry and Message-ID),
///   from the resident-set growth over the setup, beside the directory's own record sizes;
/// - `anonymous_stream`: what the surge simulator does most, a fresh directory taking a million
///   anonymous chats (each a new customer and case) without `reserveCapacity`, so table growth is
///   included, then the same into a directory reserved for it; with the directory's bytes per
///   contact (record arrays at their capacity).
var threadingSuite: BenchSuite { BenchSuite(name: "threading", run: runThreadingBench) }

func runThreadingBench() {
    // SB_THREADING_CUSTOMERS / SB_THREADING_DECISIONS override the sizes (to see cache effects).
    let customers = environmentInt("SB_THREADING_CUSTOMERS") ?? 1_000_000
    let decisions = environmentInt("SB_THREADING_DECISIONS") ?? 1_000_000
    let rssBefore = residentBytes()
    var directory = CaseDirectory()
    // Sized up front as a server or simulator would for its expected population; without this the
    // growth of the tables shows as a few pauses of 0.1–0.5 s in `max_us`.
    directory.reserveCapacity(customers: customers + decisions / 5, contacts: customers + decisions, emailShare: 0.8)
    var now = Instant(microseconds: 1_700_000_000_000_000)
    var contact: UInt64 = 0

    func phone(_ i: Int) -> String {
        let digits = String(i)
        return "+1415" + String(repeating: "0", count: 7 - digits.count) + digits
    }

    let setupStart = monotonicNanos()
    for i in 0..<customers {
        contact += 1
        now += .milliseconds(1)
        let input = ThreadingInput(
            channel: .email, identifiers: [.email("customer\(i)@example.com"), .phone(phone(i))], subject: "Order \(i)",
            messageID: "<m\(i)@mail.example.com>")
        do {
            _ = try directory.thread(input, contact: ContactID(contact), at: now)
        } catch {
            FileHandleOutput.error("threading bench setup failed: \(error)")
            return
        }
    }
    let setupSeconds = Double(monotonicNanos() - setupStart) / 1e9
    let rssAfterSetup = residentBytes()
    emit([
        "suite": .string("threading"), "case": .string("setup"), "customers": .int(customers),
        "seconds": .double(setupSeconds), "decisions_per_sec": .double(Double(customers) / setupSeconds),
        "rss_mib": .int(residentBytes() >> 20),
    ])

    // The mix: 40 % email replies, 30 % calls (E.164), 10 % calls (national format), 15 % new, 5 % anonymous.
    enum Kind: Int, CaseIterable { case emailReply, callByPhone, callNational, newContact, anonymous }
    let names = ["email_reply", "call_by_phone", "call_national", "new_contact", "anonymous"]
    var rng = SplitMix64(seed: 0x5EED_7E2D)
    // Each input is built just before its decision (untimed), as the server decodes a request just
    // before threading it: its strings are in cache, the directory's million customers are not.
    func makeInput(_ n: Int) -> (Kind, ThreadingInput) {
        let r = Int(rng.next() % 100)
        let who = Int(rng.next() % UInt64(customers))
        let kind: Kind = r < 40 ? .emailReply : r < 70 ? .callByPhone : r < 80 ? .callNational : r < 95 ? .newContact : .anonymous
        switch kind {
        case .emailReply:
            return (kind, ThreadingInput(
                channel: .email, identifiers: [.email("customer\(who)@example.com")], subject: "Re: Order \(who)",
                messageID: "<r\(n)@mail.example.com>", inReplyTo: "<m\(who)@mail.example.com>",
                references: ["<m\(who)@mail.example.com>"]))
        case .callByPhone:
            return (kind, ThreadingInput(channel: .voice, identifiers: [.phone(phone(who))]))
        case .callNational:
            let p = phone(who)
            let national = "(415) " + p.dropFirst(5).prefix(3) + "-" + p.suffix(4)
            return (kind, ThreadingInput(channel: .voice, identifiers: [.phone(String(national))]))
        case .newContact:
            return (kind, ThreadingInput(channel: .email, identifiers: [.email("new\(n)@example.org")], messageID: "<n\(n)@example.org>"))
        case .anonymous:
            return (kind, ThreadingInput(channel: .chat))
        }
    }

    var all = Histogram<UInt64>(highestTrackableValue: 10_000_000_000)
    var perKind = Array(repeating: Histogram<UInt64>(highestTrackableValue: 10_000_000_000), count: Kind.allCases.count)
    var failures = 0
    var busy: UInt64 = 0
    let start = monotonicNanos()
    for n in 0..<decisions {
        let (kind, input) = makeInput(n)
        contact += 1
        now += .milliseconds(1)
        let t0 = monotonicNanos()
        let result = try? directory.thread(input, contact: ContactID(contact), at: now)
        let elapsed = monotonicNanos() - t0
        busy += elapsed
        if result == nil { failures += 1 }
        _ = all.record(elapsed)
        _ = perKind[kind.rawValue].record(elapsed)
    }
    let seconds = Double(monotonicNanos() - start) / 1e9

    func micros(_ h: Histogram<UInt64>, _ p: Double) -> JSONValue { .double(Double(h.valueAtPercentile(p)) / 1000) }
    for kind in Kind.allCases {
        let h = perKind[kind.rawValue]
        emit([
            "suite": .string("threading"), "case": .string(names[kind.rawValue]), "known_customers": .int(customers),
            "decisions": .int(Int(h.totalCount)), "p50_us": micros(h, 50), "p99_us": micros(h, 99), "p999_us": micros(h, 99.9),
            "max_us": .double(Double(h.max) / 1000),
        ])
    }
    emit([
        "suite": .string("threading"), "case": .string("mix"), "known_customers": .int(customers), "decisions": .int(decisions),
        "p50_us": micros(all, 50), "p99_us": micros(all, 99), "p999_us": micros(all, 99.9),
        "decisions_per_sec": .double(Double(decisions) / (Double(busy) / 1e9)), "wall_seconds_incl_input_building": .double(seconds),
        "failures": .int(failures),
        "customers_after": .int(directory.customerCount), "cases_after": .int(directory.caseCount),
        "rss_mib": .int(residentBytes() >> 20), "target_p50_us": .double(2), "load_average_1m": .double(loadAverage()),
    ])
    let footprint = directory.footprint
    emit([
        "suite": .string("threading"), "case": .string("memory"), "customers": .int(customers),
        "rss_bytes_per_customer_incl_case_entry_identifiers_message": .int((rssAfterSetup - rssBefore) / max(1, customers)),
        "customer_record_bytes": .int(footprint.customerRecordBytes), "case_record_bytes": .int(footprint.caseRecordBytes),
        "history_entry_bytes": .int(footprint.historyEntryBytes), "identifier_record_bytes": .int(footprint.identifierBytes),
        "message_id_record_bytes": .int(footprint.messageIDBytes), "directory_tables_mib": .int(footprint.totalBytes >> 20),
        "threading_decision_bytes": .int(MemoryLayout<ThreadingDecision>.stride), "threading_result_bytes": .int(MemoryLayout<ThreadingResult>.stride),
        "engine_event_bytes": .int(MemoryLayout<EngineEvent>.stride),
    ])
    directory = CaseDirectory()
    runAnonymousStream(contacts: environmentInt("SB_THREADING_ANONYMOUS") ?? 1_000_000, reserve: false)
    runAnonymousStream(contacts: environmentInt("SB_THREADING_ANONYMOUS") ?? 1_000_000, reserve: true)
}

/// A fresh directory taking anonymous chats back to back, as the simulator pushes them; `reserve`
/// sizes it first as `reserveCapacity(customers:cases:contacts:)` would for a planned run.
func runAnonymousStream(contacts: Int, reserve: Bool) {
    var directory = CaseDirectory()
    if reserve { directory.reserveCapacity(customers: contacts, cases: contacts, contacts: contacts, identifiersPerCustomer: 0, emailShare: 0) }
    var histogram = Histogram<UInt64>(highestTrackableValue: 10_000_000_000)
    let input = ThreadingInput(channel: .chat)
    var now = Instant(microseconds: 1_700_000_000_000_000)
    var failures = 0
    let start = monotonicNanos()
    for n in 0..<contacts {
        now += .milliseconds(1)
        let t0 = monotonicNanos()
        let result = try? directory.thread(input, contact: ContactID(UInt64(n + 1)), at: now)
        _ = histogram.record(monotonicNanos() - t0)
        if result == nil { failures += 1 }
    }
    let seconds = Double(monotonicNanos() - start) / 1e9
    func micros(_ p: Double) -> JSONValue { .double(Double(histogram.valueAtPercentile(p)) / 1000) }
    emit([
        "suite": .string("threading"), "case": .string("anonymous_stream"), "decisions": .int(contacts), "reserved": .bool(reserve),
        "p50_us": micros(50), "p99_us": micros(99), "p999_us": micros(99.9), "max_us": .double(Double(histogram.max) / 1000),
        "decisions_per_sec_incl_timing": .double(Double(contacts) / seconds), "failures": .int(failures),
        "directory_bytes_per_contact": .int(directory.footprint.totalBytes / max(1, contacts)),
        "cases_after": .int(directory.caseCount), "load_average_1m": .double(loadAverage()),
    ])
}

func environmentInt(_ name: String) -> Int? {
    guard let value = getenv(name) else { return nil }
    return Int(String(cString: value))
}

/// The 1-minute load average (0 when unknown): latency figures from a shared machine mean little
/// without it.
func loadAverage() -> Double {
    guard let f = fopen("/proc/loadavg", "r") else { return 0 }
    defer { fclose(f) }
    var buf = [CChar](repeating: 0, count: 64)
    guard fgets(&buf, Int32(buf.count), f) != nil else { return 0 }
    let text = String(decoding: buf.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    return text.split(separator: " ").first.flatMap { Double($0) } ?? 0
}
