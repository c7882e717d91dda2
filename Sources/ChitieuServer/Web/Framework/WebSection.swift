/// The pages of the navigation, in its order: their paths (ASCII, stable) and Vietnamese labels.
enum WebSection: String, CaseIterable, Sendable {
    case dashboard, entry, results, inbox, completeness, downloads, imports, audit

    /// The page's path.
    var path: String {
        switch self {
        case .dashboard: "/tong-quan"
        case .entry: "/ket-qua/nhap"
        case .results: "/ket-qua"
        case .inbox: "/duyet"
        case .completeness: "/tinh-hinh-bao-cao"
        case .downloads: "/tai-ve"
        case .imports: "/nhap-excel"
        case .audit: "/nhat-ky"
        }
    }

    /// The label in the navigation.
    var label: String {
        switch self {
        case .dashboard: "Tổng quan"
        case .entry: "Nhập kết quả"
        case .results: "Kết quả"
        case .inbox: "Duyệt"
        case .completeness: "Tình hình báo cáo"
        case .downloads: "Tải về"
        case .imports: "Nhập từ Excel"
        case .audit: "Nhật ký"
        }
    }
}

/// The other fixed paths of the pages.
enum WebPath {
    static let signIn = "/dang-nhap"
    static let signOut = "/dang-xuat"
    static let password = "/mat-khau"
    static let assets = "/assets"
}
