// ZeroMQ: the thin RAII wrapper over libzmq (Context, Socket, Message, Poller, ZMQError).
