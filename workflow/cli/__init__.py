"""The command line, one module per command group; `cli.py` at the top assembles them. Modules here
import only click at module level, so that `zhenggai --help` stays fast."""
