"""Identity: who a caller is and how they prove it — passwords and the limits on guessing
them, sessions and their refresh tokens, invites, the buildings' single sign-on, and the
secrets sealed for it.

Nothing is imported here, on purpose: a function imports only the modules it uses (admin
needs invites and sealed secrets, never argon2, Redis or joserfc), and each import is paid
on every cold start.
"""
