"""Flask extensions, created unbound so that `create_app` can bind them to any app."""

from flask_babel import Babel
from flask_caching import Cache
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect

from app.core.db import Base

db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
babel = Babel()
csrf = CSRFProtect()
# Storage comes from RATELIMIT_STORAGE_URI (memory:// by default, redis://… in production).
limiter = Limiter(key_func=get_remote_address, default_limits=[])
# Figures and page fragments (app/core/cache.py sets the backend from the configuration).
cache = Cache()
