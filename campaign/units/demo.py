"""Demo data: every province and commune, and villages for a few Đồng Nai communes."""

from sqlalchemy import select

from campaign.core.text import fold
from campaign.extensions import db
from campaign.units.models import Village
from campaign.units.services import load_units

DONG_NAI = 75
# Communes that the demo accounts and data use (codes from vietnam-provinces).
TRAN_BIEN = 26041  # Phường Trấn Biên
LONG_THANH = 26368  # Xã Long Thành
TA_LAI = 26134  # Xã Tà Lài (remote)

DEMO_VILLAGES = {
    TRAN_BIEN: [("Khu phố 1", "khu_pho", 820), ("Khu phố 2", "khu_pho", 760), ("Khu phố 3", "khu_pho", 905)],
    LONG_THANH: [("Ấp Phước Hòa", "ap", 640), ("Ấp Long Đức", "ap", 580), ("Ấp Bàu Cạn", "ap", 710)],
    TA_LAI: [("Ấp 1", "ap", 310), ("Ấp 2", "ap", 280), ("Ấp 3", "ap", 240), ("Ấp 4", "ap", 195)],
}


def load(context: dict) -> None:
    result = load_units()
    context["echo"](f"units: {result.communes_added} communes added")
    for commune_code, villages in DEMO_VILLAGES.items():
        existing = set(db.session.scalars(select(Village.search_name).where(Village.commune_code == commune_code)))
        for name, kind, households in villages:
            if fold(name) not in existing:
                db.session.add(Village(commune_code=commune_code, name=name, kind=kind, search_name=fold(name),
                                       households=households))
