"""What the pages of one render pass share, computed once per pass.

A pass renders the status page some fifteen times (each language, each offered time
zone): its uptime bars and latency series are the same data each time (the bars carry
incident names in the page's language, so per language), and at 200 components they were
two thirds of the page's cost. Outside a pass (a visitor's miss, a test), `shared` just
computes. One pass also means one "now" for every copy: the copies agree with each other.
"""

from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar

_memo: ContextVar[dict | None] = ContextVar("render_pass_memo", default=None)


@contextmanager
def render_pass():
    token = _memo.set({})
    try:
        yield
    finally:
        _memo.reset(token)


def shared(key: tuple, compute):
    memo = _memo.get()
    if memo is None:
        return compute()
    if key not in memo:
        memo[key] = compute()
    return memo[key]
