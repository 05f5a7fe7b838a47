import SwitchboardCore
import SwitchboardDomain
import SwitchboardRouting
import SwitchboardThreading
import SwitchboardWire
import Testing

/// Wire requests become engine inputs with every field checked, and errors name the proto field.
@Suite struct MappingTests {
    private func identifier(email: String) -> Switchboard_V1_CustomerIdentifier {
        var id = Switchboard_V1_CustomerIdentifier()
        id.email = email
        return id
    }

    private func error(_ body: () throws -> Void) -> SwitchboardError? {
        do {
            try body()
            return nil
        } catch {
            return error as? SwitchboardError
        }
    }

    /// A full push maps field by field; priority 0 means the default, email headers are kept on email.
    @Test func pushMapsEveryField() throws {
        var request = Switchboard_V1_PushContactRequest()
        request.channel = .email
        request.identifiers = [identifier(email: "a@example.com")]
        request.subject = "Hello"
        request.language = "es"
        request.topic = "billing"
        request.caseReference = 7
        request.idempotencyKey = "k1"
        request.preferredAgentID = "ana"
        var skill = Switchboard_V1_SkillRequirement()
        skill.skill = "billing"
        request.requiredSkills = [skill]
        var headers = Switchboard_V1_EmailHeaders()
        headers.messageID = "<m@x>"
        headers.references = ["<r1@x>", ""]
        request.email = headers
        let contact = try NewContact(wire: request)
        #expect(contact.channel == .email)
        #expect(contact.identifiers == [.email("a@example.com")])
        #expect(contact.priority == 5)
        #expect(contact.language == "es")
        #expect(contact.caseReference == CaseID(7))
        #expect(contact.required == [SkillRequirement("billing", minimumLevel: 1)])
        #expect(contact.messageID == "<m@x>")
        #expect(contact.references == ["<r1@x>"])
        #expect(contact.preferredAgent == AgentID("ana"))
    }

    /// Email headers on a chat are ignored, as ingest.proto says.
    @Test func emailHeadersAreIgnoredOffEmail() throws {
        var request = Switchboard_V1_PushContactRequest()
        request.channel = .chat
        var headers = Switchboard_V1_EmailHeaders()
        headers.messageID = "<m@x>"
        request.email = headers
        #expect(try NewContact(wire: request).messageID == nil)
    }

    /// Each broken field is INVALID_ARGUMENT naming it in the wire's spelling.
    @Test func brokenFieldsAreNamed() {
        var request = Switchboard_V1_PushContactRequest()
        #expect(error { _ = try NewContact(wire: request) }?.field == "channel")
        request.channel = .chat
        request.identifiers = [identifier(email: "a@example.com"), Switchboard_V1_CustomerIdentifier()]
        #expect(error { _ = try NewContact(wire: request) }?.field == "identifiers[1]")
        var social = Switchboard_V1_CustomerIdentifier()
        var account = Switchboard_V1_SocialIdentity()
        account.platform = "x"
        social.social = account
        request.identifiers = [social]
        #expect(error { _ = try NewContact(wire: request) }?.field == "identifiers[0].social")
        request.identifiers = []
        request.priority = 11
        #expect(error { _ = try NewContact(wire: request) }?.field == "priority")
        request.priority = 0
        var skill = Switchboard_V1_SkillRequirement()
        skill.skill = "billing"
        skill.minimumLevel = 12
        request.requiredSkills = [skill]
        #expect(error { _ = try NewContact(wire: request) }?.field == "required_skills[0].minimum_level")
        request.requiredSkills = []
        request.subject = String(repeating: "s", count: 999)
        let tooLong = error { _ = try NewContact(wire: request) }
        #expect(tooLong?.field == "subject")
        #expect(tooLong?.code == .invalidArgument)
    }

    /// The wire message of a mapping error leads with the field, so clients see where to look.
    @Test func wireErrorLeadsWithTheField() {
        var request = Switchboard_V1_PushContactRequest()
        request.channel = .voice
        request.identifiers = [Switchboard_V1_CustomerIdentifier(), Switchboard_V1_CustomerIdentifier()]
        let e = error { _ = try NewContact(wire: request) }
        guard let e else { Issue.record("no error"); return }
        let wire = WireError(e)
        #expect(wire.status == .invalidArgument)
        #expect(wire.message.hasPrefix("identifiers[0]:"))
    }

    /// Login maps skills and languages, defaults the capacity, and refuses what agents.proto forbids.
    @Test func loginMapsAndValidates() throws {
        var request = Switchboard_V1_LoginRequest()
        request.agentID = "ana"
        var skill = Switchboard_V1_SkillLevel()
        skill.skill = "billing"
        skill.level = 7
        request.skills = [skill]
        request.languages = ["es", "en"]
        let login = try WireLogin(wire: request)
        #expect(login.profile == AgentProfile(id: "ana", skills: ["billing": 7], languages: ["es", "en"], capacity: 100))
        #expect(login.initialStatus == .available)
        request.skills = [skill, skill]
        #expect(error { _ = try WireLogin(wire: request) }?.field == "skills[1].skill")
        request.skills = []
        request.languages = []
        #expect(error { _ = try WireLogin(wire: request) }?.field == "languages")
        request.languages = ["en"]
        request.initialState = .wrapUp
        #expect(error { _ = try WireLogin(wire: request) }?.field == "initial_state")
    }

    /// Complete checks the CSAT range and keeps an explicit zero wrap-up.
    @Test func completionMapsCSATAndWrapUp() throws {
        var request = Switchboard_V1_CompleteRequest()
        request.resolved = true
        request.csat = 4
        request.wrapUpMicros = 0
        let completion = try Completion(wire: request)
        #expect(completion == Completion(resolved: true, disposition: nil, csat: 4, wrapUp: .zero))
        request.csat = 9
        #expect(error { _ = try Completion(wire: request) }?.field == "csat")
    }

    /// An engine event becomes the PUB event with the topic a SUB filters on.
    @Test func engineEventsBecomeTopicEvents() {
        struct Context: WireEventContext {
            func facts(of contact: ContactID) -> WireContactFacts? {
                WireContactFacts(customer: CustomerID(9), channel: .voice, priority: 7, language: "en")
            }
            func queuePosition(of contact: ContactID) -> Int? { 2 }
            func agent(_ id: AgentID) -> AgentSnapshot? { nil }
            var withdrawnReason: Switchboard_V1_OfferWithdrawnReason { .agentUnavailable }
            var stateChangeReason: String { "login" }
            func completion(of contact: ContactID) -> (completion: Completion, handle: Span)? { nil }
            func closedAt(of caseID: CaseID) -> Instant? { nil }
        }
        let queued = EngineEvent.contactQueued(ContactID(1), case: CaseID(2), channel: .voice, at: Instant(microseconds: 5))
            .wireEvent(sequence: 4, context: Context())
        #expect(queued?.topic == "contact.queued.voice")
        #expect(queued?.sequence == 4 && queued?.atUnixMicros == 5)
        #expect(queued?.contactQueued.customerID == 9 && queued?.contactQueued.queuePosition == 2)
        let expired = EngineEvent.offerExpired(ContactID(1), agent: "ana", at: .zero).wireEvent(sequence: 5, context: Context())
        #expect(expired?.topic == "contact.requeued.voice")
        #expect(expired?.contactRequeued.reason == .agentUnavailable)
        #expect(EngineEvent.contactRelaxed(ContactID(1), step: 1, at: .zero).wireEvent(sequence: 6, context: Context()) == nil)
    }
}
