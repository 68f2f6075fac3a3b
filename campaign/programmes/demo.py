"""Demo: the competition "Công dân số Đồng Nai" (indicator 9: at least 50,000 entries) with the entries
imported from a platform export file per commune and target group, through the real importer; and a
national online course's completions."""

from __future__ import annotations

import io
from datetime import date, timedelta

from sqlalchemy import select

from campaign.accounts.models import User
from campaign.campaigns.models import Campaign, Indicator
from campaign.extensions import db
from campaign.programmes.forms import DEFAULT_PROGRAMME
from campaign.programmes.importers import ProgrammeImporter
from campaign.programmes.models import ProgrammeImport
from campaign.units.models import Commune

AS_OF = date(2026, 11, 20)
GROUPS = (("Cán bộ, công chức", 9), ("Học sinh, sinh viên", 14), ("Người dân trưởng thành", 11))


def export_file(kind: str, communes: list[Commune]) -> bytes:
    """What the platform's export would hold: per commune, target group and week, the number of entries."""
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(["Mã xã", "Xã/Phường", "Đối tượng", "Số lượt dự thi" if kind == "competition" else "Số người hoàn thành",
               "Ngày"])
    start = date(2026, 8, 3)
    weeks = (AS_OF - start).days // 7 + 1
    for n, commune in enumerate(communes):
        for g, (group, weight) in enumerate(GROUPS):
            for week in range(0, weeks, 3):
                count = (weight * (3 + (n * 7 + g * 5 + week) % 9)) * 2 // (7 if kind == "competition" else 25)
                if count:
                    ws.append([commune.code, commune.name, group, count, (start + timedelta(days=7 * week)).strftime("%d/%m/%Y")])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def load(context: dict) -> None:
    campaign = db.session.get(Campaign, context.get("campaign_main")) if context.get("campaign_main") else None
    coordinator = db.session.scalar(select(User).where(User.username == "sokhcn.dongnai"))
    if campaign is None or coordinator is None:
        return
    codes = {i.code for i in campaign.indicators}
    if "9" not in codes:
        campaign.indicators.append(Indicator(
            code="9", position=len(codes), name="Cuộc thi “Công dân số Đồng Nai”: ít nhất 50.000 lượt dự thi trực tuyến",
            unit="entries", target_value=50000, metric="competition_entries", lead_unit="Sở Khoa học và Công nghệ",
            partner_units="Đoàn TNCS Hồ Chí Minh tỉnh; các sở, ban, ngành; UBND các xã, phường; các trường Đại học",
            measurement="Số lượt dự thi nhập từ file xuất của nền tảng thi trực tuyến."))
        db.session.flush()
    _link_task(campaign)
    if db.session.scalar(select(ProgrammeImport.id).where(ProgrammeImport.campaign_id == campaign.id).limit(1)):
        return
    communes = db.session.scalars(select(Commune).where(Commune.province_code == campaign.province_code)
                                  .order_by(Commune.code)).all()
    importer = ProgrammeImporter()
    for kind in ("competition", "online_course"):
        options = importer.options(kind, DEFAULT_PROGRAMME[kind], AS_OF.strftime("%d/%m/%Y"))
        filename = f"xuat-nen-tang-{kind}.xlsx"
        data = export_file(kind, communes)
        checked = importer.check(coordinator, filename, data, campaign, options)
        source = importer.apply(coordinator, checked, campaign, options, filename)
        context["echo"](f"programmes: {source.programme}: {source.total} ({source.rows} rows)")


def _link_task(campaign: Campaign) -> None:
    """The plan's task I.5 (the competition) is carried out by indicator 9."""
    from campaign.plans.models import PlanTask

    task = db.session.scalar(select(PlanTask).where(PlanTask.campaign_id == campaign.id,
                                                    PlanTask.section == "communications", PlanTask.number == 5))
    indicator = next((i for i in campaign.indicators if i.code == "9"), None)
    if task is not None and indicator is not None and indicator not in task.indicators:
        task.indicators.append(indicator)
        db.session.flush()
