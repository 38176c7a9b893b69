"""Numbers as Vietnamese readers write them: a comma before decimals ("5,7 giây", not "5.7").

Messages from the station and the CLI end up in the evidence, the panel and the reports; one
helper keeps them alike (the panel's own filter is ``web.format.number``)."""
from __future__ import annotations


def decimal(value: float, digits: int = 1) -> str:
    """``decimal(5.72)`` → ``"5,7"``; thousands are not grouped (these are seconds and minutes)."""
    return f"{value:.{digits}f}".replace(".", ",")
