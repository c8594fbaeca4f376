"""The shape of an email address, as requests are checked against it.

One `@` with something on either side and no spaces: the same rule as the database's
`users_email_valid` and `invites_email_valid` constraints, which decide. Checking it here
as well answers a malformed address as a 422 naming the field, before any work is done.
"""

EMAIL_PATTERN = r"^[^@\s]+@[^@\s]+$"
