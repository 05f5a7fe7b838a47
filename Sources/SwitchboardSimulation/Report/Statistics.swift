import Foundation

/// Raw counts for one channel over one interval of one replication. Contacts are counted in the
/// interval they arrived in (their whole fate, even if it is decided later); queue lengths in the
/// interval they were observed in.
public struct CellCounts: Sendable, Hashable, BitwiseCopyable {
    public var offered = 0
    public var answered = 0
    /// Answered with a wait ≤ the channel's T.
    public var answeredWithin = 0
    public var abandoned = 0
    /// Had to wait at all (found no eligible agent with capacity on arrival).
    public var delayed = 0
    /// Still waiting when the run ended (after the drain limit).
    public var unfinished = 0
    /// Seconds, summed over answered contacts.
    public var answeredWait = 0.0
    /// Seconds, summed over answered and abandoned contacts.
    public var totalWait = 0.0
    /// Seconds: the longest wait of a contact that arrived in this interval, answered or not.
    public var maxWait = 0.0
    /// The most contacts of this channel waiting at once during the interval.
    public var maxQueue = 0
    /// Contacts that were repeats of an earlier contact by the same customer.
    public var repeats = 0

    public init() {}

    public mutating func add(_ o: CellCounts) {
        offered += o.offered
        answered += o.answered
        answeredWithin += o.answeredWithin
        abandoned += o.abandoned
        delayed += o.delayed
        unfinished += o.unfinished
        answeredWait += o.answeredWait
        totalWait += o.totalWait
        maxWait = max(maxWait, o.maxWait)
        maxQueue = max(maxQueue, o.maxQueue)
        repeats += o.repeats
    }

    /// Answered within T over offered (abandoned and unfinished contacts count against it).
    public var serviceLevel: Double { offered > 0 ? Double(answeredWithin) / Double(offered) : .nan }
    public var abandonRate: Double { offered > 0 ? Double(abandoned) / Double(offered) : .nan }
    public var pWait: Double { offered > 0 ? Double(delayed) / Double(offered) : .nan }
    /// Mean wait of answered contacts.
    public var asa: Double { answered > 0 ? answeredWait / Double(answered) : .nan }
    /// Mean wait of answered and abandoned contacts.
    public var meanWait: Double { answered + abandoned > 0 ? totalWait / Double(answered + abandoned) : .nan }
}

/// One replication's figures.
public struct ReplicationResult: Sendable {
    /// `cells[channelIndex][interval]`, channels in the scenario's order.
    public var cells: [[CellCounts]]
    /// Capacity units in use × seconds, per interval (handling and wrap-up).
    public var busyUnitSeconds: [Double]
    /// Capacity units logged in × seconds, per interval.
    public var capacityUnitSeconds: [Double]
    /// Agents logged in at the start of each interval, per group.
    public var staffing: [[Int]]
    /// Contacts pushed into the engine (warm-up and repeats included).
    public var contacts: Int
    public var events: Int

    public func occupancy(_ interval: Int) -> Double {
        capacityUnitSeconds[interval] > 0 ? busyUnitSeconds[interval] / capacityUnitSeconds[interval] : .nan
    }

    public var totalOccupancy: Double {
        let cap = capacityUnitSeconds.reduce(0, +)
        return cap > 0 ? busyUnitSeconds.reduce(0, +) / cap : .nan
    }

    /// The channel's counts over the whole horizon.
    public func total(channel: Int) -> CellCounts {
        var t = CellCounts()
        for c in cells[channel] { t.add(c) }
        return t
    }

    /// The channel's counts over intervals `range`.
    public func total(channel: Int, intervals range: Range<Int>) -> CellCounts {
        var t = CellCounts()
        for i in range { t.add(cells[channel][i]) }
        return t
    }
}

/// A mean over replications with a 95% confidence half-width (Student t on the replication
/// values, the method of independent replications). `halfWidth` is nil with one replication.
public struct Estimate: Sendable, Hashable {
    public var mean: Double
    public var halfWidth: Double?
    public var standardError: Double?
    /// Replications that had a value (an interval with no answered contact has no ASA).
    public var samples: Int

    public init(_ values: [Double]) {
        let xs = values.filter { $0.isFinite }
        samples = xs.count
        guard !xs.isEmpty else {
            mean = .nan
            return
        }
        mean = xs.reduce(0, +) / Double(xs.count)
        guard xs.count >= 2 else { return }
        let variance = xs.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(xs.count - 1)
        let se = (variance / Double(xs.count)).squareRoot()
        standardError = se
        halfWidth = StudentT.quantile975(degreesOfFreedom: xs.count - 1) * se
    }

    /// Whether `value` lies inside the 95% interval.
    public func contains(_ value: Double) -> Bool {
        guard let h = halfWidth else { return false }
        return abs(value - mean) <= h
    }
}

/// Student's t quantiles, for confidence intervals over a handful of replications.
public enum StudentT {
    /// t_{0.975, df}: exact table to 30 degrees of freedom, then the Cornish–Fisher expansion
    /// (error below 1e-5 from df 30 on).
    public static func quantile975(degreesOfFreedom df: Int) -> Double {
        let table: [Double] = [
            12.7062, 4.3027, 3.1824, 2.7764, 2.5706, 2.4469, 2.3646, 2.3060, 2.2622, 2.2281,
            2.2010, 2.1788, 2.1604, 2.1448, 2.1314, 2.1199, 2.1098, 2.1009, 2.0930, 2.0860,
            2.0796, 2.0739, 2.0687, 2.0639, 2.0595, 2.0555, 2.0518, 2.0484, 2.0452, 2.0423,
        ]
        if df >= 1 && df <= 30 { return table[df - 1] }
        return cornishFisher(z: 1.959963984540054, df: Double(max(df, 1)))
    }

    /// t_{0.995, df}: the 99% two-sided band.
    public static func quantile995(degreesOfFreedom df: Int) -> Double {
        let table: [Double] = [
            63.657, 9.925, 5.841, 4.604, 4.032, 3.707, 3.499, 3.355, 3.250, 3.169,
            3.106, 3.055, 3.012, 2.977, 2.947, 2.921, 2.898, 2.878, 2.861, 2.845,
            2.831, 2.819, 2.807, 2.797, 2.787, 2.779, 2.771, 2.763, 2.756, 2.750,
        ]
        if df >= 1 && df <= 30 { return table[df - 1] }
        return cornishFisher(z: 2.575829303548901, df: Double(max(df, 1)))
    }

    /// t_{0.9995, df} for tests that want a wider (99.9%) band.
    public static func quantile9995(degreesOfFreedom df: Int) -> Double {
        let table: [Double] = [
            636.619, 31.599, 12.924, 8.610, 6.869, 5.959, 5.408, 5.041, 4.781, 4.587,
            4.437, 4.318, 4.221, 4.140, 4.073, 4.015, 3.965, 3.922, 3.883, 3.850,
            3.819, 3.792, 3.768, 3.745, 3.725, 3.707, 3.690, 3.674, 3.659, 3.646,
        ]
        if df >= 1 && df <= 30 { return table[df - 1] }
        return cornishFisher(z: 3.290526731491926, df: Double(df))
    }

    static func cornishFisher(z: Double, df n: Double) -> Double {
        let z3 = z * z * z, z5 = z3 * z * z, z7 = z5 * z * z
        return z + (z3 + z) / (4 * n) + (5 * z5 + 16 * z3 + 3 * z) / (96 * n * n)
            + (3 * z7 + 19 * z5 + 17 * z3 - 15 * z) / (384 * n * n * n)
    }
}
