"""Benchmark: our normalize() against vinorm 2.0.7 on the commune table (tests/data/normalize_cases.tsv).

Why: the issue asks whether our normaliser reads real commune notices better than the best-known
open Vietnamese normaliser. Both outputs are compared with the table's expected text after the
same fair fold (NFC, lowercase, punctuation stripped, spaces collapsed, old/new tone placement
'hoà'/'hòa' unified), so neither side is penalised for punctuation or case.

vinorm is only a comparison here, never a product dependency: it writes into its own install
folder and is not thread-safe, so it is imported lazily and called serially. It runs on Python
3.11 (breaks on 3.12+); install with `pip install vinorm==2.0.7` (the `bench` extra).

usage: .venv/bin/python benchmarks/normalize_vs_vinorm.py [--show N]
"""

from __future__ import annotations

import argparse
import re
import sys
import time
import unicodedata
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from audio.normalize import normalize  # noqa: E402

CASES_FILE = ROOT / "tests" / "data" / "normalize_cases.tsv"

_OLD_NEW = {"oà": "òa", "oá": "óa", "oả": "ỏa", "oã": "õa", "oạ": "ọa", "oè": "òe", "oé": "óe",
            "oẻ": "ỏe", "oẽ": "õe", "oẹ": "ọe", "uỳ": "ùy", "uý": "úy", "uỷ": "ủy", "uỹ": "ũy",
            "uỵ": "ụy"}


def fold(text: str) -> str:
    """Fair comparison form: NFC, lowercase, one tone placement, no punctuation, single spaces."""
    text = unicodedata.normalize("NFC", text).lower()
    for old, new in _OLD_NEW.items():
        text = text.replace(old, new)
    text = re.sub(r"[^\w\s]|_", " ", text)
    return re.sub(r"\s+", " ", text).strip()


def load_cases() -> list[tuple[str, str]]:
    """The same table the unit tests use."""
    cases = []
    for line in CASES_FILE.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            source, expected = line.split("\t")
            cases.append((source, expected))
    return cases


def run(name: str, fn: Callable[[str], str], cases: list[tuple[str, str]], show: int) -> int:
    """Run one normaliser serially over the table; print its pass rate and first failures."""
    passed = 0
    failures: list[tuple[str, str, str]] = []
    start = time.perf_counter()
    for source, expected in cases:
        try:
            got = fn(source)
        except Exception as exc:  # noqa: BLE001 - a crash is a failed case, not a stopped run
            got = f"<lỗi {type(exc).__name__}: {exc}>"
        if fold(got) == fold(expected):
            passed += 1
        else:
            failures.append((source, got, expected))
    elapsed = time.perf_counter() - start
    rate = 100.0 * passed / len(cases)
    print(f"{name}: {passed}/{len(cases)} đạt ({rate:.1f}%), {elapsed:.2f} s")
    for source, got, expected in failures[:show]:
        print(f"  ✗ {source}\n     được: {got}\n     cần:  {expected}")
    return passed


def main() -> int:
    parser = argparse.ArgumentParser(description="So sánh normalize() với vinorm 2.0.7")
    parser.add_argument("--show", type=int, default=0, help="in N trường hợp sai đầu tiên")
    args = parser.parse_args()
    cases = load_cases()
    ours = run("loa-xa normalize", normalize, cases, args.show)
    try:
        from vinorm import TTSnorm  # lazy: comparison only, never a product import
    except ImportError:
        print("vinorm chưa được cài (pip install vinorm==2.0.7, Python 3.11)", file=sys.stderr)
        return 1
    theirs = run("vinorm 2.0.7", lambda s: TTSnorm(s, punc=False, lower=True), cases, args.show)
    print(f"chênh lệch: {ours - theirs:+d} trường hợp")
    return 0 if ours > theirs else 1


if __name__ == "__main__":
    sys.exit(main())
