import ArgumentParser
import SwitchboardClient
import SwitchboardWire

/// `switchboard push`: a PushContact from flags, for trying the service by hand.
struct PushCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "push",
        abstract: "Push one contact (Ingest/PushContact) from flags and print the answer as JSON.",
        discussion: """
            Examples:
              switchboard push --channel email --email maria@example.com --subject "Refund for order 17"
              switchboard push --channel voice --phone "+34 911 234 567" --language es --skill billing=3
            """
    )

    @Option(help: "voice, chat, email or social.")
    var channel: String

    @Option(help: "The customer's email address (repeatable).")
    var email: [String] = []

    @Option(help: "The customer's phone number (repeatable).")
    var phone: [String] = []

    @Option(help: "The customer's login in your systems (repeatable).")
    var login: [String] = []

    @Option(help: "Subject line.")
    var subject: String = ""

    @Option(help: "The first part of the message, for the agent.")
    var text: String = ""

    @Option(help: "Language tag, e.g. es.")
    var language: String = ""

    @Option(help: "Priority 1 (lowest) to 10 (highest); 0 = default.")
    var priority: UInt32 = 0

    @Option(help: "A required skill, NAME or NAME=MIN_LEVEL (repeatable).")
    var skill: [String] = []

    @Option(help: "Topic, e.g. billing/refund.")
    var topic: String = ""

    @Option(help: "Email Message-ID (email only).")
    var messageId: String = ""

    @Option(help: "Email In-Reply-To (email only).")
    var inReplyTo: String = ""

    @Option(help: "An email References id (repeatable, oldest first; email only).")
    var reference: [String] = []

    @Option(help: "Idempotency key: a retry with the same key creates nothing.")
    var idempotencyKey: String = ""

    @Option(help: "Server endpoint.")
    var server: String = "tcp://127.0.0.1:5555"

    func run() throws {
        var request = Switchboard_V1_PushContactRequest()
        switch channel.lowercased() {
        case "voice": request.channel = .voice
        case "chat": request.channel = .chat
        case "email": request.channel = .email
        case "social": request.channel = .social
        default: throw ValidationError("--channel must be voice, chat, email or social")
        }
        for e in email { var id = Switchboard_V1_CustomerIdentifier(); id.email = e; request.identifiers.append(id) }
        for p in phone { var id = Switchboard_V1_CustomerIdentifier(); id.phone = p; request.identifiers.append(id) }
        for l in login { var id = Switchboard_V1_CustomerIdentifier(); id.login = l; request.identifiers.append(id) }
        request.subject = subject
        request.textPreview = text
        request.language = language
        request.priority = priority
        request.requiredSkills = try skill.map(Self.requirement)
        request.topic = topic
        request.idempotencyKey = idempotencyKey
        if !messageId.isEmpty || !inReplyTo.isEmpty || !reference.isEmpty {
            var headers = Switchboard_V1_EmailHeaders()
            headers.messageID = messageId
            headers.inReplyTo = inReplyTo
            headers.references = reference
            request.email = headers
        }
        do {
            let client = try Client(endpoint: server)
            let response: Switchboard_V1_PushContactResponse = try client.call(.ingestPushContact, request)
            print(try WireBody.json(of: response))
        } catch let error as ClientError {
            printError("switchboard push: \(error.wireError.status.name): \(error.wireError.message)")
            throw ExitCode(64 + Int32(error.wireError.status.rawValue))
        } catch let error as WireError {
            printError("switchboard push: \(error.status.name): \(error.message)")
            throw ExitCode.failure
        }
    }

    /// `billing` or `billing=3`.
    static func requirement(_ text: String) throws -> Switchboard_V1_SkillRequirement {
        var r = Switchboard_V1_SkillRequirement()
        let parts = text.split(separator: "=", maxSplits: 1)
        r.skill = String(parts.first ?? "")
        if parts.count == 2 {
            guard let level = UInt32(parts[1]), (1...10).contains(level) else {
                throw ValidationError("skill level in '\(text)' must be 1 to 10")
            }
            r.minimumLevel = level
        }
        return r
    }
}
