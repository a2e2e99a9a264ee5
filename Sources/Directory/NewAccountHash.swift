import BlockingWork

/// The hash a back end stores for a new account, the same rule for every back end: a new
/// password is hashed on the blocking pool (never on the caller's thread); an imported hash
/// is taken only when the hasher can verify it.
package enum NewAccountHash {
    package static func hashing(_ password: Password, with hasher: any PasswordHashing,
                                on pool: BlockingWorkPool) async throws -> String {
        try await pool.run { try hasher.hash(password) }
    }

    package static func imported(_ hash: String, for address: DirectoryAddress,
                                 hasher: any PasswordHashing) throws -> String {
        guard hasher.canVerify(hash) else { throw DirectoryError.unsupportedPasswordHash(user: address.display) }
        return hash
    }
}
