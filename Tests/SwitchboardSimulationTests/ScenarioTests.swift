import Foundation
import SwitchboardDomain
import Testing
@testable import SwitchboardSimulation

@Suite struct ScenarioTests {
    static let mmc = """
        name: mmc
        seed: 42
        replications: 3
        warm_up: 1h
        interval: 15m
        duration: 2h
        channels:
          voice:
            arrivals: {per_hour: 720}
            handle_time: {distribution: exponential, mean: 240}
            service_level: {target: 80%, within: 20}
        agents:
          - {group: team, count: 55}
        """

    func error(_ yaml: String) -> SwitchboardError? {
        do {
            _ = try Scenario.load(yaml: yaml)
            return nil
        } catch {
            return error
        }
    }

    /// A single-skill M/M/c fits in about fifteen lines and reads back as written.
    @Test func loadsTheFifteenLineMMcScenario() throws {
        let s = try Scenario.load(yaml: Self.mmc)
        #expect(s.seed == 42 && s.replications == 3)
        #expect(s.warmUp == .hours(1) && s.interval == .minutes(15) && s.intervalCount == 8)
        #expect(s.channels.count == 1 && s.channels[0].channel == .voice)
        #expect(s.channels[0].ratePerHour == Array(repeating: 720, count: 8))
        #expect(s.channels[0].handleTime == .exponential(mean: 240))
        #expect(s.channels[0].patience == nil)
        #expect(s.channels[0].target == ServiceTarget(fraction: 0.8, withinSeconds: 20))
        #expect(s.groups[0].staffing == Array(repeating: 55, count: 8))
    }

    /// A misspelt key is refused with its full path, not silently ignored.
    @Test func refusesUnknownKeysNamingThem() {
        let e = error(Self.mmc.replacingOccurrences(of: "handle_time:", with: "patiance: 60\n    handle_time:"))
        #expect(e?.field == "channels.voice.patiance")
        #expect(e?.message.contains("unknown key") == true)
    }

    /// A value of the wrong kind names the key and says what was expected.
    @Test func badValuesNameTheirKey() {
        let e = error(Self.mmc.replacingOccurrences(of: "mean: 240", with: "mean: fast"))
        #expect(e?.field == "channels.voice.handle_time.mean")
        #expect(e?.code == .invalidArgument)
        let c = error(Self.mmc.replacingOccurrences(of: "  voice:", with: "  fax:"))
        #expect(c?.field == "channels.fax")
        let d = error(Self.mmc.replacingOccurrences(of: "exponential", with: "poisson"))
        #expect(d?.field == "channels.voice.handle_time.distribution")
        let missing = error(Self.mmc.replacingOccurrences(of: "    arrivals: {per_hour: 720}\n", with: ""))
        #expect(missing?.field == "channels.voice.arrivals")
    }

    /// Shifts put a group on duty in the intervals whose midpoint they cover, by clock time.
    @Test func shiftsSetTheRosterByClockTime() throws {
        let s = try Scenario.load(yaml: """
            interval: 1h
            start: "06:00"
            duration: 6h
            channels:
              chat: {arrivals: {per_hour: 10}, handle_time: 300}
            agents:
              - group: early
                count: 4
                shifts: [{start: "06:00", end: "09:00"}]
              - group: late
                count: 2
                shifts: [{start: "08:00", end: "10:00"}, {start: "11:00", end: "12:00"}]
            """)
        #expect(s.groups[0].staffing == [4, 4, 4, 0, 0, 0])
        #expect(s.groups[1].staffing == [0, 0, 2, 2, 0, 2])
    }

    /// Steps, ramps and spikes multiply the base rate where and how they say.
    @Test func surgesShapeTheArrivalRate() throws {
        let s = try Scenario.load(yaml: """
            interval: 1h
            start: "08:00"
            duration: 6h
            channels:
              voice:
                arrivals:
                  per_hour: 100
                  surges:
                    - {kind: spike, at: "08:00", duration: 30m, multiplier: 3}
                    - {kind: ramp, from: "10:00", to: "12:00", multiplier: 2}
                    - {kind: step, at: "13:00", until: "13:30", multiplier: 0.5}
                handle_time: 60
            agents: [{group: a, count: 1}]
            """)
        let v = s.channels[0]
        func rate(_ hours: Double) -> Double { v.rate(at: .hours(hours), interval: s.interval) }
        #expect(rate(0.1) == 300)
        #expect(rate(0.6) == 100)
        #expect(rate(2) == 100)
        #expect(abs(rate(3) - 150) < 1e-9)
        #expect(rate(4.5) == 200)
        #expect(rate(5.2) == 100)  // the ramp holds until the end; the step halves 13:00–13:30
        #expect(abs(v.rate(at: .hours(5.2), interval: s.interval) - 100) < 1e-9)
        // Thinning bound covers the ramp's top within the interval.
        #expect(v.maxRate(from: .hours(3), to: .hours(4), interval: s.interval) >= rate(3.99))
    }

    /// Contacts per interval convert to an hourly rate, and a short list repeats (a daily profile).
    @Test func perIntervalCountsBecomeRates() throws {
        let s = try Scenario.load(yaml: """
            interval: 15m
            duration: 1h
            channels:
              email: {arrivals: {per_interval: [10, 20]}, handle_time: 60}
            agents: [{group: a, count: 1}]
            """)
        #expect(s.channels[0].ratePerHour == [40, 80, 40, 80])
        #expect(s.channels[0].target.withinSeconds == 86_400)
    }
}
