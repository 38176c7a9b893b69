"""Uploaded recordings: every accepted format, every rejection path, storage by content hash."""
from __future__ import annotations

import hashlib
import subprocess
import wave
from pathlib import Path

import numpy as np
import pytest

from audio.upload import AudioAsset, UploadRejected, ingest_upload

RATE = 44100


def voice_wav(path: Path, seconds: float = 2.0, amp: float = 0.3) -> Path:
    t = np.arange(int(seconds * RATE)) / RATE
    sig = amp * np.sin(2 * np.pi * 220 * t) * (0.6 + 0.4 * np.sin(2 * np.pi * 3 * t))
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes(np.rint(sig * 32767).astype("<i2").tobytes())
    return path


def encode(src: Path, dest: Path, *codec: str) -> Path:
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", str(src), *codec, str(dest)], check=True)
    return dest


@pytest.fixture()
def source(tmp_path: Path) -> Path:
    return voice_wav(tmp_path / "giong-doc.wav")


@pytest.mark.parametrize(
    ("name", "codec", "fmt"),
    [
        ("ban-tin.mp3", ["-c:a", "libmp3lame", "-b:a", "64k"], "mp3"),
        ("ban-tin.wav", [], "wav"),
        ("ban-tin.ogg", ["-c:a", "libopus", "-b:a", "32k"], "ogg"),
        ("ban-tin.m4a", ["-c:a", "aac", "-b:a", "64k"], "m4a"),
        ("ban-tin.flac", ["-c:a", "flac"], "flac"),
    ],
)
def test_accepts_supported_formats_and_stores_by_hash(
    tmp_path: Path, source: Path, name: str, codec: list[str], fmt: str
) -> None:
    upload = encode(source, tmp_path / name, *codec)
    store = tmp_path / "store"
    asset = ingest_upload(upload, store)
    digest = hashlib.sha256(upload.read_bytes()).hexdigest()
    assert isinstance(asset, AudioAsset)
    assert asset.sha256 == digest
    assert asset.path == store / f"{digest}.{fmt}", f"stored as {asset.path.name}"
    assert asset.path.read_bytes() == upload.read_bytes(), "stored bytes must be the upload's"
    assert asset.format == fmt and asset.channels == 1
    assert asset.seconds == pytest.approx(2.0, abs=0.1), asset.seconds
    assert [p.name for p in store.iterdir()] == [asset.path.name], "no temporary files left"


def test_uploaded_name_never_reaches_the_file_system(tmp_path: Path, source: Path) -> None:
    nasty = tmp_path / "..%2F..%2Fetc passwd; rm -rf.wav"
    nasty.write_bytes(source.read_bytes())
    store = tmp_path / "store"
    asset = ingest_upload(nasty, store)
    assert asset.path.parent == store
    assert asset.path.name == f"{asset.sha256}.wav"
    again = ingest_upload(source, store)
    assert again.path == asset.path, "same content, same stored file"
    assert len(list(store.iterdir())) == 1


def rejected(src: Path, store: Path, **limits: float) -> str:
    with pytest.raises(UploadRejected) as info:
        ingest_upload(src, store, **limits)  # type: ignore[arg-type]
    assert not store.exists() or not list(store.iterdir()), "a rejected upload must leave nothing"
    return str(info.value)


def test_rejects_text_file_renamed_mp3(tmp_path: Path) -> None:
    fake = tmp_path / "thong-bao.mp3"
    fake.write_text("Thông báo: họp thôn lúc 8 giờ sáng mai.\n" * 50, encoding="utf-8")
    msg = rejected(fake, tmp_path / "store")
    assert "không phải" in msg and "âm thanh" in msg, msg


def test_rejects_truncated_mp3(tmp_path: Path, source: Path) -> None:
    mp3 = encode(voice_wav(tmp_path / "long.wav", seconds=6.0), tmp_path / "full.mp3",
                 "-c:a", "libmp3lame", "-b:a", "64k")
    cut = tmp_path / "cut.mp3"
    cut.write_bytes(mp3.read_bytes()[: mp3.stat().st_size // 3])
    msg = rejected(cut, tmp_path / "store")
    assert "hỏng" in msg, msg


def test_rejects_corrupt_mp3(tmp_path: Path) -> None:
    mp3 = encode(voice_wav(tmp_path / "v.wav", seconds=4.0), tmp_path / "v.mp3",
                 "-c:a", "libmp3lame", "-b:a", "64k")
    data = bytearray(mp3.read_bytes())
    rng = np.random.default_rng(7)
    for start in range(2000, len(data) - 600, 1500):  # scribble over frames all through the file
        data[start:start + 400] = rng.integers(0, 256, 400, dtype=np.uint8).tobytes()
    bad = tmp_path / "bad.mp3"
    bad.write_bytes(bytes(data))
    msg = rejected(bad, tmp_path / "store")
    assert "hỏng" in msg or "không phải" in msg, msg


def test_rejects_truncated_wav(tmp_path: Path) -> None:
    wav = voice_wav(tmp_path / "v.wav", seconds=4.0)
    cut = tmp_path / "cut.wav"
    cut.write_bytes(wav.read_bytes()[: wav.stat().st_size // 4])
    assert "hỏng" in rejected(cut, tmp_path / "store")


def test_rejects_too_long(tmp_path: Path) -> None:
    src = voice_wav(tmp_path / "v.wav", seconds=3.0)
    msg = rejected(src, tmp_path / "store", max_seconds=2.0)
    assert "quá dài" in msg, msg


def test_rejects_too_large(tmp_path: Path, source: Path) -> None:
    msg = rejected(source, tmp_path / "store", max_bytes=10_000)
    assert "quá lớn" in msg, msg


def test_rejects_silent_recording(tmp_path: Path) -> None:
    silent = voice_wav(tmp_path / "silent.wav", amp=0.0)
    msg = rejected(silent, tmp_path / "store")
    assert "im lặng" in msg, msg
    mp3 = encode(silent, tmp_path / "silent.mp3", "-c:a", "libmp3lame")
    assert "im lặng" in rejected(mp3, tmp_path / "store")


def test_rejects_empty_and_missing(tmp_path: Path) -> None:
    empty = tmp_path / "empty.mp3"
    empty.write_bytes(b"")
    assert "rỗng" in rejected(empty, tmp_path / "store")
    assert "Không tìm thấy" in rejected(tmp_path / "nope.mp3", tmp_path / "store")


def test_rejects_image(tmp_path: Path) -> None:
    png = tmp_path / "anh.mp3"
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "color=c=red:s=32x32",
                    "-frames:v", "1", "-f", "image2", "-c:v", "png", str(png)], check=True)
    assert "không phải" in rejected(png, tmp_path / "store")
