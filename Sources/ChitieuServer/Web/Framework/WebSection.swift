import ChitieuStore

/// The pages of the navigation, in its order: their paths (ASCII, stable) and Vietnamese labels.
enum WebSection: String, CaseIterable, Sendable {
    case dashboard, entry, imports, results, inbox, completeness, report, targets, officers, downloads, audit

    /// The page's path.
    var path: String {
        switch self {
        case .dashboard: "/tong-quan"
        case .entry: "/ket-qua/nhap"
        case .imports: "/nhap-excel"
        case .results: "/ket-qua"
        case .inbox: "/duyet"
        case .completeness: "/tinh-hinh-bao-cao"
        case .report: "/bao-cao"
        case .targets: "/chi-tieu"
        case .officers: "/can-bo"
        case .downloads: "/tai-ve"
        case .audit: "/nhat-ky"
        }
    }

    /// The label in the navigation.
    var label: String {
        switch self {
        case .dashboard: "Tổng quan"
        case .entry: "Nhập kết quả"
        case .imports: "Nhập từ Excel"
        case .results: "Kết quả"
        case .inbox: "Duyệt"
        case .completeness: "Tình hình báo cáo"
        case .report: "Báo cáo"
        case .targets: "Chỉ tiêu"
        case .officers: "Cán bộ"
        case .downloads: "Tải về"
        case .audit: "Nhật ký"
        }
    }
}

extension WebSection {
    /// Whether the navigation lists the section for a caller: Nhật ký for those who may read the
    /// audit log, Cán bộ for those who may manage accounts, Nhập từ Excel for those who may submit
    /// results or set targets (the policy asked at their grants).
    func isShown(to caller: Caller?) -> Bool {
        switch self {
        case .audit: AuditPageController.mayRead(caller)
        case .officers: OfficersPageController.mayManage(caller)
        case .imports: ImportPageController.mayImport(caller)
        default: true
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
