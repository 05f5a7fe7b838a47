/// A growable table of plain values for one replication's hot per-contact and per-cell figures,
/// whose element writes cost a bounds check and a store.
///
/// Why not `Array`: every write through an array held by a struct first asks the runtime whether
/// the buffer is shared (`swift_isUniquelyReferenced`, a call that is not inlined), and a
/// replication writes these tables several times per contact: on the peak-season day that check
/// was about 2 % of the run from the simulator's tables alone. A replication owns its tables and
/// never hands them out, so it has no use for copy-on-write.
///
/// **Reference semantics:** a copy of a `Table` is the same table. Only `Replication` holds one;
/// a copy is taken only to read (`dropStalePatience`).
struct Table<Element: BitwiseCopyable> {
    struct Header {
        var count: Int
        var capacity: Int
    }

    private var buffer: ManagedBuffer<Header, Element>

    init(capacity: Int = 16) {
        let capacity = Swift.max(1, capacity)
        buffer = ManagedBuffer<Header, Element>.create(minimumCapacity: capacity) { _ in Header(count: 0, capacity: capacity) }
    }

    /// `count` copies of `value`.
    init(repeating value: Element, count: Int) {
        self.init(capacity: count)
        for _ in 0..<count { append(value) }
    }

    var count: Int { buffer.withUnsafeMutablePointerToHeader { $0.pointee.count } }

    /// Elements stay where they are until the next `append` that grows the table.
    private var elements: UnsafeMutablePointer<Element> { buffer.withUnsafeMutablePointerToElements { $0 } }

    subscript(index: Int) -> Element {
        get {
            precondition(index >= 0 && index < count, "table index out of range")
            return elements[index]
        }
        nonmutating _modify {
            precondition(index >= 0 && index < count, "table index out of range")
            yield &elements[index]
        }
    }

    mutating func append(_ value: Element) {
        let header = buffer.withUnsafeMutablePointerToHeader { $0.pointee }
        if header.count == header.capacity { grow(to: 2 * header.capacity) }
        let n = header.count
        buffer.withUnsafeMutablePointers { h, e in
            (e + n).initialize(to: value)
            h.pointee.count = n + 1
        }
    }

    mutating func reserveCapacity(_ capacity: Int) {
        if capacity > buffer.withUnsafeMutablePointerToHeader({ $0.pointee.capacity }) { grow(to: capacity) }
    }

    private mutating func grow(to capacity: Int) {
        let count = self.count
        let old = buffer
        buffer = ManagedBuffer<Header, Element>.create(minimumCapacity: capacity) { _ in Header(count: count, capacity: capacity) }
        old.withUnsafeMutablePointerToElements { from in
            buffer.withUnsafeMutablePointerToElements { to in to.initialize(from: from, count: count) }
        }
    }

    /// The address of element `index` (for a prefetch hint), or nil when out of range.
    func address(of index: Int) -> UnsafeRawPointer? {
        index >= 0 && index < count ? UnsafeRawPointer(elements + index) : nil
    }

    /// Elements `range` as an array (for the report).
    func array(_ range: Range<Int>) -> [Element] {
        precondition(range.lowerBound >= 0 && range.upperBound <= count, "table range out of range")
        return Array(UnsafeBufferPointer(start: elements + range.lowerBound, count: range.count))
    }
}
