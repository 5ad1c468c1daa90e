"""The event log: building EventLogEntry rows for changes, appending them in order, reading them."""
