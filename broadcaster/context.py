"""One opened data folder: its settings, its database engine and sessions.

Built once per process (CLI command, web app, station daemon) so the engine and the session
factory are not recreated per call.
"""
from __future__ import annotations

import logging
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from broadcaster import db
from broadcaster.config import CONFIG_FILE, Settings, default_config_text, load_settings
from broadcaster.errors import NotInitializedError
from broadcaster.keys import ensure_key

logger = logging.getLogger(__name__)


@dataclass
class Context:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]

    @property
    def home(self) -> Path:
        return self.settings.home

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A unit of work: commit when the block ends normally, roll back otherwise."""
        session = self.sessions()
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def dispose(self) -> None:
        self.engine.dispose()


def open_context(home: Path | None = None, *, require_init: bool = True) -> Context:
    settings = load_settings(home)
    if require_init and not settings.home.is_dir():
        raise NotInitializedError(
            f"Chưa có thư mục dữ liệu {settings.home}. Hãy chạy: broadcaster init"
        )
    engine = db.make_engine(settings.database_url)
    if require_init:
        try:
            ready = db.is_initialized(engine)
        except OperationalError as exc:
            raise NotInitializedError(f"Không mở được cơ sở dữ liệu: {exc.orig}") from None
        if not ready:
            raise NotInitializedError(
                f"Cơ sở dữ liệu ở {settings.home} chưa được khởi tạo. Hãy chạy: broadcaster init"
            )
    return Context(settings=settings, engine=engine, sessions=db.make_session_factory(engine))


def init_home(home: Path | None = None) -> tuple[Context, list[str]]:
    """Create the data folder, settings file, schema and key; safe to run again."""
    settings = load_settings(home)
    done: list[str] = []
    for folder in (settings.home, settings.audio_dir, settings.exports_dir):
        if not folder.is_dir():
            folder.mkdir(parents=True, exist_ok=True)
            done.append(f"Đã tạo thư mục {folder}")
    config_path = settings.home / CONFIG_FILE
    if not config_path.exists():
        config_path.write_text(default_config_text(), encoding="utf-8")
        done.append(f"Đã tạo tệp cấu hình {config_path}")
    context = open_context(settings.home, require_init=False)
    db.migrate(context.engine)
    if ensure_key(settings.key_path, settings.public_key_path):
        done.append(f"Đã tạo khóa ký nhật ký {settings.key_path}")
    return context, done
