"""Command-line tasks: `flask seed`, `flask users create`, `flask municipalities …`, `flask jobs …`."""

from __future__ import annotations

import time

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from .extensions import db

users = AppGroup("users", help="Accounts.")
municipalities_cli = AppGroup("municipalities", help="Municipalities taking part.")
jobs = AppGroup("jobs", help="Periodic work: mail delivery (and, as features land, seat releases and surveys).")


@click.command("seed")
@click.option("--demo/--no-demo", default=False, help="Also load demo staff (refused in production).")
def seed(demo: bool) -> None:
    """Load reference data (municipalities, ranks) and optionally demo data. Safe to run again."""
    from .courses.seed import load_course
    from .people.reference import load_reference
    from .surveys.seed import load_questionnaires

    load_reference()
    load_questionnaires(load_course())
    click.echo("Reference data and the report's course loaded.")
    if not demo:
        return
    if current_app.config.get("ENV_NAME") == "production":
        raise click.ClickException("Demo data is not loaded in production.")
    from .demo import DEMO_PASSWORD, load_demo, load_demo_session

    sign_ins = load_demo()
    load_demo_session()
    click.echo(f"\nDemo sign-ins (password for all: {DEMO_PASSWORD})")
    labels = {"employee": "職員", "coordinator": "研修担当者", "secretariat": "事務局"}
    for entry in sign_ins:
        click.echo(f"  {labels[entry.role]:<6} {entry.municipality:<4} {entry.email:<42} {entry.name}")


@users.command("create")
@click.option("--email", required=True)
@click.option("--name", required=True, help="Full name in kanji, e.g. 越谷 花子")
@click.option("--kana", default="", help="Reading in hiragana")
@click.option("--municipality", "municipality_code", required=True, help="Local government code, e.g. 112224")
@click.option("--department", default="")
@click.option("--secretariat", is_flag=True, help="Member of the secretariat (administrator of everything)")
@click.option("--coordinator", is_flag=True, help="Coordinator of their municipality")
@click.password_option()
def create_user(email, name, kana, municipality_code, department, secretariat, coordinator, password) -> None:
    """Create a confirmed account (the way to make the first secretariat user)."""
    from .audit.services import record
    from .auth.passwords import MIN_LENGTH
    from .auth.services import find_person, set_password
    from .people.services import create_person, municipality_by_code

    municipality = municipality_by_code(municipality_code)
    if municipality is None:
        raise click.ClickException(f"Unknown municipality code {municipality_code}; run `flask seed` first.")
    if find_person(email):
        raise click.ClickException(f"{email} already has an account.")
    if len(password) < MIN_LENGTH:
        raise click.ClickException(f"The password must have at least {MIN_LENGTH} characters.")
    person = create_person(
        email=email,
        name=name,
        name_kana=kana,
        municipality=municipality,
        department=department,
        is_secretariat=secretariat,
        is_coordinator=coordinator,
        confirmed=True,
    )
    set_password(person, password)
    db.session.flush()
    record("person.created_by_cli", person, after={"roles": person.roles})
    db.session.commit()
    click.echo(f"Created {person.email} ({', '.join(person.roles)}).")


@municipalities_cli.command("add")
@click.argument("code")
@click.argument("name")
@click.option("--kana", default="")
@click.option("--name-en", default="")
@click.option("--domain", "domains", multiple=True, help="Staff email domain (repeatable)")
def add_municipality(code, name, kana, name_en, domains) -> None:
    """Add a municipality joining the training."""
    from .people.models import Municipality, MunicipalityDomain
    from .people.reference import check_digit_ok
    from .people.services import municipality_by_code

    if not check_digit_ok(code):
        raise click.ClickException(f"{code} is not a valid local government code (6 digits with check digit).")
    if municipality_by_code(code):
        raise click.ClickException(f"{code} exists already.")
    last = max((m.sort_order for m in db.session.scalars(db.select(Municipality))), default=0)
    db.session.add(
        Municipality(
            code=code,
            name=name,
            name_kana=kana,
            name_en=name_en,
            sort_order=last + 1,
            domains=[MunicipalityDomain(domain=d.lower()) for d in domains],
        )
    )
    db.session.commit()
    click.echo(f"Added {code} {name}.")


@municipalities_cli.command("set-domains")
@click.argument("code")
@click.argument("domains", nargs=-1, required=True)
def set_domains(code, domains) -> None:
    """Replace the staff email domains of a municipality."""
    from .people.models import MunicipalityDomain
    from .people.services import municipality_by_code

    municipality = municipality_by_code(code)
    if municipality is None:
        raise click.ClickException(f"Unknown municipality code {code}.")
    municipality.domains = [MunicipalityDomain(domain=d.lower()) for d in domains]
    db.session.commit()
    click.echo(f"{municipality.name}: {', '.join(d.domain for d in municipality.domains)}")


def run_jobs_once() -> dict[str, object]:
    """Everything periodic, once. Each feature adds its step here."""
    from .enrollment.services import release_due, send_session_reminders
    from .notifications.services import deliver_due
    from .surveys.services import send_invitations_and_reminders

    # Promotions and survey invitations first, so the mail they write goes out in the same round.
    return {
        "promoted from waiting lists": release_due(),
        "survey invitations and reminders": send_invitations_and_reminders(),
        "session reminders": send_session_reminders(),
        "mail (sent, failed)": deliver_due(),
    }


@jobs.command("run")
def jobs_run() -> None:
    """Run the periodic work once (call every few minutes from cron or a systemd timer)."""
    for name, outcome in run_jobs_once().items():
        click.echo(f"{name}: {outcome}")


@jobs.command("worker")
@click.option("--interval", default=10.0, help="Seconds between rounds.")
def jobs_worker(interval: float) -> None:
    """Run the periodic work in a loop, for deployments that prefer a long-running process."""
    while True:
        try:
            run_jobs_once()
        except Exception:  # keep the worker alive; the next round retries
            current_app.logger.exception("periodic jobs failed")
            db.session.rollback()
        finally:
            db.session.remove()
        time.sleep(interval)


def register_commands(app: Flask) -> None:
    for command in (seed, users, municipalities_cli, jobs):
        app.cli.add_command(command)
