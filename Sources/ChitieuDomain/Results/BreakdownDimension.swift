/// The dimensions an indicator's figures are broken down by (its disaggregation), as officers
/// read them: pages, import files and messages name them the same way.
public enum BreakdownDimension {
    /// A dimension's Vietnamese name (`sex`: Giới tính); a dimension the catalogue does not know
    /// keeps its own name.
    public static func label(_ name: String) -> String {
        switch name {
        case "sex": "Giới tính"
        case "ethnicity": "Dân tộc"
        case "age": "Độ tuổi"
        default: name
        }
    }
}
