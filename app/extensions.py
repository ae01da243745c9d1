"""Extensions live here unbound and are attached to an app in `create_app`."""

from app.core.db import Database
from app.core.redis_store import RedisStore

db = Database()
"""SQL storage: everything durable."""

redis_store = RedisStore()
"""Redis: sessions, queues and rate limits only."""
