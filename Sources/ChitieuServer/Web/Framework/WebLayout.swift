import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// One page to answer with: its title, its body (rendered by its template), where it sits in
/// the navigation.
struct WebPage {
    var title: String
    /// The section highlighted in the navigation.
    var section: WebSection?
    /// The page's HTML, from its `WebTemplate` (escaped by default).
    var body: String
    var status: HTTPResponse.Status = .ok
    /// A message shown above the body (after a form was saved), as text.
    var notice: String?
}

/// The frame around every page: head, skip link, navigation, account, footer.
enum WebLayout {
    static let template = WebTemplate("""
        <!doctype html>
        <html lang="vi">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>{{title}} · Chỉ tiêu Hội LHPN</title>
        <link rel="stylesheet" href="{{stylesheet}}">
        </head>
        <body>
        <a class="skip" href="#noi-dung">Bỏ qua, đến nội dung chính</a>
        <header class="top">
        <a class="brand" href="/">Chỉ tiêu · Hội LHPN</a>
        {{#signedIn}}
        <nav class="main" aria-label="Trang chính"><ul>
        {{#nav}}<li><a href="{{path}}"{{#current}} aria-current="page"{{/current}}>{{label}}</a></li>{{/nav}}
        </ul></nav>
        <div class="account"><span>{{displayName}}</span>
        <a href="/mat-khau"{{#passwordCurrent}} aria-current="page"{{/passwordCurrent}}>Đổi mật khẩu</a>
        <form method="post" action="/dang-xuat">{{> csrf}}<button type="submit">Đăng xuất</button></form></div>
        {{/signedIn}}
        </header>
        <main id="noi-dung" tabindex="-1">
        {{#notice}}<p class="notice" role="status">{{notice}}</p>{{/notice}}
        {{{body}}}
        </main>
        <footer>Hội Liên hiệp Phụ nữ Việt Nam · theo dõi chỉ tiêu</footer>
        </body>
        </html>
        """)

    /// The page in the layout, with the headers of every page.
    static func response(_ page: WebPage, context: AppRequestContext, passwordPage: Bool = false) -> Response {
        let signedIn = context.caller?.account != nil
        var values: [String: Any] = [
            "title": page.title, "stylesheet": WebAssets.stylesheet.path, "body": page.body,
            "signedIn": signedIn, "displayName": context.caller?.account?.displayName ?? "", "csrf": context.csrfToken,
            "passwordCurrent": passwordPage,
            "nav": WebSection.allCases.filter { $0.isShown(to: context.caller) }.map { ["path": $0.path, "label": $0.label, "current": $0 == page.section] },
        ]
        // Never an Optional in the values: Mustache would write "nil".
        if let notice = page.notice { values["notice"] = notice }
        let html = template.render(values)
        return htmlResponse(html, status: page.status)
    }

    /// HTML with the headers of a page (the security headers come from `WebHeadersMiddleware`).
    static func htmlResponse(_ html: String, status: HTTPResponse.Status) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "text/html; charset=utf-8"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: html)))
    }

    /// 303 See Other to a path of this site (after a form: POST, redirect, GET).
    static func redirect(_ location: String) -> Response {
        var headers = HTTPFields()
        headers[.location] = location
        return Response(status: .seeOther, headers: headers)
    }
}
