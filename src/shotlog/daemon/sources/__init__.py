"""Event sources: the shotlog database (``direct``), a shotlog server's stream (``stream``), and any
api3 server by polling (``polling``), all behind one shared ``feed.Feed``."""
