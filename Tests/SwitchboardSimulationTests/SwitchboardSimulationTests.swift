// SwitchboardSimulationTests
