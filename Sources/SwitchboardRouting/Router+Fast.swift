import SwitchboardDomain

// Thin wrappers for hot callers (the engine, the simulator) over the router's existing
// operations. They add no behaviour; they change how the call is made.

extension Router {
    /// `validate(_:)` for a caller that holds the router inside a larger value (the engine). To call
    /// a non-mutating method on a stored property, Swift copies a struct this large (hundreds of
    /// bytes) to the stack first, once per contact; a mutating call passes it by address. Never
    /// inlined: inlined into the caller, the copy comes back.
    @inline(never)
    public mutating func validateInPlace(_ request: RoutingRequest) throws(SwitchboardError) {
        try validate(request)
    }
}
