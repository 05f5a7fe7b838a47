import CZeroMQ

/// What a poll item waits for, or what it found.
public struct PollEvents: OptionSet, Sendable, Hashable {
    public let rawValue: Int16
    public init(rawValue: Int16) { self.rawValue = rawValue }

    public static let readable = PollEvents(rawValue: Int16(ZMQ_POLLIN))
    public static let writable = PollEvents(rawValue: Int16(ZMQ_POLLOUT))
    /// Only meaningful for plain file descriptors.
    public static let error = PollEvents(rawValue: Int16(ZMQ_POLLERR))
}

/// A fixed set of sockets (and plain file descriptors) waited on together with `zmq_poll`.
///
/// Owned by one thread, like the sockets in it; it keeps them alive while registered. The index
/// returned by `add` identifies the item in `events(at:)`.
public struct Poller {
    private var items: [zmq_pollitem_t] = []
    private var sockets: [Socket?] = []

    public init() {}

    /// Registers `socket`; returns its index.
    @discardableResult
    public mutating func add(_ socket: Socket, events: PollEvents = .readable) -> Int {
        items.append(zmq_pollitem_t(socket: socket.handle, fd: -1, events: events.rawValue, revents: 0))
        sockets.append(socket)
        return items.count - 1
    }

    /// Registers a plain file descriptor (a pipe, an eventfd); returns its index.
    @discardableResult
    public mutating func add(fileDescriptor: Int32, events: PollEvents = .readable) -> Int {
        items.append(zmq_pollitem_t(socket: nil, fd: fileDescriptor, events: events.rawValue, revents: 0))
        sockets.append(nil)
        return items.count - 1
    }

    /// Changes what item `index` waits for (e.g. add `.writable` while a send is parked).
    public mutating func setEvents(_ events: PollEvents, at index: Int) {
        items[index].events = events.rawValue
    }

    public var count: Int { items.count }

    /// Waits until an item is ready or `timeoutMilliseconds` pass (-1 waits forever, 0 only looks).
    /// A signal interrupting the wait is retried with the same timeout.
    /// - Returns: the number of items with events.
    @discardableResult
    public mutating func poll(timeoutMilliseconds: Int) throws(ZMQError) -> Int {
        let n = Int32(items.count)
        let timeout = timeoutMilliseconds
        let rc: Int32? = try items.withUnsafeMutableBufferPointer { buffer throws(ZMQError) in
            try checked("zmq_poll") { zmq_poll(buffer.baseAddress, n, timeout) }
        }
        return Int(rc ?? 0)
    }

    /// What item `index` reported in the last poll.
    public func events(at index: Int) -> PollEvents {
        PollEvents(rawValue: items[index].revents)
    }

    public func isReadable(_ index: Int) -> Bool { events(at: index).contains(.readable) }
}
