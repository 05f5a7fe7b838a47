import ArgumentParser

/// The `switchboard` command: one binary for operators, adapter authors and planners.
/// Each subcommand lives in its own file in this folder.
@main
struct Switchboard: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "switchboard",
        abstract: "Support-contact routing and case threading over ZeroMQ.",
        version: SwitchboardVersion.string,
        subcommands: [
            ServeCommand.self,
            CallCommand.self,
            ErlangCommand.self,
            SimulateCommand.self,
            StaffingCommand.self,
            PushCommand.self,
            AgentCommand.self,
            DemoCommand.self,
        ]
    )
}

enum SwitchboardVersion {
    static let string = "0.1.0"
}
