// SwitchboardRoutingTests
