"""How fast espeak-ng speech is made for a typical bulletin, cold and from the cache.

The station renders each program a few minutes before air time (``station.render_lead_s``);
this tells how much of that lead a 2000-character bulletin needs on this machine.

Run: ``.venv/bin/python benchmarks/tts_bench.py [--repeat N]``
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from audio.tts import SpeechSettings, split_text, synthesize  # noqa: E402

#: An already-normalised bulletin, as audio.normalize would give it (numbers and abbreviations
#: read out). Repeated paragraphs are varied so that every sentence is a new cache entry.
PARAGRAPHS = [
    "Ủy ban nhân dân xã Yên Bình thông báo tới toàn thể bà con thôn {v}.",
    "Thực hiện kế hoạch số một trăm sáu mươi của Sở Văn hóa, Thể thao và Du lịch tỉnh, "
    "từ ngày hai mươi hai tháng mười hai năm hai nghìn không trăm hai mươi tư, "
    "xã tổ chức tiêm phòng vắc xin cúm gia cầm cho đàn gà, vịt, ngan thôn {v}.",
    "Thời gian tiêm từ sáu giờ ba mươi phút đến mười một giờ sáng, tại nhà văn hóa thôn {v}.",
    "Mức hỗ trợ là một triệu năm trăm nghìn đồng cho mỗi hộ thôn {v} có từ một trăm con.",
    "Đề nghị trưởng các thôn thông báo rộng rãi, bà con thôn {v} đưa gia cầm đến đúng giờ!",
    "Mọi thắc mắc ở thôn {v} xin liên hệ cán bộ thú y xã, số điện thoại không chín tám ba, "
    "một hai ba, bốn năm sáu.",
]


def bulletin(target_chars: int = 2000) -> str:
    """About ``target_chars`` of normalised text, each sentence distinct."""
    villages = ["Đông", "Tây", "Nam", "Bắc", "Trung", "Thượng", "Hạ", "Chùa", "Đình", "Giữa"]
    lines: list[str] = []
    round_no = 0
    while sum(len(line) + 1 for line in lines) < target_chars:
        village = villages[round_no % len(villages)]
        round_no += 1
        for paragraph in PARAGRAPHS:
            lines.append(paragraph.format(v=village))
    return "\n".join(lines)[:target_chars].rsplit(" ", 1)[0] + "."


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="cold runs to take the median of")
    parser.add_argument("--voice", default="vi")
    args = parser.parse_args()

    text = bulletin()
    settings = SpeechSettings(engines=("espeak",), voice=args.voice)
    cold: list[float] = []
    cached: list[float] = []
    seconds = 0.0
    for _ in range(args.repeat):
        with tempfile.TemporaryDirectory(prefix="tts-bench-") as folder:
            started = time.perf_counter()
            speech = synthesize(text, settings, Path(folder))
            cold.append(time.perf_counter() - started)
            seconds = speech.seconds
            for _ in range(5):
                started = time.perf_counter()
                synthesize(text, settings, Path(folder))
                cached.append(time.perf_counter() - started)

    cold_s, cached_s = statistics.median(cold), statistics.median(cached)
    print(
        f"espeak-ng voice {args.voice}: {len(text)} characters, {len(split_text(text))} pieces, "
        f"{seconds:.1f} s of speech"
    )
    print(
        f"cold:   {cold_s * 1000:8.1f} ms  = {seconds / cold_s:8.1f}x real time "
        f"(median of {len(cold)})"
    )
    print(
        f"cached: {cached_s * 1000:8.1f} ms  = {seconds / cached_s:8.1f}x real time "
        f"(median of {len(cached)})"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
