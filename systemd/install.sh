#!/usr/bin/env bash
# Install Loa xã as two systemd services under one target, run by a dedicated user.
# Usage (as root, from a checkout): systemd/install.sh
set -euo pipefail
src="$(cd "$(dirname "$0")/.." && pwd)"
id loaxa >/dev/null 2>&1 || useradd --system --home /var/lib/loa-xa --shell /usr/sbin/nologin --groups audio loaxa
mkdir -p /opt/loa-xa /var/lib/loa-xa
cp -a "$src/." /opt/loa-xa/
cd /opt/loa-xa
source scripts/lib.sh
ensure_packages ffmpeg espeak-ng pulseaudio pulseaudio-utils alsa-utils fonts-dejavu-core mosquitto
ensure_venv test
chown -R loaxa:loaxa /var/lib/loa-xa
sudo -u loaxa BROADCASTER_HOME=/var/lib/loa-xa /opt/loa-xa/.venv/bin/broadcaster init
sudo -u loaxa BROADCASTER_HOME=/var/lib/loa-xa /opt/loa-xa/.venv/bin/broadcaster user bootstrap
install -m 0644 systemd/loa-xa.target systemd/loa-xa-web.service systemd/loa-xa-station.service \
  systemd/loa-xa-receivers-hub.service /etc/systemd/system/
systemctl daemon-reload
systemctl enable --now loa-xa.target
echo "Đã cài đặt. Trạng thái: systemctl status loa-xa.target"
