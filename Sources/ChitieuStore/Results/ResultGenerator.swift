import ChitieuDomain
public import Foundation
import Postgres

/// Writes plausible approved results from a province's allocated targets, for the demo and for
/// benchmarks at national scale. Each indicator is reported at the lowest level that reports
/// it (so nothing is counted twice), every past year of the phase, `perYear` times a year:
/// flow counts split over the periods, stock levels rising to the year's figure. A unit's figure
/// is its target times the indicator's completion factor (1: exactly the target), varied per
/// unit by up to ±`jitter` when the factor is below 1; members or participants are `companion`
/// per counted unit. Breakdowns follow the indicator: of the count (women officials by ethnicity),
/// of the companion figure (members of the clubs by sex).
public struct ResultGenerator: Sendable {
    let database: ChitieuDatabase

    public init(database: ChitieuDatabase) {
        self.database = database
    }

    /// How an indicator's results are made up.
    public struct Profile: Sendable {
        public var completion: [String: Double]
        public var defaultCompletion: Double
        public var companion: [String: Int]
        public var perYear: Int
        public var jitter: Double

        public init(completion: [String: Double] = [:], defaultCompletion: Double = 0.8, companion: [String: Int] = [:], perYear: Int = 1, jitter: Double = 0.25) {
            self.completion = completion
            self.defaultCompletion = defaultCompletion
            self.companion = companion
            self.perYear = perYear
            self.jitter = jitter
        }
    }

    /// Generates the results of one phase of a province; returns how many were written.
    /// Results this generator wrote before for the phase are replaced.
    public func generate(province: Int64, phaseCode: String, profile: Profile, computeProgress: Bool = true, actor: Actor) async throws -> Int {
        guard [1, 2, 3, 4, 6, 12].contains(profile.perYear) else { throw ChitieuError(.invalid, field: "per-year", reason: "must be 1, 2, 3, 4, 6 or 12") }
        guard profile.completion.values.allSatisfy({ (0...2).contains($0) }), (0...2).contains(profile.defaultCompletion) else {
            throw ChitieuError(.invalid, field: "completion", reason: "factors lie between 0 and 2")
        }
        return try await database.withTenant(province) { tx in
            let phase = try await tx.resolve.phase(phaseCode)
            try await tx.query(
                """
                DELETE FROM chitieu.result WHERE province_id = \(province) AND idempotency_key LIKE 'generated:%'
                  AND year BETWEEN \(Int16(phase.firstYear)) AND \(Int16(phase.lastYear))
                """)
            let written = try await tx.query(Self.insertStatement(province: province, phase: phase, profile: profile)).affectedRows
            try await AuditLog.record(
                tx, actor: actor, action: "result.generate", entityType: "result", entityID: nil,
                after: AuditLog.json(["phase": phase.code, "results": written, "per_year": profile.perYear]))
            if computeProgress {
                _ = try await tx.query("SELECT chitieu.compute_progress(\(province), \(phase.id), NULL, current_date)")
            }
            return written
        }
    }

    /// The one statement that writes a phase's approved results from its targets: per indicator
    /// its factor, per cell an amount, per period of the year a value, and the breakdowns.
    static func insertStatement(province: Int64, phase: Phase, profile: Profile) -> PostgresQuery {
        let codes = Array(profile.completion.keys)
        let factors = codes.map { profile.completion[$0]! }
        let companionCodes = Array(profile.companion.keys)
        let companionRatios = companionCodes.map { profile.companion[$0]! }
        return """
        WITH ind AS (
            SELECT i.indicator_id, i.code, i.kind, i.disaggregation, i.companion_disaggregation,
                   (SELECT max(chitieu.level_rank(l)) FROM unnest(i.reporting_levels) l) AS depth,
                   coalesce((SELECT f FROM unnest(\(codes)::text[], \(factors)::float8[]) AS c(code, f) WHERE c.code = i.code), \(profile.defaultCompletion)) AS factor,
                   coalesce((SELECT r FROM unnest(\(companionCodes)::text[], \(companionRatios)::int[]) AS m(code, r) WHERE m.code = i.code), 0) AS companion
            FROM chitieu.indicator i
            WHERE i.province_id = \(province) AND i.status = 'active'
        ),
        cells AS (
            SELECT t.indicator_id, i.code, i.kind, i.disaggregation, i.companion_disaggregation, i.companion, t.unit_id, t.year,
                   CASE WHEN i.factor >= 1 THEN round(t.value * i.factor)
                        -- Varied per unit, then rounded up or down at random in proportion, so small
                        -- targets (one club per commune) still add up to about the factor.
                        ELSE greatest(0, floor(t.value * i.factor * (1 + \(profile.jitter) * ((abs(hashint8(t.unit_id * 31 + t.year)) % 2001) / 1000.0 - 1))
                                               + (abs(hashint8(t.unit_id * 17 + t.year * 7 + t.indicator_id)) % 1000) / 1000.0))
                   END::bigint AS amount
            FROM chitieu.target t
            JOIN ind i ON i.indicator_id = t.indicator_id
            JOIN chitieu.admin_unit u ON u.province_id = t.province_id AND u.unit_id = t.unit_id
            WHERE t.province_id = \(province) AND t.phase_id = \(phase.id) AND t.year IS NOT NULL
              AND t.year <= extract(year FROM current_date)
              AND chitieu.level_rank(u.level) = i.depth
        ),
        periods AS (
            SELECT c.*, q,
                   make_date(c.year::int, 1 + (q - 1) * (12 / \(Int32(profile.perYear))), 1) AS period_start,
                   (make_date(c.year::int, 1 + (q - 1) * (12 / \(Int32(profile.perYear))), 1) + make_interval(months => 12 / \(Int32(profile.perYear))) - interval '1 day')::date AS period_end,
                   CASE WHEN c.kind = 'flow' THEN (c.amount * q) / \(Int32(profile.perYear)) - (c.amount * (q - 1)) / \(Int32(profile.perYear))
                        ELSE (c.amount * q) / \(Int32(profile.perYear)) END AS value
            FROM cells c CROSS JOIN generate_series(1, \(Int32(profile.perYear))) q
        ),
        figures AS (
            SELECT p.*, CASE WHEN p.companion > 0 THEN p.value * p.companion END AS companion_value FROM periods p
        )
        -- A breakdown gives each category but the first a share of 1 / (categories + 1), the
        -- first the rest (two thirds women of two): of the count, and of the companion figure.
        INSERT INTO chitieu.result (province_id, indicator_id, unit_id, period_start, period_end, value, breakdown, companion_value,
                                    companion_breakdown, state, idempotency_key, submitted_at, decided_at)
        SELECT \(province), p.indicator_id, p.unit_id, p.period_start, least(p.period_end, current_date - 1), p.value,
               (SELECT jsonb_object_agg(d.key, (
                    SELECT jsonb_object_agg(cat, CASE WHEN n = 1 THEN p.value - (p.value / (jsonb_array_length(d.value) + 1)) * (jsonb_array_length(d.value) - 1)
                                                      ELSE p.value / (jsonb_array_length(d.value) + 1) END)
                    FROM jsonb_array_elements_text(d.value) WITH ORDINALITY AS e(cat, n)))
                FROM jsonb_each(p.disaggregation) d),
               p.companion_value,
               (SELECT jsonb_object_agg(d.key, (
                    SELECT jsonb_object_agg(cat, CASE WHEN n = 1 THEN p.companion_value - (p.companion_value / (jsonb_array_length(d.value) + 1)) * (jsonb_array_length(d.value) - 1)
                                                      ELSE p.companion_value / (jsonb_array_length(d.value) + 1) END)
                    FROM jsonb_array_elements_text(d.value) WITH ORDINALITY AS e(cat, n)))
                FROM jsonb_each(p.companion_disaggregation) d WHERE p.companion_value IS NOT NULL),
               'approved', 'generated:' || p.indicator_id || ':' || p.unit_id || ':' || p.year || ':' || p.q,
               now(), now()
        FROM figures p
        WHERE p.period_start < current_date
        """
    }
}
