// SwitchboardConfigTests
