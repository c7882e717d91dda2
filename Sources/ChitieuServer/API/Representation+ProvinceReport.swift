public import ChitieuStore
import Foundation

extension Representation {
    /// `GET /v1/reports/province`'s answer: the title block, the tables and the completion line.
    public static func provinceReport(_ r: ProvinceReport) -> [String: Any] {
        func completion(_ c: ProvinceReport.Completion) -> [String: Any] {
            ["completed": c.completed, "counted": c.counted, "suspended": c.suspended, "text": c.text]
        }
        return [
            "province": r.provinceName, "programme": ProvinceReport.programme, "project": ProvinceReport.project, "phase": r.phase,
            "year": r.year ?? NSNull(), "period": r.period, "date": r.date.description, "plan": r.plan?.citation ?? NSNull(),
            "completion": r.completion.map(completion) ?? NSNull(),
            "tables": r.tables.map { table in
                [
                    "level": table.level.rawValue, "heading": table.heading,
                    "units": table.groups.map { group in
                        [
                            "unit_id": group.unitID, "unit_code": group.unitCode, "unit_name": group.unitName,
                            "completion": completion(group.completion),
                            "lines": group.lines.map { line in
                                [
                                    "number": line.number, "indicator_code": line.indicatorCode, "indicator_name": line.indicatorName,
                                    "measure_unit": line.measureUnit, "target": line.target ?? NSNull(), "achieved": line.achieved,
                                    "rate": line.rate ?? NSNull(), "status": line.status.rawValue, "note": line.note,
                                ] as [String: Any]
                            },
                        ] as [String: Any]
                    },
                ] as [String: Any]
            },
        ]
    }
}
