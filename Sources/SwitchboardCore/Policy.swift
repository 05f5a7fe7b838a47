import SwitchboardDomain
import SwitchboardRouting
import SwitchboardThreading

/// The whole engine's configuration: threading, routing and KPI settings. Every key has a
/// documented default (see each sub-policy), and decoding keeps the default for any key that is
/// missing, so a YAML file need only say what it changes.
///
/// ```yaml
/// threading: { open_case_window: 604800 }
/// routing:   { offer_timeout: { chat: 45 }, missed_offers_to_away: 2 }
/// kpi:       { repeat_window: 604800 }
/// ```
public struct Policy: Hashable, Sendable, Codable {
    public var threading: ThreadingPolicy
    public var routing: RoutingPolicy
    public var kpi: KPIPolicy

    public init(threading: ThreadingPolicy = ThreadingPolicy(), routing: RoutingPolicy = RoutingPolicy(), kpi: KPIPolicy = KPIPolicy()) {
        self.threading = threading
        self.routing = routing
        self.kpi = kpi
    }

    private enum Keys: String, CodingKey { case threading, routing, kpi }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: Keys.self)
        threading = try c.decodeIfPresent(ThreadingPolicy.self, forKey: .threading) ?? ThreadingPolicy()
        routing = try c.decodeIfPresent(RoutingPolicy.self, forKey: .routing) ?? RoutingPolicy()
        kpi = try c.decodeIfPresent(KPIPolicy.self, forKey: .kpi) ?? KPIPolicy()
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: Keys.self)
        try c.encode(threading, forKey: .threading)
        try c.encode(routing, forKey: .routing)
        try c.encode(kpi, forKey: .kpi)
    }

    /// Checks values the decoders cannot (ranges, orderings), naming the key at fault (`routing.…`).
    public func validate() throws(SwitchboardError) {
        do {
            try routing.validate()
        } catch {
            var e = error
            e.field = e.field.map { "routing.\($0)" }
            throw e
        }
    }
}
