// SwitchboardClient: a blocking v1 client over a DEALER socket, used by the CLI and load tests.
