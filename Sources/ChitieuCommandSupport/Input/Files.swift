import ChitieuDomain
import ChitieuStore
package import Foundation

/// The contents of the file at `path`, named by `option`; an input error naming the option when it cannot be read.
package func readFile(_ path: String, option: String) throws -> Data {
    guard let data = FileManager.default.contents(atPath: path) else { throw ChitieuError(.invalid, field: option, reason: "cannot read '\(path)'") }
    return data
}
