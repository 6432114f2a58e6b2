"""The decimal context bakery_io computes in, whatever the caller's thread uses.

Python's decimal context is per thread (and per task) and the host
application may change it: a precision of 5 or a trap on ``Inexact`` would
make bakery_io round or fail where it must not. Every decimal operation that
consults a context (``quantize``, arithmetic, ``scaleb``) is given
:data:`CONTEXT` explicitly, or runs inside ``decimal.localcontext(CONTEXT)``.
"""

from __future__ import annotations

from decimal import (
    ROUND_HALF_EVEN,
    Context,
    DivisionByZero,
    InvalidOperation,
    Overflow,
)

#: Python's default context, spelled out: ``decimal.Context()`` would copy
#: ``decimal.DefaultContext``, which the host may have changed too. Its 28
#: digits hold every column's values (at most 15 digits) with room to spare,
#: and the sample data computes exactly what it always did.
CONTEXT = Context(
    prec=28,
    rounding=ROUND_HALF_EVEN,
    Emin=-999999,
    Emax=999999,
    capitals=1,
    clamp=0,
    flags=[],
    traps=[InvalidOperation, DivisionByZero, Overflow],
)
