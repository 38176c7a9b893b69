"""Peers' scorer adapter: each stdin line -> normalize() -> one stdout line.

Why: ../shared/peers/score.py feeds all cases in one call and pairs output lines with input lines,
so this script must print exactly one line per input line: an empty line for empty input and for
any error (the scorer counts it as a failure, it must not shift the following lines).
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from audio.normalize import normalize  # noqa: E402


def main() -> int:
    """Normalise stdin line by line; never let one bad line break the pairing."""
    out = []
    for line in sys.stdin.read().split("\n"):
        try:
            out.append(normalize(line).replace("\n", " ") if line.strip() else "")
        except Exception:  # noqa: BLE001 - one output line per input line, whatever happens
            out.append("")
    sys.stdout.write("\n".join(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
