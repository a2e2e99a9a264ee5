import Testing
@testable import Web

@Suite struct CatalogTests {
    @Test func everyLanguageHasEveryKey() {
        let japanese = Set(Catalog.strings(.ja).keys)
        let english = Set(Catalog.strings(.en).keys)
        #expect(japanese.subtracting(english).isEmpty, "missing in English: \(japanese.subtracting(english).sorted())")
        #expect(english.subtracting(japanese).isEmpty, "missing in Japanese: \(english.subtracting(japanese).sorted())")
    }

    @Test func placeholdersMatchBetweenLanguages() {
        func placeholders(_ text: String) -> Set<String> {
            var names = Set<String>()
            var rest = text[...]
            while let open = rest.firstIndex(of: "{"), let close = rest[open...].firstIndex(of: "}") {
                names.insert(String(rest[rest.index(after: open)..<close]))
                rest = rest[rest.index(after: close)...]
            }
            return names
        }
        for (key, value) in Catalog.strings(.ja) {
            #expect(placeholders(value) == placeholders(Catalog.strings(.en)[key] ?? ""), "\(key)")
        }
    }

    @Test func everyAddressProblemHasAMessage() {
        for problem in AddressProblem.allCases {
            for language in Language.allCases {
                #expect(Catalog.strings(language)["error_\(problem.code)"] != nil, "\(problem) \(language)")
            }
        }
    }

    @Test func fillingIsSinglePass() {
        #expect(Catalog.fill("{a} and {b}", ["a": "{b}", "b": "x"]) == "{b} and x")
        #expect(Catalog.fill("{unknown} {", ["a": "1"]) == "{unknown} {")
    }
}

@Suite struct AddressProblemTests {
    @Test func describesItselfInEnglish() {
        #expect(AddressProblem.invalidDomain.description == "The domain after \"@\" is not valid.")
        #expect("\(AddressProblem.missing)" == Catalog.text("error_missing_email", .en))
    }
}
