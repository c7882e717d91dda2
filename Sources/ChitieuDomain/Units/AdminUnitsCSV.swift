public import Foundation

/// One administrative unit read from a GSO units file.
public struct ImportedUnit: Sendable, Hashable {
    /// Level of the unit.
    public var level: UnitLevel
    /// GSO code.
    public var code: String
    /// Name, NFC.
    public var name: String
    /// Type label (Tỉnh, Huyện, Xã…).
    public var typeLabel: String
    /// Code of the unit above; nil for a province.
    public var parentCode: String?
    /// The province this unit belongs to.
    public var provinceCode: String
    /// The first line of the file it was read from (1 is the header).
    public var line: Int
}

/// A units file, parsed and checked: every province, district and commune it names, once.
public struct AdminUnitsFile: Sendable {
    /// The two layouts the GSO files come in.
    public enum Layout: String, Sendable {
        /// Province → district → commune (in force until 30 June 2025).
        case threeLevel = "2021"
        /// Province → commune (from 1 July 2025).
        case twoLevel = "2025"
    }

    /// Which layout the header announced.
    public var layout: Layout
    /// Units in file order, parents before children.
    public var units: [ImportedUnit]

    /// Units of one level.
    public func units(at level: UnitLevel) -> [ImportedUnit] { units.filter { $0.level == level } }

    /// Keeps only one province's units.
    public func filtered(province code: String) -> AdminUnitsFile {
        AdminUnitsFile(layout: layout, units: units.filter { $0.provinceCode == code })
    }
}

/// Why a CSV file (units, indicator catalogue, weights) was refused, with the line it was found on.
public struct CSVFileError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The 1-based line number (1 is the header); 0 when the whole file is at fault.
    public var line: Int
    /// The column involved, if any.
    public var column: String?
    /// What was wrong and what was expected.
    public var reason: String

    public var description: String {
        let place = line > 0 ? "line \(line)" : "file"
        if let column { return "\(place), column \(column): \(reason)" }
        return "\(place): \(reason)"
    }
}

/// Reads the GSO administrative-units CSV layouts (`units-2021.csv`, `units-2025.csv`).
///
/// The whole file is checked before anything is returned: a missing column, a malformed
/// code, a commune whose district is unknown, a code given two different names, or bytes
/// that are not UTF-8 refuse the file with the line number and the reason.
public enum AdminUnitsCSV {
    static let threeLevelColumns = [
        "province_code", "province_name", "district_code", "district_name", "district_type",
        "commune_code", "commune_name", "commune_type",
    ]
    static let twoLevelColumns = ["province_code", "province_name", "commune_code", "commune_name", "commune_type"]

    /// Parses and checks a file's bytes.
    public static func parse(_ data: Data) throws(CSVFileError) -> AdminUnitsFile {
        let lines = try CSVReader.records(data)
        guard let header = lines.first else { throw CSVFileError(line: 0, reason: "the file is empty") }
        let columns = header.fields.map { $0.trimmingCharacters(in: .whitespaces) }
        let layout: AdminUnitsFile.Layout = columns.contains("district_code") ? .threeLevel : .twoLevel
        let required = layout == .threeLevel ? threeLevelColumns : twoLevelColumns
        var index: [String: Int] = [:]
        for (i, name) in columns.enumerated() where index[name] == nil { index[name] = i }
        for name in required where index[name] == nil {
            throw CSVFileError(
                line: 1, column: name,
                reason: "the header has no column '\(name)'; expected the columns \(required.joined(separator: ","))")
        }
        var reader = Reader(layout: layout, columns: columns, index: index)
        reader.units.reserveCapacity(lines.count + 800)
        for record in lines.dropFirst() {
            if record.fields.count == 1, record.fields[0].isEmpty { continue }  // blank line
            try reader.read(record)
        }
        guard !reader.units.isEmpty else { throw CSVFileError(line: 0, reason: "the file has a header but no units") }
        return AdminUnitsFile(layout: layout, units: reader.units)
    }

    /// The units of the rows read so far, each once, checked against what earlier rows said of them.
    struct Reader {
        let layout: AdminUnitsFile.Layout
        let columns: [String]
        let index: [String: Int]
        var units: [ImportedUnit] = []
        /// Each unit by "level:code": its name, parent and first line.
        var seen: [String: (name: String, parent: String?, line: Int)] = [:]

        /// One row: its province, district (three-level files) and commune.
        mutating func read(_ record: CSVReader.Record) throws(CSVFileError) {
            guard record.fields.count == columns.count else {
                throw CSVFileError(line: record.line, reason: "has \(record.fields.count) fields, the header has \(columns.count)")
            }
            let provinceCode = try field(record, "province_code")
            let provinceName = try field(record, "province_name")
            try add(.province, code: provinceCode, name: provinceName, type: provinceType(provinceName), parent: nil, province: provinceCode, line: record.line, codeColumn: "province_code", nameColumn: "province_name")
            var communeParent = provinceCode
            if layout == .threeLevel {
                let districtCode = try field(record, "district_code")
                let districtName = try field(record, "district_name")
                let districtType = try field(record, "district_type")
                let communeCode = try field(record, "commune_code")
                if districtCode.isEmpty {
                    if communeCode.isEmpty {
                        throw CSVFileError(line: record.line, column: "district_code", reason: "the row names neither a district nor a commune")
                    }
                    throw CSVFileError(line: record.line, column: "district_code", reason: "commune \(communeCode) has no district: its district is unknown")
                }
                try add(.district, code: districtCode, name: districtName, type: districtType, parent: provinceCode, province: provinceCode, line: record.line, codeColumn: "district_code", nameColumn: "district_name")
                communeParent = districtCode
                if communeCode.isEmpty { return }  // an island district with no commune level
            }
            let communeCode = try field(record, "commune_code")
            let communeName = try field(record, "commune_name")
            let communeType = try field(record, "commune_type")
            try add(.commune, code: communeCode, name: communeName, type: communeType, parent: communeParent, province: provinceCode, line: record.line, codeColumn: "commune_code", nameColumn: "commune_name")
        }

        func field(_ record: CSVReader.Record, _ name: String) throws(CSVFileError) -> String {
            let i = index[name]!
            guard i < record.fields.count else {
                throw CSVFileError(
                    line: record.line, reason: "has \(record.fields.count) fields, the header has \(columns.count)")
            }
            return Names.normalized(record.fields[i])
        }

        mutating func add(_ level: UnitLevel, code: String, name: String, type: String, parent: String?, province: String, line: Int, codeColumn: String, nameColumn: String) throws(CSVFileError) {
            let digits: Int = switch level {
            case .province: 2
            case .district: 3
            case .commune, .village: 5
            }
            guard code.count == digits, code.allSatisfy({ $0.isASCII && $0.isNumber }) else {
                throw CSVFileError(line: line, column: codeColumn, reason: "'\(code)' is not a \(digits)-digit \(level.rawValue) code")
            }
            if let problem = Names.problem(with: name, maxLength: 200) {
                throw CSVFileError(line: line, column: nameColumn, reason: "the name \(problem)")
            }
            if let problem = Names.problem(with: type, maxLength: 50) {
                throw CSVFileError(line: line, reason: "the \(level.rawValue) type \(problem)")
            }
            let key = "\(level.rawValue):\(code)"
            if let earlier = seen[key] {
                guard earlier.name == name, earlier.parent == parent else {
                    throw CSVFileError(
                        line: line, column: codeColumn,
                        reason: "\(level.rawValue) \(code) was '\(earlier.name)' under \(earlier.parent ?? "-") on line \(earlier.line), here '\(name)' under \(parent ?? "-")")
                }
                return
            }
            seen[key] = (name, parent, line)
            units.append(ImportedUnit(level: level, code: code, name: name, typeLabel: type, parentCode: parent, provinceCode: province, line: line))
        }
    }

    /// "Thành phố" for the centrally-run cities, "Tỉnh" for the others, from the name.
    static func provinceType(_ name: String) -> String {
        name.hasPrefix("Thành phố") ? "Thành phố" : "Tỉnh"
    }
}
