"""Demo accounts, one or more for every role."""

from sqlalchemy import select

from campaign.accounts.models import User
from campaign.accounts.services import create_user
from campaign.extensions import db
from campaign.units.demo import DONG_NAI, LONG_THANH, TA_LAI, TRAN_BIEN

DEMO_PASSWORD = "demo-2026"

DEMO_USERS = [
    # username, full name, role, province, commune
    ("admin", "Quản trị hệ thống", "admin", None, None),
    ("sokhcn.dongnai", "Nguyễn Văn Điều Phối", "province_coordinator", DONG_NAI, None),
    ("canbo.tranbien", "Trần Thị Bích", "commune_officer", None, TRAN_BIEN),
    ("canbo.longthanh", "Lê Văn Long", "commune_officer", None, LONG_THANH),
    ("canbo.talai", "Điểu Thị Lài", "commune_officer", None, TA_LAI),
    ("doan.dongnai", "Phạm Minh Đoàn", "youth_organiser", DONG_NAI, None),
    ("doan.longthanh", "Võ Thanh Niên", "youth_organiser", None, LONG_THANH),
    ("giangvien.hoa", "Đặng Thu Hoa", "trainer", DONG_NAI, None),
    ("tnv.an", "Ngô Bình An", "volunteer", None, TRAN_BIEN),
]


def load(context: dict) -> None:
    existing = set(db.session.scalars(select(User.username)))
    for username, full_name, role, province, commune in DEMO_USERS:
        if username not in existing:
            create_user(None, username=username, full_name=full_name, password=DEMO_PASSWORD, role=role,
                        province_code=province, commune_code=commune)
    context["password"] = DEMO_PASSWORD
    context.setdefault("logins", []).extend((u, r) for u, _n, r, _p, _c in DEMO_USERS)
