/// The level of an administrative unit.
public enum UnitLevel: String, Sendable, CaseIterable, Comparable {
    case province
    case district
    case commune
    case village

    /// Depth below the province (0 for the province).
    public var depth: Int {
        switch self {
        case .province: 0
        case .district: 1
        case .commune: 2
        case .village: 3
        }
    }

    public static func < (a: UnitLevel, b: UnitLevel) -> Bool { a.depth < b.depth }
}

extension UnitLevel {
    /// The level as officers call it: tỉnh, huyện, xã, thôn.
    public var vietnamese: String {
        switch self {
        case .province: "tỉnh"
        case .district: "huyện"
        case .commune: "xã"
        case .village: "thôn"
        }
    }
}
