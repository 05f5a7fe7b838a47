// switchboard-bench: release-build benchmarks that print one JSON object per line.
//
// Usage: switchboard-bench [SUITE ...]   (no argument runs every suite in this one process)
//        switchboard-bench --list          (the suite names, one a line)
// Each suite lives in its own file and registers itself in `allSuites` below. `make bench` runs each
// suite in a process of its own, so memory figures are not hidden by pages an earlier suite freed.

#if canImport(Glibc)
import Glibc
#endif

let allSuites: [BenchSuite] = [
    healthRTTSuite,
    threadingSuite,
    storeSuite,
    engineSuite,
    simulationSuite,
    serviceSuite,
]

if CommandLine.arguments.dropFirst().first == "--list" {
    for suite in allSuites { print(suite.name) }
    exit(0)
}

let wanted = Set(CommandLine.arguments.dropFirst())
let unknown = wanted.subtracting(allSuites.map(\.name))
if !unknown.isEmpty {
    let names = allSuites.map(\.name).joined(separator: ", ")
    FileHandleOutput.error("unknown suite(s): \(unknown.sorted().joined(separator: ", ")); known: \(names)")
    exit(2)
}
for suite in allSuites where wanted.isEmpty || wanted.contains(suite.name) {
    suite.run()
}
