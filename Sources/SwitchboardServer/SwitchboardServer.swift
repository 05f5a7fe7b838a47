// SwitchboardServer: the reactor thread that owns the live engine and the sockets.
