import ChitieuStore
import Hummingbird

/// The officers' pages beside the API: what each page may use, and where they are mounted.
struct WebServices: Sendable {
    let database: ChitieuDatabase
    let authenticator: Authenticator
    let progress: ProgressStore
    let sessionSeconds: Int
    /// Accounts with the daemon's password parameters and token cache (a change drops kept tokens).
    let accounts: AccountStore
    /// The province's settings, with the same token cache.
    let settings: ProvinceSettingsStore
}

enum WebRoutes {
    /// Mounts the assets and every page. Pages get the security headers and the error pages;
    /// those of `signedIn` need a session (else the sign-in page) and a CSRF token on every POST.
    static func add(to router: Router<AppRequestContext>, services: WebServices) {
        WebAssets.addRoutes(to: router)
        let open = router.group()
            .add(middleware: WebHeadersMiddleware())
            .add(middleware: WebSessionMiddleware(authenticator: services.authenticator, required: false))
        let signedIn = router.group()
            .add(middleware: WebHeadersMiddleware())
            .add(middleware: WebSessionMiddleware(authenticator: services.authenticator, required: true))
        let signIn = SignInController(authenticator: services.authenticator, sessionSeconds: services.sessionSeconds)
        signIn.addPublicRoutes(to: open)
        signIn.addRoutes(to: signedIn)
        DashboardController(services: services).addRoutes(to: signedIn)
        DownloadsController(services: services).addRoutes(to: signedIn)
        ResultEntryController(services: services).addRoutes(to: signedIn)
        ImportPageController(services: services).addRoutes(to: signedIn)
        ResultsPageController(services: services).addRoutes(to: signedIn)
        InboxController(services: services).addRoutes(to: signedIn)
        CompletenessPageController(services: services).addRoutes(to: signedIn)
        ReportPageController(services: services).addRoutes(to: signedIn)
        PlanningPageController(services: services).addRoutes(to: signedIn)
        OfficersPageController(services: services).addRoutes(to: signedIn)
        AuditPageController(services: services).addRoutes(to: signedIn)
    }
}
