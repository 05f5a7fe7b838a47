// SwitchboardConfig: loads the engine policy from YAML with errors that name the bad key.
