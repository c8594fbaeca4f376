"""GraphQL over the same SQL as the REST functions: one query for what a screen needs.

`schema` holds the types and resolvers, `loaders` the batched reads (one statement per
batch, whatever the number of spots), `limits` the depth, alias, token and cost limits,
`view` the HTTP and `graphql-transport-ws` endpoint with the bearer token's auth, and
`live` the subscriptions fed by the building's Redis stream.
"""
