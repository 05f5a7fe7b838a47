/// A list that keeps its first two elements inline and only allocates from the third on. Customers
/// typically hold one or two identifiers and one open case; with a million customers, one heap
/// allocation (and one cache miss) per list per customer is what this saves on the hot path.
struct SmallList<Element: Hashable & Sendable>: Sequence, Sendable, Hashable {
    private var a: Element?
    private var b: Element?
    private var rest: [Element] = []

    init() {}

    init<S: Sequence<Element>>(_ elements: S) {
        for e in elements { append(e) }
    }

    var count: Int { (a == nil ? 0 : 1) + (b == nil ? 0 : 1) + rest.count }
    var isEmpty: Bool { a == nil }
    var first: Element? { a }

    mutating func append(_ e: Element) {
        if a == nil {
            a = e
        } else if b == nil {
            b = e
        } else {
            rest.append(e)
        }
    }

    /// Removes every element matching, keeping the order of the others.
    mutating func removeAll(where matches: (Element) -> Bool) {
        guard contains(where: matches) else { return }
        let kept = filter { !matches($0) }
        self = SmallList(kept)
    }

    /// Removes the oldest element.
    mutating func removeFirst() {
        guard a != nil else { return }
        self = SmallList(dropFirst())
    }

    struct Iterator: IteratorProtocol {
        let list: SmallList
        var position = 0
        mutating func next() -> Element? {
            defer { position += 1 }
            switch position {
            case 0: return list.a
            case 1: return list.b
            default:
                let i = position - 2
                return i < list.rest.count ? list.rest[i] : nil
            }
        }
    }

    func makeIterator() -> Iterator { Iterator(list: self) }
}

/// A hash map that keeps each value beside its key. `Dictionary` stores keys and values in separate
/// arrays, so a lookup in a map of millions of entries costs a cache miss for the key and another
/// for the value; here the value shares the key's slot. Built on `Set` with equality and hashing on
/// the key alone.
struct InlineMap<Key: Hashable & Sendable, Value: Sendable>: Sendable {
    struct Slot: Hashable, Sendable {
        let key: Key
        var value: Value?
        static func == (a: Slot, b: Slot) -> Bool { a.key == b.key }
        func hash(into hasher: inout Hasher) { hasher.combine(key) }
    }

    private var slots = Set<Slot>()

    init() {}

    var count: Int { slots.count }

    mutating func reserveCapacity(_ n: Int) { slots.reserveCapacity(n) }

    subscript(key: Key) -> Value? {
        get {
            guard let i = slots.firstIndex(of: Slot(key: key, value: nil)) else { return nil }
            return slots[i].value
        }
        set {
            if let newValue {
                slots.update(with: Slot(key: key, value: newValue))
            } else {
                slots.remove(Slot(key: key, value: nil))
            }
        }
    }

    @discardableResult
    mutating func removeValue(forKey key: Key) -> Value? {
        slots.remove(Slot(key: key, value: nil))?.value
    }
}
