# Vault policy anchang-ticket (docs/architecture.md#security-model): no transit right beyond verifying access tokens.
# Customer texts go to client_vault over RPC; ticket never encrypts or decrypts PII itself.

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

# Its own service identity token (docs/architecture.md#service-identity): a JWT signed by Vault's OIDC key
# anchang-services, claim service=ticket. Only its own role: it cannot obtain another service's.
path "identity/oidc/token/anchang-ticket" {
  capabilities = ["read"]
}
