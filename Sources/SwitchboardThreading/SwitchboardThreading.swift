// SwitchboardThreading: customer identity and case threading (pure, deterministic).
