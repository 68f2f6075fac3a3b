"""Demo: the units and the task table of the Đồng Nai 2026 plan (Phụ lục II), some tasks done, some in
progress, one overdue; every commune's unit; the coordinator acts for Sở Khoa học và Công nghệ and the
youth organiser for the provincial youth union."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from campaign.accounts.models import User
from campaign.campaigns.models import Campaign, Indicator
from campaign.core.text import fold
from campaign.core.types import utcnow
from campaign.extensions import db
from campaign.plans import services
from campaign.plans.models import PlanTask, PlanTaskUpdate, PlanUnit, PlanUnitMember
from campaign.units.models import Commune

DONG_NAI = 75
SKHCN = "Sở Khoa học và Công nghệ"
DOAN = "Đoàn TNCS Hồ Chí Minh tỉnh"
XA = "UBND các xã, phường"
SO_NGANH = "Các sở, ban, ngành"

# Phụ lục II of the plan: section, no., content, result, lead units, partner units, time frame, budget
# (million đồng), indicator codes it carries.
TASKS = [
    ("communications", 1, "Phát động Phong trào \"Bình dân học vụ số\" toàn tỉnh",
     "100% xã, phường kết nối trực tuyến; ký kết phối hợp giữa các lực lượng", [SKHCN],
     ["Ban Tuyên giáo và Dân vận Tỉnh ủy", XA], "Tháng 5/2026", None, ["6"]),
    ("communications", 2, "Xác nhận phổ cập kỹ năng số trên nền tảng VNeID",
     "60% người trưởng thành được xác nhận đạt kỹ năng số", ["Công an tỉnh"],
     [SKHCN, XA, DOAN, "Hội Liên hiệp Phụ nữ tỉnh"], "Trước 30/11/2026", None, ["4", "4a"]),
    ("communications", 3, "Quản lý, vận hành Cổng thông tin và các nền tảng số tuyên truyền",
     "Duy trì hiệu quả chuyên mục CĐS trên Cổng thông tin điện tử tỉnh",
     ["Báo và Phát thanh, Truyền hình Đồng Nai", SO_NGANH, XA], [SKHCN], "Thường xuyên", None, []),
    ("communications", 4, "Đẩy mạnh tuyên truyền về phát triển khoa học, công nghệ, đổi mới sáng tạo, chuyển đổi "
     "số và Phong trào “Bình dân học vụ số”", "Đa dạng hóa hình thức qua hệ thống truyền thông cơ sở, mạng xã "
     "hội, tiếng dân tộc.", ["Báo và Phát thanh, Truyền hình Đồng Nai"], [SO_NGANH, XA], "Thường xuyên", None, []),
    ("communications", 5, "Cuộc thi “Công dân số Đồng Nai: Kỹ năng thông minh - Công vụ chuyên nghiệp”",
     "Thu hút ít nhất 50.000 lượt dự thi trực tuyến", [SKHCN],
     [DOAN, SO_NGANH, XA, "Các trường Đại học"], "Quý III-IV/2026", "500", []),
    ("communications", 6, "Chiến dịch “Mùa hè số”", "100% các xã vùng sâu, vùng xa được hỗ trợ trực tiếp; đạt 30% "
     "chỉ tiêu phổ cập năm qua chiến dịch", [DOAN], [SKHCN, "Công an tỉnh", XA], "Quý III/2026", "1000", []),
    ("training", 1, "Chương trình phổ cập kỹ năng số cho học sinh (từ Tiểu học)",
     "Biên soạn tài liệu, bài giảng số ngắn gọn, dễ hiểu", ["Sở Giáo dục và Đào tạo"], [SKHCN, XA],
     "Quý II, III/2026", None, ["2"]),
    ("training", 2, "Lớp “Bình dân học vụ số” cho người cao tuổi và người khuyết tật",
     "Hướng dẫn thanh toán số, an toàn số và chăm sóc sức khỏe trực tuyến",
     ["Sở Nông nghiệp và Môi trường", "Sở Y tế"],
     ["Hội Người cao tuổi tỉnh", DOAN, "Hội Liên hiệp Phụ nữ tỉnh", "Hội Nông dân tỉnh", XA], "Thường xuyên", None, []),
    ("training", 3, "Phổ cập kỹ năng số cho người lao động trong các doanh nghiệp, hợp tác xã sản xuất kinh doanh "
     "theo chức năng, nhiệm vụ được phân công", "Người lao động trong các Doanh nghiệp, hợp tác xã được tiếp cận kỹ "
     "năng số phục vụ sản xuất kinh doanh", ["Sở Công Thương", "Ban Quản lý các Khu công nghiệp, khu kinh tế tỉnh"],
     [SO_NGANH, XA, "Hiệp hội ngành nghề, doanh nghiệp, hợp tác xã"], "Thường xuyên", "500", ["5"]),
    ("training", 4, "Lớp bồi dưỡng 100 chuyên gia về chuyển đổi số",
     "02 lớp (100 học viên); 100% học viên đạt yêu cầu, được cấp GCN", [SKHCN], [SO_NGANH, XA],
     "Quý III, IV/2026", "700", ["8"]),
    ("training", 5, "Tập huấn kỹ năng số cho CBCC, VC, người lao động", "Thành thạo kỹ năng sử dụng AI để soạn thảo "
     "văn bản, phân tích dữ liệu hỗ trợ ra quyết định và đảm bảo an toàn thông tin.", [SKHCN],
     ["Sở Nội vụ", SO_NGANH, XA], "Quý III-IV/2026", "500", ["1"]),
    ("training", 6, "Phổ cập kỹ năng số cho người dân trên địa bàn", "Sử dụng thiết bị thông minh, tìm kiếm thông tin "
     "bằng AI và thanh toán số.", [SKHCN], [XA, "Các Hiệp hội, đoàn thể"], "Quý III, IV/2026", "500", ["3"]),
]

# (section, no.) -> status, note, link, acting user, days ago. Training 1 (due 30/09/2026) is left in
# progress: overdue.
PROGRESS = {
    ("communications", 1): ("done", "Lễ phát động ngày 15/5/2026: 95/95 xã, phường kết nối trực tuyến.",
                            "https://dongnai.gov.vn/", "sokhcn.dongnai", 190),
    ("communications", 5): ("in_progress", "Đợt 1 đã mở trên nền tảng; số lượt dự thi được nhập từ file xuất.", "",
                            "sokhcn.dongnai", 20),
    ("communications", 6): ("done", "Chiến dịch kết thúc 31/8/2026; báo cáo tổng kết đã gửi Sở KH&CN.",
                            "https://tinhdoandongnai.vn/", "doan.dongnai", 85),
    ("training", 1): ("in_progress", "Đã biên soạn 6/10 bài giảng.", "", None, 70),
    ("training", 4): ("in_progress", "Lớp 1 đã khai giảng (50 học viên).", "", "sokhcn.dongnai", 30),
    ("training", 5): ("in_progress", "Đã tập huấn 12 sở, ngành.", "", "sokhcn.dongnai", 10),
}


def _units(known: dict[str, PlanUnit]) -> None:
    names = {n for t in TASKS for n in (*t[4], *t[5])}
    for name in sorted(names):
        if fold(name) not in known:
            services.create_unit(None, DONG_NAI, name, known=known)
    have = set(db.session.scalars(select(PlanUnit.commune_code).where(PlanUnit.commune_code.is_not(None))))
    for commune in db.session.scalars(select(Commune).where(Commune.province_code == DONG_NAI)):
        if commune.code not in have:
            name = f"UBND {commune.name}"
            if fold(name) in known:  # two communes of the province share a name
                name = f"{name} ({commune.code})"
            services.create_unit(None, DONG_NAI, name, commune=commune, known=known)


def _members(known: dict[str, PlanUnit]) -> None:
    for username, unit_name in (("sokhcn.dongnai", SKHCN), ("doan.dongnai", DOAN)):
        user = db.session.scalar(select(User).where(User.username == username))
        unit = known.get(fold(unit_name))
        if user and unit and not db.session.scalar(select(PlanUnitMember.id).where(
                PlanUnitMember.unit_id == unit.id, PlanUnitMember.user_id == user.id)):
            db.session.add(PlanUnitMember(unit_id=unit.id, user_id=user.id))


def _tasks(campaign: Campaign, known: dict[str, PlanUnit]) -> None:
    indicators = {i.code: i for i in db.session.scalars(select(Indicator).where(Indicator.campaign_id == campaign.id))}
    users = {u.username: u for u in db.session.scalars(select(User).where(User.username.in_(
        ["sokhcn.dongnai", "doan.dongnai"])))}
    for section, number, content, result, leads, partners, timing, budget, codes in TASKS:
        t = services.parse_timing(timing, 2026)
        task = PlanTask(campaign_id=campaign.id, section=section, number=number, content=content,
                        expected_result=result, timing=t.kind, starts_on=t.starts_on, due_on=t.due_on,
                        timing_text=t.text, budget=services.parse_budget(budget))
        db.session.add(task)
        db.session.flush()
        services.set_units(task, [known[fold(n)] for n in leads], [known[fold(n)] for n in partners])
        task.indicators = [indicators[c] for c in codes if c in indicators]
        progress = PROGRESS.get((section, number))
        if progress:
            status, note, link, username, days = progress
            when = utcnow() - timedelta(days=days)
            user = users.get(username) if username else None
            db.session.add(PlanTaskUpdate(task=task, unit_id=task.leads[0].id, status=status, note=note, link=link,
                                          by_id=user.id if user else None, created_at=when))
            task.status, task.progress_note, task.status_changed_at = status, note, when
    db.session.flush()


def load(context: dict) -> None:
    campaign = db.session.get(Campaign, context.get("campaign_main")) if context.get("campaign_main") else None
    if campaign is None:
        return
    known = services.find_units(DONG_NAI)
    _units(known)
    _members(known)
    if not db.session.scalar(select(PlanTask.id).where(PlanTask.campaign_id == campaign.id).limit(1)):
        _tasks(campaign, known)
    context["echo"](f"plans: {len(TASKS)} tasks of Phụ lục II, {len(known)} units")
