import ChitieuDomain
import ChitieuStore
import Hummingbird

/// What a page about a phase starts from: the caller, the province's phases to choose from,
/// and the phase shown — the one the query's `phase` names, else the one of this year, else
/// the last (nil when the province has none).
struct WebPhaseChoice {
    let caller: Caller
    let province: Int64
    let query: WebQuery
    let phases: [Phase]
    let phase: Phase?
    /// Today in Vietnam.
    let today: CalendarDate

    static func read(_ request: Request, _ context: AppRequestContext, services: WebServices) async throws -> WebPhaseChoice {
        let (caller, province) = try context.province()
        let query = WebQuery(request)
        let phases = try await TargetStore(database: services.database).phases(province: province, caller: caller)
        let today = ResultEntryController.today()
        let phase = phases.first(where: { $0.code == query["phase"] }) ?? phases.last(where: { $0.years.contains(today.year) }) ?? phases.last
        return WebPhaseChoice(caller: caller, province: province, query: query, phases: phases, phase: phase, today: today)
    }
}
