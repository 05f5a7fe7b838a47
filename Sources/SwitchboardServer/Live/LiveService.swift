import Foundation
import Logging
import SwiftProtobuf
import SwitchboardCore
import SwitchboardDomain
import SwitchboardRouting
import SwitchboardStore
import SwitchboardWire
import ZeroMQ

/// The live service on the reactor thread: the Ingest, Agents, Cases and Stats methods over one
/// engine (`LiveState`), made durable by the command log.
///
/// ## Durable before acknowledged
/// A handler applies its command to the engine at once (so the next request in the same turn sees
/// it) and, if anything changed, adds a `CommandRecord` to the turn's batch. Everything the command
/// caused outside — its reply, offers on agents' streams, PUB events — is *held* with the sequence
/// of the last record applied so far. At the end of the turn the batch goes to the log in one
/// append (one transaction, one fsync, on the store's writer thread). When the writer reports it
/// durable (through an inproc socket that wakes the poller), the held outputs up to that sequence
/// are released, in order. Queries and idempotent repeats write nothing but still wait behind the
/// records before them, so no answer ever shows state that is not yet durable.
///
/// ## Storage failure
/// A failed commit means the engine has applied commands the log does not have. The service then
/// stops: held replies are answered UNAVAILABLE, streams end UNAVAILABLE, Health reports
/// NOT_SERVING and every later request is answered UNAVAILABLE, until the process restarts and
/// rebuilds its state from the log (the log is the truth). See docs/storage.md.
public final class LiveService: ReactorService {
    private let configuration: LiveConfiguration
    private let handle: LiveHandle
    private var state: LiveState
    private var log: CommandLog?
    private var publisher: Socket?
    private var wakeReceiver: Socket?
    private var wakeSender: WakeSender?

    private var nextSequence: Int64 = 1
    private var durableSequence: Int64 = 0
    private var batch: [CommandRecord] = []
    /// Outputs waiting for durability, oldest first, from `heldStart` on (a queue without a
    /// dependency: the consumed prefix is dropped when the queue empties).
    private var held: [Held] = []
    private var heldStart = 0
    private var failure: SwitchboardError?
    private var eventSequence: UInt64 = 0

    /// Offer streams: at most one per agent.
    private var streamOfAgent: [AgentID: CallID] = [:]
    private var agentOfStream: [CallID: AgentID] = [:]
    /// When each logged-in agent was last heard from (monotonic), for liveness.
    private var lastHeard: [AgentID: Instant] = [:]
    private var nextLivenessCheck: Instant?

    private struct Held {
        var barrier: Int64
        var output: Output
    }

    private enum Output {
        /// A deferred unary reply; on storage failure it is answered UNAVAILABLE instead.
        case reply(CallID, any SwiftProtobuf.Message)
        case effect(LiveEffect)
        /// A stream that opened: it becomes the agent's stream and gets these open offers first.
        case openStream(CallID, AgentID, [(ContactID, Switchboard_V1_Offer)])
    }

    public init(configuration: LiveConfiguration, handle: LiveHandle) throws(SwitchboardError) {
        self.configuration = configuration
        self.handle = handle
        self.state = try LiveState(policy: configuration.policy)
    }

    /// The composition root shared by `switchboard serve`, the demo and the tests: a server with
    /// the live service. Start it with `start()`.
    public static func server(
        _ serverConfiguration: Server.Configuration, live: LiveConfiguration, logger: Logger
    ) throws(SwitchboardError) -> (Server, LiveHandle) {
        try live.policy.validate()
        let handle = LiveHandle()
        let server = try Server(configuration: serverConfiguration, logger: logger, services: {
            // Validated above, so this cannot throw; a failure would surface as a missing service.
            guard let service = try? LiveService(configuration: live, handle: handle) else { return [] }
            return [service]
        })
        return (server, handle)
    }

    // MARK: - Start: open the log, replay, log agents out, bind

    public func attach(to reactor: Reactor) throws(SwitchboardError) {
        let wakeEndpoint = "inproc://switchboard-store-wake-\(ObjectIdentifier(self).hashValue)"
        do throws(ZMQError) {
            let receiver = try Socket(reactor.context, type: .pull)
            try receiver.bind(wakeEndpoint)
            let sender = try Socket(reactor.context, type: .push)
            try sender.set(.linger, 0)
            try sender.connect(wakeEndpoint)
            wakeReceiver = receiver
            wakeSender = WakeSender(sender)
            let pub = try Socket(reactor.context, type: .pub)
            try pub.set(.sendHighWaterMark, configuration.eventsHighWaterMark)
            try pub.set(.linger, 0)
            publisher = pub
        } catch {
            throw SwitchboardError(.internal, "could not set up the live service's sockets", cause: error.description)
        }
        do throws(ZMQError) {
            try publisher?.bind(configuration.events)
        } catch {
            throw SwitchboardError(
                .unavailable, "cannot publish events on \(configuration.events): \(error.message); choose another --events address",
                field: "events", cause: error.description)
        }

        var store = StoreConfiguration(dataDirectory: reactor.configuration.dataDirectory, durability: configuration.durability)
        store.maximumDatabaseBytes = configuration.maximumDatabaseBytes
        let sender = wakeSender
        let log = try CommandLog(configuration: store, wake: { sender?.poke() })
        self.log = log

        // Replay: the same engine, the same commands, the same times: the same state.
        state.effects = nil
        var replayed = 0
        var last: Int64 = 0
        do throws(SwitchboardError) {
            try log.forEach { (record) throws(SwitchboardError) in
                do throws(SwitchboardError) {
                    try state.replay(record)
                } catch {
                    reactor.logger.error("a command of the log did not replay as it ran", metadata: [
                        "sb.sequence": "\(record.sequence)", "sb.kind": "\(record.kind)", "sb.error": "\(error)",
                    ])
                }
                replayed += 1
                last = record.sequence
            }
        } catch {
            log.close()
            throw error
        }
        state.effects = []
        nextSequence = last + 1
        durableSequence = last

        // Agents are logged out until they come back; their open offers return to the queue.
        let now = state.engineTime(reactor.time.wall)
        var logouts: [CommandRecord] = []
        if state.advanceIfDue(to: now) { logouts.append(record(InternalCommand.timer, [], at: now)) }
        for agent in state.agentsOnline {
            var request = Switchboard_V1_LogoutRequest()
            request.agentID = agent.rawValue
            if (try? state.logout(request, at: now, explicit: false, reason: "server_restarted")) != nil,
               let payload: [UInt8] = try? request.serializedBytes() {
                logouts.append(record(InternalCommand.restartLogout, payload, at: now))
            }
        }
        state.effects = []
        if !logouts.isEmpty {
            do throws(SwitchboardError) {
                try log.appendAndWait(logouts)
            } catch {
                log.close()
                throw error
            }
            durableSequence = nextSequence - 1
        }
        handle.started(events: (try? publisher?.lastEndpoint()) ?? configuration.events, replayed: replayed)
        reactor.logger.info("live service ready", metadata: [
            "sb.replayed": "\(replayed)", "sb.agents.logged_out": "\(logouts.count)",
            "sb.events": "\(handle.eventsEndpoint ?? "")",
        ])

        if let wakeReceiver { reactor.addSource(wakeReceiver) { [unowned self] reactor in takeOutcomes(reactor) } }
        registerHandlers(reactor)
    }

    private func record(_ kind: String, _ payload: [UInt8], at now: Instant) -> CommandRecord {
        defer { nextSequence += 1 }
        return CommandRecord(sequence: nextSequence, at: now, kind: kind, payload: payload)
    }

    // MARK: - Handlers

    private func registerHandlers(_ reactor: Reactor) {
        command(reactor, .ingestPushContact) { s, r, now in try s.push(r, at: now) }
        command(reactor, .ingestUpdateContact) { s, r, now in try s.update(r, at: now) }
        command(reactor, .ingestEndContact) { s, r, now in try s.end(r, at: now) }
        command(reactor, .agentsLogin) { [unowned self] (s: LiveState, r: Switchboard_V1_LoginRequest, now: Instant) throws -> (Switchboard_V1_LoginResponse, changed: Bool) in
            var (response, changed) = try s.login(r, at: now)
            response.heartbeatIntervalMicros = configuration.heartbeatInterval.microseconds
            response.missedHeartbeatsAllowed = UInt32(clamping: configuration.missedHeartbeatsAllowed)
            return (response, changed)
        }
        command(reactor, .agentsLogout) { s, r, now in try s.logout(r, at: now, explicit: true, reason: "logout") }
        command(reactor, .agentsSetStatus) { s, r, now in try s.setStatus(r, at: now) }
        command(reactor, .agentsAccept) { s, r, now in try s.accept(r, at: now) }
        command(reactor, .agentsDecline) { s, r, now in try s.decline(r, at: now) }
        command(reactor, .agentsComplete) { s, r, now in try s.complete(r, at: now) }
        command(reactor, .agentsTransfer) { s, r, now in try s.transfer(r, at: now) }

        query(reactor, .agentsHeartbeat) { [unowned self] (s: LiveState, r: Switchboard_V1_HeartbeatRequest, _: Instant) throws -> Switchboard_V1_HeartbeatResponse in
            let id = try wireAgentID(r.agentID)
            guard let agentState = s.agentState(id) else {
                throw SwitchboardError.notFound("agent \(id) never logged in; call Login first", field: "agent_id")
            }
            guard agentState != .offline else {
                throw SwitchboardError.failedPrecondition("agent \(id) is offline (logged out, missed heartbeats, or the server restarted); call Login again")
            }
            var response = Switchboard_V1_HeartbeatResponse()
            response.state = agentState.wire
            response.heartbeatIntervalMicros = configuration.heartbeatInterval.microseconds
            return response
        }
        query(reactor, .casesGetCase) { s, r, _ in try s.getCase(r) }
        query(reactor, .casesFindCustomer) { s, r, _ in try s.findCustomer(r) }
        query(reactor, .statsGetStats) { (s: LiveState, _: Switchboard_V1_GetStatsRequest, now: Instant) throws -> Switchboard_V1_GetStatsResponse in s.stats(at: now) }

        reactor.handleServerStream(.agentsStreamOffers, open: { [unowned self] (request: Switchboard_V1_StreamOffersRequest, call, reactor) in
            if let failure { return .fail(unavailable(failure)) }
            let id: AgentID
            do throws(SwitchboardError) {
                id = try wireAgentID(request.agentID)
            } catch {
                return .fail(WireError(error))
            }
            guard let agentState = state.agentState(id), agentState != .offline else {
                return .fail(WireError(.notFound, "agent_id: agent \(id) is not logged in; call Login first"))
            }
            heard(from: id, reactor)
            hold(.openStream(call.id, id, state.openOffers(of: id)), reactor)
            return .open
        }, closed: { [unowned self] call, _, _ in
            if let agent = agentOfStream.removeValue(forKey: call), streamOfAgent[agent] == call {
                streamOfAgent[agent] = nil
            }
        })
    }

    /// A state-changing method: apply now, record if it changed anything, reply once durable.
    private func command<Request: SwiftProtobuf.Message, Response: SwiftProtobuf.Message>(
        _ reactor: Reactor, _ method: WireMethod,
        _ apply: @escaping (LiveState, Request, Instant) throws -> (Response, changed: Bool)
    ) {
        reactor.handleUnary(method) { [unowned self] (request: Request, call, reactor) -> UnaryOutcome<Response> in
            if let failure { return .fail(unavailable(failure)) }
            let now = prepare(reactor)
            if let agent = Self.agentField(of: request), !agent.isEmpty { heard(from: AgentID(agent), reactor) }
            let result: (Response, changed: Bool)
            do {
                result = try apply(state, request, now)
            } catch {
                takeEffects(reactor)  // nothing, by the engine's contract; keeps the buffer clean
                return .fail(Self.wireError(error))
            }
            if result.changed {
                let payload: [UInt8]
                do {
                    payload = try request.serializedBytes()
                } catch {
                    return .fail(WireError(.internal, "could not encode the command for the log"))
                }
                batch.append(record(method.path, payload, at: now))
            }
            afterCommand(method, request, reactor)
            takeEffects(reactor)
            // Nothing to wait for (a repeat answered from memory, all earlier records durable):
            // answer now. The reactor only accepts deferred replies after the handler returned.
            if isClear { return .reply(result.0) }
            hold(.reply(call.id, result.0), reactor)
            return .later
        }
    }

    /// A method that changes nothing: answered from the engine, behind the records before it.
    private func query<Request: SwiftProtobuf.Message, Response: SwiftProtobuf.Message>(
        _ reactor: Reactor, _ method: WireMethod,
        _ answer: @escaping (LiveState, Request, Instant) throws -> Response
    ) {
        reactor.handleUnary(method) { [unowned self] (request: Request, call, reactor) -> UnaryOutcome<Response> in
            if let failure { return .fail(unavailable(failure)) }
            let now = prepare(reactor)
            let response: Response
            do {
                response = try answer(state, request, now)
            } catch {
                return .fail(Self.wireError(error))
            }
            if method == .agentsHeartbeat, let agent = Self.agentField(of: request) { heard(from: AgentID(agent), reactor) }
            if isClear { return .reply(response) }
            hold(.reply(call.id, response), reactor)
            return .later
        }
    }

    /// Handlers throw `SwitchboardError`; anything else is our bug.
    private static func wireError(_ error: any Error) -> WireError {
        if let error = error as? SwitchboardError { return WireError(error) }
        return WireError(.internal, "the server failed unexpectedly: \(error)")
    }

    /// The `agent_id` of an Agents request (any Agents call counts as a heartbeat).
    private static func agentField(of request: some SwiftProtobuf.Message) -> String? {
        switch request {
        case let r as Switchboard_V1_LoginRequest: r.agentID
        case let r as Switchboard_V1_SetStatusRequest: r.agentID
        case let r as Switchboard_V1_AcceptRequest: r.agentID
        case let r as Switchboard_V1_DeclineRequest: r.agentID
        case let r as Switchboard_V1_CompleteRequest: r.agentID
        case let r as Switchboard_V1_TransferRequest: r.agentID
        case let r as Switchboard_V1_HeartbeatRequest: r.agentID
        default: nil
        }
    }

    /// Liveness bookkeeping after a command: login starts watching an agent, logout stops.
    private func afterCommand(_ method: WireMethod, _ request: some SwiftProtobuf.Message, _ reactor: Reactor) {
        if method == .agentsLogout, let r = request as? Switchboard_V1_LogoutRequest {
            lastHeard[AgentID(r.agentID)] = nil
        }
    }

    /// The time for the engine, after running any deadlines due by then (recorded as a timer command).
    private func prepare(_ reactor: Reactor) -> Instant {
        let now = state.engineTime(reactor.time.wall)
        if state.advanceIfDue(to: now) {
            batch.append(record(InternalCommand.timer, [], at: now))
            takeEffects(reactor)
        }
        return now
    }

    private func heard(from agent: AgentID, _ reactor: Reactor) {
        guard state.agentState(agent).map({ $0 != .offline }) ?? false else { return }
        lastHeard[agent] = reactor.time.monotonic
        let expiry = reactor.time.monotonic + livenessWindow
        if nextLivenessCheck.map({ expiry < $0 }) ?? true { nextLivenessCheck = expiry }
    }

    private var livenessWindow: Span { configuration.heartbeatInterval * Int64(max(1, configuration.missedHeartbeatsAllowed)) }

    // MARK: - Holding and releasing

    private func takeEffects(_ reactor: Reactor) {
        guard let effects = state.effects, !effects.isEmpty else { return }
        state.effects = []
        for effect in effects { hold(.effect(effect), reactor) }
    }

    /// Whether everything applied so far is durable and nothing waits: an output may go at once.
    private var isClear: Bool { nextSequence - 1 <= durableSequence && heldStart == held.count }

    private func hold(_ output: Output, _ reactor: Reactor) {
        let barrier = nextSequence - 1
        if isClear {
            release(output, reactor)
        } else {
            held.append(Held(barrier: barrier, output: output))
        }
    }

    private func releaseDurable(_ reactor: Reactor) {
        while heldStart < held.count, held[heldStart].barrier <= durableSequence {
            let first = held[heldStart]
            heldStart += 1
            release(first.output, reactor)
        }
        if heldStart == held.count {
            held.removeAll(keepingCapacity: true)
            heldStart = 0
        }
    }

    private func release(_ output: Output, _ reactor: Reactor) {
        switch output {
        case .reply(let call, let response):
            reactor.reply(call, response)
        case .openStream(let call, let agent, let offers):
            guard reactor.isStreamOpen(call) else { return }
            if let previous = streamOfAgent[agent], previous != call {
                agentOfStream[previous] = nil
                reactor.endStream(previous, WireError(.aborted, "another StreamOffers for agent \(agent) replaced this stream"))
            }
            streamOfAgent[agent] = call
            agentOfStream[call] = agent
            for (_, offer) in offers {
                var element = Switchboard_V1_StreamOffersResponse()
                element.offer = offer
                reactor.send(element, on: call)
            }
        case .effect(.offer(let agent, _, let offer)):
            guard let call = streamOfAgent[agent] else { return }
            var element = Switchboard_V1_StreamOffersResponse()
            element.offer = offer
            reactor.send(element, on: call)
        case .effect(.withdraw(let agent, let contact, let reason)):
            guard let call = streamOfAgent[agent] else { return }
            var element = Switchboard_V1_StreamOffersResponse()
            var withdrawn = Switchboard_V1_OfferWithdrawn()
            withdrawn.contactID = contact.rawValue
            withdrawn.reason = reason
            element.withdrawn = withdrawn
            reactor.send(element, on: call)
        case .effect(.endStream(let agent)):
            guard let call = streamOfAgent.removeValue(forKey: agent) else { return }
            agentOfStream[call] = nil
            reactor.endStream(call)
        case .effect(.publish(var event)):
            guard let publisher, let topic = event.topic else { return }
            eventSequence += 1
            event.sequence = eventSequence
            do {
                let body: [UInt8] = try event.serializedBytes()
                _ = try publisher.send(multipart: [Array(topic.utf8), body], dontWait: true)
            } catch {
                reactor.logger.warning("could not publish an event", metadata: ["sb.topic": "\(topic)", "sb.error": "\(error)"])
            }
        }
    }

    // MARK: - Turns

    public func nextWakeup() -> Instant? {
        var wake = nextLivenessCheck
        if failure == nil, let deadline = state.nextDeadline {
            let now = ReactorTime.now()
            let monotonic = now.monotonic + (deadline - now.wall)
            if wake.map({ monotonic < $0 }) ?? true { wake = monotonic }
        }
        return wake
    }

    public func endOfTurn(_ reactor: Reactor) {
        guard failure == nil, let log else { return }
        let now = state.engineTime(reactor.time.wall)
        if state.advanceIfDue(to: now) {
            batch.append(record(InternalCommand.timer, [], at: now))
            takeEffects(reactor)
        }
        checkLiveness(reactor, now: now)
        if !batch.isEmpty {
            reactor.logger.trace("appending a turn's commands", metadata: ["sb.records": "\(batch.count)", "sb.last": "\(nextSequence - 1)"])
            log.append(batch)
            batch.removeAll(keepingCapacity: true)
        }
    }

    /// Agents not heard from for `missedHeartbeatsAllowed` intervals go offline: their open offers
    /// return to the queue at their place; accepted work stays theirs.
    private func checkLiveness(_ reactor: Reactor, now: Instant) {
        guard let check = nextLivenessCheck, reactor.time.monotonic >= check else { return }
        let window = livenessWindow
        var next: Instant?
        var expired: [AgentID] = []
        for (agent, last) in lastHeard {
            let expiry = last + window
            if expiry <= reactor.time.monotonic { expired.append(agent) } else if next.map({ expiry < $0 }) ?? true { next = expiry }
        }
        nextLivenessCheck = next
        for agent in expired.sorted() {
            lastHeard[agent] = nil
            var request = Switchboard_V1_LogoutRequest()
            request.agentID = agent.rawValue
            guard (try? state.logout(request, at: now, explicit: false, reason: "heartbeats_missed")) != nil,
                  let payload: [UInt8] = try? request.serializedBytes() else { continue }
            reactor.logger.notice("agent missed its heartbeats and was set offline", metadata: ["sb.agent.id": "\(agent)"])
            batch.append(record(InternalCommand.heartbeatTimeout, payload, at: now))
            takeEffects(reactor)
        }
    }

    private func takeOutcomes(_ reactor: Reactor) {
        while let frames = try? wakeReceiver?.receiveMultipart(dontWait: true), frames != nil {}
        guard let log else { return }
        for outcome in log.takeOutcomes() {
            switch outcome.result {
            case .success:
                if outcome.sequences.upperBound - 1 > durableSequence { durableSequence = outcome.sequences.upperBound - 1 }
            case .failure(let error):
                fail(error, reactor)
            }
        }
        if failure == nil { releaseDurable(reactor) }
        reactor.logger.trace("commands durable", metadata: ["sb.durable": "\(durableSequence)", "sb.held": "\(held.count - heldStart)"])
    }

    private func fail(_ error: SwitchboardError, _ reactor: Reactor) {
        guard failure == nil else { return }
        failure = error
        reactor.isHealthy = false
        reactor.logger.critical("storage failed; the service stops taking work until it is restarted", metadata: [
            "sb.error": "\(error.message)", "sb.cause": "\(error.cause ?? "")", "sb.durable": "\(durableSequence)",
        ])
        let answer = unavailable(error)
        let waiting = held[heldStart...]
        held.removeAll()
        heldStart = 0
        for first in waiting {
            if first.barrier <= durableSequence {
                release(first.output, reactor)
            } else if case .reply(let call, _) = first.output {
                reactor.fail(call, answer)
            }
        }
        for call in Array(agentOfStream.keys) { reactor.endStream(call, answer) }
        agentOfStream.removeAll()
        streamOfAgent.removeAll()
        lastHeard.removeAll()
        nextLivenessCheck = nil
        batch.removeAll()
    }

    private func unavailable(_ error: SwitchboardError) -> WireError {
        WireError(.unavailable, "storage failed (\(error.message)); this server stopped taking work so that nothing is acknowledged that is not stored. Fix storage and restart it: state is rebuilt from the command log")
    }

    // MARK: - Shutdown

    public var hasWorkInFlight: Bool { heldStart < held.count || !batch.isEmpty }

    public func close(_ reactor: Reactor) {
        log?.close()
        log = nil
        publisher = nil
        wakeReceiver = nil
        wakeSender = nil
    }
}

/// The store writer's way to wake the reactor: a PUSH socket used only by the writer thread
/// (through `poke`), guarded by a lock because it is created on the reactor thread.
final class WakeSender: @unchecked Sendable {  // the socket is only touched under `lock`
    private let socket: Socket
    private let lock = NSLock()

    init(_ socket: Socket) { self.socket = socket }

    func poke() {
        lock.lock()
        defer { lock.unlock() }
        _ = try? socket.send([1], dontWait: true)
    }
}
