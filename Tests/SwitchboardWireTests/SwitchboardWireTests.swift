// SwitchboardWireTests
