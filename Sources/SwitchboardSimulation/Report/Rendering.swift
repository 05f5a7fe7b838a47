import Foundation
import SwitchboardDomain

extension Estimate {
    var json: JSONText {
        .object([("mean", .num(mean)), ("ci95", .num(halfWidth))])
    }
}

extension CellSummary {
    var jsonFields: [(String, JSONText)] {
        [
            ("offered", offered.json), ("answered", answered.json), ("abandoned", abandoned.json),
            ("unfinished", unfinished.json), ("service_level", serviceLevel.json), ("abandon_rate", abandonRate.json),
            ("p_wait", pWait.json), ("asa_seconds", asaSeconds.json), ("mean_wait_seconds", meanWaitSeconds.json),
            ("max_wait_seconds", maxWaitSeconds.json), ("max_queue", maxQueue.json),
        ]
    }
}

extension SimulationReport {
    /// Total agents on duty per interval, all groups.
    public var agentsPerInterval: [Int] {
        (0..<intervals).map { i in staffing.reduce(0) { $0 + ($1.count > i ? $1[i] : 0) } }
    }

    // MARK: JSON

    /// The `--json` document. Every figure is `{mean, ci95}` over replications (ci95 is the
    /// half-width of the 95% Student-t interval; null with one replication).
    public var json: JSONText {
        var channels: [JSONText] = []
        for (c, load) in scenario.channels.enumerated() {
            var rows: [JSONText] = []
            for i in 0..<intervals {
                rows.append(.object([("interval", .integer(i)), ("start", .string(label(i))),
                                     ("occupancy", occupancy[i].json)] + cells[c][i].jsonFields))
            }
            channels.append(.object([
                ("channel", .string(load.channel.rawValue)),
                ("target", .object([("service_level", .num(load.target.fraction)),
                                    ("answer_within_seconds", .num(load.target.withinSeconds)),
                                    ("max_abandon", .num(load.maxAbandon))])),
                ("total", .object(totals[c].jsonFields)),
                ("intervals", .array(rows)),
            ]))
        }
        let groups: [JSONText] = scenario.groups.enumerated().map { g, group in
            .object([("group", .string(group.name)), ("agents", .array(staffing[g].prefix(intervals).map { .integer($0) }))])
        }
        return .object([
            ("scenario", .string(scenario.name)),
            ("seed", .string(String(scenario.seed))),
            ("replications", .integer(results.count)),
            ("interval_seconds", .num(scenario.interval.seconds)),
            ("warm_up_seconds", .num(scenario.warmUp.seconds)),
            ("contacts_simulated", .integer(contactsSimulated)),
            ("events", .integer(eventsProcessed)),
            ("wall_seconds", .num(wallSeconds)),
            ("occupancy", totalOccupancy.json),
            ("channels", .array(channels)),
            ("occupancy_by_interval", .array(occupancy.map(\.json))),
            ("staffing", .array(groups)),
        ])
    }

    // MARK: CSV

    /// One row per channel and interval, then a `total` row per channel. Means, with 95% half-widths
    /// for the rates.
    public var csv: String {
        var out = "channel,interval,start,offered,answered,abandoned,unfinished,service_level,service_level_ci95,"
            + "abandon_rate,p_wait,asa_seconds,asa_ci95,mean_wait_seconds,max_wait_seconds,max_queue,occupancy,agents\n"
        func n(_ x: Double?) -> String {
            guard let x, x.isFinite else { return "" }
            return String(x)
        }
        let agents = agentsPerInterval
        for (c, load) in scenario.channels.enumerated() {
            for i in 0..<intervals {
                let s = cells[c][i]
                out += "\(load.channel),\(i),\(label(i)),\(n(s.offered.mean)),\(n(s.answered.mean)),\(n(s.abandoned.mean)),"
                out += "\(n(s.unfinished.mean)),\(n(s.serviceLevel.mean)),\(n(s.serviceLevel.halfWidth)),\(n(s.abandonRate.mean)),"
                out += "\(n(s.pWait.mean)),\(n(s.asaSeconds.mean)),\(n(s.asaSeconds.halfWidth)),\(n(s.meanWaitSeconds.mean)),"
                out += "\(n(s.maxWaitSeconds.mean)),\(n(s.maxQueue.mean)),\(n(occupancy[i].mean)),\(agents[i])\n"
            }
            let t = totals[c]
            out += "\(load.channel),total,,\(n(t.offered.mean)),\(n(t.answered.mean)),\(n(t.abandoned.mean)),"
            out += "\(n(t.unfinished.mean)),\(n(t.serviceLevel.mean)),\(n(t.serviceLevel.halfWidth)),\(n(t.abandonRate.mean)),"
            out += "\(n(t.pWait.mean)),\(n(t.asaSeconds.mean)),\(n(t.asaSeconds.halfWidth)),\(n(t.meanWaitSeconds.mean)),"
            out += "\(n(t.maxWaitSeconds.mean)),\(n(t.maxQueue.mean)),\(n(totalOccupancy.mean)),\n"
        }
        return out
    }

    // MARK: Terminal table

    public var table: String {
        var out = ""
        let reps = results.count
        out += "scenario \(scenario.name): seed \(scenario.seed), \(reps) replication\(reps == 1 ? "" : "s"), "
        out += "\(intervals) × \(Format.duration(scenario.interval)) intervals after \(Format.duration(scenario.warmUp)) warm-up\n"
        out += "\(contactsSimulated) contacts, \(eventsProcessed) events in \(Format.fixed(wallSeconds, 2)) s"
        if reps > 1 { out += "; figures are means, ± the 95% confidence half-width" }
        out += "\n"
        let agents = agentsPerInterval
        for (c, load) in scenario.channels.enumerated() {
            out += "\n\(load.channel): target \(load.target)"
            if let m = load.maxAbandon { out += ", abandonment ≤ \(Format.fixed(m * 100, 1))%" }
            out += "\n"
            let header = ["interval", "offered", "answered", "abandoned", "SL", "ASA s", "mean wait", "max wait",
                          "max queue", "occupancy", "agents"]
            var rows: [[String]] = []
            func row(_ name: String, _ s: CellSummary, _ occ: Estimate, _ staff: String) -> [String] {
                let miss = s.offered.mean > 0 && s.serviceLevel.mean < load.target.fraction - 1e-9 ? " !" : ""
                return [name, Format.fixed(s.offered.mean, 1), Format.fixed(s.answered.mean, 1),
                        Format.fixed(s.abandoned.mean, 1), Format.percent(s.serviceLevel) + miss,
                        Format.withCI(s.asaSeconds, 1), Format.fixed(s.meanWaitSeconds.mean, 1),
                        Format.fixed(s.maxWaitSeconds.mean, 0), Format.fixed(s.maxQueue.mean, 1),
                        Format.percent(occ, ci: false), staff]
            }
            for i in 0..<intervals { rows.append(row(label(i), cells[c][i], occupancy[i], String(agents[i]))) }
            rows.append(row("total", totals[c], totalOccupancy, ""))
            out += Format.table(header: header, rows: rows)
            let unfinished = totals[c].unfinished.mean
            if unfinished > 0 {
                out += "  \(Format.fixed(unfinished, 1)) contacts were still waiting when the run ended (drain limit \(Format.duration(scenario.drainLimit)))\n"
            }
        }
        out += "\n'!' marks intervals below the service-level target. SL = answered within T / offered (abandoned count as missed).\n"
        return out
    }

    // MARK: SVG

    /// Three panels over time: service level per channel (with its target), the longest queue per
    /// channel, and agents on duty. Plain SVG 1.1, no scripts, opens in any browser.
    public var svg: String {
        let width = 960.0, panelHeight = 200.0, gap = 50.0, left = 70.0, right = 150.0, top = 40.0
        let plotWidth = width - left - right
        let height = top + 3 * panelHeight + 3 * gap
        let colors = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b"]
        let n = max(intervals, 1)
        func x(_ i: Double) -> Double { left + plotWidth * i / Double(n) }
        var s = """
            <?xml version="1.0" encoding="UTF-8"?>
            <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(width))" height="\(Int(height))" viewBox="0 0 \(Int(width)) \(Int(height))" font-family="sans-serif" font-size="12">
            <rect width="100%" height="100%" fill="white"/>
            <text x="\(left)" y="22" font-size="16" font-weight="bold">\(Format.xml(scenario.name)): service level, queue and staffing</text>

            """
        func panel(_ index: Int, title: String, maxValue: Double, unit: (Double) -> String,
                   series: [(name: String, color: String, values: [Double], dashed: Bool)], step: Bool) {
            let y0 = top + Double(index) * (panelHeight + gap) + 20
            let top = y0, bottom = y0 + panelHeight - 20
            let maxV = maxValue > 0 ? maxValue : 1
            func y(_ v: Double) -> Double { bottom - (bottom - top) * min(max(v, 0), maxV) / maxV }
            s += "<text x=\"\(left)\" y=\"\(top - 6)\" font-weight=\"bold\">\(Format.xml(title))</text>\n"
            s += "<rect x=\"\(left)\" y=\"\(top)\" width=\"\(plotWidth)\" height=\"\(bottom - top)\" fill=\"none\" stroke=\"#999\"/>\n"
            for k in 0...4 {
                let v = maxV * Double(k) / 4
                let yy = y(v)
                s += "<line x1=\"\(left)\" y1=\"\(yy)\" x2=\"\(left + plotWidth)\" y2=\"\(yy)\" stroke=\"#eee\"/>"
                s += "<text x=\"\(left - 6)\" y=\"\(yy + 4)\" text-anchor=\"end\">\(unit(v))</text>\n"
            }
            let labelEvery = max(1, n / 12)
            for i in stride(from: 0, to: n, by: labelEvery) {
                s += "<text x=\"\(x(Double(i)))\" y=\"\(bottom + 14)\" text-anchor=\"middle\" font-size=\"10\">\(Format.xml(label(i)))</text>\n"
            }
            for (k, line) in series.enumerated() {
                var points: [String] = []
                for (i, v) in line.values.enumerated() where v.isFinite {
                    if step {
                        points.append("\(x(Double(i))),\(y(v))")
                        points.append("\(x(Double(i + 1))),\(y(v))")
                    } else {
                        points.append("\(x(Double(i) + 0.5)),\(y(v))")
                    }
                }
                let dash = line.dashed ? " stroke-dasharray=\"6,4\"" : ""
                s += "<polyline fill=\"none\" stroke=\"\(line.color)\" stroke-width=\"2\"\(dash) points=\"\(points.joined(separator: " "))\"/>\n"
                let ly = top + 14 + Double(k) * 16
                s += "<line x1=\"\(left + plotWidth + 10)\" y1=\"\(ly - 4)\" x2=\"\(left + plotWidth + 30)\" y2=\"\(ly - 4)\" stroke=\"\(line.color)\" stroke-width=\"2\"\(dash)/>"
                s += "<text x=\"\(left + plotWidth + 35)\" y=\"\(ly)\">\(Format.xml(line.name))</text>\n"
            }
        }
        var slSeries: [(String, String, [Double], Bool)] = []
        var queueSeries: [(String, String, [Double], Bool)] = []
        var maxQueue = 1.0
        for (c, load) in scenario.channels.enumerated() {
            let color = colors[c % colors.count]
            slSeries.append((load.channel.rawValue, color, cells[c].map(\.serviceLevel.mean), false))
            slSeries.append(("\(load.channel) target \(Format.fixed(load.target.fraction * 100, 0))%", color,
                             Array(repeating: load.target.fraction, count: intervals), true))
            let q = cells[c].map(\.maxQueue.mean)
            maxQueue = max(maxQueue, q.filter(\.isFinite).max() ?? 0)
            queueSeries.append((load.channel.rawValue, color, q, false))
        }
        panel(0, title: "Service level (answered within T / offered)", maxValue: 1,
              unit: { Format.fixed($0 * 100, 0) + "%" }, series: slSeries, step: false)
        panel(1, title: "Longest queue in the interval (contacts waiting)", maxValue: Format.niceCeiling(maxQueue),
              unit: { Format.fixed($0, 0) }, series: queueSeries, step: false)
        var staffSeries: [(String, String, [Double], Bool)] = []
        let agents = agentsPerInterval.map(Double.init)
        staffSeries.append(("all agents", "#333333", agents, false))
        if scenario.groups.count > 1 && scenario.groups.count <= 5 {
            for (g, group) in scenario.groups.enumerated() {
                staffSeries.append((group.name, colors[(g + 2) % colors.count], staffing[g].prefix(intervals).map(Double.init), true))
            }
        }
        panel(2, title: "Agents on duty", maxValue: Format.niceCeiling(agents.max() ?? 1),
              unit: { Format.fixed($0, 0) }, series: staffSeries, step: true)
        s += "</svg>\n"
        return s
    }
}

/// Number formatting without Foundation's locale-dependent String(format:).
public enum Format {
    public static func fixed(_ x: Double, _ digits: Int) -> String {
        guard x.isFinite else { return x.isNaN ? "–" : "∞" }
        var scale = 1.0
        for _ in 0..<digits { scale *= 10 }
        let r = (abs(x) * scale).rounded()
        let whole = Int64(r / scale)
        var s = String(whole)
        if digits > 0 {
            let frac = Int64(r - Double(whole) * scale)
            let fs = String(frac)
            s += "." + String(repeating: "0", count: max(0, digits - fs.count)) + fs
        }
        return x < 0 && r != 0 ? "-" + s : s
    }

    static func percent(_ e: Estimate, ci: Bool = true) -> String {
        var s = fixed(e.mean * 100, 1) + "%"
        if ci, let h = e.halfWidth { s += " ±" + fixed(h * 100, 1) }
        return s
    }

    static func withCI(_ e: Estimate, _ digits: Int) -> String {
        var s = fixed(e.mean, digits)
        if let h = e.halfWidth, e.mean.isFinite { s += " ±" + fixed(h, digits) }
        return s
    }

    public static func duration(_ span: Span) -> String {
        let s = span.seconds
        if s == 0 { return "0 s" }
        if s.truncatingRemainder(dividingBy: 3600) == 0 { return "\(Int(s / 3600)) h" }
        if s.truncatingRemainder(dividingBy: 60) == 0 { return "\(Int(s / 60)) min" }
        return fixed(s, 0) + " s"
    }

    static func niceCeiling(_ x: Double) -> Double {
        guard x > 0, x.isFinite else { return 1 }
        var p = 1.0
        while p * 10 <= x { p *= 10 }
        for m in [1.0, 2, 4, 5, 10] where m * p >= x { return m * p }
        return 10 * p
    }

    static func xml(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }

    /// Left-aligned first column, right-aligned numbers, two spaces between columns.
    public static func table(header: [String], rows: [[String]]) -> String {
        var widths = header.map(\.count)
        for r in rows { for (i, cell) in r.enumerated() where i < widths.count { widths[i] = max(widths[i], cell.count) } }
        func line(_ cells: [String]) -> String {
            var parts: [String] = []
            for (i, cell) in cells.enumerated() {
                let pad = String(repeating: " ", count: max(0, widths[i] - cell.count))
                parts.append(i == 0 ? cell + pad : pad + cell)
            }
            return "  " + parts.joined(separator: "  ") + "\n"
        }
        var out = line(header)
        for r in rows { out += line(r) }
        return out
    }
}
