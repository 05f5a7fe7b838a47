/// An append-only array stored in fixed-size chunks (16,384 elements each), so growing it never
/// copies what it already holds.
///
/// Why: the directory's customer, case and history arrays reach millions of records. A flat array
/// doubles by copying everything into fresh memory, which at a million records is a pause of tens
/// of milliseconds for one unlucky contact and, in a simulation that pushes millions of contacts
/// without reserving, most of the cost of opening a case (the copy plus faulting in twice the
/// memory). Here appending past the last chunk allocates one more chunk; an element costs one more
/// load (the chunk's address, from a small array that stays in cache).
struct ChunkedArray<Element: Sendable>: RandomAccessCollection, Sendable {
    static var chunkShift: Int { 14 }
    static var chunkSize: Int { 1 << chunkShift }

    private var chunks: [[Element]] = []
    private(set) var count = 0

    init() {}

    var startIndex: Int { 0 }
    var endIndex: Int { count }

    /// The element at `i` (`0 ..< count`; traps outside, like `Array`).
    subscript(i: Int) -> Element {
        @inline(__always) get { chunks[i >> Self.chunkShift][i & (Self.chunkSize - 1)] }
        @inline(__always) _modify { yield &chunks[i >> Self.chunkShift][i & (Self.chunkSize - 1)] }
    }

    mutating func append(_ element: Element) {
        let c = count >> Self.chunkShift
        if c == chunks.count { addChunk() }
        chunks[c].append(element)
        count += 1
    }

    /// Elements the allocated chunks hold without allocating another.
    var capacity: Int { chunks.count * Self.chunkSize }

    /// Allocates the chunks for `n` elements now (their memory is touched only as it fills).
    mutating func reserveCapacity(_ n: Int) {
        while capacity < n { addChunk() }
    }

    private mutating func addChunk() {
        var chunk: [Element] = []
        chunk.reserveCapacity(Self.chunkSize)
        chunks.append(chunk)
    }
}
