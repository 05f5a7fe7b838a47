// SwitchboardCore: the Engine that composes threading and routing, its policy and KPIs.
