# Vault policy anchang-client_vault (docs/architecture.md#security-model): the only service that can decrypt customer PII.

# Every service: read the public key of anchang-auth, to verify access tokens locally.
path "transit/keys/anchang-auth" {
  capabilities = ["read"]
}

# Its own Vault token: look it up and renew it (tokens are issued without the default policy).
path "auth/token/lookup-self" {
  capabilities = ["read"]
}

path "auth/token/renew-self" {
  capabilities = ["update"]
}

# Customer PII: aes256-gcm96, derived (context client/<id>/<field>).
path "transit/encrypt/anchang-pii" {
  capabilities = ["update"]
}

path "transit/decrypt/anchang-pii" {
  capabilities = ["update"]
}

path "transit/rewrap/anchang-pii" {
  capabilities = ["update"]
}

# Blind index of phone numbers: the HMAC is computed inside Vault, the key never leaves it.
path "transit/hmac/anchang-phone-index" {
  capabilities = ["update"]
}

# Key metadata (versions, min_decryption_version), for rotation and rewrap.
path "transit/keys/anchang-pii" {
  capabilities = ["read"]
}

path "transit/keys/anchang-phone-index" {
  capabilities = ["read"]
}

# Admin operations behind client_vault.rotate_key / rewrap: rotate, then raise min_decryption_version.
path "transit/keys/anchang-pii/rotate" {
  capabilities = ["update"]
}

# Only min_decryption_version: never exportable, deletion_allowed, allow_plaintext_backup or any
# other setting that would let the key out or let it be deleted (Vault refuses other parameters).
path "transit/keys/anchang-pii/config" {
  capabilities = ["update"]
  allowed_parameters = {
    "min_decryption_version" = []
  }
}

# Its own service identity token (docs/architecture.md#service-identity): a JWT signed by Vault's OIDC key
# anchang-services, claim service=client_vault. Only its own role: it cannot obtain another service's.
path "identity/oidc/token/anchang-client_vault" {
  capabilities = ["read"]
}
