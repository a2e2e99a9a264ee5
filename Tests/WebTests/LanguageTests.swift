import Testing
@testable import Web

@Suite struct LanguageTests {
    @Test(arguments: [
        (nil, nil, Language.ja),
        ("en", nil, .en),
        ("EN-us", "ja", .en),
        ("ja", "en-US,en;q=0.9", .ja),
        ("fr", "en", .en),                                  // unsupported ?lang falls back to the header
        (nil, "en-US,en;q=0.9,ja;q=0.8", .en),
        (nil, "ja-JP,ja;q=0.9,en;q=0.8", .ja),
        (nil, "fr-FR,fr;q=0.9,en;q=0.8,ja;q=0.7", .en),
        (nil, "fr-FR, de;q=0.5", .ja),                      // nothing supported: default
        (nil, "en;q=0, ja", .ja),                           // q=0 means not acceptable
        (nil, "ja;q=0.5, en;q=0.6", .en),
        (nil, "*", .ja),
        (nil, ";;;,,,=", .ja),
    ] as [(String?, String?, Language)])
    func negotiates(query: String?, header: String?, expected: Language) {
        #expect(Language.negotiate(query: query, acceptLanguage: header) == expected)
    }
}
