"""The village receiver box: enrolment, its local plan and programs, the MQTT link, the daemon.

Runs on a small Debian box with its own ``BROADCASTER_HOME`` (a normal data folder: its SQLite
holds its plan, its programs and its own evidence chain; ``station_key.pem`` is its key). It never
imports Flask; the commune side lives in :mod:`broadcaster.receivers` and :mod:`web.receivers_api`.
"""
