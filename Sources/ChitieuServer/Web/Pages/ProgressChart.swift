import ChitieuDomain
import ChitieuStore

/// SVG drawn by the server: a figure's progress bar and the yearly chart. Only numbers the
/// server computed and escaped text go into it; widths are attributes, not inline styles, so the
/// Content-Security-Policy needs no 'unsafe-inline'.
enum ProgressChart {
    /// A bar 0–100 % (longer rates are drawn full) coloured by status.
    static func bar(rate: Double?, status: ProgressStatus) -> String {
        let width = min(max((rate ?? 0) * 100, 0), 100)
        let label = rate.map { "Tỷ lệ \(WebFormat.percent($0))" } ?? "Chưa giao chỉ tiêu"
        return """
            <svg class="bar" viewBox="0 0 100 6" preserveAspectRatio="none" role="img" aria-label="\(escape(label))">\
            <rect class="track" x="0" y="0" width="100" height="6"/><rect class="\(status.rawValue)" x="0" y="0" width="\(format(width))" height="6"/></svg>
            """
    }

    /// Target and achieved of each year, side by side, with the achieved figure above its bar.
    static func svg(_ yearly: [(year: Int, figure: ProgressFigure?)], title: String) -> String {
        let width = 400.0, height = 200.0, left = 6.0, bottom = 26.0, top = 20.0
        let maximum = Double(yearly.map { max($0.figure?.target ?? 0, $0.figure?.achieved ?? 0) }.max() ?? 0)
        let scale = maximum > 0 ? (height - bottom - top) / maximum : 0
        let slot = (width - 2 * left) / Double(max(yearly.count, 1))
        let barWidth = min(30, slot / 3)
        var out = """
            <svg class="chart" viewBox="0 0 \(format(width)) \(format(height))" role="img" aria-labelledby="bieu-do-tieu-de">\
            <title id="bieu-do-tieu-de">\(escape(title))</title>
            """
        let baseline = height - bottom
        out += "<line class=\"axis\" x1=\"\(format(left))\" y1=\"\(format(baseline))\" x2=\"\(format(width - left))\" y2=\"\(format(baseline))\"/>"
        for (index, item) in yearly.enumerated() {
            let center = left + slot * (Double(index) + 0.5)
            let target = Double(item.figure?.target ?? 0) * scale, achieved = Double(item.figure?.achieved ?? 0) * scale
            let targetText = item.figure?.target.map(WebFormat.integer) ?? "—"
            let achievedText = item.figure.map { WebFormat.integer($0.achieved) } ?? "—"
            out += "<g><title>Năm \(item.year): chỉ tiêu \(targetText), đạt \(achievedText)</title>"
            out += "<rect class=\"target\" x=\"\(format(center - barWidth - 2))\" y=\"\(format(baseline - target))\" width=\"\(format(barWidth))\" height=\"\(format(target))\"/>"
            out += "<rect class=\"achieved\" x=\"\(format(center + 2))\" y=\"\(format(baseline - achieved))\" width=\"\(format(barWidth))\" height=\"\(format(achieved))\"/>"
            out += "<text x=\"\(format(center + 2 + barWidth / 2))\" y=\"\(format(baseline - achieved - 4))\" text-anchor=\"middle\">\(achievedText)</text>"
            out += "<text x=\"\(format(center))\" y=\"\(format(height - 10))\" text-anchor=\"middle\">\(item.year)</text></g>"
        }
        return out + "</svg>"
    }

    static func format(_ x: Double) -> String {
        let rounded = (x * 10).rounded() / 10
        return rounded == rounded.rounded() ? String(Int(rounded)) : String(rounded)
    }

    /// Text inside SVG, escaped as Mustache escapes it.
    static func escape(_ text: String) -> String {
        var out = ""
        for c in text {
            switch c {
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "&": out += "&amp;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(c)
            }
        }
        return out
    }
}
