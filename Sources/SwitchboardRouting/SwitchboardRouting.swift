// SwitchboardRouting: agents, queues, scoring and offers (pure, deterministic).
