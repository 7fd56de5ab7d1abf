"""The rectification lifecycle as data: states, transitions, guards and who may fire what.

No database and no I/O here; `workflow` is the engine that persists what this package decides.
"""
