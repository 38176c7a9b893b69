"""The station's tables, as SQLAlchemy 2.0 typed models.

Instants are stored as naive UTC and come back as aware UTC (``UTCDateTime``): SQLite keeps no
zone, and a station that mixed local and UTC times would air bulletins an hour, or seven, off.
"""
from __future__ import annotations

import datetime as dt
import secrets
from typing import Any, Optional

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

ROLES = ("admin", "editor", "approver", "village", "office")
PRIORITIES = ("normal", "priority", "emergency")
BULLETIN_STATUSES = ("draft", "submitted", "approved", "rejected", "archived")
SLOT_KINDS = ("once", "daily")
ITEM_KINDS = ("bulletin", "recording", "jingle", "pause")
COMMAND_KINDS = ("emergency", "stop", "rerender")
EVIDENCE_STATUSES = ("completed", "interrupted", "failed", "missed")


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def new_public_key() -> str:
    """A bulletin's public name: 12 URL-safe random characters (72 bits), never its id."""
    return secrets.token_urlsafe(9)


class UTCDateTime(TypeDecorator[dt.datetime]):
    """Stores aware datetimes as naive UTC; refuses naive input so no local time slips in."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Any) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(dt.timezone.utc).replace(tzinfo=None)

    def process_result_value(self, value: Any, dialect: Any) -> Any:
        if value is None:
            return None
        return value.replace(tzinfo=dt.timezone.utc)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    full_name: Mapped[str] = mapped_column(String(200), default="")
    password_hash: Mapped[str] = mapped_column(String(300))
    role: Mapped[str] = mapped_column(String(20))
    zone_id: Mapped[Optional[int]] = mapped_column(ForeignKey("zones.id"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    # API tokens issued before this instant are dead (a password change or reset ends them).
    password_changed_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)
    zone: Mapped[Optional["Zone"]] = relationship()


class PanelAttempt(Base):
    """One counted attempt against a limit: a failed login, a wrong current password, a render.

    In the database, not in a process's memory, so that every panel process counts the same
    attempts: two waitress processes must not allow twice the password guesses.
    ``at`` is seconds since the epoch (the limits are windows of seconds).
    """

    __tablename__ = "panel_attempts"
    __table_args__ = (Index("ix_panel_attempts_kind_ip_name_at", "kind", "ip", "name", "at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    ip: Mapped[str] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(String(200))
    at: Mapped[float] = mapped_column(Float)


class RevokedSession(Base):
    """A panel login ended by logout: its cookie, if copied, is refused by every process until
    ``until`` (seconds since the epoch), after which the idle limit refuses it anyway."""

    __tablename__ = "revoked_sessions"
    sid: Mapped[str] = mapped_column(String(64), primary_key=True)
    until: Mapped[float] = mapped_column(Float, index=True)


class ApiToken(Base):
    """Per-user tokens for scripts; only the SHA-256 of a token is stored."""

    __tablename__ = "api_tokens"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    name: Mapped[str] = mapped_column(String(100), default="")
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)
    user: Mapped[User] = relationship()


class Zone(Base):
    """A village (thôn) or street group (khu phố) served by one sound output."""

    __tablename__ = "zones"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    kind: Mapped[str] = mapped_column(String(20), default="thôn")
    output: Mapped[str] = mapped_column(String(120), default="main")
    description: Mapped[str] = mapped_column(Text, default="")
    #: where the village is (WGS 84 degrees), for the receivers' map; both NULL until placed
    latitude: Mapped[Optional[float]] = mapped_column(Float)
    longitude: Mapped[Optional[float]] = mapped_column(Float)
    # When the village was added (NULL: before this was recorded): it owes no village report for
    # a month that ended before it (broadcaster.village_reports.owes).
    created_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime, default=utcnow)


class Campaign(Base):
    __tablename__ = "campaigns"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    theme: Mapped[str] = mapped_column(Text, default="")
    starts_on: Mapped[dt.date] = mapped_column(Date)
    ends_on: Mapped[dt.date] = mapped_column(Date)
    target_per_day: Mapped[int] = mapped_column(Integer, default=1)
    intro_jingle: Mapped[Optional[str]] = mapped_column(String(200))
    outro_jingle: Mapped[Optional[str]] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The plan it carries out (e.g. Kế hoạch 160/KH-SVHTTDL ngày 18/8/2025 của Sở VHTTDL tỉnh).
    doc_number: Mapped[str] = mapped_column(String(100), default="")
    doc_date: Mapped[Optional[dt.date]] = mapped_column(Date)
    doc_issuer: Mapped[str] = mapped_column(String(300), default="")
    doc_title: Mapped[str] = mapped_column(Text, default="")
    # Content themes, in the plan's order; a bulletin is tagged with one of them.
    themes: Mapped[list[str]] = mapped_column(JSON, default=list)
    # Targets per zone per week (each zone, unless it has its own row in campaign_zone_targets).
    target_per_week: Mapped[int] = mapped_column(Integer, default=7)
    target_minutes_per_week: Mapped[int] = mapped_column(Integer, default=0)
    # A peak (National Digital Transformation Day, 10/10) with its own airings a day per zone.
    peak_starts_on: Mapped[Optional[dt.date]] = mapped_column(Date)
    peak_ends_on: Mapped[Optional[dt.date]] = mapped_column(Date)
    peak_target_per_day: Mapped[int] = mapped_column(Integer, default=0)
    zone_targets: Mapped[list["CampaignZoneTarget"]] = relationship(
        back_populates="campaign", cascade="all, delete-orphan"
    )


class CampaignZoneTarget(Base):
    """A zone's own weekly target in a campaign (a bigger village may be asked for more)."""

    __tablename__ = "campaign_zone_targets"
    __table_args__ = (UniqueConstraint("campaign_id", "zone_id", name="uq_campaign_zone_target"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    zone_id: Mapped[int] = mapped_column(ForeignKey("zones.id", ondelete="CASCADE"))
    airings_per_week: Mapped[int] = mapped_column(Integer, default=0)
    minutes_per_week: Mapped[int] = mapped_column(Integer, default=0)
    campaign: Mapped[Campaign] = relationship(back_populates="zone_targets")
    zone: Mapped[Zone] = relationship()


class AudioAsset(Base):
    """An uploaded recording or jingle, or a rendered program; stored under its SHA-256."""

    __tablename__ = "audio_assets"
    id: Mapped[int] = mapped_column(primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(20))  # recording | jingle | rendered
    title: Mapped[str] = mapped_column(String(300), default="")
    language: Mapped[str] = mapped_column(String(20), default="vi")
    relpath: Mapped[str] = mapped_column(String(300))  # relative to the data folder's audio/
    format: Mapped[str] = mapped_column(String(20))
    seconds: Mapped[float] = mapped_column(Float)
    size_bytes: Mapped[int] = mapped_column(Integer, default=0)
    uploaded_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class Bulletin(Base):
    __tablename__ = "bulletins"
    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    category: Mapped[str] = mapped_column(String(100), default="Thông báo")
    priority: Mapped[str] = mapped_column(String(20), default="normal")
    language: Mapped[str] = mapped_column(String(20), default="vi")
    status: Mapped[str] = mapped_column(String(20), default="draft", index=True)
    author_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    approver_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    approved_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)
    reject_reason: Mapped[str] = mapped_column(Text, default="")
    valid_from: Mapped[Optional[dt.date]] = mapped_column(Date)
    valid_until: Mapped[Optional[dt.date]] = mapped_column(Date)
    campaign_id: Mapped[Optional[int]] = mapped_column(ForeignKey("campaigns.id"))
    theme: Mapped[str] = mapped_column(String(300), default="")  # one of the campaign's themes
    zone_id: Mapped[Optional[int]] = mapped_column(ForeignKey("zones.id"))
    # A recording read by a person (Tày, Nùng...) airs instead of synthetic speech.
    recording_id: Mapped[Optional[int]] = mapped_column(ForeignKey("audio_assets.id"))
    # "Đăng công khai": the editor's choice to show it on the public site once approved.
    public: Mapped[bool] = mapped_column(Boolean, default=False)
    # The bulletin's name in public URLs: random, so counting ids finds nothing private.
    public_key: Mapped[Optional[str]] = mapped_column(
        String(32), unique=True, default=new_public_key
    )
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    author: Mapped[Optional[User]] = relationship(foreign_keys=[author_id])
    approver: Mapped[Optional[User]] = relationship(foreign_keys=[approver_id])
    campaign: Mapped[Optional[Campaign]] = relationship()
    zone: Mapped[Optional[Zone]] = relationship()
    recording: Mapped[Optional[AudioAsset]] = relationship()


class BulletinEvent(Base):
    """The workflow history of a bulletin: who wrote, submitted, approved or rejected it, when."""

    __tablename__ = "bulletin_events"
    id: Mapped[int] = mapped_column(primary_key=True)
    bulletin_id: Mapped[int] = mapped_column(ForeignKey("bulletins.id"), index=True)
    user_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    action: Mapped[str] = mapped_column(String(30))
    note: Mapped[str] = mapped_column(Text, default="")
    # What an edit changed, field → [before, after] (readable values); a new reading after a
    # glossary change is {"reading": [before, after]}.
    changes: Mapped[Optional[dict[str, Any]]] = mapped_column(JSON)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    user: Mapped[Optional[User]] = relationship()


class GlossaryEntry(Base):
    """The commune's own read-as words; they win over the default glossary."""

    __tablename__ = "glossary"
    id: Mapped[int] = mapped_column(primary_key=True)
    word: Mapped[str] = mapped_column(String(100), unique=True)
    reading: Mapped[str] = mapped_column(String(300))
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


slot_zones = Table(
    "slot_zones",
    Base.metadata,
    Column("slot_id", ForeignKey("slots.id", ondelete="CASCADE"), primary_key=True),
    Column("zone_id", ForeignKey("zones.id", ondelete="CASCADE"), primary_key=True),
)


class Slot(Base):
    """A broadcast time: once at an instant, or daily at a local time on some weekdays."""

    __tablename__ = "slots"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    kind: Mapped[str] = mapped_column(String(10))  # once | daily
    at_utc: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)  # once
    time_local: Mapped[Optional[dt.time]] = mapped_column()  # daily
    weekdays: Mapped[str] = mapped_column(String(40), default="mon,tue,wed,thu,fri,sat,sun")
    starts_on: Mapped[Optional[dt.date]] = mapped_column(Date)
    ends_on: Mapped[Optional[dt.date]] = mapped_column(Date)
    timezone: Mapped[Optional[str]] = mapped_column(String(64))
    output: Mapped[str] = mapped_column(String(120), default="main")
    priority: Mapped[str] = mapped_column(String(20), default="normal")
    campaign_id: Mapped[Optional[int]] = mapped_column(ForeignKey("campaigns.id"))
    greeting: Mapped[bool] = mapped_column(Boolean, default=True)
    repeats: Mapped[int] = mapped_column(Integer, default=1)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    # Saved over a conflict or overrun warning: what was warned, why it was kept anyway, by whom.
    override_warnings: Mapped[str] = mapped_column(Text, default="", server_default="")
    override_reason: Mapped[str] = mapped_column(Text, default="", server_default="")
    override_by_id: Mapped[Optional[int]] = mapped_column(Integer)
    override_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)
    items: Mapped[list["SlotItem"]] = relationship(
        back_populates="slot", order_by="SlotItem.position", cascade="all, delete-orphan"
    )
    zones: Mapped[list[Zone]] = relationship(secondary=slot_zones)
    campaign: Mapped[Optional[Campaign]] = relationship()


class SlotItem(Base):
    """One program item of a slot, in order: a bulletin, a recording, a jingle or a pause."""

    __tablename__ = "slot_items"
    id: Mapped[int] = mapped_column(primary_key=True)
    slot_id: Mapped[int] = mapped_column(ForeignKey("slots.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    kind: Mapped[str] = mapped_column(String(20))
    bulletin_id: Mapped[Optional[int]] = mapped_column(ForeignKey("bulletins.id"))
    asset_id: Mapped[Optional[int]] = mapped_column(ForeignKey("audio_assets.id"))
    jingle: Mapped[Optional[str]] = mapped_column(String(100))
    seconds: Mapped[float] = mapped_column(Float, default=0.0)
    slot: Mapped[Slot] = relationship(back_populates="items")
    bulletin: Mapped[Optional[Bulletin]] = relationship()
    asset: Mapped[Optional[AudioAsset]] = relationship()


class Occurrence(Base):
    """One airing of a slot on one local date; (slot, local date) is its identity."""

    __tablename__ = "occurrences"
    __table_args__ = (UniqueConstraint("slot_id", "local_date", name="uq_occurrence_slot_date"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    slot_id: Mapped[int] = mapped_column(ForeignKey("slots.id", ondelete="CASCADE"))
    local_date: Mapped[dt.date] = mapped_column(Date)
    scheduled_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)
    state: Mapped[str] = mapped_column(String(20), default="pending")
    render_path: Mapped[Optional[str]] = mapped_column(String(400))
    render_sha256: Mapped[Optional[str]] = mapped_column(String(64))
    render_note: Mapped[str] = mapped_column(Text, default="")
    rendered_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)
    slot: Mapped[Slot] = relationship()
    heads: Mapped[list["OccurrenceHead"]] = relationship(
        order_by="OccurrenceHead.position", cascade="all, delete-orphan")

    @property
    def key(self) -> str:
        from broadcaster.occurrence_keys import occurrence_key

        return occurrence_key(self.slot_id, self.local_date)


class OccurrenceHead(Base):
    """A priority bulletin that leads an occurrence's program (claimed when it was rendered)."""

    __tablename__ = "occurrence_heads"
    occurrence_id: Mapped[int] = mapped_column(ForeignKey("occurrences.id", ondelete="CASCADE"),
                                               primary_key=True)
    bulletin_id: Mapped[int] = mapped_column(ForeignKey("bulletins.id", ondelete="CASCADE"),
                                             primary_key=True, index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)


class StationCommand(Base):
    """An intent from the panel or the CLI that the station executes and acknowledges."""

    __tablename__ = "station_commands"
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    bulletin_id: Mapped[Optional[int]] = mapped_column(ForeignKey("bulletins.id"))
    output: Mapped[Optional[str]] = mapped_column(String(120))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    requested_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    requested_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    status: Mapped[str] = mapped_column(String(20), default="pending")
    acknowledged_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)
    finished_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)
    result: Mapped[str] = mapped_column(Text, default="")
    bulletin: Mapped[Optional[Bulletin]] = relationship()


class BroadcastFields:
    """The fields of one broadcast as it happened: shared by the commune's own entries and the
    entries a village receiver uploads, so both chains describe an airing the same way."""

    slot_id: Mapped[Optional[int]] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(300), default="")
    category: Mapped[str] = mapped_column(String(100), default="")
    campaign: Mapped[str] = mapped_column(String(200), default="")
    scheduled_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime, index=True)
    started_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)
    ended_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str] = mapped_column(Text, default="")
    seconds_played: Mapped[float] = mapped_column(Float, default=0.0)
    priority: Mapped[str] = mapped_column(String(20), default="normal")
    zone: Mapped[str] = mapped_column(String(500), default="")
    output: Mapped[str] = mapped_column(String(200), default="")
    host: Mapped[str] = mapped_column(String(200), default="")
    items: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    aircheck_sha256: Mapped[Optional[str]] = mapped_column(String(64))
    aircheck_path: Mapped[Optional[str]] = mapped_column(String(400))
    corrects_id: Mapped[Optional[int]] = mapped_column(Integer)


class EvidenceEntry(BroadcastFields, Base):
    """One broadcast as it happened, chained to the entry before by ``prev_hash``.

    The code has no update or delete path for these rows; a correction is a new entry with
    ``corrects_id`` set (and no occurrence key, so the one-entry-per-occurrence rule holds).
    """

    __tablename__ = "evidence"
    #: The panel's "category over a period" filter: the matching ids come from this index alone
    #: (the row id is in every SQLite index), not from a scan of the period's every entry.
    __table_args__ = (Index("ix_evidence_category_scheduled_at", "category", "scheduled_at"),
                      Index("ix_evidence_status", "status"))
    id: Mapped[int] = mapped_column(primary_key=True)
    occurrence_key: Mapped[Optional[str]] = mapped_column(String(120), unique=True)
    recorded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)


class Checkpoint(Base):
    """A signed statement of the log's size and head, in the spirit of a transparency log."""

    __tablename__ = "checkpoints"
    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    count: Mapped[int] = mapped_column(Integer)
    head_hash: Mapped[str] = mapped_column(String(64))
    key_id: Mapped[str] = mapped_column(String(64))
    signature: Mapped[str] = mapped_column(String(200))
    #: the previous checkpoint's hash (64 zeros for the first); NULL on checkpoints signed in the
    #: v1 format, before checkpoints were chained
    prev_hash: Mapped[Optional[str]] = mapped_column(String(64))


class Heartbeat(Base):
    """The station daemon's last sign of life, per output, for the panel and ``/healthz``."""

    __tablename__ = "heartbeats"
    output: Mapped[str] = mapped_column(String(120), primary_key=True)
    host: Mapped[str] = mapped_column(String(200), default="")
    pid: Mapped[int] = mapped_column(Integer, default=0)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)
    state: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


# --------------------------------------------------------------------------- village receivers
# Commune side: the boxes, what is rendered for them, the commands sent to them, and the
# evidence they uploaded (each box's own hash chain, kept apart from the commune's chain).
# Box side: the plan and programs it holds, and the commands it has already run.

RECEIVER_COMMAND_KINDS = ("emergency", "stop", "volume", "resync")


class Receiver(Base):
    """A village receiver box: enrolled once with a one-time code, then known by its key."""

    __tablename__ = "receivers"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    zone_id: Mapped[int] = mapped_column(ForeignKey("zones.id"))
    code_sha256: Mapped[Optional[str]] = mapped_column(String(64))
    code_expires_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)
    enrolled_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)
    public_key: Mapped[str] = mapped_column(Text, default="")
    key_id: Mapped[str] = mapped_column(String(64), default="")
    token_sha256: Mapped[Optional[str]] = mapped_column(String(64), unique=True)
    mqtt_username: Mapped[str] = mapped_column(String(80), default="")
    mqtt_password_hash: Mapped[str] = mapped_column(String(300), default="")
    revoked_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)
    last_sync_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)
    status: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    zone: Mapped[Zone] = relationship()


class ReceiverProgram(Base):
    """A program the commune rendered for receivers: one per occurrence, or per emergency."""

    __tablename__ = "receiver_programs"
    __table_args__ = (UniqueConstraint("occurrence_key", name="uq_receiver_programs_occurrence"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    occurrence_key: Mapped[str] = mapped_column(String(120))
    slot_id: Mapped[Optional[int]] = mapped_column(Integer)
    scheduled_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)
    zone_ids: Mapped[list[int]] = mapped_column(JSON, default=list)  # [] = the whole commune
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    relpath: Mapped[str] = mapped_column(String(400))
    size_bytes: Mapped[int] = mapped_column(Integer, default=0)
    seconds: Mapped[float] = mapped_column(Float, default=0.0)
    fields: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    fingerprint: Mapped[str] = mapped_column(String(64), default="")
    rendered_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    withdrawn: Mapped[bool] = mapped_column(Boolean, default=False)


class ReceiverCommand(Base):
    """A command for receivers (a zone's, one box's, or all), published over MQTT by the hub."""

    __tablename__ = "receiver_commands"
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    zone_id: Mapped[Optional[int]] = mapped_column(ForeignKey("zones.id"))
    receiver_id: Mapped[Optional[int]] = mapped_column(ForeignKey("receivers.id"))
    station_command_id: Mapped[Optional[int]] = mapped_column(Integer, unique=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    published_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)
    note: Mapped[str] = mapped_column(Text, default="")


class ReceiverEvidence(BroadcastFields, Base):
    """One entry of a receiver's own chain, as uploaded: ``seq`` is its id in the box's log."""

    __tablename__ = "receiver_evidence"
    __table_args__ = (UniqueConstraint("receiver_id", "seq", name="uq_receiver_evidence_seq"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    receiver_id: Mapped[int] = mapped_column(ForeignKey("receivers.id"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    occurrence_key: Mapped[Optional[str]] = mapped_column(String(120))
    recorded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
    uploaded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: Where the commune keeps the box's air-check once its bytes matched ``aircheck_sha256``
    #: (under ``audio/aircheck/receivers/``, a path the commune chose). ``aircheck_path`` stays the
    #: box's own, as the box hashed it; this one is not part of the chain.
    kept_aircheck_path: Mapped[Optional[str]] = mapped_column(String(400))
    kept_aircheck_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)
    #: Why the commune will never hold it (the box dropped it from a full queue), as the box said.
    aircheck_note: Mapped[str] = mapped_column(Text, default="")
    receiver: Mapped[Receiver] = relationship()


class ReceiverCheckpoint(Base):
    """A checkpoint a receiver signed with its own key over its own chain."""

    __tablename__ = "receiver_checkpoints"
    id: Mapped[int] = mapped_column(primary_key=True)
    receiver_id: Mapped[int] = mapped_column(ForeignKey("receivers.id"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    count: Mapped[int] = mapped_column(Integer)
    head_hash: Mapped[str] = mapped_column(String(64))
    key_id: Mapped[str] = mapped_column(String(64))
    signature: Mapped[str] = mapped_column(String(200))


class BoxPlanEntry(Base):
    """On a receiver box: one occurrence it holds, with the program it will play."""

    __tablename__ = "box_plan"
    key: Mapped[str] = mapped_column(String(120), primary_key=True)
    slot_id: Mapped[Optional[int]] = mapped_column(Integer)
    scheduled_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)
    sha256: Mapped[str] = mapped_column(String(64))
    size_bytes: Mapped[int] = mapped_column(Integer, default=0)
    seconds: Mapped[float] = mapped_column(Float, default=0.0)
    fields: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    received_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    # pending → playing → done; after a crash the box's air journal decides (receiver/daemon.py
    # recover): back to pending only when nothing of it can have been heard
    state: Mapped[str] = mapped_column(String(20), default="pending")


class BoxProgram(Base):
    """On a receiver box: a program file held locally, verified against its SHA-256."""

    __tablename__ = "box_programs"
    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    relpath: Mapped[str] = mapped_column(String(300))
    size_bytes: Mapped[int] = mapped_column(Integer, default=0)
    verified_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class BoxAircheck(Base):
    """On a receiver box: an air-check waiting to be sent to the commune (the upload queue).

    ``seq`` is the box's evidence entry that names it. ``queued`` until the commune kept the
    bytes (``sent``: the local file is then deleted), or ``dropped`` when the queue outgrew
    ``receivers.aircheck_queue_mb`` (oldest first; ``note`` says why, and is told to the commune,
    ``told``), or ``refused`` when the commune found that the file no longer matches its hash.
    """

    __tablename__ = "box_airchecks"
    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64))
    relpath: Mapped[str] = mapped_column(String(400))
    size_bytes: Mapped[int] = mapped_column(Integer, default=0)
    queued_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    state: Mapped[str] = mapped_column(String(20), default="queued", index=True)
    note: Mapped[str] = mapped_column(Text, default="")
    told: Mapped[bool] = mapped_column(Boolean, default=False)
    done_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)


class BoxCommand(Base):
    """On a receiver box: a command already received, so a redelivery never runs twice."""

    __tablename__ = "box_commands"
    id: Mapped[int] = mapped_column(primary_key=True)  # the commune's command id
    kind: Mapped[str] = mapped_column(String(20))
    received_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    result: Mapped[str] = mapped_column(Text, default="")
    #: An emergency's command as it came: what a restarted box needs to air it again when a
    #: crash cut it before anyone heard it (None for other commands).
    body: Mapped[Optional[dict[str, Any]]] = mapped_column(JSON, nullable=True)


class PublicAiring(Base):
    """An evidence entry in which a bulletin's text (or recording) aired, found by matching.

    Filled by :func:`broadcaster.publishing.refresh_airings` from the evidence, never by hand:
    the public site says "aired at" only where the log shows a completed broadcast.
    """

    __tablename__ = "public_airings"
    __table_args__ = (
        UniqueConstraint("evidence_id", "bulletin_id", name="uq_public_airing"),
        Index("ix_public_airings_bulletin_aired", "bulletin_id", "aired_at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    evidence_id: Mapped[int] = mapped_column(ForeignKey("evidence.id"), index=True)
    bulletin_id: Mapped[int] = mapped_column(ForeignKey("bulletins.id", ondelete="CASCADE"))
    aired_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class PublicScan(Base):
    """How far the evidence has been read for airings (one row), so each entry is read once."""

    __tablename__ = "public_scan"
    id: Mapped[int] = mapped_column(primary_key=True)
    last_evidence_id: Mapped[int] = mapped_column(Integer, default=0)
    scanned_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)


REPORT_STATES = ("draft", "submitted", "returned", "accepted")


class ReportPeriod(Base):
    """A reporting period for the villages (a month by default) and the day reports are due."""

    __tablename__ = "report_periods"
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(20), unique=True)  # "2025-10"
    starts_on: Mapped[dt.date] = mapped_column(Date)
    ends_on: Mapped[dt.date] = mapped_column(Date)
    due_on: Mapped[dt.date] = mapped_column(Date)
    updated_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class VillageReport(Base):
    """What a village did for the directive in a period, as its head reported it."""

    __tablename__ = "village_reports"
    __table_args__ = (UniqueConstraint("zone_id", "period_id", name="uq_village_report_zone_period"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    zone_id: Mapped[int] = mapped_column(ForeignKey("zones.id"))
    period_id: Mapped[int] = mapped_column(ForeignKey("report_periods.id"))
    state: Mapped[str] = mapped_column(String(20), default="draft")
    content: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    return_reason: Mapped[str] = mapped_column(Text, default="")
    author_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    submitted_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)
    first_submitted_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)
    accepted_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    zone: Mapped[Zone] = relationship()
    period: Mapped[ReportPeriod] = relationship()
    events: Mapped[list["VillageReportEvent"]] = relationship(
        back_populates="report", order_by="VillageReportEvent.id", cascade="all, delete-orphan"
    )


class VillageReportEvent(Base):
    """The history of a village report: each save, submission, return and acceptance, with a copy."""

    __tablename__ = "village_report_events"
    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("village_reports.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    action: Mapped[str] = mapped_column(String(20))
    note: Mapped[str] = mapped_column(Text, default="")
    content: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    report: Mapped[VillageReport] = relationship(back_populates="events")
    user: Mapped[Optional[User]] = relationship()
