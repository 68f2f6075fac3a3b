from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Integer, String, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from campaign.core.types import UTCDateTime, utcnow
from campaign.extensions import db

VILLAGE_KINDS = ("thon", "ap", "khu_pho", "to_dan_pho", "ban", "other")


class Province(db.Model):
    __tablename__ = "provinces"

    code: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    name: Mapped[str] = mapped_column(String(120), nullable=False)
    division_type: Mapped[str] = mapped_column(String(40), nullable=False)
    codename: Mapped[str] = mapped_column(String(120), nullable=False)
    search_name: Mapped[str] = mapped_column(String(120), nullable=False, index=True)

    communes: Mapped[list[Commune]] = relationship(back_populates="province", order_by="Commune.name")

    def __repr__(self) -> str:
        return f"<Province {self.code} {self.name}>"


class Commune(db.Model):
    """A commune, ward or special zone (xã, phường, đặc khu) of the two-tier government."""

    __tablename__ = "communes"

    code: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    province_code: Mapped[int] = mapped_column(ForeignKey("provinces.code"), nullable=False, index=True)
    name: Mapped[str] = mapped_column(String(120), nullable=False)
    division_type: Mapped[str] = mapped_column(String(40), nullable=False)
    codename: Mapped[str] = mapped_column(String(120), nullable=False)
    search_name: Mapped[str] = mapped_column(String(120), nullable=False, index=True)
    # "vùng sâu, vùng xa": a remote commune whose direct support the plans require (imported or edited)
    remote: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False, server_default=false())

    province: Mapped[Province] = relationship(back_populates="communes")
    villages: Mapped[list[Village]] = relationship(
        back_populates="commune", order_by="Village.name", cascade="all, delete-orphan"
    )

    def __repr__(self) -> str:
        return f"<Commune {self.code} {self.name}>"


class Village(db.Model):
    """A village or urban quarter (thôn, ấp, khu phố, tổ dân phố): a community unit of a commune."""

    __tablename__ = "villages"

    id: Mapped[int] = mapped_column(primary_key=True)
    commune_code: Mapped[int] = mapped_column(ForeignKey("communes.code"), nullable=False, index=True)
    name: Mapped[str] = mapped_column(String(120), nullable=False)
    kind: Mapped[str] = mapped_column(String(20), nullable=False, default="ap")
    search_name: Mapped[str] = mapped_column(String(120), nullable=False)
    households: Mapped[int | None] = mapped_column(Integer)
    population: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)

    commune: Mapped[Commune] = relationship(back_populates="villages")

    __table_args__ = (
        UniqueConstraint("commune_code", "search_name"),
        CheckConstraint("households IS NULL OR households >= 0", name="households_nonnegative"),
        CheckConstraint("population IS NULL OR population >= 0", name="population_nonnegative"),
        CheckConstraint(
            "kind IN ('thon', 'ap', 'khu_pho', 'to_dan_pho', 'ban', 'other')", name="kind_known"
        ),
    )

    def __repr__(self) -> str:
        return f"<Village {self.id} {self.name}>"
