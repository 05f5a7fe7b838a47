// SwitchboardServerTests
