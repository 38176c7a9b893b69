"""Benchmark: render a ~5-minute commune program, cold (espeak-ng) and from cached parts.

Run:  .venv/bin/python benchmarks/render_bench.py [--minutes 5] [--json]

Phases, each in its own process so peak memory (ru_maxrss of the process and of its largest
child, i.e. ffmpeg or espeak-ng) belongs to that phase alone:
  cold     empty cache: normalise, synthesise with espeak-ng, make jingles, level each part,
           join, finish, write WAV.
  parts    speech, jingles and levelled parts cached, program not: what the station does when
           a schedule changes the order or the pauses (here: the gap between items changes).
  cached   the same program again: the render cache answers.
Targets (issue 4): cold >= 20x real time; from cached parts >= 200x real time.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from audio.compose import (  # noqa: E402
    ProgramItem,
    RenderSettings,
    bulletin_program,
    render_program,
)
from audio.tts import SpeechSettings  # noqa: E402

TOPICS = [
    ("Lịch tiêm phòng cho đàn gia súc", "nông nghiệp"),
    ("Phòng chống sốt xuất huyết", "y tế"),
    ("Kế hoạch thu hoạch lúa vụ mùa", "nông nghiệp"),
    ("Họp dân bàn về đường giao thông nông thôn", "hành chính"),
    ("Cảnh báo mưa lớn và lũ quét", "thiên tai"),
    ("Đăng ký nghĩa vụ quân sự", "hành chính"),
    ("Giữ gìn vệ sinh môi trường", "y tế"),
    ("Phòng cháy chữa cháy rừng mùa khô", "thiên tai"),
]
SENTENCES = [
    "Ủy ban nhân dân xã đề nghị bà con thôn {n} chú ý theo dõi thông báo này.",
    "Thời gian thực hiện từ ngày {d} tháng {m} năm 2025, bắt đầu lúc {h} giờ sáng.",
    "Địa điểm tại nhà văn hóa thôn {n}, mỗi hộ cử một người đại diện tham dự.",
    "Đề nghị các hộ gia đình chuẩn bị đầy đủ giấy tờ và đến đúng giờ.",
    "Mọi thắc mắc xin liên hệ cán bộ phụ trách thôn {n} hoặc văn phòng ủy ban xã.",
    "Trong tuần qua toàn xã đã có {k} hộ hoàn thành, còn lại {j} hộ chưa thực hiện.",
    "Ban chỉ đạo xã sẽ kiểm tra kết quả vào cuối tháng {m} và báo cáo Sở Văn hóa, Thể thao và Du lịch tỉnh.",
    "Đề nghị trưởng thôn {n} đôn đốc bà con thực hiện nghiêm túc nội dung trên.",
]


def program(minutes: float) -> list[ProgramItem]:
    """A realistic day's program: several bulletins, each in the standard commune shape."""
    items: list[ProgramItem] = []
    words_per_second = 2.6  # espeak-ng at rate 1.0, measured on these sentences
    target_words = minutes * 60 * words_per_second * 0.86  # jingles, gaps, repeats take the rest
    words = 0
    i = 0
    while words < target_words:
        title, category = TOPICS[i % len(TOPICS)]
        body = " ".join(
            s.format(n=(i * 3 + k) % 12 + 1, d=(i + k) % 28 + 1, m=(i % 12) + 1, h=7 + k % 4,
                     k=40 + i * 7 + k, j=5 + i + k)
            for k, s in enumerate(SENTENCES[: 5 + i % 4])
        )
        priority = "priority" if i % 3 == 2 else "normal"
        items += bulletin_program(f"{title}, đợt {i + 1}", body, priority=priority, repeats=2,
                                  category=category, greeting=(i == 0))
        items.append(ProgramItem(kind="pause", seconds=1.5))
        words += len(body.split()) * (2 if priority == "priority" else 1)
        i += 1
    return items


def _cpu_seconds() -> float:
    """User + system CPU of this process and its finished children (ffmpeg, espeak-ng): the
    figure that does not depend on what else the machine is doing."""
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def run_phase(phase: str, cache: Path, minutes: float) -> dict:
    items = program(minutes)
    gap = 1.2 if phase == "parts" else 1.0
    settings = RenderSettings(speech=SpeechSettings(engines=("espeak",)), gap_s=gap)
    tracemalloc.start()
    before = _cpu_seconds()
    started = time.perf_counter()
    result = render_program(items, settings, cache)
    elapsed = time.perf_counter() - started
    cpu = _cpu_seconds() - before
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    self_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    child_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return {
        "phase": phase, "program_s": result.seconds, "elapsed_s": round(elapsed, 3),
        "x_real_time": round(result.seconds / elapsed, 1), "cached": result.cached,
        "cpu_s": round(cpu, 3), "x_per_cpu_s": round(result.seconds / max(cpu, 1e-6), 1),
        "load_avg_1min": round(os.getloadavg()[0], 2),
        "parts": len(result.items), "tracemalloc_peak_mb": round(peak / 2**20, 1),
        "maxrss_self_mb": round(self_kb / 1024, 1), "maxrss_child_mb": round(child_kb / 1024, 1),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=5.0)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--phase", choices=["cold", "parts", "cached"])
    parser.add_argument("--cache", type=Path)
    args = parser.parse_args()
    if args.phase:  # child process: one phase, JSON on stdout
        print(json.dumps(run_phase(args.phase, args.cache, args.minutes)))
        return 0
    rows = []
    with tempfile.TemporaryDirectory(prefix="render-bench-") as tmp:
        for phase in ("cold", "parts", "cached"):
            out = subprocess.run(
                [sys.executable, __file__, "--phase", phase, "--cache", tmp,
                 "--minutes", str(args.minutes)],
                capture_output=True, text=True, check=True,
            )
            rows.append(json.loads(out.stdout.strip().splitlines()[-1]))
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    print(f"{'phase':<8} {'program':>8} {'elapsed':>8} {'x real':>8} {'cpu':>8} {'x/cpu':>8} "
          f"{'py peak':>8} {'rss':>7} {'child rss':>9} {'load':>5}")
    for r in rows:
        print(f"{r['phase']:<8} {r['program_s']:>7.1f}s {r['elapsed_s']:>7.3f}s "
              f"{r['x_real_time']:>7.1f}x {r['cpu_s']:>7.3f}s {r['x_per_cpu_s']:>7.1f}x "
              f"{r['tracemalloc_peak_mb']:>6.1f}MB {r['maxrss_self_mb']:>5.0f}MB "
              f"{r['maxrss_child_mb']:>7.0f}MB {r['load_avg_1min']:>5.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
