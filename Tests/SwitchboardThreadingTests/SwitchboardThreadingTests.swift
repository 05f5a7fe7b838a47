// SwitchboardThreadingTests
