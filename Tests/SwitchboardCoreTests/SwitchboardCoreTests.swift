// SwitchboardCoreTests
