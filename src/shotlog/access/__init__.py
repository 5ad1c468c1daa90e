"""Who may do what: the rules the write path and the HTTP edge ask (``authority``), and password hashes.

Both sit below the store, because the store's write path enforces them on every change.
"""
