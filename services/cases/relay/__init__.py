"""The relay: the Cases application's notification log → a Redis Stream, exactly once.

entries.py  stored event → stream entry of shared/contracts.py
scripts.py  the atomic Lua scripts (append with cursor and lease checks, trim, lease)
stream.py   the stream, its cursor and lease keys on one Redis connection
lease.py    one active relay, the others waiting
source.py   the event log read in order
loop.py     the Relay loop (shared/runner.py's shape)
command.py  `careledger cases relay`
"""

from .loop import Relay, StreamMismatchError

__all__ = ["Relay", "StreamMismatchError"]
