import Foundation
import SwitchboardConfig
import SwitchboardCore
import SwitchboardDomain
import SwitchboardRouting
import SwitchboardThreading
import Testing
import Yams

private func expectConfigError(_ yaml: String, field: String, mentions: [String], sourceLocation: SourceLocation = #_sourceLocation) {
    do {
        let p = try PolicyLoader.threadingPolicy(fromYAML: yaml)
        Issue.record("expected an error for \(field), got \(p)", sourceLocation: sourceLocation)
    } catch {
        #expect(error.code == .invalidArgument, sourceLocation: sourceLocation)
        #expect(error.field == field, "field was \(String(describing: error.field)): \(error.message)", sourceLocation: sourceLocation)
        #expect(error.message.hasPrefix(field + ":"), "\(error.message)", sourceLocation: sourceLocation)
        for m in mentions { #expect(error.message.contains(m), "\(error.message) should mention \(m)", sourceLocation: sourceLocation) }
    }
}

@Suite struct ThreadingPolicyLoading {
    /// An empty document gives every default.
    @Test func emptyDocumentGivesDefaults() throws {
        #expect(try PolicyLoader.threadingPolicy(fromYAML: "") == ThreadingPolicy())
        #expect(try PolicyLoader.threadingPolicy(fromYAML: "{}") == ThreadingPolicy())
    }

    /// Every key is read; durations accept seconds and units.
    @Test func everyKeyIsRead() throws {
        let p = try PolicyLoader.threadingPolicy(fromYAML: """
            default_country: gb
            open_case_window: 2d
            reopen_window: 36h
            subject_tag: "(Ticket {case})"
            idempotency_retention: 3600
            anonymous_may_use_case_reference: false
            merge:
              phone: never
              social_handle: always
            """)
        #expect(p.defaultCountry == .unitedKingdom)
        #expect(p.openCaseWindow == .days(2) && p.reopenWindow == .hours(36) && p.idempotencyRetention == .hours(1))
        #expect(p.subjectTag.template == "(Ticket {case})")
        #expect(!p.anonymousMayUseCaseReference)
        #expect(p.merge.phone == .never && p.merge.socialHandle == .always && p.merge.email == .always)
    }

    /// A key the policy does not have is an error naming it, with a suggestion.
    @Test func unknownKeysAreRejected() {
        expectConfigError("reopen_windw: 3d\n", field: "reopen_windw", mentions: ["unknown key", "did you mean reopen_window", "line 1"])
        expectConfigError("merge:\n  phnoe: never\n", field: "merge.phnoe", mentions: ["unknown key", "did you mean phone", "line 2"])
    }

    /// Wrong types name the key path and what was expected.
    @Test func wrongTypesNameTheKeyPath() {
        expectConfigError("open_case_window: soon\n", field: "open_case_window", mentions: ["expected a number of seconds", "'soon'", "line 1"])
        expectConfigError("anonymous_may_use_case_reference: maybe\n", field: "anonymous_may_use_case_reference", mentions: ["true or false"])
        expectConfigError("merge:\n  phone: sometimes\n", field: "merge.phone", mentions: ["expected one of never, ifNoConflict, always", "'sometimes'"])
        expectConfigError("merge: [1, 2]\n", field: "merge", mentions: ["expected a mapping"])
    }

    /// Values the policy cannot use are rejected naming the key.
    @Test func invalidValuesAreRejected() {
        expectConfigError("default_country: XX\n", field: "default_country", mentions: ["unknown country 'XX'", "GB"])
        expectConfigError("subject_tag: \"no placeholder\"\n", field: "subject_tag", mentions: ["{case}"])
        expectConfigError("reopen_window: -5\n", field: "reopen_window", mentions: ["negative"])
    }

    /// Invalid YAML is an error, not a crash.
    @Test func invalidYAMLIsAnError() {
        #expect(throws: SwitchboardError.self) { try PolicyLoader.threadingPolicy(fromYAML: "a: [1, 2\n") }
        #expect {
            try PolicyLoader.threadingPolicy(fromYAML: "open_case_window: 1\nopen_case_window: 2\n")
        } throws: { ($0 as? SwitchboardError)?.message.contains("open_case_window") == true }
    }
}

@Suite struct GenericDecoding {
    struct Sample: Decodable, Equatable {
        var spans: [Span]
        var table: [String: Int]
        var nested: Inner?
        struct Inner: Decodable, Equatable { var limit: UInt8 }
    }

    /// Lists, free-form dictionaries and nested optionals decode; list indices appear in error paths.
    @Test func listsAndDictionariesDecode() throws {
        let s = try ConfigDecoder.decode(Sample.self, fromYAML: "spans: [1, 500ms, 2m]\ntable: {anything: 1, goes: 2}\n")
        #expect(s == Sample(spans: [.seconds(1), .milliseconds(500), .minutes(2)], table: ["anything": 1, "goes": 2], nested: nil))
        do {
            _ = try ConfigDecoder.decode(Sample.self, fromYAML: "spans: [1, x]\ntable: {}\n")
            Issue.record("expected an error")
        } catch {
            #expect(error.field == "spans[1]")
        }
        do {
            _ = try ConfigDecoder.decode(Sample.self, fromYAML: "spans: []\ntable: {}\nnested: {limit: 300}\n")
            Issue.record("expected an error")
        } catch {
            #expect(error.field == "nested.limit" && error.message.contains("out of range"))
        }
        do {
            _ = try ConfigDecoder.decode(Sample.self, fromYAML: "table: {}\n")
            Issue.record("expected an error")
        } catch {
            #expect(error.field == "spans" && error.message.contains("missing"))
        }
    }
}

@Suite struct EnginePolicyLoading {
    /// The default policy written out as YAML reads back as the same policy: every key the encoder
    /// writes is one the decoder knows.
    @Test func defaultPolicyRoundTripsThroughYAML() throws {
        let yaml = try YAMLEncoder().encode(Policy())
        #expect(try PolicyLoader.policy(fromYAML: yaml) == Policy())
    }

    /// Keys in every section are read, and unset keys keep their defaults.
    @Test func sectionsAreRead() throws {
        let p = try PolicyLoader.policy(fromYAML: """
            threading:
              default_country: GB
              merge: { phone: never }
            routing:
              offer_timeout: { chat: 45s }
            kpi:
              repeat_window: 3d
            """)
        #expect(p.threading.defaultCountry == .unitedKingdom && p.threading.merge.phone == .never)
        #expect(p.routing.offerTimeout.chat == .seconds(45) && p.routing.offerTimeout.voice == Policy().routing.offerTimeout.voice)
        #expect(p.kpi.repeatWindow == .days(3))
    }

    /// A wrong value deep in the routing section names its full key path.
    @Test func routingErrorsNameTheFullKeyPath() {
        do {
            _ = try PolicyLoader.policy(fromYAML: "routing:\n  offer_timeout:\n    voice: fast\n")
            Issue.record("expected an error")
        } catch {
            #expect(error.field == "routing.offer_timeout.voice")
            #expect(error.message.hasPrefix("routing.offer_timeout.voice: expected a number of seconds"))
        }
    }

    /// Typos anywhere are refused with their path.
    @Test func typosAnywhereAreRefused() {
        for (yaml, field) in [
            ("threading:\n  open_case_windw: 1d\n", "threading.open_case_windw"),
            ("routing:\n  offer_timeout: { vocie: 20 }\n", "routing.offer_timeout.vocie"),
            ("kpis: {}\n", "kpis"),
        ] {
            do {
                _ = try PolicyLoader.policy(fromYAML: yaml)
                Issue.record("expected an error for \(field)")
            } catch {
                #expect(error.field == field && error.message.contains("unknown key"), "\(error.message)")
            }
        }
    }

    /// A value out of range, or steps out of order, name the full key path in the message too,
    /// since the message is what serve and simulate print.
    @Test func validationErrorsNameTheKeyInTheMessage() {
        for (yaml, field) in [
            ("routing:\n  relaxation:\n    - {after: 60s}\n    - {after: 30s}\n", "routing.relaxation[1].after"),
            ("routing:\n  capacity_cost: {chat: 0}\n", "routing.capacity_cost.chat"),
            ("routing:\n  candidate_limit: 0\n", "routing.candidate_limit"),
        ] {
            do {
                _ = try PolicyLoader.policy(fromYAML: yaml)
                Issue.record("expected an error for \(field)")
            } catch {
                #expect(error.field == field)
                #expect(error.message.hasPrefix(field + ": "), "\(error.message)")
            }
        }
    }

    /// A missing file is an error naming the path.
    @Test func missingFileIsAnError() {
        #expect {
            _ = try PolicyLoader.policy(fromFile: "/nonexistent/switchboard.yaml")
        } throws: { ($0 as? SwitchboardError)?.message.contains("/nonexistent/switchboard.yaml") == true }
    }
}

/// The examples docs/routing.md shows are checked against the code, so the document cannot drift.
@Suite struct RoutingDocumentExamples {
    /// The repository root, from this file's path (Tests/SwitchboardConfigTests/<this file>).
    static let repositoryRoot: String = {
        var parts = "\(#filePath)".split(separator: "/", omittingEmptySubsequences: false)
        parts.removeLast(3)
        return parts.joined(separator: "/")
    }()

    static let defaultsFile = repositoryRoot + "/examples/policy/routing-defaults.yaml"

    /// examples/policy/routing-defaults.yaml loads through PolicyLoader to exactly the built-in defaults.
    @Test func routingDefaultsExampleLoadsAsTheDefaults() throws {
        let policy = try PolicyLoader.policy(fromFile: Self.defaultsFile)
        #expect(policy.routing == RoutingPolicy())
        #expect(policy == Policy())
    }

    /// The example spells out every routing key (and every scoring weight) the policy has, so a key
    /// added to RoutingPolicy without a line in the example fails here.
    @Test func routingDefaultsExampleNamesEveryKey() throws {
        func keys(_ node: Node?) -> Set<String> {
            Set(node?.mapping?.keys.compactMap(\.string) ?? [])
        }
        let example = try #require(try Yams.compose(yaml: String(contentsOfFile: Self.defaultsFile, encoding: .utf8)))
        let defaults = try #require(try Yams.compose(yaml: YAMLEncoder().encode(RoutingPolicy())))
        #expect(keys(example.mapping?["routing"]) == keys(defaults))
        #expect(keys(example.mapping?["routing"]?.mapping?["scoring"]) == keys(defaults.mapping?["scoring"]))
        #expect(keys(example) == ["routing"])
    }

    /// docs/routing.md shows the example file's `routing` section word for word.
    @Test func routingDocumentShowsTheExampleFile() throws {
        let example = try String(contentsOfFile: Self.defaultsFile, encoding: .utf8)
        let document = try String(contentsOfFile: Self.repositoryRoot + "/docs/routing.md", encoding: .utf8)
        let section = try #require(example.range(of: "routing:\n")).lowerBound
        #expect(document.contains(example[section...]))
    }

    /// The worked scoring example of docs/routing.md ("Worked example: two agents, one contact"):
    /// the scores there are the ones the router computes with the default weights.
    @Test func workedScoringExampleMatchesTheRouter() throws {
        var router = try Router()
        var events: [RoutingEvent] = []
        let start = Instant(microseconds: 0)
        try router.login(AgentProfile(id: "ana", skills: ["billing": 9], languages: ["es", "en"]), at: start, events: &events)
        try router.login(AgentProfile(id: "bo", skills: ["billing": 6], languages: ["es"]), at: start, events: &events)
        // Six minutes in, a chat that names bo goes to bo, who accepts it: 34 of bo's 100 units are taken.
        let six = start + .minutes(6)
        try router.enqueue(RoutingRequest(contact: ContactID(1), channel: .chat, preferredAgent: "bo", arrivedAt: six), at: six, events: &events)
        try router.accept(ContactID(1), by: "bo", at: six, events: &events)

        // Ten minutes in: a Spanish billing chat on a case bo handled three hours ago.
        func offer(lastHandledAgo: Span) throws -> Offer {
            var r = router
            var out: [RoutingEvent] = []
            let ten = start + .minutes(10)
            try r.enqueue(
                RoutingRequest(
                    contact: ContactID(2), channel: .chat, required: [SkillRequirement("billing", minimumLevel: 5)], language: "es",
                    lastHandler: "bo", lastHandledAt: ten - lastHandledAgo, arrivedAt: ten),
                at: ten, events: &out)
            let offers = out.compactMap { if case .offered(let o) = $0 { o } else { nil } }
            return try #require(offers.first)
        }
        func scores(_ o: Offer) -> [String: Double] {
            Dictionary(uniqueKeysWithValues: o.explanation.candidates.map { ($0.agent.rawValue, $0.score) })
        }

        let withAffinity = try offer(lastHandledAgo: .hours(3))
        #expect(withAffinity.agent == "bo")
        #expect(withAffinity.explanation.rule == .bestIdleAgent)  // best_score on the wire
        #expect(abs(scores(withAffinity)["bo", default: 0] - 27.32) < 1e-9)  // 1 + 3 + 20 + 2 + 1.32
        #expect(abs(scores(withAffinity)["ana", default: 0] - 14) < 1e-9)  // 4 + 3 + 5 + 2
        #expect(withAffinity.explanation.orderKey == 600)  // 600 s arrival + 60 s chat target − 15 s × 4

        // Handled 25 hours ago: outside the 24 h affinity window, so ana's better fit and longer idle time win.
        let withoutAffinity = try offer(lastHandledAgo: .hours(25))
        #expect(withoutAffinity.agent == "ana")
        #expect(abs(scores(withoutAffinity)["bo", default: 0] - 7.32) < 1e-9)
        #expect(abs(scores(withoutAffinity)["ana", default: 0] - 14) < 1e-9)
    }
}
