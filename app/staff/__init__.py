"""Staff: accounts and their roles, API keys, who may see and do what, and the audit log.

- `principals.py`: a `Principal` (a user, a key, the command line) with its grants; `can()`
  and `scope_filter()` say what it may do and see.
- `users.py`: staff users, passwords (salted scrypt), roles, sign-in with lock-out.
- `keys.py`: API keys, stored hashed, shown once.
- `audit.py`: the audit log every staff action writes.

Services take a session and plain values, raise domain errors, and leave the commit to the
caller (except `authenticate`, whose count of failed sign-ins must survive a rollback).
"""
