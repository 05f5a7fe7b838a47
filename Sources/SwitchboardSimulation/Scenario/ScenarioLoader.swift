import Foundation
import SwitchboardDomain
import Yams

extension Scenario {
    /// Reads a scenario file. Errors are `.invalidArgument` naming the key (`channels.voice.patience`)
    /// and its line.
    public static func load(path: String) throws(SwitchboardError) -> Scenario {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw SwitchboardError(.notFound, "cannot read the scenario file \(path): check the path", field: "scenario",
                                   cause: "\(error)")
        }
        return try load(yaml: text)
    }

    static let topKeys = ["name", "seed", "replications", "warm_up", "interval", "duration", "start", "drain_limit",
                          "mix", "channels", "agents", "repeat_contacts", "policy"]

    public static func load(yaml text: String) throws(SwitchboardError) -> Scenario {
        var root = try YAMLReader.parse(text)
        try root.requireMapping()
        let name = try root.child("name")?.string() ?? "scenario"
        var seed: UInt64 = 1
        if let s = try root.child("seed") {
            guard let v = UInt64(try s.string()) else { throw s.fail("expected a whole number >= 0") }
            seed = v
        }
        let replications = try root.child("replications")?.int() ?? 1
        guard (1...10_000).contains(replications) else {
            throw root.fail("expected between 1 and 10000 replications", key: "replications")
        }
        let warmUp = try root.child("warm_up")?.duration() ?? .zero
        let interval = try root.child("interval")?.duration() ?? .minutes(15)
        guard interval >= .seconds(1) else { throw root.fail("the interval must be at least 1 second", key: "interval") }
        let startClock = try root.child("start")?.clockTime() ?? .zero
        let drainLimit = try root.child("drain_limit")?.duration() ?? .hours(24)

        // The horizon: `duration`, or the length of the longest per-interval list.
        var intervalCount: Int?
        if let d = try root.child("duration") {
            let span = try d.duration()
            let n = Int((Double(span.microseconds) / Double(interval.microseconds)).rounded(.up))
            guard n >= 1 else { throw d.fail("the duration must be at least one interval") }
            guard n <= 100_000 else { throw d.fail("at most 100000 intervals; use a longer interval") }
            intervalCount = n
        }

        let defaultMix: ContactMix
        if let m = try root.child("mix") { defaultMix = try loadMix(m) } else { defaultMix = ContactMix() }

        var channelsNode = try root.required("channels")
        var channelDrafts: [(Channel, YAMLReader)] = []
        for (key, node) in try channelsNode.entries() {
            guard let channel = Channel(rawValue: key) else {
                throw channelsNode.fail("unknown channel '\(key)'; channels are voice, chat, email, social", key: key)
            }
            channelDrafts.append((channel, node))
        }
        guard !channelDrafts.isEmpty else { throw channelsNode.fail("at least one channel is needed") }
        // Per-interval lists fix the horizon when `duration` is absent.
        if intervalCount == nil {
            for (_, node) in channelDrafts {
                var n = node
                guard var a = try? n.child("arrivals") else { continue }
                for key in ["per_interval", "per_hour"] {
                    if let per = try? a.child(key), let list = try? per.elements() {
                        intervalCount = max(intervalCount ?? 0, list.count)
                    }
                }
            }
        }
        let count = intervalCount ?? Int((Span.hours(8).microseconds) / interval.microseconds)
        var channels: [ChannelLoad] = []
        for (channel, node) in channelDrafts {
            channels.append(try loadChannel(channel, node, defaultMix: defaultMix, interval: interval,
                                            intervals: count, startClock: startClock))
        }

        let agentsNode = try root.required("agents")
        var groups: [AgentGroup] = []
        for g in try agentsNode.elements() {
            groups.append(try loadGroup(g, interval: interval, intervals: count, startClock: startClock))
        }
        guard !groups.isEmpty else { throw agentsNode.fail("at least one agent group is needed") }
        var names = Set<String>()
        for g in groups where !names.insert(g.name).inserted {
            throw agentsNode.fail("two agent groups are named '\(g.name)'; names must be unique")
        }

        var repeats: RepeatContacts?
        if let r = try root.child("repeat_contacts") {
            repeats = try loadRepeats(r, channels: channels.map(\.channel))
        }
        var policyYAML: String?
        if let p = try root.child("policy") {
            try p.requireMapping()
            do {
                policyYAML = try Yams.serialize(node: p.node)
            } catch {
                throw p.fail("cannot re-serialise the policy: \(error)")
            }
        }
        try root.finish(allowed: topKeys)
        return Scenario(name: name, seed: seed, replications: replications, warmUp: warmUp, interval: interval,
                        intervalCount: count, startClock: startClock, drainLimit: drainLimit, channels: channels,
                        groups: groups, repeats: repeats, policyYAML: policyYAML)
    }

    /// A time in the run: a clock time `HH:MM` (the first occurrence at or after `start`), or an
    /// offset from the start of the horizon written as a duration (`90m`, `26h`).
    static func loadTime(_ r: YAMLReader, startClock: Span) throws(SwitchboardError) -> Span {
        let s = try r.string().trimmingCharacters(in: .whitespaces)
        if s.contains(":") {
            let clock = try r.clockTime()
            var offset = clock.microseconds - startClock.microseconds
            if offset < 0 { offset += Span.days(1).microseconds }
            return Span(microseconds: offset)
        }
        return try r.duration()
    }

    static func loadChannel(_ channel: Channel, _ node: YAMLReader, defaultMix: ContactMix, interval: Span,
                            intervals: Int, startClock: Span) throws(SwitchboardError) -> ChannelLoad {
        var node = node
        try node.requireMapping()
        var arrivals = try node.required("arrivals")
        var rates: [Double]
        if let perHour = try arrivals.child("per_hour") {
            if perHour.isSequence {
                rates = try perHour.elements().map { e throws(SwitchboardError) in try nonNegative(e) }
            } else {
                rates = [Double](repeating: try nonNegative(perHour), count: intervals)
            }
        } else if let perInterval = try arrivals.child("per_interval") {
            // Contacts per interval → per hour.
            let scale = 3600 / interval.seconds
            rates = try perInterval.elements().map { e throws(SwitchboardError) in try nonNegative(e) * scale }
        } else if let perDay = try arrivals.child("per_day") {
            rates = [Double](repeating: try nonNegative(perDay) / 24, count: intervals)
        } else {
            throw arrivals.fail("give per_hour (a number or one per interval), per_interval (contacts per interval) or per_day")
        }
        guard !rates.isEmpty else { throw arrivals.fail("the arrival list is empty") }
        if rates.count < intervals {
            // A shorter list repeats (a daily profile over several days).
            let base = rates
            while rates.count < intervals { rates.append(base[rates.count % base.count]) }
        } else if rates.count > intervals {
            rates = Array(rates.prefix(intervals))
        }
        var surges: [Surge] = []
        if let s = try arrivals.child("surges") {
            for e in try s.elements() { surges.append(try loadSurge(e, startClock: startClock)) }
        }
        try arrivals.finish(allowed: ["per_hour", "per_interval", "per_day", "surges"])

        let mix = try node.child("mix").map { m throws(SwitchboardError) in try loadMix(m, base: defaultMix) } ?? defaultMix
        guard let handleNode = try node.child("handle_time") else {
            throw node.fail("the key is required (e.g. handle_time: {distribution: exponential, mean: 240})", key: "handle_time")
        }
        let handle = try loadDistribution(handleNode)
        var patience: DurationDistribution?
        if let p = try node.child("patience") {
            if (try? p.string()) == "none" { patience = nil } else { patience = try loadDistribution(p) }
        }
        var target = ServiceTarget(fraction: 0.8, withinSeconds: channel == .email ? 86_400 : (channel == .voice ? 20 : 60))
        var maxAbandon: Double?
        if var sl = try node.child("service_level") {
            if !sl.isMapping {
                target = try ServiceTarget(parsing: try sl.string(), field: sl.path)
            } else {
                if let t = try sl.child("target") { target.fraction = try t.fraction() }
                if let w = try sl.child("within") { target.withinSeconds = try w.duration().seconds }
                if let m = try sl.child("max_abandon") { maxAbandon = try m.fraction() }
                try sl.finish(allowed: ["target", "within", "max_abandon"])
            }
        }
        if let m = try node.child("max_abandon") { maxAbandon = try m.fraction() }
        try node.finish(allowed: ["arrivals", "mix", "handle_time", "patience", "service_level", "max_abandon"])
        return ChannelLoad(channel: channel, ratePerHour: rates, surges: surges, mix: mix, handleTime: handle,
                           patience: patience, target: target, maxAbandon: maxAbandon)
    }

    static func nonNegative(_ r: YAMLReader) throws(SwitchboardError) -> Double {
        let v = try r.double()
        guard v >= 0 else { throw r.fail("expected a number >= 0") }
        return v
    }

    static func loadSurge(_ node: YAMLReader, startClock: Span) throws(SwitchboardError) -> Surge {
        var node = node
        try node.requireMapping()
        let kindText = try node.required("kind").string()
        guard let shape = Surge.Shape(rawValue: kindText) else {
            throw node.fail("unknown surge kind '\(kindText)'; use step, ramp or spike", key: "kind")
        }
        let multiplierNode = try node.required("multiplier")
        let multiplier = try multiplierNode.double()
        guard multiplier >= 0 else { throw multiplierNode.fail("the multiplier must be >= 0") }
        let start = try loadTime(try node.required(shape == .ramp ? "from" : "at"), startClock: startClock)
        let far = Span.days(100_000)
        var surge = Surge(shape: shape, start: start, peak: start, end: far, multiplier: multiplier)
        switch shape {
        case .step:
            if let u = try node.child("until") { surge.end = try loadTime(u, startClock: startClock) }
            try node.finish(allowed: ["kind", "at", "until", "multiplier"])
        case .ramp:
            surge.peak = try loadTime(try node.required("to"), startClock: startClock)
            if let u = try node.child("until") { surge.end = try loadTime(u, startClock: startClock) }
            guard surge.peak > surge.start else { throw node.fail("a ramp's 'to' must come after its 'from'", key: "to") }
            try node.finish(allowed: ["kind", "from", "to", "until", "multiplier"])
        case .spike:
            surge.end = start + (try node.required("duration").duration())
            try node.finish(allowed: ["kind", "at", "duration", "multiplier"])
        }
        guard surge.end > surge.start else { throw node.fail("the surge ends before it starts", key: "until") }
        return surge
    }

    /// `{distribution: exponential, mean: 240}`, `{distribution: lognormal, mean: 300, sd: 150}`,
    /// `{distribution: fixed, value: 180}`, `{distribution: uniform, min: 60, max: 120}`, or a bare
    /// duration meaning an exponential with that mean.
    static func loadDistribution(_ node: YAMLReader) throws(SwitchboardError) -> DurationDistribution {
        var node = node
        if !node.isMapping {
            let mean = try node.duration().seconds
            guard mean > 0 else { throw node.fail("the mean must be > 0") }
            return .exponential(mean: mean)
        }
        let kind = try node.required("distribution").string()
        func positive(_ key: String) throws(SwitchboardError) -> Double {
            let r = try node.required(key)
            let v = try r.duration().seconds
            guard v > 0 else { throw r.fail("must be > 0") }
            return v
        }
        let d: DurationDistribution
        switch kind {
        case "exponential":
            d = .exponential(mean: try positive("mean"))
            try node.finish(allowed: ["distribution", "mean"])
        case "lognormal":
            let mean = try positive("mean")
            let sd: Double
            if node.has("cv") {
                sd = mean * (try node.required("cv").double())
            } else {
                sd = try positive("sd")
            }
            d = .lognormal(mean: mean, standardDeviation: sd)
            try node.finish(allowed: ["distribution", "mean", "sd", "cv"])
        case "fixed":
            d = .fixed(try positive("value"))
            try node.finish(allowed: ["distribution", "value"])
        case "uniform":
            let lo = try node.required("min").duration().seconds
            let hi = try positive("max")
            guard hi >= lo else { throw node.fail("max must be >= min", key: "max") }
            d = .uniform(min: lo, max: hi)
            try node.finish(allowed: ["distribution", "min", "max"])
        default:
            throw node.fail("unknown distribution '\(kind)'; use exponential, lognormal, fixed or uniform", key: "distribution")
        }
        return d
    }

    static func weights<T>(_ node: YAMLReader, parse: (String, YAMLReader) throws(SwitchboardError) -> T)
        throws(SwitchboardError) -> [(T, Double)] {
        var node = node
        if node.isSequence {
            // A plain list means equal shares.
            return try node.elements().map { e throws(SwitchboardError) in (try parse(try e.string(), e), 1.0) }
        }
        var out: [(T, Double)] = []
        for (key, value) in try node.entries() {
            let w = try value.double()
            guard w >= 0 else { throw value.fail("weights must be >= 0") }
            out.append((try parse(key, value), w))
        }
        guard out.contains(where: { $0.1 > 0 }) else { throw node.fail("at least one weight must be > 0") }
        return out
    }

    static func loadMix(_ node: YAMLReader, base: ContactMix = ContactMix()) throws(SwitchboardError) -> ContactMix {
        var node = node
        try node.requireMapping()
        var mix = base
        if let s = try node.child("skills") {
            // `billing: 0.5` or `billing@3: 0.5` (minimum level 3).
            let parsed = try weights(s) { key, r throws(SwitchboardError) -> (String, Int) in
                let parts = key.split(separator: "@")
                if parts.count == 2 {
                    guard let level = Int(parts[1]), (1...10).contains(level) else {
                        throw r.fail("a skill's minimum level (after @) must be 1–10")
                    }
                    return (String(parts[0]), level)
                }
                return (key, 1)
            }
            mix.skills = parsed.map { (skill: $0.0.0, minimumLevel: $0.0.1, weight: $0.1) }
        }
        if let l = try node.child("languages") { mix.languages = try weights(l) { k, _ in k } }
        if let p = try node.child("priorities") {
            mix.priorities = try weights(p) { k, r throws(SwitchboardError) -> Int in
                guard let v = Int(k), (1...10).contains(v) else { throw r.fail("priorities are whole numbers 1–10") }
                return v
            }
        }
        if let t = try node.child("topics") { mix.topics = try weights(t) { k, _ in k } }
        try node.finish(allowed: ["skills", "languages", "priorities", "topics"])
        return mix
    }

    static func loadGroup(_ node: YAMLReader, interval: Span, intervals: Int, startClock: Span) throws(SwitchboardError) -> AgentGroup {
        var node = node
        try node.requireMapping()
        let name = try node.required("group").string()
        guard !name.isEmpty, !name.contains(where: \.isWhitespace) else {
            throw node.fail("a group name is one word (it prefixes agent ids)", key: "group")
        }
        var skills: [(String, Int)] = []
        if var s = try node.child("skills") {
            if s.isSequence {
                skills = try s.elements().map { e throws(SwitchboardError) in (try e.string(), 5) }
            } else {
                for (k, v) in try s.entries() {
                    let level = try v.int()
                    guard (1...10).contains(level) else { throw v.fail("skill levels are 1–10") }
                    skills.append((k, level))
                }
            }
        }
        var languages: [String] = []
        if let l = try node.child("languages") {
            languages = try l.elements().map { e throws(SwitchboardError) in try e.string() }
        }
        let capacity = try node.child("capacity")?.int() ?? 100
        guard (1...10_000).contains(capacity) else { throw node.fail("capacity is 1–10000 units", key: "capacity") }

        var staffing: [Int]
        if let per = try node.child("staffing") {
            staffing = try per.elements().map { e throws(SwitchboardError) in
                let v = try e.int()
                guard v >= 0 else { throw e.fail("agent counts are >= 0") }
                return v
            }
            guard !staffing.isEmpty else { throw per.fail("the staffing list is empty") }
            let base = staffing
            while staffing.count < intervals { staffing.append(base[staffing.count % base.count]) }
            staffing = Array(staffing.prefix(intervals))
        } else {
            let countNode = try node.required("count")
            let count = try countNode.int()
            guard count >= 0, count <= 1_000_000 else { throw countNode.fail("the count must be 0–1000000") }
            staffing = [Int](repeating: count, count: intervals)
            if let shiftsNode = try node.child("shifts") {
                // On duty in an interval when a shift covers the interval's midpoint; shifts repeat daily.
                var windows: [(Span, Span)] = []
                for var s in try shiftsNode.elements() {
                    let start = try s.required("start").clockTime()
                    let end = try s.required("end").clockTime()
                    try s.finish(allowed: ["start", "end"])
                    windows.append((start, end))
                }
                let day = Span.days(1).microseconds
                for i in 0..<intervals {
                    let mid = startClock.microseconds + interval.microseconds * Int64(i) + interval.microseconds / 2
                    let clock = ((mid % day) + day) % day
                    let on = windows.contains { w in
                        let (s, e) = (w.0.microseconds, w.1.microseconds)
                        return s <= e ? (clock >= s && clock < e) : (clock >= s || clock < e)
                    }
                    if !on { staffing[i] = 0 }
                }
            }
        }
        try node.finish(allowed: ["group", "count", "staffing", "skills", "languages", "capacity", "shifts"])
        return AgentGroup(name: name, skills: skills, languages: languages, capacity: capacity, staffing: staffing)
    }

    static func loadRepeats(_ node: YAMLReader, channels: [Channel]) throws(SwitchboardError) -> RepeatContacts {
        var node = node
        try node.requireMapping()
        let afterAbandoned = try node.child("after_abandoned")?.fraction() ?? 0
        let afterAnswered = try node.child("after_answered")?.fraction() ?? 0
        let delay = try node.child("delay").map { d throws(SwitchboardError) in try loadDistribution(d) } ?? .uniform(min: 600, max: 4 * 3600)
        var choice: [(Channel, Double)] = []
        if let c = try node.child("channels") {
            choice = try weights(c) { k, r throws(SwitchboardError) -> Channel in
                guard let ch = Channel(rawValue: k), channels.contains(ch) else {
                    throw r.fail("'\(k)' is not one of the scenario's channels (\(channels.map(\.rawValue).joined(separator: ", ")))")
                }
                return ch
            }
        }
        try node.finish(allowed: ["after_abandoned", "after_answered", "delay", "channels"])
        return RepeatContacts(shareAfterAbandoned: afterAbandoned, shareAfterAnswered: afterAnswered, delay: delay,
                              channels: choice)
    }
}
