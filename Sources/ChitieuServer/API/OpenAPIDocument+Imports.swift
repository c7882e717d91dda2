import ChitieuDomain

extension OpenAPIDocument {
    /// What an import answers: the counts, and when it is refused (422) every row's problem.
    static var importReportMembers: [String: [String: Any]] { [
        "kind": enumeration(["results", "targets"]), "dry_run": boolean, "sheet": string, "rows": integer, "recorded": integer,
        "unchanged": integer, "accepted": boolean,
    ] }

    /// A problem document that may carry an import's report and its rows' problems.
    static var importProblem: [String: Any] {
        let row = object(
            ["field": string, "detail": string, "sheet": string, "row": integer, "column": string, "code": enumeration(ChitieuError.Code.allCases.map(\.name))],
            optional: ["sheet", "row", "column", "code"])
        let members = importReportMembers.merging([
            "type": string, "title": string, "status": integer, "detail": string, "errors": array(row), "request_id": string,
            "code": enumeration(ChitieuError.Code.allCases.map(\.name)),
        ]) { $1 }
        return object(members, optional: Set(importReportMembers.keys).union(["errors", "request_id", "code"]))
    }

    /// `/v1/imports`: uploads of results and targets, and their templates.
    static func importPaths() -> [String: Any] {
        let file: [String: Any] = ["type": "string", "format": "binary"]
        return [
            "/v1/imports": ["post": {
                var op = operation(
                    "Import results (as drafts, or submitted) or a phase's targets from an .xlsx or CSV file of at most 10 MB and 50,000 rows. Every row is checked as one submission would be; with `dry_run` nothing is written. With a problem in any row nothing is written and the 422 lists every row's problem (sheet, row, column, field). Importing the same file again records nothing new (`unchanged`).",
                    id: "importFile", tag: "imports", ok: (200, "What was (or in a dry run would be) recorded.", object(importReportMembers)),
                    errors: [400, 413, 415, 422, 404])
                op["requestBody"] = [
                    "required": true,
                    "content": ["multipart/form-data": ["schema": object([
                        "file": file, "kind": enumeration(["results", "targets"]), "dry_run": enumeration(["true", "false"]),
                        "state": enumeration(["draft", "submitted"]), "phase": string,
                    ], optional: ["kind", "dry_run", "state", "phase"])]],
                ]
                var responses = op["responses"] as! [String: Any]
                responses["422"] = [
                    "description": "A field of the form is wrong, the file is not a workbook or CSV or lacks a column, or rows have problems: `errors` lists each row's first.",
                    "content": ["application/problem+json": ["schema": importProblem]],
                ]
                responses["413"] = ["description": "The file is larger than 10 MB.", "content": ["application/problem+json": ["schema": ref("Problem")]]]
                responses["415"] = ["description": "The body is not multipart/form-data.", "content": ["application/problem+json": ["schema": ref("Problem")]]]
                op["responses"] = responses
                return op
            }()],
            "/v1/imports/template": ["get": fileOperation(operation(
                "The file to fill in: for results (a period) or targets (a phase and optionally a year), the units of a level in my scope and the indicators, one row each, with a Vietnamese title and a key per column (`Mã đơn vị [unit_code]`).",
                id: "importTemplate", tag: "imports", ok: (200, "The file.", nil), errors: [404, 422],
                parameters: [
                    parameter("kind", enumeration(["results", "targets"]), "results (default) or targets."),
                    parameter("period", ["type": "string", "pattern": "^[0-9]{4}(-(H[12]|Q[1-4]|0[1-9]|1[0-2]))?$"], "For results: 2025, 2025-H1, 2025-Q3 or 2025-07 (default: the year)."),
                    parameter("year", integer, "For results, the year when no period is given; for targets, a year of the phase (default: the phase targets)."),
                    parameter("phase", ["type": "string", "pattern": "^[0-9]{4}-[0-9]{4}$"], "For targets: the phase, e.g. 2026-2030."),
                    parameter("level", enumeration(["province", "district", "commune", "village"]), "The units' level (default commune)."),
                    parameter("indicators", string, "Only these indicator codes, comma-separated."),
                    parameter("format", enumeration(["xlsx", "csv"]), "xlsx (default) or csv."),
                ]))],
        ]
    }

    /// An operation whose success is a file: the workbook, or CSV.
    static func fileOperation(_ operation: [String: Any]) -> [String: Any] {
        var op = operation
        var responses = op["responses"] as! [String: Any]
        responses["200"] = [
            "description": "The file.",
            "content": [
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ["schema": ["type": "string", "format": "binary"]],
                "text/csv; charset=utf-8": ["schema": ["type": "string"]],
            ],
        ]
        op["responses"] = responses
        return op
    }
}
