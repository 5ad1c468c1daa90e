"""How a caller proves who it is: script keys, passwords, session and access tokens, sign-in events.

The HTTP edge (``server/principals.py``) turns a request into a principal through these.
"""
