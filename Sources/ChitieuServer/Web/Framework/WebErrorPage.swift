import ChitieuDomain
import ChitieuStore
import Foundation
import HTTPTypes
import Hummingbird
import Postgres

/// A page refused or failed: why, in Vietnamese, and a way back.
struct WebError: Error {
    var status: HTTPResponse.Status
    var title: String
    var message: String

    /// A form without its CSRF token, or with another session's: nothing was changed.
    static let csrf = WebError(
        status: .forbidden, title: "Biểu mẫu không hợp lệ",
        message: "Biểu mẫu này đã hết hạn hoặc không được gửi từ trang của hệ thống, nên không có gì được thay đổi. Hãy tải lại trang rồi gửi lại.")
    static let notFound = WebError(
        status: .notFound, title: "Không tìm thấy trang",
        message: "Trang hoặc đơn vị này không có, hoặc nằm ngoài phạm vi bạn được xem.")
    static let forbidden = WebError(
        status: .forbidden, title: "Không có quyền",
        message: "Vai trò của bạn không cho phép làm việc này ở đây.")
}

/// The error pages (403, 404, 400, 413, 429, 500, 503) in the layout.
enum WebErrorPage {
    static let template = WebTemplate("""
        <h1>{{title}}</h1>
        <div class="card"><p>{{message}}</p>
        <p><a href="/tong-quan">Về trang Tổng quan</a></p></div>
        """)

    static func response(_ error: WebError, context: AppRequestContext) -> Response {
        var response = WebLayout.response(
            WebPage(title: error.title, body: template.render(["title": error.title, "message": error.message]), status: error.status), context: context)
        WebHeadersMiddleware.secure(&response.headers)
        return response
    }

    /// The page for an error a page threw.
    static func page(for error: any Error, context: AppRequestContext) -> WebError {
        switch error {
        case let error as WebError: return error
        case is UploadTooLarge:
            return WebError(
                status: .contentTooLarge, title: "Tệp quá lớn",
                message: "Tệp gửi lên lớn hơn \(WebForm.maximumFileBytes >> 20) MB nên không được nhận và không có gì thay đổi. Hãy chia thành nhiều tệp nhỏ hơn.")
        case let error as ChitieuError:
            switch error.code {
            case .notFound: return .notFound
            case .forbidden: return .forbidden
            case .unauthenticated: return WebError(status: .unauthorized, title: "Chưa đăng nhập", message: "Hãy đăng nhập lại.")
            case .rateLimited:
                return WebError(
                    status: .tooManyRequests, title: "Thử quá nhiều lần", message: "Bạn đã thử quá nhiều lần; hãy thử lại sau \(error.retryAfter ?? 60) giây.")
            case .invalid, .malformed:
                return WebError(status: .badRequest, title: "Dữ liệu không hợp lệ", message: error.message(in: .vi))
            default:
                return WebError(status: .conflict, title: "Không thực hiện được", message: error.message(in: .vi))
            }
        case let error as any HTTPResponseError where error.status == .notFound:
            return .notFound
        case let error as PostgresError where error.code == .poolTimeout || error.isConnectionProblem || error.code == .poolClosed:
            context.logger.warning("The database is unavailable to a page.", metadata: ["error": "\(error)"])
            return WebError(status: .serviceUnavailable, title: "Hệ thống đang bận", message: "Cơ sở dữ liệu tạm thời không trả lời; hãy thử lại sau ít phút.")
        default:
            context.logger.error("A page failed.", metadata: ["error": "\(error)"])
            return WebError(
                status: .internalServerError, title: "Có lỗi xảy ra",
                message: "Máy chủ không trả lời được trang này. Mã yêu cầu: \(context.requestID).")
        }
    }

    /// The 404 page for a path no route matches, when a browser asked for a page (not under
    /// the API's paths): nil for the API, which answers problem documents.
    static func unmatched(_ request: Request, context: AppRequestContext) -> Response? {
        let path = request.uri.path
        for prefix in ["/v1", "/health", "/ready", "/metrics", "/openapi"] where path == prefix || path.hasPrefix(prefix + "/") || path.hasPrefix(prefix + ".") {
            return nil
        }
        guard request.headers[.accept]?.contains("text/html") == true else { return nil }
        return response(.notFound, context: context)
    }
}
