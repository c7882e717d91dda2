import Foundation
import Mustache

/// A page's Mustache template, parsed once. `{{name}}` escapes HTML (a hostile unit name
/// renders as text); `{{{name}}}` does not and is for HTML the server wrote itself (an SVG
/// chart, the body inside the layout). Partials every template may use: `{{> csrf}}` (the
/// hidden CSRF field: the values need `csrf`), `{{> errors}}` (the list `errors` of `field`
/// and `message`, shown when `hasErrors`; `WebFormErrors.values` gives both).
struct WebTemplate: Sendable {
    let template: MustacheTemplate

    /// Parses the template; a template that does not parse is a programming error, caught by
    /// the tests that render every page.
    init(_ text: String) {
        do { template = try MustacheTemplate(string: text) } catch { preconditionFailure("a page template does not parse: \(error)") }
    }

    /// Renders with values: dictionaries `[String: Any]`, arrays, strings, numbers, booleans.
    func render(_ values: [String: Any]) -> String { template.render(values, library: Self.partials) }

    static let partials: MustacheLibrary = {
        var library = MustacheLibrary()
        library.register(WebTemplate.csrfPartial.template, named: "csrf")
        library.register(WebTemplate.errorsPartial.template, named: "errors")
        return library
    }()

    private init(partial text: String) { template = try! MustacheTemplate(string: text) }

    static let csrfPartial = WebTemplate(partial: #"<input type="hidden" name="_csrf" value="{{csrf}}">"#)
    static let errorsPartial = WebTemplate(partial: """
        {{#hasErrors}}<div class="errors" role="alert"><p>Chưa lưu được, hãy sửa:</p><ul>{{#errors}}<li>{{message}}</li>{{/errors}}</ul></div>{{/hasErrors}}
        """)
}
