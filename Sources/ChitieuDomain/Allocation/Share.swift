/// An exact share, numerator / denominator (denominator > 0), in 128-bit integers.
///
/// Allocation's inputs are bounded (`Allocation.maximumValue`, `Allocation.maximumWeight`) so
/// that no product it forms overflows; every operation is still checked, and one that would
/// overflow is refused as an `AllocationError`, never a trap that would end the process.
struct Share: Sendable, Equatable {
    private(set) var numerator: Int128
    private(set) var denominator: Int128

    /// A whole number.
    init(_ value: Int) {
        numerator = Int128(value)
        denominator = 1
    }

    /// numerator / denominator, reduced.
    init(_ numerator: Int128, over denominator: Int128) throws(AllocationError) {
        guard denominator != 0 else { throw AllocationError(reason: "a share over nothing (0) has no value", units: []) }
        var (n, d) = denominator < 0 ? (-numerator, -denominator) : (numerator, denominator)
        let g = Self.gcd(n.magnitude, d.magnitude)
        if g > 1 {
            n /= Int128(g)
            d /= Int128(g)
        }
        self.numerator = n
        self.denominator = d
    }

    /// value × part / whole, exactly.
    static func of(_ value: Int, _ part: Int, over whole: Int) throws(AllocationError) -> Share {
        try Share(product(Int128(value), Int128(part)), over: Int128(whole))
    }

    /// self × part / whole, exactly.
    func scaled(by part: Int, over whole: Int) throws(AllocationError) -> Share {
        try Share(Self.product(numerator, Int128(part)), over: Self.product(denominator, Int128(whole)))
    }

    /// self + other.
    func adding(_ other: Share) throws(AllocationError) -> Share {
        let left = try Self.product(numerator, other.denominator)
        let right = try Self.product(other.numerator, denominator)
        return try Share(Self.sum(left, right), over: Self.product(denominator, other.denominator))
    }

    /// The largest whole number not above the share.
    var floor: Int {
        get throws(AllocationError) {
            var q = numerator / denominator
            if numerator % denominator != 0 && numerator < 0 { q -= 1 }
            guard let value = Int(exactly: q) else { throw AllocationError.tooLarge }
            return value
        }
    }

    /// The smallest whole number not below the share.
    var ceiling: Int {
        get throws(AllocationError) { try floor + (isWhole ? 0 : 1) }
    }

    /// floor…ceiling.
    var bounds: (lower: Int, upper: Int) {
        get throws(AllocationError) { (try floor, try ceiling) }
    }

    /// The nearest whole number, halves rounded up: monotone, so rounded milestones never fall.
    var nearest: Int {
        get throws(AllocationError) {
            try Share(Self.sum(Self.product(numerator, 2), denominator), over: Self.product(denominator, 2)).floor
        }
    }

    var isWhole: Bool { numerator % denominator == 0 }

    /// What is left above the floor, to compare remainders: (share − floor) as a share.
    var remainder: Share {
        get throws(AllocationError) { try Share(numerator - Int128(try floor) * denominator, over: denominator) }
    }

    /// Whether self < other, exactly.
    func isLess(than other: Share) throws(AllocationError) -> Bool {
        try Self.product(numerator, other.denominator) < Self.product(other.numerator, denominator)
    }

    static func product(_ a: Int128, _ b: Int128) throws(AllocationError) -> Int128 {
        let (result, overflow) = a.multipliedReportingOverflow(by: b)
        guard !overflow else { throw AllocationError.tooLarge }
        return result
    }

    static func sum(_ a: Int128, _ b: Int128) throws(AllocationError) -> Int128 {
        let (result, overflow) = a.addingReportingOverflow(b)
        guard !overflow else { throw AllocationError.tooLarge }
        return result
    }

    private static func gcd(_ a: UInt128, _ b: UInt128) -> UInt128 {
        var (a, b) = (a, b)
        while b != 0 { (a, b) = (b, a % b) }
        return a
    }
}

extension AllocationError {
    /// Numbers beyond what the allocation computes exactly (never reached within the bounds it checks).
    static let tooLarge = AllocationError(
        reason: "the values or weights are too large to allocate exactly (values up to \(Allocation.maximumValue), weights up to \(Allocation.maximumWeight))",
        units: [])
}
