"""Flask extensions, created unbound here and bound in ``create_app``."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_smorest import Api
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import MetaData, Table
from sqlalchemy.orm import DeclarativeBase

# A naming convention keeps constraint names stable across databases and migrations.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)

    if TYPE_CHECKING:
        # Every model maps one ``Table`` (``__tablename__``), which Core's ``insert`` takes;
        # SQLAlchemy declares the more general ``FromClause``.
        __table__: ClassVar[Table]


db = SQLAlchemy(model_class=Base)

# The models' base class: Flask-SQLAlchemy's ``db.Model`` (built at run time from ``Base``,
# with its session binding and table names), which the type checker knows as ``Base``.
if TYPE_CHECKING:
    Model = Base
else:
    Model = db.Model
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()
limiter = Limiter(key_func=get_remote_address)


# flask-smorest ships no type information, so its ``Api`` is ``Any`` to the type checker.
class TelemedApi(Api):  # type: ignore[misc]
    """flask-smorest without its global error handler: ``telemed.errors`` answers for all."""

    def _register_error_handlers(self) -> None:
        return None


api = TelemedApi()
