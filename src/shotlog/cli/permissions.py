"""``shotlog permissions``: the permission rule sets and their rules; changing a rule (the command
acts as shotlog itself, with the rights of whoever can open the database)."""

from __future__ import annotations

from typing import Any

import click

from shotlog.access.authority import SHOTLOG
from shotlog.access.rules import RuleSet
from shotlog.accounts.rule_edits import RuleChange, change_rule, rule_sets
from shotlog.cli.common import database_option, fail, open_store
from shotlog.errors import ShotlogError


@click.group()
def permissions() -> None:
    """Permission rule sets (FPTR's permission groups) and their rules."""


def _show(rules: RuleSet) -> None:
    click.echo(f"{rules.code} (for {rules.kind}, id {rules.id})")
    for r in sorted(rules.rules, key=lambda r: (r.entity_type != "", r.entity_type, r.field, r.operation)):
        where = r.entity_type or "site"
        if r.field:
            where += f".{r.field}"
        click.echo(f"  {'allow' if r.allowed else 'refuse':<6}  {r.operation:<17} {where}")


@permissions.command("list")
@database_option
def list_cmd(database: str) -> None:
    """Every rule set, with how many rules it has."""
    for s in rule_sets(open_store(database)):
        click.echo(f"{s.code:<20} {s.kind:<10} {len(s.rules):>4} rules")


@permissions.command("show")
@database_option
@click.argument("rule_set")
def show_cmd(database: str, rule_set: str) -> None:
    """The rules of RULE_SET (its name, e.g. Artist)."""
    _show(_named(open_store(database), rule_set))


def _named(store: Any, rule_set: str) -> RuleSet:
    """The set named ``rule_set``; the command fails naming it when there is none."""
    for s in rule_sets(store):
        if s.code == rule_set:
            return s
    raise click.ClickException(f"rule_set: there is no permission rule set named {rule_set!r}")


@permissions.command("set")
@database_option
@click.argument("rule_set")
@click.argument("operation")
@click.argument("target")
@click.argument("decision", type=click.Choice(["allow", "refuse", "default"]))
def set_cmd(database: str, rule_set: str, operation: str, target: str, decision: str) -> None:
    """Allow or refuse OPERATION on TARGET for RULE_SET, or remove the rule (default).

    OPERATION is create, read, update or delete on an entity type; read or update on a field
    (read refused: hidden, update refused: read-only); or a capability with TARGET "site"
    (administer_users, manage_webhooks, sudo, edit_schema, manage_daemon, read_archive,
    see_all_projects). TARGET is an entity type, Type.field, * (every type) or site.
    """
    entity_type, _, field = ("" if target == "site" else target).partition(".")
    allowed = None if decision == "default" else decision == "allow"
    store = open_store(database)
    _named(store, rule_set)  # an unknown set is named as show names it, before the rule is checked
    try:
        now = change_rule(store, SHOTLOG, RuleChange(rule_set, entity_type, field, operation, allowed))
    except ShotlogError as exc:
        fail(str(exc))
    _show(now)
