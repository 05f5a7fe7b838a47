// SwitchboardStoreTests
