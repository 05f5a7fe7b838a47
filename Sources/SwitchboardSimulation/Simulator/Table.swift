/// A growable table of plain values for one replication's hot per-contact and per-cell figures
/// and its event queue's current bucket, whose element writes cost a bounds check and a store.
///
/// Why not `Array`: every write through an array held by a struct first asks the runtime whether
/// the buffer is shared (`swift_isUniquelyReferenced`, a call that is not inlined), and a
/// replication writes these tables several times per contact: on the peak-season day that check
/// was about 2 % of the run from the simulator's tables alone. A replication owns its tables and
/// never hands them out, so it has no use for copy-on-write.
///
/// **Reference semantics:** a copy of a `Table` is the same table. Only `Replication` and its
/// `EventQueue` hold them; a copy is taken only to read (`dropStalePatience`).
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
    var isEmpty: Bool { count == 0 }

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

    /// Removes and returns the last element.
    @discardableResult
    mutating func removeLast() -> Element {
        let n = count
        precondition(n > 0, "removeLast from an empty table")
        return buffer.withUnsafeMutablePointers { h, e in
            h.pointee.count = n - 1
            return e[n - 1]
        }
    }

    /// Removes the elements `dead` names, keeping the others in order.
    mutating func removeAll(where dead: (Element) -> Bool) {
        let n = count
        var kept = 0
        buffer.withUnsafeMutablePointerToElements { e in
            for i in 0..<n where !dead(e[i]) {
                e[kept] = e[i]
                kept += 1
            }
        }
        buffer.withUnsafeMutablePointerToHeader { $0.pointee.count = kept }
    }

    /// Appends every element of `other`.
    mutating func append(contentsOf other: [Element]) {
        reserveCapacity(count + other.count)
        for e in other { append(e) }
    }

    /// The elements in place, for an algorithm that works on the buffer (a heap's sift). Valid
    /// until the next call that grows the table.
    var elementsBuffer: UnsafeMutableBufferPointer<Element> {
        UnsafeMutableBufferPointer(start: elements, count: count)
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
