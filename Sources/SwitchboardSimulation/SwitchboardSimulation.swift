// SwitchboardSimulation: discrete-event surge simulation over the real engine, Erlang C/A.
