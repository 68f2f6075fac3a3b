from flask_babel import lazy_gettext as _l

KIND_LABELS = {
    "competition": _l("Online competition (entries)"),
    "online_course": _l("National online course (completions)"),
}
DEFAULT_PROGRAMME = {
    "competition": "Công dân số Đồng Nai: Kỹ năng thông minh - Công vụ chuyên nghiệp",
    "online_course": "Bình dân học vụ số (nền tảng học trực tuyến mở đại trà)",
}
