"""`flask --app campaign ...` commands: units, users, demo."""

from __future__ import annotations

import importlib

import click
from flask import Flask
from sqlalchemy import func, select

from campaign.core.services import DomainError
from campaign.extensions import db
from campaign.features import FEATURES


def register_cli(app: Flask) -> None:
    app.cli.add_command(units_cli)
    app.cli.add_command(users_cli)
    app.cli.add_command(demo_command)


@click.group("units", help="Administrative units (provinces, communes).")
def units_cli():
    pass


@units_cli.command("load", help="Load provinces and communes from vietnam-provinces (idempotent).")
@click.option("--province", "province", type=int, default=None, help="Only this province code (Đồng Nai: 75).")
def units_load(province: int | None):
    from campaign.units.models import Commune, Province
    from campaign.units.services import load_units

    try:
        result = load_units(province)
    except DomainError as err:
        raise click.ClickException(err.message) from err
    db.session.commit()
    click.echo(
        f"provinces: {result.provinces_added} added, {result.provinces_updated} updated; "
        f"communes: {result.communes_added} added, {result.communes_updated} updated"
    )
    total_p = db.session.scalar(select(func.count()).select_from(Province))
    total_c = db.session.scalar(select(func.count()).select_from(Commune))
    click.echo(f"in the database: {total_p} provinces, {total_c} communes")


@click.group("users", help="User accounts.")
def users_cli():
    pass


@users_cli.command("create-admin", help="Create a system administrator.")
@click.option("--username", prompt=True)
@click.option("--full-name", default="Quản trị hệ thống", show_default=True)
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
def users_create_admin(username: str, full_name: str, password: str):
    from campaign.accounts.services import create_user

    try:
        user = create_user(None, username=username, full_name=full_name, password=password, role="admin")
    except DomainError as err:
        raise click.ClickException(err.message) from err
    db.session.commit()
    click.echo(f"administrator {user.username} created")


@click.command("demo", help="Load the demo data of the Đồng Nai 2026 plan (idempotent).")
@click.option("--if-empty", is_flag=True, help="Do nothing if the database already has users.")
@click.option("--no-history", is_flag=True,
              help="Leave out the year's past classes and certificates (faster; the tests use it).")
@click.option("--today", "today", default=None, metavar="YYYY-MM-DD",
              help="Load the demo as if today were this day (default: today).")
def demo_command(if_empty: bool, no_history: bool, today: str | None):
    from campaign.accounts.models import User
    from campaign.core.timeutil import clock_at, local_today, parse_local_date

    if if_empty and db.session.scalar(select(func.count()).select_from(User)):
        click.echo("demo: the database already has data; nothing loaded")
        return
    try:
        day = parse_local_date(today) if today else local_today()
    except ValueError as exc:
        raise click.BadParameter("a date as YYYY-MM-DD or dd/mm/yyyy", param_hint="--today") from exc
    with clock_at(day):
        load_demo(history=not no_history, echo=click.echo)


def load_demo(history: bool = True, echo=click.echo) -> dict:
    """Every feature's demo.load() in FEATURES order, as of today (``timeutil.local_today()``), each
    committed; then the demo logins with what to try as each of them. Returns the context."""
    context: dict = {"echo": echo, "history": history}
    for feature in FEATURES:
        try:
            module = importlib.import_module(f"campaign.{feature}.demo")
        except ModuleNotFoundError as exc:
            if exc.name != f"campaign.{feature}.demo":
                raise
            continue
        module.load(context)
        db.session.commit()
    from campaign.features import modules

    for facts in modules("facts"):  # the dashboards' daily facts of the demo's records (reports.facts)
        facts.rebuild_all()
        db.session.commit()
    logins = context.get("logins", [])
    if logins:
        tries = context.get("try", {})
        echo(f"\nDemo logins (password for all: {context.get('password', '')}); each opens on /today:")
        for username, role in logins:
            echo(f"  {username:<24} {role}")
            for line in tries.get(username, []):
                echo(f"  {'':<24}   → {line}")
    return context
