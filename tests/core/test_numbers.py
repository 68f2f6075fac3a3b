"""Numbers, percentages and hours in the Vietnamese format (decimal comma, dot for thousands) through
Babel: the filters, and every translated sentence's numbers (core/i18n.py)."""

from __future__ import annotations

from flask import render_template_string

from campaign.core import i18n


def _vi(app):
    return app.test_request_context(headers={"Cookie": "lang=vi"})


def test_filters_format_numbers_the_vietnamese_way(app):
    with _vi(app):
        assert render_template_string("{{ 1234567|number }}") == "1.234.567"
        assert render_template_string("{{ 1234.56|number }}") == "1.234,6"
        assert render_template_string("{{ 12.0|number }}") == "12"
        assert render_template_string("{{ none|number }}") == "—"
        assert render_template_string("{{ '—'|number }}") == "—"
        assert render_template_string("{{ 0.125|percent }}") == "12,5%"
        assert render_template_string("{{ 87.5|percent(fraction=false) }}") == "87,5%"
        assert render_template_string("{{ 2.5|hours }}") == "2,5"
        assert render_template_string("{{ 1500.25|hours }}") == "1.500,25"
        assert i18n.format_hours(None) == "0"


def test_numbers_in_translated_sentences_are_grouped(app):
    with _vi(app):
        assert render_template_string('{{ _("%(n)d events", n=12345) }}') == "12.345 sự kiện"
        assert render_template_string('{{ _("progress %(p)s%%", p=12.5) }}') == "tiến độ 12,5%"
        # Identifiers are left alone, text too.
        assert render_template_string('{{ _("Error code: %(code)s", code=4040) }}').endswith("4040")
        assert render_template_string('{{ _("Book %(v)s", v="Nhà văn hóa 1000") }}').endswith("Nhà văn hóa 1000")
        # Escaping still applies to the values.
        assert "&lt;b&gt;" in render_template_string('{{ _("Book %(v)s", v="<b>") }}')
        assert render_template_string('{{ ngettext("%(num)d event", "%(num)d events", 2000) }}').startswith("2.000")


def test_pages_show_grouped_numbers(app, factory, login_as):
    from tests.events.conftest import create_event

    create_event(capacity=1500)
    client = login_as(factory.user("admin"))
    html = client.get("/manage/events").text
    assert "/1.500" in html and "/1500<" not in html
