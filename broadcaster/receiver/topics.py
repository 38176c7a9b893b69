"""MQTT topics and payload shapes shared by the commune and the receiver boxes.

One module both sides import, so a topic is spelt in one place. docs/RECEIVERS.md describes the
same topics, payloads and QoS for whoever runs the broker. Everything is namespaced under
``loaxa/`` so one broker (or a province's broker cluster) can carry other traffic too.

* ``loaxa/zone/<zone id>/plan`` and ``loaxa/all/plan`` (commune → boxes, QoS 1, not retained):
  "the plan changed, version V": the box fetches its plan over HTTP.
* ``loaxa/zone/<zone id>/command``, ``loaxa/all/command``, ``loaxa/receiver/<name>/command``
  (commune → boxes, QoS 1, not retained): emergency, stop, volume, resync, each with an id and an
  expiry so a box that reconnects late runs only what is still valid.
* ``loaxa/status/<name>`` (box → commune, QoS 1, not retained): the heartbeat every
  ``receivers.status_s``. Never retained: "online" must mean "spoke recently", and a retained
  message would make a dead box look alive to every new subscriber.
"""
from __future__ import annotations

PREFIX = "loaxa"
QOS = 1
#: A command-topic message that follows an ``emergency`` sent with ``pending``: the programme's
#: hash once the hub rendered it, or ``error`` (docs/RECEIVERS.md).
EMERGENCY_PROGRAM = "emergency-program"


def zone_plan(zone_id: int) -> str:
    return f"{PREFIX}/zone/{zone_id}/plan"


def zone_command(zone_id: int) -> str:
    return f"{PREFIX}/zone/{zone_id}/command"


def all_plan() -> str:
    return f"{PREFIX}/all/plan"


def all_command() -> str:
    return f"{PREFIX}/all/command"


def receiver_command(name: str) -> str:
    return f"{PREFIX}/receiver/{name}/command"


def status(name: str) -> str:
    return f"{PREFIX}/status/{name}"


STATUS_WILDCARD = f"{PREFIX}/status/+"


def box_subscriptions(name: str, zone_id: int) -> list[str]:
    """What a box listens to: its zone, the whole commune, and itself."""
    return [zone_plan(zone_id), zone_command(zone_id), all_plan(), all_command(),
            receiver_command(name)]


def acl_lines(name: str, zone_id: int) -> list[str]:
    """The box's broker ACL: read its zone's topics, the commune-wide ones and its own; write
    only its own status."""
    return [
        f"user {name}",
        f"topic read {PREFIX}/zone/{zone_id}/#",
        f"topic read {PREFIX}/all/#",
        f"topic read {PREFIX}/receiver/{name}/#",
        f"topic write {status(name)}",
    ]
