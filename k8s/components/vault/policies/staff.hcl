# Vault policy anchang-staff (docs/architecture.md#security-model): signs access tokens; no right on customer PII.

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

# Sign access tokens with the ed25519 key (only staff can mint them).
path "transit/sign/anchang-auth" {
  capabilities = ["update"]
}

# Its own service identity token (docs/architecture.md#service-identity): a JWT signed by Vault's OIDC key
# anchang-services, claim service=staff. Only its own role: it cannot obtain another service's.
path "identity/oidc/token/anchang-staff" {
  capabilities = ["read"]
}
