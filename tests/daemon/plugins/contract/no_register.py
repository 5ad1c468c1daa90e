"""No registerCallbacks at all."""

VALUE = 1
