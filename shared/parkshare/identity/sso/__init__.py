"""Single sign-on with a building's OpenID Connect provider: the protocol (`oidc`), the
browser's round trip through it (`sign_in`), and the building's settings with their sealed
client secret (`settings`).

Nothing is imported here: the admin function imports `settings`, and must not bring
`oidc`'s joserfc into its cold start.
"""
