public import ChitieuDomain
import Foundation

extension Representation {
    static func counts(_ c: CompletenessCounts) -> [String: Any] {
        [
            "indicators": c.indicators, "approved": c.approved, "submitted": c.submitted, "returned": c.returned, "draft": c.draft,
            "nothing": c.nothing, "reported_percent": c.reportedPercent ?? NSNull(),
        ]
    }

    /// `GET /v1/completeness`'s answer.
    public static func completeness(_ r: CompletenessReport) -> [String: Any] {
        func unit(_ u: CompletenessUnit) -> [String: Any] {
            ["unit_id": u.unitID, "unit_code": u.code, "unit_name": u.name, "unit_level": u.level.rawValue, "parent_id": u.parentID ?? NSNull()]
        }
        return [
            "phase": r.phase, "year": r.period.year,
            "period": [
                "code": r.period.code, "kind": r.period.kind.rawValue, "start": r.period.start.description, "end": r.period.end.description,
                "label": r.period.label,
            ],
            "closes_on": r.closesOn?.description ?? NSNull(), "days_left": r.daysLeft ?? NSNull(),
            "levels": r.levels.map { level in
                counts(level.counts).merging([
                    "level": level.level.rawValue, "units": level.units, "units_without_reports": level.unitsWithoutReports,
                ]) { $1 }
            },
            "units": r.units.filter { $0.counts.indicators > 0 }.map { u in
                counts(u.counts).merging(unit(u)) { $1 }.merging([
                    "closes_on": u.closesOn?.description ?? NSNull(), "days_left": u.daysLeft ?? NSNull(),
                ]) { $1 }
            },
            "units_without_reports": r.unitsWithoutReports.map(unit),
            "indicators": r.cells.map { c in
                [
                    "unit_id": c.unitID, "indicator_id": c.indicatorID, "indicator_code": c.indicatorCode, "indicator_name": c.indicatorName,
                    "state": c.state.rawValue, "results": c.results,
                ] as [String: Any]
            },
        ]
    }
}
