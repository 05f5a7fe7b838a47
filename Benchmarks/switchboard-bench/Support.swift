#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// One named group of measurements. `run` prints JSON lines through `emit`.
struct BenchSuite {
    var name: String
    var run: () -> Void
}

/// Monotonic nanoseconds, for timing inside a benchmark (never used by the engine itself).
@inline(__always) func monotonicNanos() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
}

/// A JSON value small enough to print by hand (the bench has no Foundation dependency).
enum JSONValue {
    case string(String), int(Int), double(Double), bool(Bool)

    var rendered: String {
        switch self {
        case .string(let s):
            var out = "\""
            for ch in s.unicodeScalars {
                switch ch {
                case "\"": out += "\\\""
                case "\\": out += "\\\\"
                case "\n": out += "\\n"
                default: out.unicodeScalars.append(ch)
                }
            }
            return out + "\""
        case .int(let i): return String(i)
        case .double(let d): return d.isFinite ? String(d) : "null"
        case .bool(let b): return b ? "true" : "false"
        }
    }
}

/// Prints one benchmark result as a single JSON line on stdout, keys in the order given.
func emit(_ fields: KeyValuePairs<String, JSONValue>) {
    let body = fields.map { "\(JSONValue.string($0.key).rendered):\($0.value.rendered)" }.joined(separator: ",")
    print("{\(body)}")
    fflush(stdout)
}

enum FileHandleOutput {
    static func error(_ message: String) {
        let line = message + "\n"
        _ = line.withCString { write(2, $0, strlen($0)) }
    }
}

/// Resident set size of this process in bytes, read from /proc/self/statm (Linux only; 0 elsewhere).
func residentBytes() -> Int {
    guard let f = fopen("/proc/self/statm", "r") else { return 0 }
    defer { fclose(f) }
    var buf = [CChar](repeating: 0, count: 128)
    guard fgets(&buf, Int32(buf.count), f) != nil else { return 0 }
    let fields = String(decoding: buf.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self).split(separator: " ")
    guard fields.count >= 2, let pages = Int(fields[1]) else { return 0 }
    return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
}

/// The most this process has ever had resident, in bytes (`getrusage` ru_maxrss): a run's true
/// peak, unlike the resident size after it, which keeps pages the allocator holds for reuse.
func peakResidentBytes() -> Int {
    var usage = rusage()
    guard getrusage(RUSAGE_SELF.rawValue, &usage) == 0 else { return 0 }
    return Int(usage.ru_maxrss) * 1024
}
