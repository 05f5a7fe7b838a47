// SwitchboardWire: v1 frame header, generated protobuf messages, Wire <-> Core mapping.
