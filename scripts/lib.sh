# Shared by scripts/run and scripts/test: system packages and the virtualenv, installed only
# when missing so a second run starts in seconds.
# shellcheck shell=bash

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"

say() { printf '\033[1m[loa-xa]\033[0m %s\n' "$*"; }

ensure_packages() {
  local missing=()
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  [[ ${#missing[@]} -eq 0 ]] && return 0
  say "Cài gói hệ thống còn thiếu: ${missing[*]}"
  local sudo=""
  [[ $(id -u) -ne 0 ]] && sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

find_python() {
  for candidate in python3.11 python3.12 python3.13 python3; do
    if command -v "$candidate" >/dev/null 2>&1 &&
      "$candidate" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' 2>/dev/null; then
      command -v "$candidate"
      return 0
    fi
  done
  return 1
}

ensure_venv() {
  local extras="$1"
  local python
  if ! python="$(find_python)"; then
    ensure_packages python3 python3-venv python3-pip
    python="$(find_python)" || { echo "Cần Python 3.11 trở lên" >&2; exit 1; }
  fi
  if [[ ! -x "$VENV/bin/python" ]]; then
    say "Tạo môi trường Python ở .venv"
    "$python" -m venv "$VENV" 2>/dev/null || { ensure_packages python3-venv; "$python" -m venv "$VENV"; }
  fi
  local stamp="$VENV/.installed-$extras"
  if [[ ! -f "$stamp" || "$ROOT/pyproject.toml" -nt "$stamp" ]]; then
    say "Cài đặt Loa xã và thư viện Python"
    "$VENV/bin/pip" install -q --upgrade pip >/dev/null 2>&1 || true
    if ! "$VENV/bin/pip" install -q -e "$ROOT[$extras]" >"$VENV/pip-install.log" 2>&1; then
      tail -n 30 "$VENV/pip-install.log" >&2
      echo "Cài đặt thư viện Python thất bại (chi tiết: $VENV/pip-install.log)" >&2
      exit 1
    fi
    "$VENV/bin/python" -c "import broadcaster, web, audio, flask, gtts, pydub, apscheduler" ||
      { echo "Cài đặt thư viện Python thất bại" >&2; exit 1; }
    touch "$stamp"
  fi
}

start_sound() {
  # A real sound server if one answers; else a virtual output (null sink) that is recorded.
  if command -v pactl >/dev/null 2>&1 && pactl info >/dev/null 2>&1; then
    say "Dùng máy chủ âm thanh PulseAudio đang chạy"
    return 0
  fi
  eval "$("$ROOT/scripts/pulse-null-sink" loaxa)"
  export BROADCASTER_OUTPUT_DEVICE="${BROADCASTER_OUTPUT_DEVICE:-loaxa}"
  return 1
}
