"""Tables of the web: people who log in, the campaigns each may work, their sessions, failed logins."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, ForeignKey, Integer, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from campaigns.models import Campaign
from config.orm import Base, utcnow

# SQLite only autoincrements an INTEGER PRIMARY KEY.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class User(Base):
    """A supervisor, teleoperator or client login; `phone` is the Asterisk interface a teleoperator answers on."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    login: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(200), default="")
    role: Mapped[str] = mapped_column(String(20))
    client_id: Mapped[int | None] = mapped_column(ForeignKey("clients.id"), index=True, default=None)
    phone: Mapped[str] = mapped_column(String(100), default="")
    # The Asterisk server that phone is on (`[asterisk.servers.NAME]`); "": the only one. Only the engine that
    # drives that server takes this person's commands and drives their queue membership.
    phone_server: Mapped[str] = mapped_column(String(100), default="", server_default="")
    password_hash: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    password_changed_at: Mapped[datetime] = mapped_column(default=utcnow)

    @property
    def name(self) -> str:
        """What a screen calls this person: the display name, else the login."""
        return self.display_name or self.login


class UserCampaign(Base):
    """A campaign a user may work (teleoperator) or watch: a teleoperator sees only these."""

    __tablename__ = "user_campaigns"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"), primary_key=True,
                                             index=True)  # fmt: skip


class WebSession(Base):
    """A logged-in browser. Only the SHA-256 of the cookie's token is stored: a copy of the table opens nothing."""

    __tablename__ = "web_sessions"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column()
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    address: Mapped[str] = mapped_column(String(64), default="")


class LoginFailure(Base):
    """One refused login, kept a short while to throttle guessing per login and per address."""

    __tablename__ = "login_failures"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    login: Mapped[str] = mapped_column(String(64), index=True)
    address: Mapped[str] = mapped_column(String(64), index=True)
    at: Mapped[datetime] = mapped_column(index=True)


def user_by_login(session: Session, login: str) -> User | None:
    """The user with this login (any state), or None."""
    return session.scalar(select(User).where(User.login == login.strip().lower()))


def visible_campaigns(session: Session, user: User) -> list[Campaign]:
    """The campaigns a user may see, by name: every one (supervisor), their firm's (client), their own
    (teleoperator)."""
    query = select(Campaign).order_by(Campaign.name)
    if user.role == "client":
        query = query.where(Campaign.client_id == (user.client_id if user.client_id is not None else -1))
    elif user.role != "supervisor":
        query = query.where(Campaign.id.in_(campaigns_of(session, user.id)))
    return list(session.scalars(query))


def campaigns_of(session: Session, user_id: int) -> list[int]:
    """Ids of the campaigns assigned to this user, in id order."""
    rows = session.scalars(select(UserCampaign.campaign_id).where(UserCampaign.user_id == user_id)
                           .order_by(UserCampaign.campaign_id))  # fmt: skip
    return list(rows)
