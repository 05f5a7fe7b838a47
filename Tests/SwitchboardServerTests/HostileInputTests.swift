import SwitchboardClient
import SwitchboardDomain
import SwitchboardServer
import SwitchboardWire
import Testing

/// Whatever bytes a peer sends, the server answers what it can, drops the rest, keeps its logs
/// bounded, and keeps serving.
@Suite struct HostileInputTests {
    /// A flood of unanswerable messages logs at most the configured burst of warnings; the rest are
    /// counted, not written.
    @Test func warningsAboutAFloodAreRateLimited() throws {
        let fixture = try TestServer {
            $0.warningBurst = 5
            $0.warningIntervalMilliseconds = 3_600_000
        }
        defer { fixture.shutdown() }
        let client = try fixture.client()
        for _ in 0..<200 {
            try client.sendRaw([[1, 2, 3]])
        }
        #expect(try client.health().status == .serving)
        #expect(fixture.server.statistics.droppedMessages == 200)
        #expect(fixture.server.statistics[.wrongFrameCount] == 200)
        #expect(fixture.logs.warnings(trouble: .wrongFrameCount).count == 5)
    }

    /// Seeded random garbage (random frame counts and lengths, valid headers with random bytes
    /// flipped, random kinds, versions and method paths) never crashes the server; every reply it
    /// sends is a well-formed v1 message (the client decodes each one strictly), and Health answers
    /// afterwards. The seed is printed on failure so a run can be repeated.
    @Test(arguments: [UInt64(0x5EED_0001), 0x5EED_0002, 0x5EED_0003])
    func randomBytesNeverHurtTheServer(seed: UInt64) throws {
        let fixture = try TestServer()
        defer { fixture.shutdown() }
        let client = try fixture.client()
        var random = SplitMix64(seed: seed)
        let paths = WireMethod.allCases.map(\.path) + ["", "/", "/switchboard.v1.Health/", String(repeating: "x", count: 1024)]

        var answerable = 0
        for _ in 0..<1_000 {
            var frames: [[UInt8]]
            switch random.next() % 4 {
            case 0:  // pure noise
                let count = Int(random.next() % 4) + 1
                frames = (0..<count).map { _ in randomBytes(&random, maxCount: 64) }
            default:  // a real header, then damage
                let id = random.next()
                let path = paths[Int(random.next() % UInt64(paths.count))]
                var header = (try? FrameHeader.request(id: id, method: path, timeoutMilliseconds: UInt32(random.next() % 3)).encoded()) ?? []
                let flips = Int(random.next() % 3)
                for _ in 0..<flips where !header.isEmpty {
                    header[Int(random.next() % UInt64(header.count))] = UInt8(truncatingIfNeeded: random.next())
                }
                if random.next() % 8 == 0 { header = Array(header.prefix(Int(random.next() % 30))) }
                frames = [header, randomBytes(&random, maxCount: 32)]
            }
            // Only [header][body] with a readable request id can be answered, at most once.
            if frames.count == 2 && frames[0].count >= 16 { answerable += 1 }
            try client.sendRaw(frames)
        }
        // Health goes after all of it on the same connection, so its answer means every message
        // before it was handled.
        #expect(try client.health().status == .serving, "seed \(seed)")
        var replies = 0
        while let reply = try client.receive(waitMilliseconds: 0) {
            #expect([.response, .streamEnd, .streamMessage, .pong].contains(reply.header.kind), "seed \(seed)")
            if reply.header.kind != .streamMessage { replies += 1 }  // a stream's elements come on top of its answer
        }
        #expect(replies <= answerable, "seed \(seed)")
        #expect(try client.ping(), "seed \(seed)")
    }
}

private func randomBytes(_ random: inout SplitMix64, maxCount: Int) -> [UInt8] {
    let count = Int(random.next() % UInt64(maxCount + 1))
    return (0..<count).map { _ in UInt8(truncatingIfNeeded: random.next()) }
}
